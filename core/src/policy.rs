//! The seam between the check and a policy engine (Rego, in `policies/`): what a
//! policy sees (`input`) and what it returns. Core builds inputs and turns
//! violations into findings; it never evaluates Rego itself.

use crate::cost::PriceTable;
use crate::gpu;
pub use crate::model::Side;
use crate::model::{
    Cloud, Cost, DeclaredResource, Finding, FindingKind, FindingResource, PolicyRef, Remediation, Resource, Severity,
};
use crate::spec::Registry;
use serde_json::{json, Value};

/// One `deny` entry of one policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub policy_id: String,
    pub title: String,
    pub severity: Severity,
    pub message: String,
    pub remediation: Option<String>,
    /// Fleet policies name the resource they blame (`{"type", "id"}`); None: the input itself.
    pub resource: Option<(String, String)>,
    /// What the violation wastes per hour (`cost_per_hour_usd` of the entry: an idle
    /// reservation's idle share): the finding's cost, summed as idle capacity.
    pub cost_per_hour_usd: Option<f64>,
}

/// A policy engine as the check uses it.
pub trait PolicyEngine {
    /// Every resource-scoped policy, on one resource's input document of `side`. With
    /// fleet policies, the engine also keeps the document, in its own form, for
    /// [`PolicyEngine::evaluate_fleet`] (one conversion per resource, not two).
    fn evaluate(&mut self, input: &Value, side: Side) -> Vec<Violation>;
    /// Are there fleet-scoped policies (which need every resource of a side at once)?
    fn has_fleet_policies(&self) -> bool;
    /// Every fleet-scoped policy, on `{"side": ..., "resources": [input, ...]}` made of
    /// the documents of `side` evaluated so far, which the engine then lets go.
    fn evaluate_fleet(&mut self, side: Side) -> Vec<Violation>;
}

/// The policy input for a resource: the normalised resource as in a snapshot, plus
/// `side`, `address`, `gpu` facts and `cost_per_hour_usd`. Takes the resource by value:
/// its attributes move into the document instead of being copied.
pub fn input(r: Resource, side: Side, address: Option<&str>, registry: &Registry, prices: &PriceTable) -> Value {
    let spec = registry.get(&r.tf_type);
    // The size GPU facts are read from: the type's own (a launch template has no cost),
    // else its priced size. Code and state get the built-in table; a live scan the cloud's.
    let size_attr = spec.and_then(|s| s.gpu_facts_from.or(s.cost.map(|c| c.size_attr)));
    let size = size_attr.and_then(|a| crate::path::get(&r.attributes, a)?.as_str());
    let gpu = match &r.gpu {
        Some(read) => read.clone(),
        None => serde_json::to_value(size.and_then(|s| gpu::facts(r.provider, s))).unwrap_or(Value::Null),
    };
    let priced = spec.and_then(|s| prices.priced(s, r.provider, r.region.as_deref(), &r.attributes));
    let (cost, price) = match priced {
        Some((c, basis)) => (Some(c), basis),
        None => (None, None),
    };
    let name = r.name.clone().or_else(|| spec.and_then(|s| s.name.name_of(&r.attributes)));
    // Built field by field: `json!` would serialise (copy) the attribute tree.
    let text = |s: Option<String>| s.map_or(Value::Null, Value::String);
    let mut doc = serde_json::Map::new();
    doc.insert("type".into(), Value::String(r.tf_type));
    doc.insert("id".into(), Value::String(r.id));
    doc.insert("provider".into(), json!(r.provider));
    doc.insert("account".into(), text(r.account));
    doc.insert("region".into(), text(r.region));
    doc.insert("name".into(), text(name));
    doc.insert("owner".into(), json!(r.owner));
    doc.insert("attributes".into(), r.attributes);
    doc.insert("side".into(), json!(side));
    doc.insert("address".into(), text(address.map(str::to_string)));
    doc.insert("gpu".into(), gpu);
    doc.insert("cost_per_hour_usd".into(), json!(cost));
    // Which price that is, for the finding a policy prices from it.
    doc.insert("price".into(), json!(price));
    Value::Object(doc)
}

pub fn declared_input(d: &DeclaredResource, registry: &Registry, prices: &PriceTable) -> Value {
    input(d.to_resource(), Side::Declared, Some(&d.address), registry, prices)
}

/// The fields of an input document that [`finding`] reads: who the resource is,
/// without its attributes.
pub fn identity(input: &Value) -> Value {
    let keep = ["type", "id", "provider", "account", "region", "name", "address", "side", "price"];
    let mut out: serde_json::Map<String, Value> =
        keep.iter().filter_map(|k| Some((k.to_string(), input.get(*k)?.clone()))).collect();
    // Tags travel with the identity for notifier filters (`tags = { team = "ml" }`).
    if let Some(tags) = input.pointer("/attributes/tags") {
        out.insert("tags".into(), tags.clone());
    }
    Value::Object(out)
}

/// A `violation` finding for one policy result on one input document.
pub fn finding(v: &Violation, input: &Value) -> Finding {
    let side = match input.get("side").and_then(Value::as_str) {
        Some("declared") => Side::Declared,
        _ => Side::Live,
    };
    let text = |k: &str| input.get(k).and_then(Value::as_str).map(str::to_string);
    let provider: Cloud =
        input.get("provider").cloned().and_then(|p| serde_json::from_value(p).ok()).unwrap_or(Cloud::Other);
    let (tf_type, id) = match &v.resource {
        Some((t, i)) => (t.clone(), i.clone()),
        None => (text("type").unwrap_or_default(), text("id").unwrap_or_default()),
    };
    let address = if v.resource.is_none() { text("address") } else { None };
    // A resource a plan creates has no id yet: its address names it instead.
    let key = crate::ignore::resource_key(&id, address.as_deref()).to_string();
    // One policy may deny one resource several times: each entry is its own finding. The
    // side is not part of the id: the same violation in the code and on the running
    // resource is one finding, and keeps its id when it moves from one side to both.
    let policy_key = format!("{}\u{0}{}", v.policy_id, v.message);
    let mut commands = Vec::new();
    if side == Side::Declared {
        if let Some(a) = &address {
            commands.push(format!("terraform plan -target={}", crate::remediation::sh_quote(a)));
        }
    }
    if !key.is_empty() {
        let line = crate::ignore::line_for_violation(&tf_type, &key, &v.policy_id);
        commands.push(format!("echo {} >> .driftignore", crate::remediation::sh_quote(&line)));
    }
    Finding {
        changed_by: None,
        id: Finding::fingerprint(FindingKind::Violation, provider, &tf_type, &key, Some(&policy_key)),
        kind: FindingKind::Violation,
        severity: v.severity,
        resource: FindingResource {
            tf_type,
            id,
            address,
            root_module: None,
            provider,
            account: if v.resource.is_none() { text("account") } else { None },
            region: if v.resource.is_none() { text("region") } else { None },
            name: if v.resource.is_none() { text("name") } else { None },
            team: None,
            cost_allocation: Default::default(),
            tags: match v.resource {
                // The full document has them in its attributes, an identity at the top.
                None => match input.get("attributes") {
                    Some(attributes) => crate::model::tags_of(attributes),
                    None => crate::model::tags_of(input),
                },
                Some(_) => Default::default(),
            },
        },
        changes: None,
        policy: Some(PolicyRef { id: v.policy_id.clone(), title: v.title.clone(), sides: vec![side] }),
        declared_at: None,
        // A policy that prices its violation: what it wastes, at the resource's price.
        cost: v.cost_per_hour_usd.map(|c| Cost {
            declared_per_hour_usd: None,
            live_per_hour_usd: Some(crate::cost::round_cents(c)),
            delta_per_hour_usd: None,
            price: input.get("price").cloned().and_then(|p| serde_json::from_value(p).ok()),
        }),
        message: v.message.clone(),
        remediation: Remediation {
            // None: said once the sides are known (`explain_sides`).
            summary: v.remediation.clone().unwrap_or_default(),
            commands,
            patch: None,
        },
    }
}

/// The live side's finding of a violation the declared side has too (same id): one
/// finding of both sides, with what the live resource says about itself where the
/// declaration was silent.
pub fn merge_live(declared: &mut Finding, live: Finding) {
    let (d, l) = (&mut declared.resource, live.resource);
    if d.account.is_none() {
        d.account = l.account;
    }
    if d.region.is_none() {
        d.region = l.region;
    }
    if d.name.is_none() {
        d.name = l.name;
    }
    if d.address.is_none() {
        d.address = l.address;
    }
    for (k, v) in l.tags {
        d.tags.entry(k).or_insert(v);
    }
    if let Some(p) = declared.policy.as_mut() {
        if !p.sides.contains(&Side::Live) {
            p.sides.push(Side::Live);
        }
    }
}

/// What the sides a violation was found on mean for fixing it, added to its remediation
/// (which, when the policy gives none, says what to make comply): `drifted` says the
/// resource also has a `changed` finding.
pub fn explain_sides(f: &mut Finding, drifted: bool) {
    let Some(policy) = &f.policy else { return };
    if f.remediation.summary.is_empty() {
        let sides: Vec<&str> = policy.sides.iter().map(|s| side_noun(*s)).collect();
        f.remediation.summary = format!("make {} comply with {}", sides.join(" and "), policy.id);
    }
    let note = match policy.sides.as_slice() {
        [Side::Declared, Side::Live] => {
            "found in the code and on the running resource alike: fix the code, then apply it"
        }
        [Side::Live] if f.resource.address.is_some() && drifted => {
            "found on the running resource only: the code complies, so drift introduced it, and reverting the drift (terraform apply) fixes it"
        }
        [Side::Live] => return,
        [Side::Declared] if !f.resource.id.is_empty() => {
            "found in the code only: the next apply brings it to the running resource unless the code is fixed first"
        }
        [Side::Declared] => "found in the code only: the apply that creates the resource brings it unless the code is fixed first",
        _ => return,
    };
    f.remediation.summary = format!("{}; {note}", f.remediation.summary);
}

fn side_noun(side: Side) -> &'static str {
    match side {
        Side::Declared => "the Terraform code",
        Side::Live => "the live resource",
    }
}
