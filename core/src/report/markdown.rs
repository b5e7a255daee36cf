//! `--format markdown`: a pull-request comment. A summary table, one row per finding,
//! then details (changes, cost, fix, patch) folded away.

use super::{headline, owned_line, resource_label, show_value, usd, usd_delta, RenderOptions, Report};
use std::io::{self, Write};

/// Markdown table cells: pipes and newlines would break the row.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn render(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
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
    writeln!(out, "| managed | in sync | changed | missing | unmanaged | violations | not covered | coverage | cost drift | unmanaged capacity |")?;
    writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")?;
    writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} | {} | {}/h | {}/h |",
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
    )?;
    if !s.orchestrated.is_empty() {
        writeln!(out)?;
        for o in &s.orchestrated {
            writeln!(out, "- owned capacity: {}", owned_line(o))?;
        }
    }
    if report.findings.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", headline(report))?;
    } else {
        writeln!(out)?;
        writeln!(out, "| severity | kind | resource | what | $/h |")?;
        writeln!(out, "|---|---|---|---|---:|")?;
        for f in &report.findings {
            let cost = f.cost.as_ref().and_then(|c| c.delta_per_hour_usd).map(usd_delta).unwrap_or_default();
            writeln!(
                out,
                "| {} | {} | `{}` | {} | {} |",
                f.severity,
                f.kind,
                cell(resource_label(f)),
                cell(&f.message),
                cost
            )?;
        }
        writeln!(out)?;
        for f in &report.findings {
            writeln!(
                out,
                "<details><summary><b>{}</b> {} <code>{}</code></summary>",
                f.severity,
                f.kind,
                html(resource_label(f))
            )?;
            writeln!(out)?;
            let at = f.declared_at.as_ref().map(|a| format!(" · `{}:{}`", a.file, a.line)).unwrap_or_default();
            writeln!(out, "`{}` · {}{}", f.resource.id, f.resource.provider, at)?;
            writeln!(out)?;
            if let Some(changes) = &f.changes {
                writeln!(out, "| attribute | declared | live |")?;
                writeln!(out, "|---|---|---|")?;
                for c in changes {
                    writeln!(
                        out,
                        "| `{}` | `{}` | `{}` |",
                        cell(&c.path),
                        cell(&show_value(&c.declared)),
                        cell(&show_value(&c.live))
                    )?;
                }
                writeln!(out)?;
            }
            if let Some(cost) = &f.cost {
                writeln!(
                    out,
                    "Cost: {}/h declared, {}/h live{}.",
                    usd(cost.declared_per_hour_usd),
                    usd(cost.live_per_hour_usd),
                    cost.delta_per_hour_usd.map(|d| format!(" ({}/h)", usd_delta(d))).unwrap_or_default()
                )?;
                writeln!(out)?;
            }
            writeln!(out, "Fix: {}", f.remediation.summary)?;
            writeln!(out)?;
            writeln!(out, "```sh")?;
            for cmd in &f.remediation.commands {
                writeln!(out, "{cmd}")?;
            }
            writeln!(out, "```")?;
            if let Some(patch) = &f.remediation.patch {
                writeln!(out)?;
                writeln!(out, "```diff")?;
                write!(out, "{patch}")?;
                if !patch.ends_with('\n') {
                    writeln!(out)?;
                }
                writeln!(out, "```")?;
            }
            writeln!(out)?;
            writeln!(out, "</details>")?;
            writeln!(out)?;
        }
    }
    if !report.warnings.is_empty() {
        writeln!(out)?;
        writeln!(out, "**Warnings**")?;
        writeln!(out)?;
        for w in &report.warnings {
            let loc = w.location.as_ref().map(|l| format!("`{l}`: ")).unwrap_or_default();
            writeln!(out, "- {loc}{}", w.message)?;
        }
    }
    Ok(())
}

fn html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
