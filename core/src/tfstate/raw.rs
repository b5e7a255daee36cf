//! Raw state, version 4 (`terraform state pull`, `terraform.tfstate`, S3/azurerm backends).

use super::{declared_resource, instance_address, mirror_paths};
use crate::error::Result;
use crate::model::{DeclaredResource, RawAttributes};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
pub(super) struct RawResource {
    module: Option<String>,
    #[serde(default)]
    mode: String,
    #[serde(rename = "type")]
    tf_type: String,
    name: String,
    #[serde(default)]
    instances: Vec<RawInstance>,
}

#[derive(Deserialize)]
struct RawInstance {
    index_key: Option<Value>,
    attributes: Option<Box<serde_json::value::RawValue>>,
    #[serde(default)]
    sensitive_attributes: Value,
    /// Set on an object left behind by create_before_destroy; Terraform destroys it.
    deposed: Option<String>,
}

pub(super) fn declared(location: &str, resources: Vec<RawResource>) -> Result<Vec<DeclaredResource>> {
    let mut out = Vec::new();
    for r in resources {
        if r.mode != "managed" {
            continue; // data sources are not resources of the fleet
        }
        for inst in r.instances {
            let Some(attributes) = inst.attributes.map(RawAttributes::new).filter(RawAttributes::is_object) else {
                continue;
            };
            if inst.deposed.is_some() {
                continue;
            }
            let address = instance_address(r.module.as_deref(), &r.mode, &r.tf_type, &r.name, inst.index_key.as_ref());
            let sensitive = sensitive_paths(&inst.sensitive_attributes);
            out.push(declared_resource(location, address, &r.tf_type, attributes, sensitive));
        }
    }
    Ok(out)
}

/// `sensitive_attributes` is a list of cty paths, each a list of steps
/// (`{"type": "get_attr", "value": "password"}`, `{"type": "index", "value": {"value": 0, "type": "number"}}`).
/// Newer Terraform versions may write a `sensitive_values`-style mirror instead; both are read.
fn sensitive_paths(v: &Value) -> Vec<String> {
    match v {
        Value::Array(paths) => paths
            .iter()
            .filter_map(|p| match p {
                Value::Array(steps) => {
                    let segs: Option<Vec<String>> = steps.iter().map(step).collect();
                    segs.filter(|s| !s.is_empty()).map(|s| s.join("."))
                }
                other => mirror_paths(other).into_iter().next(),
            })
            .collect(),
        Value::Object(_) => mirror_paths(v),
        _ => vec![],
    }
}

fn step(s: &Value) -> Option<String> {
    let value = s.get("value")?;
    match s.get("type").and_then(Value::as_str)? {
        "get_attr" => value.as_str().map(str::to_string),
        "index" => {
            let inner = value.get("value").unwrap_or(value);
            match inner {
                Value::Number(n) => Some(n.to_string()),
                Value::String(k) => Some(k.clone()),
                _ => None,
            }
        }
        _ => None,
    }
}
