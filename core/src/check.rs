//! One check, end to end and without I/O: declarations and a live snapshot in, a
//! report out. `driftd check` and the daemon's scheduled scans both call [`run`].

use crate::compare::{self, Counts};
use crate::cost::{round_cents, PriceTable};
use crate::error::Error;
use crate::ignore::DriftIgnore;
use crate::model::{Finding, FindingKind, Warning, WarningKind};
use crate::policy::{self, PolicyEngine, Side, Violation};
use crate::report::{DeclaredSource, LiveSource, Report, Sources, Summary, SCHEMA};
use crate::snapshot::{self, Scan, Snapshot};
use crate::spec::Registry;
use crate::tfstate::{self, StateInput};
use jiff::civil::Date;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

/// Where live resources come from.
pub enum LiveInput {
    /// Already in memory (a provider's scan).
    Snapshot(Snapshot),
    /// A `driftd.snapshot/v1` file, streamed: compared while it is parsed.
    File(PathBuf),
}

pub struct Input {
    pub states: Vec<StateInput>,
    pub live: Vec<LiveInput>,
    pub registry: Registry,
    pub prices: PriceTable,
    pub ignore: Option<DriftIgnore>,
    /// Decides which `# until` ignores have expired.
    pub today: Date,
    pub generated_at: String,
    /// Adds `declared_at` and patches from `.tf` sources, when given.
    pub sources: Option<crate::terraform::patch::Sources>,
    /// Runs policies on live and declared resources, when given.
    pub policies: Option<Box<dyn PolicyEngine>>,
    /// The cost-allocation tags (team first) findings and owners are attributed by.
    pub allocation: crate::allocation::CostAllocation,
    /// The code's own declarations beside a state (`--state` and `--tf`): never compared
    /// with live, only with the state, for `code_differs` warnings.
    pub code: Vec<crate::terraform::eval::Evaluated>,
}

/// Fails only when a live source cannot be read (a snapshot file that is missing or malformed).
pub fn run(mut input: Input) -> Result<Report, Error> {
    input.prices.set_today(input.today);
    // Code without a state is matched with live resources by name first, so the whole
    // live side is read before comparing (a snapshot file too).
    let mut code_warnings = Vec::new();
    if input.states.iter().any(|s| s.resources.iter().any(|d| d.from_code)) && !input.live.is_empty() {
        let mut snapshots = Vec::new();
        for source in std::mem::take(&mut input.live) {
            snapshots.push(match source {
                LiveInput::Snapshot(s) => s,
                LiveInput::File(path) => Snapshot::read_file(&path)?,
            });
        }
        let live: Vec<&crate::model::Resource> = snapshots.iter().flat_map(|s| &s.resources).collect();
        for state in &mut input.states {
            code_warnings.extend(crate::terraform::eval::live_match::match_live(
                &mut state.resources,
                &live,
                &input.registry,
            ));
        }
        input.live = snapshots.into_iter().map(LiveInput::Snapshot).collect();
    }
    let declared_sources: Vec<DeclaredSource> = input
        .states
        .iter()
        .map(|s| DeclaredSource {
            kind: s.kind,
            location: s.location.clone(),
            resources: s.resources.len(),
            root_module: s.root_module.clone(),
            modules_not_evaluated: s.modules_not_evaluated,
            lineage: s.lineage.clone(),
        })
        .collect();
    let (mut declared, drift, mut warnings) = tfstate::merge(input.states);
    warnings.extend(code_warnings);
    if let Some(src) = &input.sources {
        src.locate(&mut declared);
        for code in &mut input.code {
            src.locate(&mut code.input.resources);
        }
    }
    warnings.extend(crate::terraform::eval::unapplied::unapplied(&declared, &input.code, &input.registry));
    lifecycle_from_code(&mut declared, &input.code);
    let (ignore, expired) = match &input.ignore {
        Some(file) => file.active(input.today),
        None => Default::default(),
    };
    warnings.extend(expired);
    let compare_input = compare::Input {
        declared: &declared,
        terraform_drift: &drift,
        registry: input.registry,
        prices: &input.prices,
        ignore: &ignore,
    };
    let mut policies = Policies::new(input.policies, input.registry, &input.prices);
    for d in &declared {
        policies.declared(d);
    }
    // The declared side is complete: its fleet policies run now, so that its documents
    // are let go before the live side's are gathered (half the peak memory).
    policies.fleet(Side::Declared);
    let mut comparer = compare::Comparer::new(&compare_input);
    let mut scans = Vec::new();
    // With code to patch: a resource block for each live resource no declaration matches,
    // for the import patch should it be unmanaged.
    let mut resource_blocks: HashMap<(String, String), String> = HashMap::new();
    let mut each_live = |r: crate::model::Resource| {
        comparer.live(&r);
        let address = comparer.declared_address(&r);
        if input.sources.is_some() && address.is_none() && r.owner.is_none() {
            if let Some(spec) = input.registry.get(&r.tf_type) {
                let name = crate::remediation::suggested_name(
                    r.name.clone().or_else(|| spec.name.name_of(&r.attributes)).as_deref(),
                    &r.id,
                );
                let block = crate::remediation::resource_block(spec, &r.attributes, &name);
                resource_blocks.insert((r.tf_type.clone(), r.id.clone()), block);
            }
        }
        policies.live(r, address);
    };
    for source in input.live {
        match source {
            LiveInput::Snapshot(snap) => {
                snap.resources.into_iter().for_each(&mut each_live);
                scans.extend(snap.scans);
            }
            LiveInput::File(path) => {
                let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, &e))?;
                let header = snapshot::stream(&path.display().to_string(), &bytes, &mut each_live)?;
                scans.extend(header.scans);
            }
        }
    }
    let comparison = comparer.finish(&scans);
    warnings.extend(comparison.warnings);
    let mut findings = comparison.findings;
    let mut violations = policies.finish();
    ignore.retain(&mut violations);
    let drifted: HashSet<(&str, String)> = findings
        .iter()
        .filter(|f| f.kind == FindingKind::Changed)
        .map(|f| (f.resource.tf_type.as_str(), f.resource.provider.match_key(&f.resource.id)))
        .collect();
    for v in &mut violations {
        let key = (v.resource.tf_type.as_str(), v.resource.provider.match_key(&v.resource.id));
        let is_drifted = drifted.contains(&key);
        policy::explain_sides(v, is_drifted);
    }
    findings.extend(violations);
    if let Some(src) = &input.sources {
        src.add_patches(&mut findings, &declared, &resource_blocks);
    }
    locate_findings(&mut findings, &declared);
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    warnings.extend(scans.iter().flat_map(Scan::failures).map(|m| Warning::new(WarningKind::ScanError, m, None)));
    let live_sources = scans
        .iter()
        .map(|s| LiveSource {
            provider: s.provider,
            account: s.account.clone(),
            region: s.region.clone(),
            resources: s.resources,
            api_calls: s.api_calls,
        })
        .collect();
    let mut orchestrated = comparison.orchestrated;
    // A tag the state marks sensitive is never shown as a team.
    let by_address: HashMap<(Option<&str>, &str), &crate::model::DeclaredResource> =
        declared.iter().map(|d| ((d.root_module.as_deref(), d.address.as_str()), d)).collect();
    let hidden = |f: &Finding, key: &str| {
        let Some(address) = f.resource.address.as_deref() else { return false };
        by_address
            .get(&(f.resource.root_module.as_deref(), address))
            .is_some_and(|d| d.is_sensitive(&format!("tags.{key}")) || d.is_sensitive(&format!("tags_all.{key}")))
    };
    input.allocation.assign(&mut findings, &mut orchestrated, &hidden);
    let mut summary = summary(&findings, &comparison.counts, &comparison.other_tool, orchestrated);
    summary.cost_allocation = input.allocation.roll_up(&findings, &summary.orchestrated, &comparison.other_tool);
    summary.teams = summary.cost_allocation.get(input.allocation.team_tag()).cloned().unwrap_or_default();
    Ok(Report {
        schema: SCHEMA,
        generated_at: input.generated_at,
        duration_ms: 0,
        sources: Sources { declared: declared_sources, live: live_sources },
        summary,
        findings,
        warnings,
        prices: input.prices.source(),
        notes: Vec::new(),
    })
}

/// Policy evaluation alongside the comparison: each resource as it goes by, fleet
/// policies at the end (only when there are any) over what the engine kept.
struct Policies<'a> {
    engine: Option<Box<dyn PolicyEngine>>,
    registry: Registry,
    prices: &'a PriceTable,
    findings: Vec<Finding>,
    /// The declared side's findings by id (index in `findings`): a live finding with the
    /// same id is the same violation on both sides, one finding.
    declared_ids: HashMap<String, usize>,
    /// Per side, who each resource is (type, id, address, account...), by (type, id):
    /// fleet policies blame resources by type and id, and may blame thousands.
    blame: [HashMap<(String, String), Value>; 2],
}

impl<'a> Policies<'a> {
    fn new(engine: Option<Box<dyn PolicyEngine>>, registry: Registry, prices: &'a PriceTable) -> Policies<'a> {
        Policies {
            engine,
            registry,
            prices,
            findings: Vec::new(),
            declared_ids: HashMap::new(),
            blame: Default::default(),
        }
    }

    fn declared(&mut self, d: &crate::model::DeclaredResource) {
        if self.engine.is_some() {
            let doc = policy::declared_input(d, &self.registry, self.prices);
            self.evaluate(doc, Side::Declared);
        }
    }

    fn live(&mut self, r: crate::model::Resource, address: Option<&str>) {
        if self.engine.is_some() {
            let doc = policy::input(r, Side::Live, address, &self.registry, self.prices);
            self.evaluate(doc, Side::Live);
        }
    }

    fn evaluate(&mut self, doc: Value, side: Side) {
        let Some(engine) = self.engine.as_mut() else { return };
        let violations = engine.evaluate(&doc, side);
        if engine.has_fleet_policies() {
            let key = (
                doc["type"].as_str().unwrap_or_default().to_string(),
                doc["id"].as_str().unwrap_or_default().to_string(),
            );
            self.blame[side.index()].insert(key, policy::identity(&doc));
        }
        for v in violations {
            let finding = policy::finding(&v, &doc);
            self.add(finding, side);
        }
    }

    /// Fleet policies over every resource of `side` seen so far.
    fn fleet(&mut self, side: Side) {
        let Some(engine) = self.engine.as_mut() else { return };
        let blame = std::mem::take(&mut self.blame[side.index()]);
        if blame.is_empty() {
            return;
        }
        let violations = engine.evaluate_fleet(side);
        for v in violations {
            // Blame the named resource with its full metadata when it is in the fleet.
            let blamed = v.resource.as_ref().and_then(|(t, i)| blame.get(&(t.clone(), i.clone())));
            let finding = match blamed {
                Some(doc) => policy::finding(&Violation { resource: None, ..v.clone() }, doc),
                None => policy::finding(&v, &serde_json::json!({"side": side})),
            };
            self.add(finding, side);
        }
    }

    /// Declared findings are kept by id; a live one that has its declared twin joins it.
    fn add(&mut self, finding: Finding, side: Side) {
        match side {
            Side::Declared => {
                self.declared_ids.entry(finding.id.clone()).or_insert(self.findings.len());
                self.findings.push(finding);
            }
            Side::Live => match self.declared_ids.get(&finding.id) {
                Some(&i) if !self.findings[i].policy.as_ref().is_some_and(|p| p.sides.contains(&Side::Live)) => {
                    policy::merge_live(&mut self.findings[i], finding)
                }
                _ => self.findings.push(finding),
            },
        }
    }

    fn finish(mut self) -> Vec<Finding> {
        self.fleet(Side::Live);
        self.findings
    }
}

fn summary(
    findings: &[Finding],
    counts: &Counts,
    other_tool: &HashSet<String>,
    orchestrated: Vec<compare::OwnedCapacity>,
) -> Summary {
    let count = |k: FindingKind| findings.iter().filter(|f| f.kind == k).count();
    let (changed, missing) = (count(FindingKind::Changed), count(FindingKind::Missing));
    let delta: f64 = findings.iter().filter_map(|f| f.cost.as_ref()?.delta_per_hour_usd).sum();
    // Shadow capacity: what nobody manages. Another tool's resources are not.
    let unmanaged_cost: f64 = findings
        .iter()
        .filter(|f| f.kind == FindingKind::Unmanaged && !other_tool.contains(&f.id))
        .filter_map(|f| f.cost.as_ref()?.live_per_hour_usd)
        .sum();
    // Priced violations: what a policy says is paid for nothing (idle reservations).
    let idle: f64 = findings
        .iter()
        .filter(|f| f.kind == FindingKind::Violation)
        .filter_map(|f| f.cost.as_ref()?.live_per_hour_usd)
        .sum();
    let coverage_pct =
        (counts.live_covered > 0).then(|| round_cents(100.0 * counts.live_managed as f64 / counts.live_covered as f64));
    // Holds by construction (plan drift counts as managed); tests check it on every report.
    debug_assert!(changed + missing <= counts.managed, "changed and missing findings are of managed resources");
    Summary {
        managed: counts.managed,
        // Ignored changes leave a resource in sync as far as the gate is concerned.
        in_sync: counts.managed.saturating_sub(changed + missing),
        changed,
        missing,
        unmanaged: count(FindingKind::Unmanaged),
        violations: count(FindingKind::Violation),
        not_covered: counts.not_covered,
        coverage_pct,
        cost_delta_per_hour_usd: round_cents(delta),
        unmanaged_cost_per_hour_usd: round_cents(unmanaged_cost),
        idle_capacity_cost_per_hour_usd: round_cents(idle),
        orchestrated,
        teams: Vec::new(),
        cost_allocation: Default::default(),
    }
}

/// A state read with its code takes the code's `lifecycle` (by address): what the code
/// tells Terraform to ignore is no drift of the state's either.
fn lifecycle_from_code(declared: &mut [crate::model::DeclaredResource], code: &[crate::terraform::eval::Evaluated]) {
    let by_address: HashMap<(Option<&str>, &str), &crate::model::DeclaredResource> = code
        .iter()
        .flat_map(|c| &c.input.resources)
        .map(|d| ((d.root_module.as_deref(), d.address.as_str()), d))
        .collect();
    if by_address.is_empty() {
        return;
    }
    for d in declared.iter_mut().filter(|d| !d.from_code) {
        if let Some(c) = by_address.get(&(d.root_module.as_deref(), d.address.as_str())) {
            d.ignore_changes.clone_from(&c.ignore_changes);
            d.prevent_destroy = c.prevent_destroy;
            d.create_before_destroy = c.create_before_destroy;
        }
    }
}

/// Every finding whose resource has code points at its block: policy findings and
/// unmanaged ones too, by address or by id.
fn locate_findings(findings: &mut [crate::model::Finding], declared: &[crate::model::DeclaredResource]) {
    let mut by_address = HashMap::new();
    let mut by_id = HashMap::new();
    for d in declared.iter().filter(|d| d.declared_at.is_some()) {
        by_address.insert((d.root_module.as_deref(), d.address.as_str()), d);
        by_id.insert((d.tf_type.as_str(), d.id.as_str()), d);
    }
    for f in findings.iter_mut().filter(|f| f.declared_at.is_none()) {
        let r = &f.resource;
        let d = r
            .address
            .as_deref()
            .and_then(|a| by_address.get(&(r.root_module.as_deref(), a)))
            .or_else(|| by_id.get(&(r.tf_type.as_str(), r.id.as_str())));
        if let Some(d) = d {
            f.declared_at.clone_from(&d.declared_at);
        }
    }
}
