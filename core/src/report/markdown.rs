//! `--format markdown`: a pull-request comment. A summary table, counts per kind and
//! type, one row per finding, then details (changes, cost, fix, patch) folded away. By
//! default the findings listed stop where the comment would pass GitHub's 65,536
//! characters; a line says how many more the JSON report has.

use super::{
    groups, headline, more_line, owned_line, resource_label, severity_counts, show_value, usd, usd_delta,
    RenderOptions, Report,
};
use crate::model::Finding;
use std::io::{self, Write};

/// GitHub refuses a comment (issue, pull request) over 65,536 characters.
pub const COMMENT_LIMIT: usize = 65_536;
/// Kept free of findings for the lines after them (the "more" line, warnings).
const RESERVED: usize = 6_000;
/// Warnings listed before "and N more".
const MAX_WARNINGS: usize = 20;

/// Markdown table cells: pipes and newlines would break the row.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn render(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    // The head is written to a buffer first: its length counts against the comment limit.
    let mut head = Vec::new();
    write_head(report, opts, &mut head)?;
    out.write_all(&head)?;
    let head_len = String::from_utf8_lossy(&head).chars().count();
    write_findings(report, opts, head_len, out)
}

fn write_head(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    let failing = report.failing(opts.fail_on);
    let verdict = if failing > 0 { format!(":x: {failing} failing") } else { ":white_check_mark: passing".to_string() };
    writeln!(
        out,
        "## driftd: {} finding{} ({verdict})",
        report.findings.len(),
        if report.findings.len() == 1 { "" } else { "s" }
    )?;
    writeln!(out)?;
    writeln!(out, "| managed | in sync | changed | missing | unmanaged | violations | not covered | coverage | cost drift | unmanaged capacity | idle capacity |")?;
    writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")?;
    writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} | {} | {}/h | {}/h | {}/h |",
        s.managed,
        s.in_sync,
        s.changed,
        s.missing,
        s.unmanaged,
        s.violations,
        s.not_covered,
        s.coverage_pct.map(|c| format!("{c:.2}%")).unwrap_or_else(|| "n/a".into()),
        usd_delta(s.cost_delta_per_hour_usd),
        usd(Some(s.unmanaged_cost_per_hour_usd)),
        usd(Some(s.idle_capacity_cost_per_hour_usd)),
    )?;
    writeln!(out)?;
    writeln!(out, "_Costs: {}._", report.prices.line())?;
    if !s.orchestrated.is_empty() {
        writeln!(out)?;
        for o in &s.orchestrated {
            let team = o.team.as_deref().map(|t| format!(" (team {})", cell(t))).unwrap_or_default();
            writeln!(out, "- owned capacity: {}{team}", owned_line(o))?;
        }
    }
    if !s.teams.is_empty() {
        writeln!(out)?;
        writeln!(out, "| team | findings | cost drift | unmanaged capacity | orchestrated | idle capacity |")?;
        writeln!(out, "|---|---:|---:|---:|---:|---:|")?;
        for t in &s.teams {
            writeln!(
                out,
                "| {} | {} | {}/h | {}/h | {}/h | {}/h |",
                cell(&t.name),
                t.findings,
                usd_delta(t.drift_cost_per_hour_usd),
                usd(Some(t.unmanaged_cost_per_hour_usd)),
                usd(Some(t.orchestrated_cost_per_hour_usd)),
                usd(Some(t.idle_capacity_cost_per_hour_usd))
            )?;
        }
    }
    Ok(())
}

fn write_findings(report: &Report, opts: &RenderOptions, head_len: usize, out: &mut dyn Write) -> io::Result<()> {
    if report.findings.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", headline(report))?;
    } else {
        let total = report.findings.len();
        let mut grouped = String::new();
        if total > 10 {
            use std::fmt::Write as _;
            let _ = writeln!(grouped);
            let _ = writeln!(grouped, "| kind | type | findings | by severity | $/h |");
            let _ = writeln!(grouped, "|---|---|---:|---|---:|");
            for g in groups(report) {
                let cost = if g.cost_per_hour_usd != 0.0 { usd_delta(g.cost_per_hour_usd) } else { String::new() };
                let _ = writeln!(
                    grouped,
                    "| {} | `{}` | {} | {} | {cost} |",
                    g.kind,
                    cell(&crate::error::cut(g.tf_type, 100)),
                    g.total,
                    severity_counts(&g.by_severity)
                );
            }
            out.write_all(grouped.as_bytes())?;
        }
        // Each finding's table row and details, as long as they fit (or as many as asked).
        // Each finding's table row and details, rendered only as far as they are listed:
        // as many as asked, or as fit the comment (a 50,000-finding report renders ~100).
        let mut rows = Vec::new();
        let mut folded = Vec::new();
        let mut used = head_len + grouped.chars().count() + RESERVED;
        for f in &report.findings {
            if opts.max_findings.is_some_and(|n| n > 0 && rows.len() >= n) {
                break;
            }
            let (r, d) = (row(f), details(f));
            // No count asked for: as many as fit.
            if opts.max_findings.is_none() {
                used += r.chars().count() + d.chars().count();
                if used > COMMENT_LIMIT {
                    break;
                }
            }
            rows.push(r);
            folded.push(d);
        }
        let shown = rows.len();
        if shown > 0 {
            writeln!(out)?;
            writeln!(out, "| severity | kind | resource | what | $/h |")?;
            writeln!(out, "|---|---|---|---|---:|")?;
            for r in &rows {
                write!(out, "{r}")?;
            }
            writeln!(out)?;
            for d in &folded {
                write!(out, "{d}")?;
            }
        }
        if let Some(line) = more_line(shown, total) {
            writeln!(out)?;
            writeln!(out, "{line}")?;
        }
    }
    if !report.warnings.is_empty() {
        writeln!(out)?;
        writeln!(out, "**Warnings**")?;
        writeln!(out)?;
        let cap = if opts.max_findings == Some(0) { usize::MAX } else { MAX_WARNINGS };
        for w in report.warnings.iter().take(cap) {
            let loc = w.location.as_ref().map(|l| format!("`{}`: ", crate::error::cut(l, 300))).unwrap_or_default();
            writeln!(out, "- {loc}{}", crate::error::cut(&w.message, 500))?;
        }
        if report.warnings.len() > cap {
            writeln!(out, "- and {} more warnings (all are in `--format json`)", report.warnings.len() - cap)?;
        }
    }
    Ok(())
}

/// A finding's row of the findings table.
fn row(f: &Finding) -> String {
    let cost = f.cost.as_ref().and_then(|c| c.delta_per_hour_usd).map(usd_delta).unwrap_or_default();
    format!("| {} | {} | `{}` | {} | {} |\n", f.severity, f.kind, cell(resource_label(f)), cell(&f.message), cost)
}

/// A finding's folded details: where, what changed, cost, fix, patch.
fn details(f: &Finding) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<details><summary><b>{}</b> {} <code>{}</code></summary>",
        f.severity,
        f.kind,
        html(resource_label(f))
    );
    let _ = writeln!(out);
    let at = f.declared_at.as_ref().map(|a| format!(" · `{}:{}`", a.file, a.line)).unwrap_or_default();
    let _ = writeln!(out, "`{}` · {}{}", f.resource.id, f.resource.provider, at);
    let _ = writeln!(out);
    if let Some(by) = &f.changed_by {
        let _ = writeln!(out, "Changed by {}", html(&by.line()));
        let _ = writeln!(out);
    }
    if let Some(changes) = &f.changes {
        let _ = writeln!(out, "| attribute | declared | live |");
        let _ = writeln!(out, "|---|---|---|");
        for c in changes {
            let _ = writeln!(
                out,
                "| `{}` | `{}` | `{}` |",
                cell(&c.path),
                cell(&show_value(&c.declared)),
                cell(&show_value(&c.live))
            );
        }
        let _ = writeln!(out);
    }
    if let Some(cost) = &f.cost {
        let _ = writeln!(
            out,
            "Cost: {}/h declared, {}/h live{}.{}",
            usd(cost.declared_per_hour_usd),
            usd(cost.live_per_hour_usd),
            cost.delta_per_hour_usd.map(|d| format!(" ({}/h)", usd_delta(d))).unwrap_or_default(),
            cost.price.as_ref().map(|b| format!(" Price: {}.", b.line())).unwrap_or_default()
        );
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "Fix: {}", f.remediation.summary);
    let _ = writeln!(out);
    let _ = writeln!(out, "```sh");
    for cmd in &f.remediation.commands {
        let _ = writeln!(out, "{cmd}");
    }
    let _ = writeln!(out, "```");
    if let Some(patch) = &f.remediation.patch {
        let _ = writeln!(out);
        let _ = writeln!(out, "```diff");
        out.push_str(patch);
        if !patch.ends_with('\n') {
            let _ = writeln!(out);
        }
        let _ = writeln!(out, "```");
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "</details>");
    let _ = writeln!(out);
    out
}

fn html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
