//! The comparer: declared resources against live ones, per covered type, with each
//! type's allow-list of compared attributes normalised before comparison. This file
//! matches live resources to declarations; `owners` resolves who runs what is not
//! declared, `diff` compares values, `findings` builds each kind of finding.

mod diff;
mod findings;
mod owners;

pub use diff::{diff, values_equal};
use findings::*;

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
    /// Its team, from its resources' cost-allocation tags; null when they carry none.
    pub team: Option<String>,
    pub cost_allocation: std::collections::BTreeMap<String, String>,
    /// Its first resource's tags, which the owner's team is read from.
    #[serde(skip)]
    pub tags: std::collections::BTreeMap<String, String>,
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
    /// The price of its first priced resource, which the unit's finding shows.
    price: Option<crate::cost::PriceBasis>,
    /// Its first resource's tags (an auto scaling group's instances carry the group's).
    tags: std::collections::BTreeMap<String, String>,
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
                        price: None,
                        tags: crate::model::tags_of(&r.attributes),
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
                    if let Some((c, basis)) = input.prices.priced(spec, r.provider, r.region.as_deref(), &r.attributes)
                    {
                        unit.cost = Some(unit.cost.unwrap_or(0.0) + c);
                        if unit.price.is_none() {
                            unit.price = basis;
                        }
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
                && scans
                    .iter()
                    .any(|s| s.covers(r.provider, &r.tf_type, &r.id, r.account.as_deref(), r.region.as_deref()));
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

#[cfg(test)]
mod tests;
