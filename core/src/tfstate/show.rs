//! `terraform show -json` module trees, shared by state (`values`) and plan
//! (`planned_values`) output.

use super::{declared_resource, mirror_paths};
use crate::model::{DeclaredResource, RawAttributes};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
pub(super) struct Values {
    #[serde(default)]
    root_module: Option<Module>,
}

#[derive(Deserialize)]
struct Module {
    #[serde(default)]
    resources: Vec<ShowResource>,
    #[serde(default)]
    child_modules: Vec<Module>,
}

#[derive(Deserialize)]
struct ShowResource {
    address: String,
    #[serde(default)]
    mode: String,
    #[serde(rename = "type")]
    tf_type: String,
    values: Option<Box<serde_json::value::RawValue>>,
    #[serde(default)]
    sensitive_values: Value,
}

pub(super) fn declared(location: &str, values: &Values) -> Vec<DeclaredResource> {
    let mut out = Vec::new();
    if let Some(root) = &values.root_module {
        walk(location, root, &mut out);
    }
    out
}

fn walk(location: &str, module: &Module, out: &mut Vec<DeclaredResource>) {
    for r in &module.resources {
        let Some(values) = r.values.clone().map(RawAttributes::new).filter(RawAttributes::is_object) else {
            continue;
        };
        if r.mode != "managed" {
            continue;
        }
        let sensitive = mirror_paths(&r.sensitive_values);
        out.push(declared_resource(location, r.address.clone(), &r.tf_type, values, sensitive));
    }
    for child in &module.child_modules {
        walk(location, child, out);
    }
}
