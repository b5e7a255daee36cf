//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning. One rule per finding kind
//! (and per policy), one result per finding; the location is the `.tf` block when
//! `--tf` was given, and always a logical location naming the resource address.
//! `partialFingerprints` carries the finding id so code scanning follows it across runs.

use super::{resource_label, show_value, RenderOptions, Report};
use crate::model::{Finding, FindingKind, Severity};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{self, Write};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub ranks code-scanning alerts by this CVSS-like number.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "2.0",
    }
}

fn kind_rule(kind: FindingKind) -> (String, &'static str, &'static str) {
    match kind {
        FindingKind::Changed => (
            "drift/changed".into(),
            "Managed resource changed outside Terraform",
            "Live attributes differ from what Terraform declares. Revert with `terraform apply -target`, or accept the live value in code.",
        ),
        FindingKind::Missing => (
            "drift/missing".into(),
            "Declared resource no longer exists",
            "Terraform declares a resource that is gone live. Recreate it with `terraform apply`, or remove it from state.",
        ),
        FindingKind::Unmanaged => (
            "drift/unmanaged".into(),
            "Live resource in no Terraform state",
            "A resource of a covered type exists live but no state declares it (click-ops or shadow capacity). Import it or shut it down.",
        ),
        FindingKind::Violation => ("policy".into(), "Policy violation", "A policy rule failed."),
    }
}

/// `GPU instances require IMDSv2` -> `GpuInstancesRequireImdsv2`: SARIF's `name` is an
/// identifier for people, in PascalCase.
fn rule_name(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let lower = w.to_ascii_lowercase();
            let mut chars = lower.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect()
}

/// Where a `.tf` file is, as SARIF wants it: relative to `SRCROOT` (the checkout) with
/// `/` separators and percent-encoding; a file outside it as an absolute `file://` URI.
fn artifact(file: &str, root: Option<&std::path::Path>) -> Value {
    let path = std::path::Path::new(file);
    let relative = match (path.is_absolute(), root) {
        (false, _) => Some(path.to_path_buf()),
        (true, Some(root)) => path.strip_prefix(root).ok().map(std::path::Path::to_path_buf),
        (true, None) => None,
    };
    match relative {
        Some(rel) => {
            let parts: Vec<String> = rel
                .components()
                .filter(|c| !matches!(c, std::path::Component::CurDir))
                .map(|c| encode(&c.as_os_str().to_string_lossy()))
                .collect();
            json!({"uri": parts.join("/"), "uriBaseId": "SRCROOT"})
        }
        None => {
            let parts: Vec<String> =
                path.components().skip(1).map(|c| encode(&c.as_os_str().to_string_lossy())).collect();
            json!({"uri": format!("file:///{}", parts.join("/"))})
        }
    }
}

/// One path segment percent-encoded (RFC 3986: unreserved characters stay).
fn encode(segment: &str) -> String {
    let mut out = String::new();
    for b in segment.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn rule_id(f: &Finding) -> String {
    match (&f.policy, f.kind) {
        (Some(p), _) => p.id.clone(),
        (None, kind) => kind_rule(kind).0,
    }
}

fn message(f: &Finding) -> String {
    let mut text = format!("{} {}: {}", f.resource.tf_type, resource_label(f), f.message);
    if let Some(changes) = &f.changes {
        let parts: Vec<String> = changes
            .iter()
            .map(|c| format!("{}: {} -> {}", c.path, show_value(&c.declared), show_value(&c.live)))
            .collect();
        text.push_str(&format!(" ({})", parts.join("; ")));
    }
    if let Some(d) = f.cost.as_ref().and_then(|c| c.delta_per_hour_usd) {
        text.push_str(&format!(". Cost delta: {d:+.2} USD/h"));
        if let Some(b) = f.cost.as_ref().and_then(|c| c.price.as_ref()) {
            text.push_str(&format!(" (price: {})", b.line()));
        }
    }
    text.push_str(&format!(". Fix: {}", f.remediation.summary));
    text
}

pub fn render(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    // Rules: the kinds in use, then policies, in a stable order; results index into them.
    let mut rules: BTreeMap<String, Value> = BTreeMap::new();
    for f in &report.findings {
        let id = rule_id(f);
        rules.entry(id.clone()).or_insert_with(|| {
            let (short, full) = match &f.policy {
                Some(p) => (p.title.clone(), p.title.clone()),
                None => {
                    let (_, s, l) = kind_rule(f.kind);
                    (s.to_string(), l.to_string())
                }
            };
            json!({
                "id": id,
                // A readable identifier, never the id itself (SARIF1001).
                "name": rule_name(&short),
                "shortDescription": {"text": short},
                "fullDescription": {"text": full},
                "help": {"text": full},
                "defaultConfiguration": {"level": level(f.severity)},
                "properties": {"tags": ["drift", "terraform", "gpu"]},
            })
        });
    }
    let index: BTreeMap<&String, usize> = rules.keys().enumerate().map(|(i, k)| (k, i)).collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let id = rule_id(f);
            let mut location = json!({
                "logicalLocations": [{
                    "fullyQualifiedName": resource_label(f),
                    "name": f.resource.id,
                    "kind": "resource",
                }]
            });
            if let Some(at) = &f.declared_at {
                location["physicalLocation"] = json!({
                    "artifactLocation": artifact(&at.file, opts.source_root.as_deref()),
                    "region": region(at),
                });
            }
            let mut result = json!({
                "ruleId": id,
                "ruleIndex": index[&id],
                "level": level(f.severity),
                "message": {"text": message(f)},
                "locations": [location],
                "partialFingerprints": {"driftdFindingId/v1": f.id},
                "properties": {
                    "kind": f.kind,
                    "severity": f.severity,
                    "security-severity": security_severity(f.severity),
                    "resourceType": f.resource.tf_type,
                    "resourceId": f.resource.id,
                    "cost": f.cost,
                    "commands": f.remediation.commands,
                },
            });
            if let Some(by) = &f.changed_by {
                result["properties"]["changedBy"] = json!(by);
            }
            result
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "driftd",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://example.invalid/driftd",
                "rules": rules.into_values().collect::<Vec<_>>(),
            }},
            "results": results,
            "properties": {"summary": report.summary, "prices": report.prices},
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    writeln!(out)
}

/// A block's region: its first line and column and its last line, where known.
fn region(at: &crate::model::SourceLoc) -> Value {
    let mut r = json!({"startLine": at.line});
    if let Some(c) = at.column {
        r["startColumn"] = json!(c);
    }
    if let Some(end) = at.end_line {
        r["endLine"] = json!(end);
    }
    r
}
