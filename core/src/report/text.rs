//! `--format text` (default): the summary, counts per kind and type when there are many
//! findings, then one block per finding (the most severe 200 unless `--max-findings`
//! says otherwise). Colour only when asked (a terminal without `NO_COLOR`).

use super::{
    groups, headline, more_line, owned_line, resource_label, severity_counts, show_value, team_line, usd, usd_delta,
    RenderOptions, Report,
};

/// Findings listed in full unless `--max-findings` says otherwise: a CI log stays
/// readable; the summary and the groups count every finding.
pub const DEFAULT_MAX: usize = 200;
/// Above this many findings, a count per kind and type comes before the list.
const GROUPS_FROM: usize = 10;
use crate::model::{FindingKind, Severity};
use std::io::{self, Write};

struct Paint(bool);

impl Paint {
    fn sev(&self, s: Severity) -> String {
        let label = format!("{:<9}", s.as_str().to_uppercase());
        if !self.0 {
            return label;
        }
        let code = match s {
            Severity::Critical => "1;31",
            Severity::High => "31",
            Severity::Medium => "33",
            Severity::Low => "36",
        };
        format!("\x1b[{code}m{label}\x1b[0m")
    }

    fn bold(&self, s: &str) -> String {
        if self.0 {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    fn dim(&self, s: &str) -> String {
        if self.0 {
            format!("\x1b[2m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

pub fn render(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let p = Paint(opts.color);
    let s = &report.summary;
    writeln!(out, "{}", p.bold(&headline(report)))?;
    // Summary first: in a long CI log it is what people look for.
    writeln!(out)?;
    writeln!(out, "{}", p.bold("Summary"))?;
    writeln!(
        out,
        "  managed {} · in sync {} · changed {} · missing {} · unmanaged {} · violations {} · not covered {}",
        s.managed, s.in_sync, s.changed, s.missing, s.unmanaged, s.violations, s.not_covered
    )?;
    let coverage = s.coverage_pct.map(|c| format!("{c:.2}%")).unwrap_or_else(|| "n/a".into());
    writeln!(
        out,
        "  coverage {coverage} · cost drift {}/h · unmanaged capacity {}/h · idle capacity {}/h",
        usd_delta(s.cost_delta_per_hour_usd),
        usd(Some(s.unmanaged_cost_per_hour_usd)),
        usd(Some(s.idle_capacity_cost_per_hour_usd))
    )?;
    writeln!(out, "  {}", p.dim(&format!("costs: {}", report.prices.line())))?;
    for o in &s.orchestrated {
        let team = o.team.as_deref().map(|t| format!(" (team {t})")).unwrap_or_default();
        writeln!(out, "  owned capacity: {}{team}", owned_line(o))?;
    }
    for t in &s.teams {
        writeln!(out, "  by team: {}", team_line(t))?;
    }
    let sources: Vec<String> = report
        .sources
        .declared
        .iter()
        .map(|d| format!("{} {} ({} resources)", d.kind.as_str(), d.location, d.resources))
        .chain(report.sources.live.iter().map(|l| {
            let scope: Vec<&str> = [l.account.as_deref(), l.region.as_deref()].into_iter().flatten().collect();
            format!("{} {} ({} resources, {} API calls)", l.provider, scope.join(" "), l.resources, l.api_calls)
        }))
        .collect();
    for src in sources {
        writeln!(out, "  {}", p.dim(&format!("read {src}")))?;
    }
    let total = report.findings.len();
    if total > GROUPS_FROM {
        writeln!(out)?;
        writeln!(out, "{}", p.bold("By kind and type"))?;
        for g in groups(report) {
            let cost = g.cost_note();
            writeln!(
                out,
                "  {:<10}{:<40} {:>6}  ({}){cost}",
                g.kind.as_str(),
                g.tf_type,
                g.total,
                severity_counts(&g.by_severity)
            )?;
        }
    }
    let shown = match opts.max_findings {
        Some(0) => total,
        Some(n) => n.min(total),
        None => DEFAULT_MAX.min(total),
    };
    for f in &report.findings[..shown] {
        writeln!(out)?;
        let name = f.resource.name.as_deref().map(|n| format!("  ({n})")).unwrap_or_default();
        writeln!(out, "{}{:<10}{}{}", p.sev(f.severity), f.kind.as_str(), p.bold(resource_label(f)), name)?;
        let mut whereabouts = vec![f.resource.id.clone()];
        let scope: Vec<&str> =
            [Some(f.resource.provider.as_str()), f.resource.account.as_deref(), f.resource.region.as_deref()]
                .into_iter()
                .flatten()
                .collect();
        whereabouts.push(scope.join(" "));
        if let Some(at) = &f.declared_at {
            whereabouts.push(format!("{}:{}", at.file, at.line));
        }
        writeln!(out, "{:19}{}", "", p.dim(&whereabouts.join(" · ")))?;
        writeln!(out, "{:19}{}", "", f.message)?;
        if let Some(by) = &f.changed_by {
            writeln!(out, "{:19}changed by {}", "", by.line())?;
        }
        if let Some(policy) = &f.policy {
            let sides: Vec<&str> = policy.sides.iter().map(|s| s.as_str()).collect();
            let side = if sides.is_empty() { String::new() } else { format!(" ({})", sides.join(", ")) };
            writeln!(out, "{:19}policy {}{side}: {}", "", policy.id, policy.title)?;
        }
        if let Some(changes) = &f.changes {
            // Aligned up to a readable width; a longer path (a 70,000-character tag key)
            // runs on, as the formatter refuses widths of 65,536 and more.
            let width = changes.iter().map(|c| c.path.len()).max().unwrap_or(0).min(60);
            for c in changes {
                writeln!(out, "{:21}{:<width$}  {} → {}", "", c.path, show_value(&c.declared), show_value(&c.live))?;
            }
        }
        if let Some(cost) = &f.cost {
            let line = match (f.kind, cost.delta_per_hour_usd) {
                (FindingKind::Unmanaged, _) => {
                    format!("{}/h of capacity no state declares", usd(cost.live_per_hour_usd))
                }
                (FindingKind::Missing, _) => format!("{}/h declared, not running", usd(cost.declared_per_hour_usd)),
                (_, Some(d)) => format!(
                    "{}/h → {}/h ({}/h)",
                    usd(cost.declared_per_hour_usd),
                    usd(cost.live_per_hour_usd),
                    usd_delta(d)
                ),
                (_, None) => format!("{}/h → {}/h", usd(cost.declared_per_hour_usd), usd(cost.live_per_hour_usd)),
            };
            let price = cost.price.as_ref().map(|b| format!(" · price: {}", b.line())).unwrap_or_default();
            writeln!(out, "{:19}cost  {line}{}", "", p.dim(&price))?;
        }
        writeln!(out, "{:19}fix   {}", "", f.remediation.summary)?;
        for cmd in &f.remediation.commands {
            writeln!(out, "{:25}$ {cmd}", "")?;
        }
        if let Some(patch) = &f.remediation.patch {
            writeln!(out, "{:25}patch:", "")?;
            for line in patch.lines() {
                writeln!(out, "{:27}{line}", "")?;
            }
        }
    }
    if let Some(line) = more_line(shown, total) {
        writeln!(out)?;
        writeln!(out, "{}", p.dim(&line))?;
    }
    if !report.warnings.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", p.bold("Warnings"))?;
        for w in &report.warnings {
            match &w.location {
                Some(loc) => writeln!(out, "  {loc}: {}", w.message)?,
                None => writeln!(out, "  {}", w.message)?,
            }
        }
    }
    if let Some(min) = opts.fail_on {
        let failing = report.failing(Some(min));
        if failing > 0 {
            writeln!(out)?;
            writeln!(out, "{failing} finding{} at or above {min}: failing.", if failing == 1 { "" } else { "s" })?;
        }
    }
    Ok(())
}
