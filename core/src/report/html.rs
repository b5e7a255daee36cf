//! `--format html`: one self-contained page for CI artifacts and e-mail. Inline CSS and
//! SVG, no script (the page's own Content-Security-Policy forbids any), light and dark
//! schemes. The summary and its totals (`data-total` attributes, which tests read), costs
//! per team as a bar chart, then the findings grouped by kind and type, most severe
//! groups first; the first `--max-findings` (default 50) are open, the rest folded away
//! in `<details>`, so a report of thousands stays usable.

use super::{
    groups, headline, owned_line, resource_label, severity_counts, show_value, team_line, usd, usd_delta,
    RenderOptions, Report,
};
use crate::model::Finding;
use std::io::{self, Write};

/// Findings shown open by default; the rest are folded.
const FIRST_PAGE: usize = 50;

/// The page style, shared with the daemon's dashboard.
pub const STYLE: &str = "
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #ffffff; --muted: #59636e; --line: #d1d9e0; --card: #f6f8fa;
  --critical: #8b0000; --high: #cf222e; --medium: #9a6700; --low: #57606a; --bar: #0969da; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --line: #3d444d;
  --card: #151b23; --critical: #ff7b72; --high: #f85149; --medium: #d29922; --low: #9198a1; --bar: #4493f8; } }
body { font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', sans-serif; color: var(--fg); background: var(--bg);
  margin: 0 auto; max-width: 72rem; padding: 1rem; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 2rem; } h3 { font-size: 1rem; margin: 0; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; } th, td { text-align: left; padding: .25rem .5rem;
  border-bottom: 1px solid var(--line); vertical-align: top; } td.num, th.num { text-align: right; }
.muted { color: var(--muted); } code, pre { font: 13px/1.4 ui-monospace, 'SFMono-Regular', Menlo, monospace; }
pre { background: var(--card); padding: .5rem; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
article { border: 1px solid var(--line); border-left-width: 4px; border-radius: 6px; padding: .5rem .75rem; margin: .75rem 0; }
.sev { font-weight: 600; text-transform: uppercase; font-size: 12px; }
.critical { border-left-color: var(--critical); } .critical .sev { color: var(--critical); }
.high { border-left-color: var(--high); } .high .sev { color: var(--high); }
.medium { border-left-color: var(--medium); } .medium .sev { color: var(--medium); }
.low { border-left-color: var(--low); } .low .sev { color: var(--low); }
details > summary { cursor: pointer; } svg text { fill: var(--fg); font: 12px system-ui, sans-serif; }
svg rect { fill: var(--bar); } a { color: var(--bar); } h1, p, li { overflow-wrap: anywhere; }
@media (max-width: 40rem) { table { display: block; overflow-x: auto; } body { padding: .5rem; } }
";

/// Text as HTML (element content and attribute values alike).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A money cell with its number for machines (`data-total`).
fn total(name: &str, value: f64, shown: String) -> String {
    format!("<td class=\"num\" data-total=\"{name}\" data-value=\"{value:.2}\">{}</td>", esc(&shown))
}

fn count(name: &str, n: usize) -> String {
    format!("<td class=\"num\" data-total=\"{name}\" data-value=\"{n}\">{n}</td>")
}

pub fn render(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    let n = report.findings.len();
    writeln!(out, "<!DOCTYPE html>")?;
    writeln!(out, "<html lang=\"en\"><head><meta charset=\"utf-8\">")?;
    writeln!(out, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")?;
    // Nothing runs and nothing is fetched: the page is read as it is.
    writeln!(
        out,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
    )?;
    writeln!(out, "<title>driftd: {n} finding{}</title>", if n == 1 { "" } else { "s" })?;
    writeln!(out, "<style>{STYLE}</style></head><body><main>")?;
    writeln!(out, "<h1>{}</h1>", esc(&headline(report)))?;
    writeln!(
        out,
        "<p class=\"muted\">driftd report <time datetime=\"{0}\">{0}</time> · {1}</p>",
        esc(&report.generated_at),
        esc(super::SCHEMA)
    )?;

    writeln!(out, "<section aria-labelledby=\"summary\"><h2 id=\"summary\">Summary</h2>")?;
    writeln!(out, "<table><thead><tr><th>findings</th><th class=\"num\">managed</th><th class=\"num\">in sync</th><th class=\"num\">changed</th><th class=\"num\">missing</th><th class=\"num\">unmanaged</th><th class=\"num\">violations</th><th class=\"num\">not covered</th><th class=\"num\">coverage</th></tr></thead><tbody><tr>")?;
    writeln!(out, "{}", count("findings", n))?;
    for (name, v) in [
        ("managed", s.managed),
        ("in_sync", s.in_sync),
        ("changed", s.changed),
        ("missing", s.missing),
        ("unmanaged", s.unmanaged),
        ("violations", s.violations),
        ("not_covered", s.not_covered),
    ] {
        writeln!(out, "{}", count(name, v))?;
    }
    let coverage = s.coverage_pct.map(|c| format!("{c:.2}%")).unwrap_or_else(|| "n/a".into());
    writeln!(out, "<td class=\"num\">{coverage}</td></tr></tbody></table>")?;
    writeln!(out, "<table><thead><tr><th class=\"num\">cost drift</th><th class=\"num\">unmanaged capacity</th><th class=\"num\">idle capacity</th></tr></thead><tbody><tr>")?;
    writeln!(
        out,
        "{}{}{}</tr></tbody></table>",
        total(
            "cost_delta_per_hour_usd",
            s.cost_delta_per_hour_usd,
            format!("{}/h", usd_delta(s.cost_delta_per_hour_usd))
        ),
        total(
            "unmanaged_cost_per_hour_usd",
            s.unmanaged_cost_per_hour_usd,
            format!("{}/h", usd(Some(s.unmanaged_cost_per_hour_usd)))
        ),
        total(
            "idle_capacity_cost_per_hour_usd",
            s.idle_capacity_cost_per_hour_usd,
            format!("{}/h", usd(Some(s.idle_capacity_cost_per_hour_usd)))
        ),
    )?;
    writeln!(out, "<p class=\"muted\">Costs: {}.</p>", esc(&report.prices.line()))?;
    if !s.orchestrated.is_empty() {
        writeln!(out, "<ul>")?;
        for o in &s.orchestrated {
            let team = o.team.as_deref().map(|t| format!(" (team {t})")).unwrap_or_default();
            writeln!(out, "<li>owned capacity: {}{}</li>", esc(&owned_line(o)), esc(&team))?;
        }
        writeln!(out, "</ul>")?;
    }
    writeln!(out, "</section>")?;

    if !s.teams.is_empty() {
        write_teams(report, out)?;
    }
    write_findings(report, opts, out)?;

    if !report.warnings.is_empty() {
        writeln!(out, "<section aria-labelledby=\"warnings\"><h2 id=\"warnings\">Warnings</h2><ul>")?;
        for w in &report.warnings {
            let at = w.location.as_ref().map(|l| format!("<code>{}</code>: ", esc(l))).unwrap_or_default();
            writeln!(out, "<li>{at}{}</li>", esc(&w.message))?;
        }
        writeln!(out, "</ul></section>")?;
    }
    writeln!(out, "</main></body></html>")
}

/// Costs per team: a table, and the same as horizontal bars (SVG, drawn here).
fn write_teams(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let teams = &report.summary.teams;
    writeln!(out, "<section aria-labelledby=\"teams\"><h2 id=\"teams\">Cost per team</h2>")?;
    let spend = crate::allocation::TeamCost::capacity_per_hour_usd;
    let widest = teams.iter().map(spend).fold(0.0_f64, f64::max);
    let (row, label, bar) = (24, 160.0, 480.0);
    writeln!(
        out,
        "<svg role=\"img\" aria-label=\"Unmanaged, orchestrated and idle capacity per team, per hour\" width=\"100%\" viewBox=\"0 0 {} {}\">",
        label + bar + 100.0,
        row * teams.len()
    )?;
    for (i, t) in teams.iter().enumerate() {
        let y = i * row;
        let w = if widest > 0.0 { bar * spend(t) / widest } else { 0.0 };
        writeln!(
            out,
            "<text x=\"0\" y=\"{}\">{}</text><rect x=\"{label}\" y=\"{}\" width=\"{w:.1}\" height=\"{}\" data-team=\"{}\" data-value=\"{:.2}\"/><text x=\"{:.1}\" y=\"{}\">{}/h</text>",
            y + 16,
            esc(&crate::error::cut(&t.name, 24)),
            y + 4,
            row - 8,
            esc(&t.name),
            spend(t),
            label + w + 6.0,
            y + 16,
            esc(&usd(Some(spend(t))))
        )?;
    }
    writeln!(out, "</svg>")?;
    writeln!(out, "<table><thead><tr><th>team</th><th class=\"num\">findings</th><th class=\"num\">cost drift</th><th class=\"num\">unmanaged</th><th class=\"num\">orchestrated</th><th class=\"num\">idle capacity</th></tr></thead><tbody>")?;
    for t in teams {
        writeln!(
            out,
            "<tr data-team=\"{}\" title=\"{}\"><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}/h</td><td class=\"num\">{}/h</td><td class=\"num\">{}/h</td><td class=\"num\">{}/h</td></tr>",
            esc(&t.name),
            esc(&team_line(t)),
            esc(&t.name),
            t.findings,
            esc(&usd_delta(t.drift_cost_per_hour_usd)),
            esc(&usd(Some(t.unmanaged_cost_per_hour_usd))),
            esc(&usd(Some(t.orchestrated_cost_per_hour_usd))),
            esc(&usd(Some(t.idle_capacity_cost_per_hour_usd)))
        )?;
    }
    writeln!(out, "</tbody></table></section>")
}

/// The findings by kind and type (most severe groups first); the first page open.
fn write_findings(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "<section aria-labelledby=\"findings\"><h2 id=\"findings\">Findings</h2>")?;
    if report.findings.is_empty() {
        writeln!(out, "<p>{}</p></section>", esc(&headline(report)))?;
        return Ok(());
    }
    let first_page = match opts.max_findings {
        Some(0) => usize::MAX,
        Some(n) => n,
        None => FIRST_PAGE,
    };
    let mut shown = 0;
    for g in groups(report) {
        let members: Vec<&Finding> =
            report.findings.iter().filter(|f| f.kind == g.kind && f.resource.tf_type == g.tf_type).collect();
        let cost = g.cost_note();
        writeln!(
            out,
            "<h3>{} <code>{}</code> — {} ({}){}</h3>",
            g.kind,
            esc(g.tf_type),
            g.total,
            severity_counts(&g.by_severity),
            esc(&cost)
        )?;
        let open = first_page.saturating_sub(shown).min(members.len());
        for f in &members[..open] {
            write_finding(f, false, out)?;
        }
        shown += open;
        if open < members.len() {
            let rest = members.len() - open;
            writeln!(
                out,
                "<details class=\"more\"><summary>{rest} more {} {} finding{}</summary>",
                g.kind,
                esc(g.tf_type),
                if rest == 1 { "" } else { "s" }
            )?;
            for f in &members[open..] {
                write_finding(f, true, out)?;
            }
            writeln!(out, "</details>")?;
        }
    }
    writeln!(out, "</section>")
}

/// One finding; `folded`: it is past the first page, inside a `<details>`.
fn write_finding(f: &Finding, folded: bool, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "<article class=\"finding {}\" id=\"{}\" data-kind=\"{}\" data-folded=\"{folded}\"><p><span class=\"sev\">{}</span> {} <code>{}</code>{}</p>",
        f.severity,
        esc(&f.id),
        f.kind,
        f.severity,
        f.kind,
        esc(resource_label(f)),
        f.resource.name.as_deref().map(|n| format!(" ({})", esc(n))).unwrap_or_default()
    )?;
    let mut place = vec![format!("<code>{}</code>", esc(&f.resource.id)), f.resource.provider.to_string()];
    place.extend(f.resource.account.iter().map(|a| esc(a)));
    place.extend(f.resource.region.iter().map(|r| esc(r)));
    if let Some(at) = &f.declared_at {
        place.push(format!("<code>{}:{}</code>", esc(&at.file), at.line));
    }
    if let Some(team) = &f.resource.team {
        place.push(format!("team {}", esc(team)));
    }
    writeln!(out, "<p class=\"muted\">{}</p>", place.join(" · "))?;
    writeln!(out, "<p>{}</p>", esc(&f.message))?;
    if let Some(by) = &f.changed_by {
        writeln!(out, "<p>Changed by {}</p>", esc(&by.line()))?;
    }
    if let Some(changes) = f.changes.as_ref().filter(|c| !c.is_empty()) {
        writeln!(out, "<table><thead><tr><th>attribute</th><th>declared</th><th>live</th></tr></thead><tbody>")?;
        for c in changes {
            writeln!(
                out,
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                esc(&c.path),
                esc(&show_value(&c.declared)),
                esc(&show_value(&c.live))
            )?;
        }
        writeln!(out, "</tbody></table>")?;
    }
    if let Some(cost) = &f.cost {
        let price = cost.price.as_ref().map(|b| format!(" · price: {}", b.line())).unwrap_or_default();
        writeln!(
            out,
            "<p>Cost: {}/h declared, {}/h live{}{}</p>",
            esc(&usd(cost.declared_per_hour_usd)),
            esc(&usd(cost.live_per_hour_usd)),
            esc(&cost.delta_per_hour_usd.map(|d| format!(" ({}/h)", usd_delta(d))).unwrap_or_default()),
            esc(&price)
        )?;
    }
    writeln!(out, "<p>Fix: {}</p>", esc(&f.remediation.summary))?;
    if !f.remediation.commands.is_empty() {
        let cmds: Vec<String> = f.remediation.commands.iter().map(|c| format!("$ {}", esc(c))).collect();
        writeln!(out, "<pre>{}</pre>", cmds.join("\n"))?;
    }
    if let Some(patch) = &f.remediation.patch {
        writeln!(out, "<details><summary>patch</summary><pre>{}</pre></details>", esc(patch))?;
    }
    writeln!(out, "</article>")
}
