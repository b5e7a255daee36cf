//! The comparer: declared resources against live ones, per covered type, with each
//! type's allow-list of compared attributes normalised before comparison.

use crate::cost::{round_cents, PriceTable};
use crate::ignore::Active;
use crate::model::{
    Change, Cost, DeclaredResource, Finding, FindingKind, FindingResource, Resource, Severity, Warning,
};
use crate::path;
use crate::remediation;
use crate::snapshot::{Scan, Snapshot};
use crate::spec::{Registry, TypeSpec};
use crate::tfstate::TerraformDrift;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};

/// What the comparer needs besides the live resources.
pub struct Input<'a> {
    pub declared: &'a [DeclaredResource],
    pub terraform_drift: &'a [TerraformDrift],
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

/// Compare an in-memory snapshot (tests, providers' own results).
pub fn compare(input: &Input, live: &Snapshot) -> Comparison {
    let mut c = Comparer::new(input);
    for r in &live.resources {
        c.live(r);
    }
    c.finish(&live.scans)
}

/// The comparer, fed one live resource at a time so that a snapshot of any size is
/// compared while it is parsed and never held whole. It reads top to bottom: each live
/// resource is matched to its declaration (changed or in sync) or is unmanaged; at the
/// end, declarations nothing matched are missing where a scan covered them, and
/// Terraform's own refresh drift fills in where none did.
pub struct Comparer<'a> {
    input: &'a Input<'a>,
    /// (type, match key) -> declarations with that cloud object (several: managed twice).
    index: HashMap<(&'a str, String), Vec<usize>>,
    matched: Vec<bool>,
    findings: Vec<Finding>,
    counts: Counts,
    unknown_types: BTreeSet<String>,
}

impl<'a> Comparer<'a> {
    pub fn new(input: &'a Input<'a>) -> Comparer<'a> {
        let mut index: HashMap<(&str, String), Vec<usize>> = HashMap::with_capacity(input.declared.len());
        for (i, d) in input.declared.iter().enumerate() {
            if !d.id.is_empty() && !d.pending_create && input.registry.get(&d.tf_type).is_some() {
                index.entry((d.tf_type.as_str(), d.match_key())).or_default().push(i);
            }
        }
        Comparer {
            input,
            index,
            matched: vec![false; input.declared.len()],
            findings: Vec::new(),
            counts: Counts::default(),
            unknown_types: BTreeSet::new(),
        }
    }

    /// The address of the declaration a live resource matches, if any.
    pub fn declared_address(&self, r: &Resource) -> Option<&'a str> {
        let decls = self.index.get(&(r.tf_type.as_str(), r.match_key()))?;
        Some(self.input.declared[decls[0]].address.as_str())
    }

    /// One live resource.
    pub fn live(&mut self, r: &Resource) {
        let Some(spec) = self.input.registry.get(&r.tf_type) else {
            if !self.unknown_types.contains(&r.tf_type) {
                self.unknown_types.insert(r.tf_type.clone());
            }
            return;
        };
        let key = (r.tf_type.as_str(), r.match_key());
        if let Some(decls) = self.index.get(&key) {
            for &i in decls {
                self.matched[i] = true;
            }
            if let Some(f) = changed_finding(spec, &self.input.declared[decls[0]], r, self.input) {
                self.findings.push(f);
            }
            if r.owner.is_none() {
                self.counts.live_covered += 1;
                self.counts.live_managed += 1;
            }
            return;
        }
        if r.owner.is_some() {
            return; // belongs to its ASG / node group / scale set
        }
        self.counts.live_covered += 1;
        if !self.input.ignore.ignores(r.provider, &r.tf_type, &r.id, None) {
            self.findings.push(unmanaged_finding(spec, r, self.input.prices));
        }
    }

    /// After the last live resource: missing declarations, Terraform's own drift, counts.
    pub fn finish(mut self, scans: &[Scan]) -> Comparison {
        let input = self.input;
        let mut compared_live: HashSet<&str> = HashSet::new();
        for (i, decl) in input.declared.iter().enumerate() {
            let r = decl;
            let Some(spec) = input.registry.get(&r.tf_type) else {
                self.counts.not_covered += 1;
                continue;
            };
            if self.matched[i] {
                self.counts.managed += 1;
                compared_live.insert(&decl.address);
                continue;
            }
            let in_scope = !r.id.is_empty()
                && scans.iter().any(|s| s.covers(r.provider, &r.tf_type, r.account.as_deref(), r.region.as_deref()));
            if !in_scope {
                self.counts.not_covered += 1;
                continue;
            }
            compared_live.insert(&decl.address);
            if decl.pending_create {
                continue;
            }
            self.counts.managed += 1;
            if !input.ignore.ignores(r.provider, &r.tf_type, &r.id, None) {
                self.findings.push(missing_finding(spec, decl, input.prices));
            }
        }

        // Drift Terraform's own refresh saw (plan `resource_drift`) where no live scan spoke.
        for d in input.terraform_drift {
            if compared_live.contains(d.address.as_str()) {
                continue;
            }
            let Some(spec) = input.registry.get(&d.tf_type) else { continue };
            let decl = crate::tfstate::drift_declaration(d);
            match &d.after {
                Some(after) => {
                    let live = Resource { attributes: after.clone(), ..decl.to_resource() };
                    if let Some(f) = changed_finding(spec, &decl, &live, input) {
                        self.findings.push(f);
                    }
                }
                None if input.ignore.ignores(decl.provider, &d.tf_type, &decl.id, None) => {}
                None => self.findings.push(missing_finding(spec, &decl, input.prices)),
            }
        }

        let warnings = self
            .unknown_types
            .iter()
            .map(|t| {
                Warning::new(
                    "not_compared",
                    format!(
                        "the snapshot holds {t} resources, a type this driftd has no spec for; they were not compared"
                    ),
                    None,
                )
            })
            .collect();
        Comparison { findings: self.findings, counts: self.counts, warnings }
    }
}

/// Leaf-level differences of the compared attributes, with the severity of each.
/// Values are compared normalised and reported as written (case, order).
pub fn diff(spec: &TypeSpec, decl: &DeclaredResource, declared: &Value, live: &Value) -> Vec<(Change, Severity)> {
    let mut out = Vec::new();
    for attr in spec.compared {
        let d = attr.normalised(declared, true);
        let l = attr.normalised(live, false);
        if values_equal(&d, &l) {
            continue;
        }
        let (d_shown, l_shown) = (attr.display(declared, true), attr.display(live, false));
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
    let declared = decl.attributes.parse();
    let mut diffs = diff(spec, decl, &declared, &live.attributes);
    diffs.retain(|(c, _)| !ignore.ignores(live.provider, &live.tf_type, &live.id, Some(&c.path)));
    let (first, severity) = diffs.iter().max_by_key(|(_, s)| *s).map(|(c, s)| (c.path.clone(), *s))?;
    // The first change of the highest severity names the finding.
    let first = diffs.iter().find(|(_, s)| *s == severity).map(|(c, _)| c.path.clone()).unwrap_or(first);
    let changes: Vec<Change> = diffs.into_iter().map(|(c, _)| c).collect();
    let mut resource = finding_resource(spec, live, Some(&decl.address));
    resource.account = live.account.clone().or_else(|| decl.account.clone());
    resource.region = live.region.clone().or_else(|| decl.region.clone());
    let cost = spec.cost.map(|_| cost(prices.hourly_of(spec, decl.provider, &declared), prices.hourly(spec, live)));
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
    let r = &decl.to_resource();
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
