//! `--format junit`: JUnit XML for CI test tabs. One suite per finding kind, one test
//! case per finding; a finding below `--fail-on` is a passing case with its details in
//! `system-out`, so the test tab agrees with the exit code. A summary case always runs,
//! so a clean scan shows one passing test rather than none.

use super::{resource_label, show_value, usd, RenderOptions, Report};
use crate::model::FindingKind;
use std::io::{self, Write};

/// XML attribute and text escaping; control characters XML 1.0 forbids are dropped.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

pub fn render(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let total = report.findings.len() + 1;
    let failures = report.failing(opts.fail_on);
    let secs = report.duration_ms as f64 / 1000.0;
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(out, r#"<testsuites name="driftd" tests="{total}" failures="{failures}" errors="0" time="{secs:.3}">"#)?;
    let s = &report.summary;
    writeln!(
        out,
        r#"  <testsuite name="driftd.summary" tests="1" failures="0" errors="0" skipped="0" timestamp="{}">"#,
        esc(&report.generated_at)
    )?;
    writeln!(out, "    <properties>")?;
    writeln!(out, r#"      <property name="prices" value="{}"/>"#, esc(&report.prices.line()))?;
    writeln!(out, "    </properties>")?;
    writeln!(out, r#"    <testcase classname="driftd" name="scan" time="{secs:.3}">"#)?;
    writeln!(
        out,
        "      <system-out>managed {} in_sync {} changed {} missing {} unmanaged {} violations {} not_covered {} coverage_pct {} cost_delta_per_hour_usd {:.2}</system-out>",
        s.managed,
        s.in_sync,
        s.changed,
        s.missing,
        s.unmanaged,
        s.violations,
        s.not_covered,
        s.coverage_pct.map(|c| format!("{c:.2}")).unwrap_or_else(|| "n/a".into()),
        s.cost_delta_per_hour_usd
    )?;
    writeln!(out, "    </testcase>")?;
    writeln!(out, "  </testsuite>")?;
    for kind in [FindingKind::Changed, FindingKind::Missing, FindingKind::Unmanaged, FindingKind::Violation] {
        let findings: Vec<_> = report.findings.iter().filter(|f| f.kind == kind).collect();
        if findings.is_empty() {
            continue;
        }
        let failing = findings.iter().filter(|f| opts.fails(f.severity)).count();
        writeln!(
            out,
            r#"  <testsuite name="driftd.{kind}" tests="{}" failures="{failing}" errors="0" skipped="0">"#,
            findings.len()
        )?;
        for f in findings {
            let name = match &f.policy {
                Some(p) => format!("{} {}", p.id, resource_label(f)),
                None => resource_label(f).to_string(),
            };
            writeln!(out, r#"    <testcase classname="{}" name="{}">"#, esc(&f.resource.tf_type), esc(&name))?;
            let mut body = format!("{} ({})\n", f.message, f.resource.id);
            if let Some(by) = &f.changed_by {
                body.push_str(&format!("changed by {}\n", by.line()));
            }
            for c in f.changes.iter().flatten() {
                body.push_str(&format!("{}: {} -> {}\n", c.path, show_value(&c.declared), show_value(&c.live)));
            }
            if let Some(cost) = &f.cost {
                body.push_str(&format!(
                    "cost: {}/h declared, {}/h live",
                    usd(cost.declared_per_hour_usd),
                    usd(cost.live_per_hour_usd)
                ));
                if let Some(b) = &cost.price {
                    body.push_str(&format!(" (price: {})", b.line()));
                }
                body.push('\n');
            }
            body.push_str(&format!("fix: {}\n", f.remediation.summary));
            for cmd in &f.remediation.commands {
                body.push_str(&format!("$ {cmd}\n"));
            }
            if opts.fails(f.severity) {
                writeln!(
                    out,
                    r#"      <failure type="{}/{}" message="{}">{}</failure>"#,
                    f.kind,
                    f.severity,
                    esc(&f.message),
                    esc(&body)
                )?;
            } else {
                writeln!(
                    out,
                    "      <system-out>below --fail-on: {} {}\n{}</system-out>",
                    f.severity,
                    f.kind,
                    esc(&body)
                )?;
            }
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}
