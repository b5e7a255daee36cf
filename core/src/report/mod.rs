//! The report (`driftd.report/v1`) and its renderers. Each format is one file here,
//! rendering `&Report` into `impl Write`, registered with one line in [`FORMATS`]
//! (which also feeds `--format`). Golden output: `testdata/reports/<format>/`.

mod html;
pub use html::{esc as html_escape, STYLE as PAGE_STYLE};
mod json;
mod junit;
mod markdown;
mod sarif;
mod text;

use crate::model::{Cloud, DeclaredKind, Finding, Severity, Warning, WarningKind};
use serde::Serialize;
use std::io::{self, Write};

pub const SCHEMA: &str = "driftd.report/v1";

/// How a report is rendered.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// ANSI colour (text only): a terminal, and `NO_COLOR` unset.
    pub color: bool,
    /// Findings at or above this fail the run (`--fail-on`); `None` is `never`.
    pub fail_on: Option<Severity>,
    /// How many findings text and Markdown list in full (`--max-findings`): `None`, the
    /// format's default; `Some(0)`, all. The summary and the groups always count them all.
    pub max_findings: Option<usize>,
    /// The folder SARIF file locations are relative to (`uriBaseId` `SRCROOT`): the
    /// working directory of `driftd check`, in CI the checkout.
    pub source_root: Option<std::path::PathBuf>,
}

impl RenderOptions {
    pub fn fails(&self, severity: Severity) -> bool {
        self.fail_on.is_some_and(|min| severity >= min)
    }
}

pub type RenderFn = fn(&Report, &RenderOptions, &mut dyn Write) -> io::Result<()>;

pub struct Format {
    pub name: &'static str,
    /// Conventional file extension, for golden files and `--output` hints.
    pub extension: &'static str,
    pub render: RenderFn,
}

pub const FORMATS: &[Format] = &[
    Format { name: "text", extension: "txt", render: text::render },
    Format { name: "json", extension: "json", render: json::render },
    Format { name: "sarif", extension: "sarif", render: sarif::render },
    Format { name: "junit", extension: "xml", render: junit::render },
    Format { name: "markdown", extension: "md", render: markdown::render },
    Format { name: "html", extension: "html", render: html::render },
];

pub fn format(name: &str) -> Option<&'static Format> {
    FORMATS.iter().find(|f| f.name == name)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeclaredSource {
    pub kind: DeclaredKind,
    pub location: String,
    pub resources: usize,
    /// The root module the state belongs to (`--discover`); else null.
    pub root_module: Option<String>,
    /// Code only: module calls that were not evaluated (a registry or git module before
    /// `terraform init`); absent when none.
    #[serde(skip_serializing_if = "is_zero")]
    pub modules_not_evaluated: usize,
    /// A raw state's lineage (not in the report: `check --notify` scopes its history by it).
    #[serde(skip)]
    pub lineage: Option<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveSource {
    pub provider: Cloud,
    pub account: Option<String>,
    pub region: Option<String>,
    pub resources: usize,
    pub api_calls: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sources {
    pub declared: Vec<DeclaredSource>,
    pub live: Vec<LiveSource>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub managed: usize,
    pub in_sync: usize,
    pub changed: usize,
    pub missing: usize,
    pub unmanaged: usize,
    pub violations: usize,
    pub not_covered: usize,
    /// Managed live resources / live resources of covered types; null when none were read.
    pub coverage_pct: Option<f64>,
    /// Sum of the known hourly deltas of all findings (changed, missing, unmanaged).
    pub cost_delta_per_hour_usd: f64,
    /// Sum of the known hourly costs of unmanaged resources (shadow capacity; not what
    /// another tool such as CloudFormation manages).
    pub unmanaged_cost_per_hour_usd: f64,
    /// Sum of what priced policy findings say is paid for nothing per hour: the idle
    /// share of capacity reservations and Capacity Blocks.
    pub idle_capacity_cost_per_hour_usd: f64,
    /// Capacity that owners created (auto scaling groups, EKS node groups, Karpenter,
    /// fleets), per owner: how many resources, what they cost, who answers for them.
    pub orchestrated: Vec<crate::compare::OwnedCapacity>,
    /// Costs per team (the first cost-allocation tag), teams by name and `untagged` last:
    /// the findings' sums per team, and the owners' capacity.
    pub teams: Vec<crate::allocation::TeamCost>,
    /// The same per value of every cost-allocation tag (`team`, `cost-center`...), by tag.
    pub cost_allocation: std::collections::BTreeMap<String, Vec<crate::allocation::TeamCost>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub generated_at: String,
    pub duration_ms: u64,
    pub sources: Sources,
    pub summary: Summary,
    pub findings: Vec<Finding>,
    /// Not findings, but worth knowing: duplicates, expired ignores, unreadable regions.
    pub warnings: Vec<Warning>,
    /// Where the costs come from (table, regions, date).
    pub prices: crate::cost::PriceSource,
    /// Choices made for the user (regions taken from the declarations): said on stderr
    /// or logged, not part of the report.
    #[serde(skip)]
    pub notes: Vec<String>,
}

impl Report {
    /// Some live scan failed: the check must exit 3, whatever it found.
    pub fn incomplete(&self) -> bool {
        self.warnings.iter().any(|w| w.kind == WarningKind::ScanError)
    }

    /// What could not be read, one `scan_error` warning's message each, joined by `; `.
    pub fn scan_errors(&self) -> String {
        let errors: Vec<&str> =
            self.warnings.iter().filter(|w| w.kind == WarningKind::ScanError).map(|w| w.message.as_str()).collect();
        errors.join("; ")
    }

    /// Findings at or above the threshold.
    pub fn failing(&self, fail_on: Option<Severity>) -> usize {
        self.findings.iter().filter(|f| fail_on.is_some_and(|min| f.severity >= min)).count()
    }

    pub fn render(&self, format: &Format, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
        (format.render)(self, opts, out)
    }
}

/// Findings of one kind and type, counted by severity: what a large report shows
/// before (or instead of) listing each finding.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Group<'a> {
    pub kind: crate::model::FindingKind,
    pub tf_type: &'a str,
    /// By severity, critical first.
    pub by_severity: [usize; 4],
    pub total: usize,
    /// Cost drift of changed findings, live cost of unmanaged ones, per hour.
    pub cost_per_hour_usd: f64,
}

impl Group<'_> {
    /// ` · +$1.23/h`, or nothing for a group without cost.
    pub(crate) fn cost_note(&self) -> String {
        match self.cost_per_hour_usd != 0.0 {
            true => format!(" · {}/h", usd_delta(self.cost_per_hour_usd)),
            false => String::new(),
        }
    }
}

/// The report's findings grouped by kind and type, most severe groups first.
pub(crate) fn groups(report: &Report) -> Vec<Group<'_>> {
    use crate::model::FindingKind;
    let mut map: std::collections::BTreeMap<(FindingKind, &str), Group<'_>> = Default::default();
    for f in &report.findings {
        let g = map.entry((f.kind, f.resource.tf_type.as_str())).or_insert_with(|| Group {
            kind: f.kind,
            tf_type: &f.resource.tf_type,
            by_severity: [0; 4],
            total: 0,
            cost_per_hour_usd: 0.0,
        });
        let i = match f.severity {
            Severity::Critical => 0,
            Severity::High => 1,
            Severity::Medium => 2,
            Severity::Low => 3,
        };
        g.by_severity[i] += 1;
        g.total += 1;
        let cost = f.cost.as_ref().and_then(|c| match f.kind {
            FindingKind::Unmanaged => c.live_per_hour_usd,
            _ => c.delta_per_hour_usd,
        });
        g.cost_per_hour_usd += cost.unwrap_or(0.0);
    }
    let mut out: Vec<Group<'_>> = map.into_values().collect();
    out.sort_by(|a, b| b.by_severity.cmp(&a.by_severity).then(a.kind.cmp(&b.kind)).then(a.tf_type.cmp(b.tf_type)));
    out
}

/// `1 high, 3 medium`: the non-zero counts of a group.
pub(crate) fn severity_counts(by_severity: &[usize; 4]) -> String {
    let names = ["critical", "high", "medium", "low"];
    let parts: Vec<String> =
        by_severity.iter().zip(names).filter(|(n, _)| **n > 0).map(|(n, name)| format!("{n} {name}")).collect();
    parts.join(", ")
}

/// The line under a capped list: how many more there are, and where.
pub(crate) fn more_line(shown: usize, total: usize) -> Option<String> {
    (shown < total).then(|| {
        format!(
            "{} more finding{} not listed here ({shown} of {total} shown, most severe first): all are in `--format json` (or `--max-findings 0`).",
            total - shown,
            if total - shown == 1 { " is" } else { "s are" }
        )
    })
}

/// `12.5` -> `$12.50`; `None` -> `?`.
pub fn usd(v: Option<f64>) -> String {
    match v {
        Some(v) => format!("${v:.2}"),
        None => "?".to_string(),
    }
}

/// `+33.08` / `-21.96` with a dollar sign.
pub(crate) fn usd_delta(v: f64) -> String {
    if v < 0.0 {
        format!("-${:.2}", -v)
    } else {
        format!("+${v:.2}")
    }
}

/// A JSON value shown inline (strings without quotes when plain).
pub fn show_value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "(unset)".to_string(),
        serde_json::Value::String(s) if s.is_empty() => "\"\"".to_string(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The report's first line: how many findings, and what was and was not checked. A run
/// that could not read part of the fleet, or read no live fleet at all, never opens with
/// "no drift".
pub(crate) fn headline(report: &Report) -> String {
    let n = report.findings.len();
    let failed = report.incomplete();
    let live = !report.sources.live.is_empty();
    let declared = !report.sources.declared.is_empty();
    let mut head = if n > 0 {
        let by_sev: Vec<String> = Severity::ALL
            .iter()
            .map(|sev| (sev, report.findings.iter().filter(|f| f.severity == *sev).count()))
            .filter(|(_, c)| *c > 0)
            .map(|(sev, c)| format!("{c} {sev}"))
            .collect();
        format!("{n} finding{} ({})", if n == 1 { "" } else { "s" }, by_sev.join(", "))
    } else if failed {
        "No drift in what could be read, but part of the live fleet could not be read: not a clean result".to_string()
    } else if !live {
        "No live scan (--provider none): declarations checked by policy and Terraform's own refresh only; no finding"
            .to_string()
    } else if !declared {
        "No Terraform state given: live resources checked by policy only; no finding".to_string()
    } else {
        "No drift: live resources match what Terraform declares".to_string()
    };
    if n > 0 && failed {
        head.push_str("; part of the live fleet could not be read (see Warnings)");
    }
    // Code whose module calls could not be evaluated is not a clean result, whatever
    // else was found: say so, and say it first when nothing at all was declared.
    let unevaluated: usize = report.sources.declared.iter().map(|d| d.modules_not_evaluated).sum();
    if unevaluated > 0 {
        let calls = format!("{unevaluated} module call{}", if unevaluated == 1 { " was" } else { "s were" });
        let declared_none = report.sources.declared.iter().all(|d| d.resources == 0);
        if n == 0 && declared_none {
            head = format!(
                "Nothing declared could be evaluated: {calls} not evaluated (their sources are not on disk; run terraform init): not a clean result"
            );
        } else {
            head.push_str(&format!("; {calls} not evaluated (their resources are not checked; see Warnings)"));
        }
    }
    let not_covered = report.summary.not_covered;
    if n == 0 && live && declared && !failed && not_covered > 0 {
        head.push_str(&format!(
            " ({not_covered} declared resource{} of types or scopes no scan covered)",
            if not_covered == 1 { "" } else { "s" }
        ));
    }
    if n == 0 {
        head.push('.');
    }
    head
}

/// One owner's capacity in words: "auto scaling group batch-inference: 2 resources, $1.96/h, declared".
pub(crate) fn owned_line(o: &crate::compare::OwnedCapacity) -> String {
    use crate::compare::OwnerStatus;
    let who = match o.status {
        OwnerStatus::Declared => "declared in Terraform",
        OwnerStatus::Unmanaged => "in no Terraform state",
        OwnerStatus::Orchestrator => "orchestrated outside Terraform",
        OwnerStatus::OtherTool => "managed by another tool",
    };
    format!("{} {}: {} resources, {}/h, {who}", o.label, o.id, o.resources, usd(o.cost_per_hour_usd))
}

/// One team's costs in words: "ml: 3 findings, drift +$1.00/h, unmanaged $2.00/h, orchestrated $0.00/h, idle capacity $0.00/h".
pub(crate) fn team_line(t: &crate::allocation::TeamCost) -> String {
    format!(
        "{}: {} finding{}, drift {}/h, unmanaged {}/h, orchestrated {}/h, idle capacity {}/h",
        t.name,
        t.findings,
        if t.findings == 1 { "" } else { "s" },
        usd_delta(t.drift_cost_per_hour_usd),
        usd(Some(t.unmanaged_cost_per_hour_usd)),
        usd(Some(t.orchestrated_cost_per_hour_usd)),
        usd(Some(t.idle_capacity_cost_per_hour_usd))
    )
}

/// Where a finding's resource is: address, else id.
pub(crate) fn resource_label(f: &Finding) -> &str {
    f.resource.address.as_deref().unwrap_or(&f.resource.id)
}

#[cfg(test)]
mod tests;
