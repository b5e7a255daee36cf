//! Plan JSON (`terraform show -json plan.out`): declarations are the planned values
//! (what the code asks for); resources the plan creates are not expected live yet;
//! values unknown until apply are never compared; `resource_drift` is what Terraform's
//! own refresh saw change outside Terraform.

use super::show::{self, Values};
use super::{StateInput, TerraformDrift};
use crate::error::Result;
use crate::model::DeclaredKind;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;

#[derive(Deserialize)]
pub(super) struct ResourceChange {
    address: String,
    #[serde(default)]
    mode: String,
    #[serde(rename = "type")]
    tf_type: String,
    change: Change,
}

#[derive(Deserialize)]
struct Change {
    #[serde(default)]
    actions: Vec<String>,
    #[serde(default)]
    before: Value,
    #[serde(default)]
    after: Value,
    #[serde(default)]
    after_unknown: Value,
}

pub(super) fn read(
    location: &str,
    planned: Option<Values>,
    changes: Option<Vec<ResourceChange>>,
    drift: Option<Vec<ResourceChange>>,
) -> Result<StateInput> {
    let mut resources = match &planned {
        Some(values) => show::declared(location, values),
        None => vec![],
    };
    let changes: HashMap<String, ResourceChange> =
        changes.unwrap_or_default().into_iter().map(|c| (c.address.clone(), c)).collect();
    for decl in &mut resources {
        if let Some(change) = changes.get(&decl.address) {
            decl.pending_create = change.change.actions.iter().any(|a| a == "create") && change.change.before.is_null();
            decl.unknown = super::mirror_paths(&change.change.after_unknown);
        }
    }
    let drift = drift
        .unwrap_or_default()
        .into_iter()
        .filter(|d| d.mode == "managed" && d.change.before.is_object())
        .map(|d| TerraformDrift {
            source: location.to_string(),
            address: d.address,
            tf_type: d.tf_type,
            after: Some(d.change.after).filter(Value::is_object),
            before: d.change.before,
        })
        .collect();
    Ok(StateInput {
        location: location.into(),
        kind: DeclaredKind::Plan,
        resources,
        drift,
        root_module: None,
        modules_not_evaluated: 0,
        lineage: None,
    })
}
