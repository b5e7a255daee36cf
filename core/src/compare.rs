//! The comparer: declared resources against live ones, per covered type, with each
//! type's allow-list of compared attributes normalised before comparison.

use crate::cost::{round_cents, PriceTable};
use crate::ignore::Active;
use crate::model::{
    Change, Cloud, Cost, DeclaredResource, Finding, FindingKind, FindingResource, Resource, Severity, Warning,
    WarningKind,
};
use crate::owner::{self, Owner, OwnerKind};
use crate::path;
use crate::remediation;
use crate::snapshot::{Scan, Snapshot};
use crate::spec::{Registry, TypeSpec};
use crate::tfstate::TerraformDrift;
use serde::Serialize;
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
    /// Live resources of covered types, not counting those an owner created (an owner no
    /// state declares counts once, as the unit that is unmanaged).
    pub live_covered: usize,
    /// Of those, the ones some state declares.
    pub live_managed: usize,
}

/// The live resources one owner created, and what they cost (`summary.orchestrated`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OwnedCapacity {
    /// The owner: a Terraform type and id where it has one (`aws_eks_node_group`,
    /// `ml:gpu`), else driftd's name for it (`karpenter_nodepool`).
    #[serde(rename = "type")]
    pub tf_type: String,
    pub id: String,
    /// "EKS node group", "Karpenter NodePool".
    pub label: String,
    pub provider: Cloud,
    pub account: Option<String>,
    pub region: Option<String>,
    /// Live resources with a cost (capacity) it created, through owners of its own too
    /// (an EKS node group's auto scaling group's instances); launch templates and other
    /// structure it owns are not counted.
    pub resources: usize,
    /// Known hourly cost of those resources; null when none is known.
    pub cost_per_hour_usd: Option<f64>,
    pub status: OwnerStatus,
}

/// Who answers for an owner's capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnerStatus {
    /// Terraform declares the owner.
    Declared,
    /// No state declares it: one `unmanaged` finding for the whole unit.
    Unmanaged,
    /// An orchestrator's unit (Karpenter NodePool, ParallelCluster): not a cloud resource.
    Orchestrator,
    /// Another infrastructure-as-code tool (CloudFormation).
    OtherTool,
}

pub struct Comparison {
    pub findings: Vec<Finding>,
    pub counts: Counts,
    /// Ids of the findings about resources another tool manages: unmanaged by
    /// Terraform, but not shadow capacity.
    pub other_tool: HashSet<String>,
    pub orchestrated: Vec<OwnedCapacity>,
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

/// (type, match key): how declarations, owners and live resources find each other.
type Key = (String, String);

/// What one owner's live resources add up to, while the snapshot streams by.
struct Unit {
    owner: &'static Owner,
    id: String,
    provider: Cloud,
    account: Option<String>,
    region: Option<String>,
    resources: usize,
    cost: Option<f64>,
    /// The highest `unmanaged` severity of its resources' types.
    severity: Severity,
    /// The type of its resources, for messages ("4 aws_instance").
    member_type: String,
}

/// An owner type the specs do not name (from a snapshot written elsewhere): a Terraform type.
static UNKNOWN_OWNER: Owner = Owner { tf_type: "", label: "owner", kind: OwnerKind::Terraform };

/// The comparer, fed one live resource at a time so that a snapshot of any size is
/// compared while it is parsed and never held whole. It reads top to bottom: each live
/// resource is matched to its declaration (changed or in sync), or belongs to an owner,
/// or is unmanaged; at the end, owners are resolved (declared, unmanaged as one unit,
/// or orchestrated), declarations nothing matched are missing where a scan covered them,
/// and Terraform's own refresh drift fills in where none did.
pub struct Comparer<'a> {
    input: &'a Input<'a>,
    /// (type, match key) -> declarations with that cloud object (several: managed twice).
    index: HashMap<(&'a str, String), Vec<usize>>,
    matched: Vec<bool>,
    /// Declared resources of owner types (covered or not: `aws_ec2_fleet`,
    /// `aws_cloudformation_stack`), by key: their resources are managed.
    declared_owners: HashSet<Key>,
    /// Entries that declarations of other types add to a declared resource
    /// (`aws_security_group_rule` to its group's `ingress`), by the resource's index.
    absorbed: HashMap<usize, Vec<(&'static str, Value)>>,
    /// Live resources per immediate owner.
    units: HashMap<Key, Unit>,
    /// Owners that are themselves owned (an EKS node group's auto scaling group): their owner.
    owned_owners: HashMap<Key, Key>,
    /// Findings of live owners that no state declares, to add their resources to, and
    /// whether that owner is unmanaged or another tool's.
    owner_findings: HashMap<Key, (usize, OwnerStatus)>,
    findings: Vec<Finding>,
    counts: Counts,
    unknown_types: BTreeSet<String>,
}

impl<'a> Comparer<'a> {
    pub fn new(input: &'a Input<'a>) -> Comparer<'a> {
        let registry = input.registry;
        let mut index: HashMap<(&str, String), Vec<usize>> = HashMap::with_capacity(input.declared.len());
        let mut declared_owners = HashSet::new();
        for (i, d) in input.declared.iter().enumerate() {
            if d.id.is_empty() || d.pending_create {
                continue;
            }
            if registry.get(&d.tf_type).is_some() {
                index.entry((d.tf_type.as_str(), d.match_key())).or_default().push(i);
            }
            if registry.owner(&d.tf_type).is_some() {
                declared_owners.insert((d.tf_type.clone(), d.match_key()));
            }
        }
        let mut absorbed: HashMap<usize, Vec<(&'static str, Value)>> = HashMap::new();
        for d in input.declared {
            let Some((parent, absorb)) = registry.absorber(&d.tf_type) else { continue };
            let attributes = d.attributes.parse();
            let Some(parent_id) = attributes.get(absorb.parent_id).and_then(Value::as_str) else { continue };
            let Some(decls) = index.get(&(parent.tf_type, d.provider.match_key(parent_id))) else { continue };
            let at = decls[0];
            if let Some(entry) = (absorb.entry)(&attributes, parent_id) {
                absorbed.entry(at).or_default().push(entry);
            }
        }
        Comparer {
            input,
            index,
            matched: vec![false; input.declared.len()],
            declared_owners,
            absorbed,
            units: HashMap::new(),
            owned_owners: HashMap::new(),
            owner_findings: HashMap::new(),
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
        let input = self.input;
        let Some(spec) = input.registry.get(&r.tf_type) else {
            if !self.unknown_types.contains(&r.tf_type) {
                self.unknown_types.insert(r.tf_type.clone());
            }
            return;
        };
        if let Some(decls) = self.index.get(&(r.tf_type.as_str(), r.match_key())) {
            for &i in decls {
                self.matched[i] = true;
            }
            let (decl, absorbed) = (&input.declared[decls[0]], self.absorbed.get(&decls[0]));
            if let Some(f) = changed_finding(spec, decl, r, input, absorbed) {
                self.findings.push(f);
            }
            self.counts.live_covered += 1;
            self.counts.live_managed += 1;
            return;
        }
        let key: Key = (r.tf_type.clone(), r.match_key());
        if let Some(owner_ref) = owner::owner_of(spec, r) {
            let owner = input.registry.owner(&owner_ref.tf_type).unwrap_or(&UNKNOWN_OWNER);
            let owner_key: Key = (owner_ref.tf_type.clone(), r.provider.match_key(&owner_ref.id));
            match owner.kind {
                OwnerKind::Parent => return,
                OwnerKind::OtherTool => {
                    self.counts.live_covered += 1;
                    if self.declared_owners.contains(&owner_key) {
                        self.counts.live_managed += 1;
                    } else if !input.ignore.ignores(r.provider, &r.tf_type, &r.id, None) {
                        self.owner_findings.insert(key, (self.findings.len(), OwnerStatus::OtherTool));
                        self.findings.push(other_tool_finding(spec, r, owner, &owner_ref.id, input.prices));
                    }
                    return;
                }
                OwnerKind::Terraform | OwnerKind::Orchestrator => {
                    let unit = self.units.entry(owner_key.clone()).or_insert_with(|| Unit {
                        owner,
                        id: owner_ref.id.clone(),
                        provider: r.provider,
                        account: r.account.clone(),
                        region: r.region.clone(),
                        resources: 0,
                        cost: None,
                        severity: spec.unmanaged,
                        member_type: r.tf_type.clone(),
                    });
                    if input.registry.owner(&r.tf_type).is_some() {
                        // An owner owned in turn (an EKS node group's auto scaling group) is
                        // structure, not capacity: its own resources count for the outer owner.
                        self.owned_owners.insert(key, owner_key);
                        return;
                    }
                    if spec.cost.is_none() {
                        return; // structure (a launch template): owned, not capacity
                    }
                    unit.resources += 1;
                    unit.severity = unit.severity.max(spec.unmanaged);
                    if let Some(c) = input.prices.hourly(spec, r) {
                        unit.cost = Some(unit.cost.unwrap_or(0.0) + c);
                    }
                    return;
                }
            }
        }
        self.counts.live_covered += 1;
        if !input.ignore.ignores(r.provider, &r.tf_type, &r.id, None) {
            if input.registry.owner(&r.tf_type).is_some() {
                self.owner_findings.insert(key, (self.findings.len(), OwnerStatus::Unmanaged));
            }
            self.findings.push(unmanaged_finding(spec, r, input.prices));
        }
    }

    /// Owners, resolved after the last live resource: each unit's resources go to the
    /// outermost owner (instances -> auto scaling group -> EKS node group), which is
    /// declared, is a live resource with its own unmanaged finding, is an orchestrator,
    /// or else becomes one unmanaged finding for the whole unit.
    fn resolve_owners(&mut self) -> Vec<OwnedCapacity> {
        let mut roots: HashMap<Key, Unit> = HashMap::new();
        let mut units: Vec<(Key, Unit)> = std::mem::take(&mut self.units).into_iter().collect();
        units.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, unit) in units {
            let mut root = key.clone();
            // Owner chains are short (two links on EKS); the bound only guards a cycle.
            for _ in 0..8 {
                match self.owned_owners.get(&root) {
                    Some(up) => root = up.clone(),
                    None => break,
                }
            }
            match roots.get_mut(&root) {
                Some(total) => {
                    if total.resources == 0 {
                        total.member_type = unit.member_type;
                    }
                    total.resources += unit.resources;
                    total.cost = add(total.cost, unit.cost);
                    total.severity = total.severity.max(unit.severity);
                }
                None if root == key => {
                    roots.insert(root, unit);
                }
                None => {
                    // The root is an owner of the unit's owner: name it, keep the totals.
                    let owner = self.input.registry.owner(&root.0).unwrap_or(&UNKNOWN_OWNER);
                    let id = root.1.clone();
                    roots.insert(root, Unit { owner, id, ..unit });
                }
            }
        }
        // Reports list owners in a stable order.
        let mut roots: Vec<(Key, Unit)> = roots.into_iter().collect();
        roots.sort_by(|a, b| a.0.cmp(&b.0));
        let mut orchestrated = Vec::new();
        for (key, unit) in roots {
            let status = if self.declared_owners.contains(&key) {
                OwnerStatus::Declared
            } else if let Some(&(at, status)) = self.owner_findings.get(&key) {
                add_members(&mut self.findings[at], &unit);
                status
            } else {
                match unit.owner.kind {
                    OwnerKind::Orchestrator => OwnerStatus::Orchestrator,
                    OwnerKind::Parent => continue,
                    OwnerKind::OtherTool => OwnerStatus::OtherTool,
                    OwnerKind::Terraform => {
                        self.counts.live_covered += 1;
                        if !self.input.ignore.ignores(unit.provider, &key.0, &unit.id, None) {
                            self.findings.push(unit_finding(&key.0, &unit));
                        }
                        OwnerStatus::Unmanaged
                    }
                }
            };
            if unit.resources == 0 && status != OwnerStatus::Unmanaged {
                continue; // owns structure only (Karpenter's launch templates): nothing to sum
            }
            orchestrated.push(OwnedCapacity {
                tf_type: key.0.clone(),
                id: unit.id.clone(),
                label: unit.owner.label.to_string(),
                provider: unit.provider,
                account: unit.account.clone(),
                region: unit.region.clone(),
                resources: unit.resources,
                cost_per_hour_usd: unit.cost.map(round_cents),
                status,
            });
        }
        orchestrated
    }

    /// After the last live resource: owners, missing declarations, Terraform's own
    /// drift, counts.
    pub fn finish(mut self, scans: &[Scan]) -> Comparison {
        let orchestrated = self.resolve_owners();
        let input = self.input;
        let mut compared_live: HashSet<&str> = HashSet::new();
        // Declarations Terraform's own refresh compared (plan `resource_drift`): managed,
        // so that managed = in sync + changed + missing holds with their findings too.
        let refreshed: HashSet<&str> = input
            .terraform_drift
            .iter()
            .filter(|d| input.registry.get(&d.tf_type).is_some())
            .map(|d| d.address.as_str())
            .collect();
        let mut counted: HashSet<&str> = HashSet::new();
        for (i, decl) in input.declared.iter().enumerate() {
            let r = decl;
            let Some(spec) = input.registry.get(&r.tf_type) else {
                // Rule resources count with the group they belong to.
                if input.registry.absorber(&r.tf_type).is_none() {
                    self.counts.not_covered += 1;
                }
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
                if refreshed.contains(decl.address.as_str()) && !decl.pending_create {
                    self.counts.managed += 1;
                    counted.insert(&decl.address);
                } else {
                    self.counts.not_covered += 1;
                }
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
            if counted.insert(&d.address) {
                self.counts.managed += 1;
            }
            let decl = crate::tfstate::drift_declaration(d);
            match &d.after {
                Some(after) => {
                    let live = Resource { attributes: after.clone(), ..decl.to_resource() };
                    if let Some(f) = changed_finding(spec, &decl, &live, input, None) {
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
                    WarningKind::NotCompared,
                    format!(
                        "the snapshot holds {t} resources, a type this driftd has no spec for; they were not compared"
                    ),
                    None,
                )
            })
            .collect();
        let other_tool = self
            .owner_findings
            .values()
            .filter(|(_, status)| *status == OwnerStatus::OtherTool)
            .map(|(at, _)| self.findings[*at].id.clone())
            .collect();
        Comparison { findings: self.findings, counts: self.counts, other_tool, orchestrated, warnings }
    }
}

fn add(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
    }
}

/// An owner's own finding takes in what it owns: their cost replaces the owner's own
/// estimate (what runs is what bills), and the message says how many.
fn add_members(f: &mut Finding, unit: &Unit) {
    if let Some(members) = unit.cost {
        let cost = f.cost.get_or_insert(Cost {
            declared_per_hour_usd: Some(0.0),
            live_per_hour_usd: None,
            delta_per_hour_usd: None,
        });
        cost.live_per_hour_usd = Some(round_cents(members));
        cost.delta_per_hour_usd = Some(round_cents(members - cost.declared_per_hour_usd.unwrap_or(0.0)));
    }
    f.message = format!("{} ({})", f.message, unit_size(unit));
}

/// "4 aws_instance, $220.16/h".
fn unit_size(unit: &Unit) -> String {
    if unit.resources == 0 {
        return "nothing running".to_string();
    }
    match unit.cost {
        Some(c) => format!("{} {}, ${:.2}/h", unit.resources, unit.member_type, c),
        None => format!("{} {}", unit.resources, unit.member_type),
    }
}

/// Leaf-level differences of the compared attributes, with the severity of each.
/// Values are compared normalised and reported as written (case, order).
pub fn diff(spec: &TypeSpec, decl: &DeclaredResource, declared: &Value, live: &Value) -> Vec<(Change, Severity)> {
    let mut out = Vec::new();
    for attr in spec.compared {
        if attr.waived(declared, live) || (decl.from_code && path::get(declared, attr.path).is_none()) {
            continue;
        }
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
            // Unknown until apply, or `lifecycle { ignore_changes }`: Terraform would not
            // change it, so it is no drift to revert.
            if decl.is_unknown(&full) || decl.ignores_changes(&full) {
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

/// `decl`: the declaration it is managed by, which names its address and root module.
fn finding_resource(spec: &TypeSpec, r: &Resource, decl: Option<&DeclaredResource>) -> FindingResource {
    FindingResource {
        tf_type: r.tf_type.clone(),
        id: r.id.clone(),
        address: decl.map(|d| d.address.clone()),
        root_module: decl.and_then(|d| d.root_module.clone()),
        provider: r.provider,
        account: r.account.clone(),
        region: r.region.clone(),
        name: r.name.clone().or_else(|| spec.name.name_of(&r.attributes)),
        tags: crate::model::tags_of(&r.attributes),
    }
}

fn cost(declared: Option<f64>, live: Option<f64>) -> Cost {
    let delta = match (declared, live) {
        (Some(d), Some(l)) => Some(round_cents(l - d)),
        _ => None,
    };
    Cost { declared_per_hour_usd: declared, live_per_hour_usd: live, delta_per_hour_usd: delta }
}

/// `absorbed`: entries that rule resources add to the declaration (`ingress` blocks).
fn changed_finding(
    spec: &TypeSpec,
    decl: &DeclaredResource,
    live: &Resource,
    input: &Input,
    absorbed: Option<&Vec<(&'static str, Value)>>,
) -> Option<Finding> {
    let prices = input.prices;
    let ignore = input.ignore;
    let mut declared = decl.attributes.parse();
    for (path, entry) in absorbed.into_iter().flatten() {
        path::push(&mut declared, path, entry.clone());
    }
    // Per attribute: a resource-level line covers each attribute, and a later
    // `!TYPE.ID.attr` line can take one back.
    let mut diffs = diff(spec, decl, &declared, &live.attributes);
    diffs.retain(|(c, _)| !ignore.ignores(live.provider, &live.tf_type, &live.id, Some(&c.path)));
    let (first, severity) = diffs.iter().max_by_key(|(_, s)| *s).map(|(c, s)| (c.path.clone(), *s))?;
    // The first change of the highest severity names the finding.
    let first = diffs.iter().find(|(_, s)| *s == severity).map(|(c, _)| c.path.clone()).unwrap_or(first);
    let changes: Vec<Change> = diffs.into_iter().map(|(c, _)| c).collect();
    let mut resource = finding_resource(spec, live, Some(decl));
    resource.account = live.account.clone().or_else(|| decl.account.clone());
    resource.region = live.region.clone().or_else(|| decl.region.clone());
    let cost = spec.cost.map(|_| cost(prices.hourly_of(spec, decl.provider, &declared), prices.hourly(spec, live)));
    Some(Finding {
        id: Finding::fingerprint(FindingKind::Changed, live.provider, &live.tf_type, &live.id, None),
        kind: FindingKind::Changed,
        severity,
        remediation: remediation::changed(&decl.address, &live.tf_type, &live.id, &changes)
            .with_lifecycle(decl.prevent_destroy, decl.create_before_destroy)
            .in_root_module(decl.root_module.as_deref()),
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
        resource: finding_resource(spec, r, Some(decl)),
        changes: None,
        policy: None,
        declared_at: decl.declared_at.clone(),
        cost,
        message: match decl.from_code {
            // Without a state nothing says it was ever applied.
            true => format!(
                "declared in code, but no live {} has its name in the scanned scope (not applied yet, renamed, or deleted)",
                spec.tf_type
            ),
            false => format!("declared {} no longer exists (deleted outside Terraform)", spec.tf_type),
        },
        remediation: remediation::missing(&decl.address, &r.tf_type, &r.id).in_root_module(decl.root_module.as_deref()),
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

/// A resource another tool (CloudFormation) manages: low severity, never shadow capacity.
fn other_tool_finding(spec: &TypeSpec, r: &Resource, owner: &Owner, owner_id: &str, prices: &PriceTable) -> Finding {
    let cost = spec.cost.map(|_| cost(Some(0.0), prices.hourly(spec, r)));
    let resource = finding_resource(spec, r, None);
    Finding {
        id: Finding::fingerprint(FindingKind::Unmanaged, r.provider, &r.tf_type, &r.id, None),
        kind: FindingKind::Unmanaged,
        severity: Severity::Low,
        changes: None,
        policy: None,
        declared_at: None,
        cost,
        message: format!("{} is managed by {} {owner_id}, not by Terraform", spec.tf_type, owner.label),
        remediation: remediation::other_tool(&r.tf_type, &r.id, owner.label, owner_id),
        resource,
    }
}

/// An owner no state declares, whose type driftd does not list or that was not seen
/// (a fleet, an auto scaling group of a skipped type): one finding for all it owns.
fn unit_finding(tf_type: &str, unit: &Unit) -> Finding {
    let resource = FindingResource {
        tf_type: tf_type.to_string(),
        id: unit.id.clone(),
        address: None,
        root_module: None,
        provider: unit.provider,
        account: unit.account.clone(),
        region: unit.region.clone(),
        name: None,
        tags: Default::default(),
    };
    Finding {
        id: Finding::fingerprint(FindingKind::Unmanaged, unit.provider, tf_type, &unit.id, None),
        kind: FindingKind::Unmanaged,
        severity: unit.severity,
        changes: None,
        policy: None,
        declared_at: None,
        cost: Some(cost(Some(0.0), unit.cost.map(round_cents))),
        message: format!("{} {} is in no Terraform state ({})", unit.owner.label, unit.id, unit_size(unit)),
        remediation: remediation::unmanaged(tf_type, &unit.id, None),
        resource,
    }
}

#[cfg(test)]
mod tests;
