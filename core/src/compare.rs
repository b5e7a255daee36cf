//! The comparer: declared resources against a live snapshot, per covered type.
//! It reads top to bottom: index live resources, walk declarations (changed,
//! missing, in sync), then what is left live (unmanaged), then Terraform's own
//! refresh drift for what no live scan covered.

use crate::cost::{round_cents, PriceTable};
use crate::ignore::Active;
use crate::model::{
    Change, Cost, DeclaredResource, Finding, FindingKind, FindingResource, Resource, Severity, Warning,
};
use crate::path;
use crate::remediation;
use crate::snapshot::Snapshot;
use crate::spec::{Registry, TypeSpec};
use crate::tfstate::TerraformDrift;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// What the comparer needs.
pub struct Input<'a> {
    pub declared: &'a [DeclaredResource],
    pub terraform_drift: &'a [TerraformDrift],
    pub live: &'a Snapshot,
    pub registry: Registry,
    pub prices: &'a PriceTable,
    /// `.driftignore` lines in force: ignored resources and attributes never become findings.
    pub ignore: &'a Active<'a>,
}

/// Counts the summary needs that findings alone do not give.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Declared resources of covered types in scanned scope (in sync + changed + missing).
    pub managed: usize,
    /// Declared resources of types or scopes no scan covered.
    pub not_covered: usize,
    /// Live resources of covered types, not counting those a managed owner created.
    pub live_covered: usize,
    /// Of those, the ones some state declares.
    pub live_managed: usize,
}

pub struct Comparison {
    pub findings: Vec<Finding>,
    pub counts: Counts,
    pub warnings: Vec<Warning>,
}

pub fn compare(input: &Input) -> Comparison {
    let mut findings = Vec::new();
    let mut counts = Counts::default();
    let mut warnings = Vec::new();

    // 1. Index live resources of covered types by (type, match key).
    let mut live_index: HashMap<(&str, String), usize> = HashMap::with_capacity(input.live.resources.len());
    let mut unknown_types: HashSet<&str> = HashSet::new();
    for (i, r) in input.live.resources.iter().enumerate() {
        if input.registry.get(&r.tf_type).is_none() {
            unknown_types.insert(&r.tf_type);
            continue;
        }
        live_index.insert((r.tf_type.as_str(), r.match_key()), i);
    }
    for t in {
        let mut v: Vec<_> = unknown_types.into_iter().collect();
        v.sort();
        v
    } {
        warnings.push(Warning::new(
            "not_compared",
            format!("the snapshot holds {t} resources, a type this driftd has no spec for; they were not compared"),
            None,
        ));
    }

    // 2. Declarations: changed, missing or in sync.
    let mut matched = vec![false; input.live.resources.len()];
    let mut scanned: HashSet<String> = HashSet::new();
    for decl in input.declared {
        let r = &decl.resource;
        let Some(spec) = input.registry.get(&r.tf_type) else {
            counts.not_covered += 1;
            continue;
        };
        let in_scope = !r.id.is_empty()
            && input.live.scans.iter().any(|s| s.covers(r.provider, &r.tf_type, r.account.as_deref(), r.region.as_deref()));
        if !in_scope {
            counts.not_covered += 1;
            continue;
        }
        scanned.insert(decl.address.clone());
        let key = (r.tf_type.as_str(), r.match_key());
        match live_index.get(&key) {
            Some(&i) => {
                matched[i] = true;
                counts.managed += 1;
                if let Some(f) = changed_finding(spec, decl, &input.live.resources[i], input) {
                    findings.push(f);
                }
            }
            None if decl.pending_create => {}
            None => {
                counts.managed += 1;
                if !input.ignore.ignores(r.provider, &r.tf_type, &r.id, None) {
                    findings.push(missing_finding(spec, decl, input.prices));
                }
            }
        }
    }

    // 3. Live resources nobody declared.
    for (i, r) in input.live.resources.iter().enumerate() {
        let Some(spec) = input.registry.get(&r.tf_type) else { continue };
        if r.owner.is_some() {
            continue; // belongs to its ASG / node group / scale set
        }
        counts.live_covered += 1;
        if matched[i] {
            counts.live_managed += 1;
        } else if !input.ignore.ignores(r.provider, &r.tf_type, &r.id, None) {
            findings.push(unmanaged_finding(spec, r, input.prices));
        }
    }

    // 4. Drift Terraform's own refresh saw (plan `resource_drift`) where no live scan spoke.
    for d in input.terraform_drift {
        if scanned.contains(&d.address) {
            continue;
        }
        let Some(spec) = input.registry.get(&d.tf_type) else { continue };
        let decl = crate::tfstate::drift_declaration(d);
        match &d.after {
            Some(after) => {
                let live = Resource { attributes: after.clone(), ..decl.resource.clone() };
                if let Some(f) = changed_finding(spec, &decl, &live, input) {
                    findings.push(f);
                }
            }
            None if input.ignore.ignores(decl.resource.provider, &d.tf_type, &decl.resource.id, None) => {}
            None => findings.push(missing_finding(spec, &decl, input.prices)),
        }
    }

    Comparison { findings, counts, warnings }
}

/// Leaf-level differences of the compared attributes, with the severity of each.
/// Values are compared normalised and reported as written (case, order).
pub fn diff(spec: &TypeSpec, decl: &DeclaredResource, live: &Value) -> Vec<(Change, Severity)> {
    let mut out = Vec::new();
    for attr in spec.compared {
        let d = attr.normalised(&decl.resource.attributes, true);
        let l = attr.normalised(live, false);
        if values_equal(&d, &l) {
            continue;
        }
        let (d_shown, l_shown) = (attr.display(&decl.resource.attributes, true), attr.display(live, false));
        let mut leaves = Vec::new();
        diff_values(&mut Vec::new(), &d, &l, &mut leaves);
        let root: Vec<String> = path::segments(attr.path).map(str::to_string).collect();
        for rel in leaves {
            let full = path::join(&[root.clone(), rel.clone()].concat());
            if decl.is_unknown(&full) {
                continue;
            }
            let (declared, live) = if decl.is_sensitive(&full) {
                (Value::from("(sensitive)"), Value::from("(sensitive)"))
            } else {
                (lookup(&d_shown, &rel), lookup(&l_shown, &rel))
            };
            out.push((Change { path: full, declared, live }, attr.severity));
        }
    }
    out
}

/// Walk segments (map keys may contain dots, so no dotted lookup here).
fn lookup(v: &Value, segs: &[String]) -> Value {
    let mut cur = v;
    for s in segs {
        cur = match cur {
            Value::Object(m) => m.get(s).unwrap_or(&Value::Null),
            Value::Array(a) => s.parse::<usize>().ok().and_then(|i| a.get(i)).unwrap_or(&Value::Null),
            _ => &Value::Null,
        };
    }
    cur.clone()
}

/// Collect the segment paths (relative to the attribute) of every differing leaf.
fn diff_values(segs: &mut Vec<String>, d: &Value, l: &Value, out: &mut Vec<Vec<String>>) {
    if values_equal(d, l) {
        return;
    }
    static EMPTY_OBJECT: std::sync::LazyLock<Value> = std::sync::LazyLock::new(|| Value::Object(Default::default()));
    let (d, l) = match (d, l) {
        (Value::Null, Value::Object(_)) => (&*EMPTY_OBJECT, l),
        (Value::Object(_), Value::Null) => (d, &*EMPTY_OBJECT),
        _ => (d, l),
    };
    match (d, l) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                segs.push(k.clone());
                diff_values(segs, a.get(k).unwrap_or(&Value::Null), b.get(k).unwrap_or(&Value::Null), out);
                segs.pop();
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() && !a.iter().chain(b).all(is_scalar) => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                segs.push(i.to_string());
                diff_values(segs, x, y, out);
                segs.pop();
            }
        }
        _ => out.push(segs.clone()),
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

/// Equality after normalisation: empty equals null, numbers compare by value.
pub fn values_equal(a: &Value, b: &Value) -> bool {
    if path::is_empty(a) && path::is_empty(b) {
        return true;
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| values_equal(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.iter().all(|(k, v)| values_equal(v, y.get(k).unwrap_or(&Value::Null)))
                && y.iter().all(|(k, v)| x.contains_key(k) || path::is_empty(v))
        }
        _ => a == b,
    }
}

fn finding_resource(spec: &TypeSpec, r: &Resource, address: Option<&str>) -> FindingResource {
    FindingResource {
        tf_type: r.tf_type.clone(),
        id: r.id.clone(),
        address: address.map(str::to_string),
        provider: r.provider,
        account: r.account.clone(),
        region: r.region.clone(),
        name: r.name.clone().or_else(|| spec.name.name_of(&r.attributes)),
    }
}

fn cost(declared: Option<f64>, live: Option<f64>) -> Cost {
    let delta = match (declared, live) {
        (Some(d), Some(l)) => Some(round_cents(l - d)),
        _ => None,
    };
    Cost { declared_per_hour_usd: declared, live_per_hour_usd: live, delta_per_hour_usd: delta }
}

fn changed_finding(spec: &TypeSpec, decl: &DeclaredResource, live: &Resource, input: &Input) -> Option<Finding> {
    let prices = input.prices;
    let ignore = input.ignore;
    // Per attribute: a resource-level line covers each attribute, and a later
    // `!TYPE.ID.attr` line can take one back.
    let mut diffs = diff(spec, decl, &live.attributes);
    diffs.retain(|(c, _)| !ignore.ignores(live.provider, &live.tf_type, &live.id, Some(&c.path)));
    let (first, severity) = diffs.iter().max_by_key(|(_, s)| *s).map(|(c, s)| (c.path.clone(), *s))?;
    // The first change of the highest severity names the finding.
    let first = diffs.iter().find(|(_, s)| *s == severity).map(|(c, _)| c.path.clone()).unwrap_or(first);
    let changes: Vec<Change> = diffs.into_iter().map(|(c, _)| c).collect();
    let mut resource = finding_resource(spec, live, Some(&decl.address));
    resource.account = live.account.clone().or_else(|| decl.resource.account.clone());
    resource.region = live.region.clone().or_else(|| decl.resource.region.clone());
    let cost = spec
        .cost
        .map(|_| cost(prices.hourly(spec, &decl.resource), prices.hourly(spec, live)));
    Some(Finding {
        id: Finding::fingerprint(FindingKind::Changed, live.provider, &live.tf_type, &live.id, None),
        kind: FindingKind::Changed,
        severity,
        remediation: remediation::changed(&decl.address, &live.tf_type, &live.id, &changes),
        message: spec.change_message(&first),
        resource,
        changes: Some(changes),
        policy: None,
        declared_at: decl.declared_at.clone(),
        cost,
    })
}

fn missing_finding(spec: &TypeSpec, decl: &DeclaredResource, prices: &PriceTable) -> Finding {
    let r = &decl.resource;
    let cost = spec.cost.map(|_| cost(prices.hourly(spec, r), Some(0.0)));
    Finding {
        id: Finding::fingerprint(FindingKind::Missing, r.provider, &r.tf_type, &r.id, None),
        kind: FindingKind::Missing,
        severity: spec.missing,
        resource: finding_resource(spec, r, Some(&decl.address)),
        changes: None,
        policy: None,
        declared_at: decl.declared_at.clone(),
        cost,
        message: format!("declared {} no longer exists (deleted outside Terraform)", spec.tf_type),
        remediation: remediation::missing(&decl.address, &r.tf_type, &r.id),
    }
}

fn unmanaged_finding(spec: &TypeSpec, r: &Resource, prices: &PriceTable) -> Finding {
    let cost = spec.cost.map(|_| cost(Some(0.0), prices.hourly(spec, r)));
    let resource = finding_resource(spec, r, None);
    Finding {
        id: Finding::fingerprint(FindingKind::Unmanaged, r.provider, &r.tf_type, &r.id, None),
        kind: FindingKind::Unmanaged,
        severity: spec.unmanaged,
        changes: None,
        policy: None,
        declared_at: None,
        cost,
        message: format!("{} is in no Terraform state (created outside Terraform)", spec.tf_type),
        remediation: remediation::unmanaged(&r.tf_type, &r.id, resource.name.as_deref()),
        resource,
    }
}

#[cfg(test)]
mod tests;
