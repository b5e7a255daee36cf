//! Terraform readers: raw state (version 4), `terraform show -json` of a state, and
//! plan JSON. The format is detected from one parse of the file; unknown fields are
//! tolerated. Several inputs merge into one set of declarations, with duplicates
//! reported as warnings.

mod address;
mod plan;
mod raw;
mod show;

pub use address::instance_address;

use crate::error::{Error, Result};
use crate::model::{DeclaredKind, DeclaredResource, RawAttributes, Warning, WarningKind};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A resource Terraform itself saw drift on during refresh (plan `resource_drift`):
/// `before` is the state, `after` what the cloud returned (`None`: deleted).
#[derive(Debug, Clone, PartialEq)]
pub struct TerraformDrift {
    /// The plan file it came from.
    pub source: String,
    pub address: String,
    pub tf_type: String,
    pub before: Value,
    pub after: Option<Value>,
}

/// Everything one state or plan file declares.
#[derive(Debug, Clone)]
pub struct StateInput {
    pub location: String,
    pub kind: DeclaredKind,
    pub resources: Vec<DeclaredResource>,
    pub drift: Vec<TerraformDrift>,
    /// The root module this state belongs to, when found by `--discover`.
    pub root_module: Option<String>,
    /// Code only: module calls whose source was not on disk (their resources are missing).
    pub modules_not_evaluated: usize,
    /// A raw state's `lineage`: the same state wherever its file is, for telling one
    /// check's history from another's.
    pub lineage: Option<String>,
}

impl StateInput {
    /// Attribute this input and every declaration in it to a discovered root module.
    pub fn in_root_module(mut self, name: &str) -> StateInput {
        for r in &mut self.resources {
            r.root_module = Some(name.to_string());
        }
        self.root_module = Some(name.to_string());
        self
    }
}

/// Every top-level field of the three formats, so the file is parsed once.
#[derive(Deserialize)]
struct Envelope {
    version: Option<Value>,
    lineage: Option<String>,
    format_version: Option<String>,
    resources: Option<Vec<raw::RawResource>>,
    values: Option<show::Values>,
    planned_values: Option<show::Values>,
    resource_changes: Option<Vec<plan::ResourceChange>>,
    resource_drift: Option<Vec<plan::ResourceChange>>,
}

/// Parse a state or plan from bytes; `location` names it in errors and reports.
pub fn parse(location: &str, bytes: &[u8]) -> Result<StateInput> {
    // `terraform plan -out` writes a zip archive, which only Terraform reads.
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(Error::input(
            location,
            "is a binary plan file (`terraform plan -out`), which only Terraform can read: run `terraform show -json PLANFILE > plan.json` in the root module and pass plan.json",
        ));
    }
    let bytes = &crate::encoding::decode(location, bytes)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::input(location, "state file is empty"));
    }
    let env: Envelope = serde_json::from_slice(bytes).map_err(|e| match is_snapshot(bytes) {
        true => Error::input(
            location,
            "is a driftd snapshot (driftd.snapshot/v1), what runs, not a Terraform state: pass it as --provider snapshot:FILE",
        ),
        false => Error::json(location, "state file", &e),
    })?;
    if env.planned_values.is_some() || env.resource_changes.is_some() {
        return plan::read(location, env.planned_values, env.resource_changes, env.resource_drift);
    }
    if let Some(values) = env.values {
        let resources = show::declared(location, &values);
        return Ok(StateInput {
            location: location.into(),
            kind: DeclaredKind::Tfstate,
            resources,
            drift: vec![],
            root_module: None,
            modules_not_evaluated: 0,
            lineage: None,
        });
    }
    if env.format_version.is_some() {
        // `terraform show -json` of an empty state has no "values".
        return Ok(StateInput {
            location: location.into(),
            kind: DeclaredKind::Tfstate,
            resources: vec![],
            drift: vec![],
            root_module: None,
            modules_not_evaluated: 0,
            lineage: None,
        });
    }
    match env.version.as_ref().and_then(Value::as_u64) {
        Some(4) => Ok(StateInput {
            location: location.into(),
            kind: DeclaredKind::Tfstate,
            resources: raw::declared(location, env.resources.unwrap_or_default())?,
            drift: vec![],
            root_module: None,
            modules_not_evaluated: 0,
            lineage: env.lineage,
        }),
        Some(v @ 0..=3) => Err(Error::input(
            location,
            format!("state version {v} is not supported; `terraform state pull` with Terraform 0.12 or newer writes version 4"),
        )),
        Some(v) => Err(Error::input(location, format!("state version {v} is newer than this driftd understands (4)"))),
        None => Err(Error::input(
            location,
            "not a Terraform state or plan: expected raw state (\"version\": 4) or `terraform show -json` output",
        )),
    }
}

/// Does the text start like a driftd snapshot (its `schema` among the first fields)?
fn is_snapshot(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let head = String::from_utf8_lossy(head);
    head.contains("\"schema\"") && head.contains(crate::snapshot::SCHEMA)
}

/// Read one local file.
pub fn read_file(path: &Path) -> Result<StateInput> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, &e))?;
    parse(&path.display().to_string(), &bytes)
}

/// Expand a local `--state` argument: a path or a glob. A glob that matches nothing
/// is an error: a CI gate must not pass on an empty set of states.
pub fn expand_local(arg: &str) -> Result<Vec<PathBuf>> {
    if !arg.contains(['*', '?', '[']) {
        return Ok(vec![PathBuf::from(arg)]);
    }
    let paths = glob::glob(arg).map_err(|e| Error::input(arg, format!("bad glob pattern: {e}")))?;
    let mut out = Vec::new();
    for entry in paths {
        let path = entry.map_err(|e| Error::io(e.path(), e.error()))?;
        if path.is_file() {
            out.push(path);
        }
    }
    if out.is_empty() {
        return Err(Error::input(arg, "no state file matches this pattern"));
    }
    out.sort();
    Ok(out)
}

/// Merge several inputs. The same address twice (the same workspace given twice) keeps
/// the first; the same cloud object under two addresses (two states managing it) keeps
/// both declarations but warns, since every apply of one undoes the other.
pub fn merge(inputs: Vec<StateInput>) -> (Vec<DeclaredResource>, Vec<TerraformDrift>, Vec<Warning>) {
    let mut out: Vec<DeclaredResource> = Vec::new();
    let mut drift = Vec::new();
    let mut warnings = Vec::new();
    // Addresses are per root module: two discovered root modules may both have `aws_instance.gpu`.
    let mut by_address: HashMap<(Option<String>, String), usize> = HashMap::new();
    let mut by_id: HashMap<(String, String), usize> = HashMap::new();
    for input in inputs {
        drift.extend(input.drift);
        for decl in input.resources {
            let address_key = (decl.root_module.clone(), decl.address.clone());
            if let Some(&i) = by_address.get(&address_key) {
                warnings.push(Warning::new(
                    WarningKind::DuplicateAddress,
                    format!(
                        "{} is declared in both {} and {}; using the first",
                        decl.address, out[i].source, decl.source
                    ),
                    Some(decl.source.clone()),
                ));
                continue;
            }
            if !decl.id.is_empty() && !decl.pending_create {
                let key = (decl.tf_type.clone(), decl.match_key());
                if let Some(&i) = by_id.get(&key) {
                    warnings.push(Warning::new(
                        WarningKind::DuplicateId,
                        format!(
                            "{} {} is managed twice: {} ({}) and {} ({})",
                            decl.tf_type,
                            decl.id,
                            out[i].address,
                            origin(&out[i]),
                            decl.address,
                            origin(&decl)
                        ),
                        Some(decl.source.clone()),
                    ));
                } else {
                    by_id.insert(key, out.len());
                }
            }
            by_address.insert(address_key, out.len());
            out.push(decl);
        }
    }
    (out, drift, warnings)
}

/// Where a declaration comes from, for messages: its state, and its root module when discovered.
fn origin(d: &DeclaredResource) -> String {
    match &d.root_module {
        Some(root) => format!("root module {root}, {}", d.source),
        None => d.source.clone(),
    }
}

/// The fields of the attributes that say where a resource is; read once at load time.
#[derive(Deserialize, Default)]
struct Whereabouts {
    id: Option<String>,
    arn: Option<String>,
    availability_zone: Option<String>,
    location: Option<String>,
}

/// The `DeclaredResource` for one managed instance; shared by all three formats.
pub(crate) fn declared_resource(
    source: &str,
    address: String,
    tf_type: &str,
    attributes: RawAttributes,
    sensitive: Vec<String>,
) -> DeclaredResource {
    use crate::model::Cloud;
    let provider = Cloud::of_type(tf_type);
    let w: Whereabouts = serde_json::from_str(attributes.raw()).unwrap_or_default();
    let mut located = serde_json::Map::new();
    for (k, v) in [("arn", &w.arn), ("availability_zone", &w.availability_zone), ("location", &w.location)] {
        if let Some(v) = v {
            located.insert(k.to_string(), Value::from(v.as_str()));
        }
    }
    let id = w.id.unwrap_or_default();
    let (account, region) = provider.locate(&id, &Value::Object(located));
    DeclaredResource {
        address,
        source: source.to_string(),
        tf_type: tf_type.to_string(),
        id,
        provider,
        account,
        region,
        attributes,
        sensitive,
        pending_create: false,
        unknown: vec![],
        declared_at: None,
        root_module: None,
        from_code: false,
        ignore_changes: vec![],
        prevent_destroy: false,
        create_before_destroy: false,
    }
}

/// A declaration from attributes already parsed (plan drift entries, tests).
pub fn declared_from_value(source: &str, address: &str, tf_type: &str, attributes: &Value) -> DeclaredResource {
    declared_resource(source, address.to_string(), tf_type, RawAttributes::from_value(attributes), vec![])
}

/// Dotted paths of every `true` leaf of a `sensitive_values`-style mirror object.
pub(crate) fn mirror_paths(mirror: &Value) -> Vec<String> {
    fn walk(v: &Value, prefix: &mut Vec<String>, out: &mut Vec<String>) {
        match v {
            Value::Bool(true) => out.push(prefix.join(".")),
            Value::Object(map) => {
                for (k, child) in map {
                    prefix.push(k.clone());
                    walk(child, prefix, out);
                    prefix.pop();
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    prefix.push(i.to_string());
                    walk(child, prefix, out);
                    prefix.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(mirror, &mut Vec::new(), &mut out);
    out.retain(|p| !p.is_empty());
    out
}

#[cfg(test)]
mod tests;

/// A declaration built from a plan's `resource_drift` entry (its `before`).
pub fn drift_declaration(d: &TerraformDrift) -> DeclaredResource {
    declared_from_value(&d.source, &d.address, &d.tf_type, &d.before)
}
