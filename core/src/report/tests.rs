//! Report-model tests. Golden output of every format over the demo fleet, through the
//! real binary, lives in `daemon/tests/golden.rs`.

use super::*;
use crate::model::{Change, Cost, FindingKind, FindingResource, Remediation};
use serde_json::json;

fn finding(kind: FindingKind, severity: Severity, address: Option<&str>, id: &str) -> Finding {
    Finding {
        changed_by: None,
        id: Finding::fingerprint(kind, Cloud::Aws, "aws_instance", id, None),
        kind,
        severity,
        resource: FindingResource {
            root_module: None,
            tf_type: "aws_instance".into(),
            id: id.into(),
            address: address.map(str::to_string),
            provider: Cloud::Aws,
            account: None,
            region: Some("us-east-1".into()),
            name: None,
            team: None,
            cost_allocation: Default::default(),
            tags: Default::default(),
        },
        changes: (kind == FindingKind::Changed)
            .then(|| vec![Change { path: "instance_type".into(), declared: json!("a"), live: json!("b") }]),
        policy: None,
        declared_at: None,
        cost: Some(Cost {
            declared_per_hour_usd: None,
            live_per_hour_usd: Some(1.0),
            delta_per_hour_usd: None,
            price: None,
        }),
        message: "m".into(),
        remediation: Remediation { summary: "s".into(), commands: vec![], patch: None },
    }
}

pub(crate) fn sample() -> Report {
    let mut findings = vec![
        finding(FindingKind::Unmanaged, Severity::High, None, "i-z"),
        finding(FindingKind::Changed, Severity::Low, Some("aws_instance.b"), "i-b"),
        finding(FindingKind::Missing, Severity::High, Some("aws_instance.a"), "i-a"),
        finding(FindingKind::Changed, Severity::High, Some("aws_instance.c"), "i-c"),
        finding(FindingKind::Changed, Severity::Critical, Some("aws_instance.d"), "i-d"),
    ];
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Report {
        schema: SCHEMA,
        generated_at: "2026-11-22T18:00:00Z".into(),
        duration_ms: 12,
        sources: Sources { declared: vec![], live: vec![] },
        summary: Summary {
            managed: 4,
            in_sync: 0,
            changed: 3,
            missing: 1,
            unmanaged: 1,
            violations: 0,
            not_covered: 0,
            coverage_pct: None,
            cost_delta_per_hour_usd: 0.0,
            unmanaged_cost_per_hour_usd: 1.0,
            idle_capacity_cost_per_hour_usd: 0.0,
            orchestrated: vec![],
            teams: vec![],
            cost_allocation: Default::default(),
        },
        findings,
        warnings: vec![],
        prices: crate::cost::PriceTable::builtin().source(),
        notes: vec![],
    }
}

#[test]
fn findings_sort_by_severity_kind_then_address() {
    let r = sample();
    let order: Vec<&str> = r.findings.iter().map(|f| f.resource.address.as_deref().unwrap_or(&f.resource.id)).collect();
    assert_eq!(order, ["aws_instance.d", "aws_instance.c", "aws_instance.a", "i-z", "aws_instance.b"]);
}

#[test]
fn json_fields_that_do_not_apply_are_null_not_missing() {
    let v = serde_json::to_value(sample()).unwrap();
    let unmanaged = v["findings"].as_array().unwrap().iter().find(|f| f["kind"] == "unmanaged").unwrap();
    for key in ["changes", "policy", "declared_at", "changed_by"] {
        assert!(unmanaged.as_object().unwrap().contains_key(key), "{key}");
        assert!(unmanaged[key].is_null(), "{key}");
    }
    assert!(unmanaged["resource"]["address"].is_null());
    assert!(unmanaged["cost"]["delta_per_hour_usd"].is_null());
    assert!(v["summary"]["coverage_pct"].is_null());
}

#[test]
fn json_report_validates_against_the_schema_in_docs() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../../docs/report.schema.json")).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let mut buf = Vec::new();
    sample()
        .render(
            format("json").unwrap(),
            &RenderOptions { color: false, fail_on: None, max_findings: None, source_root: None },
            &mut buf,
        )
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&buf).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // And the schema is not vacuous: a missing required field fails it.
    let mut broken = doc.clone();
    broken["findings"][0].as_object_mut().unwrap().remove("policy");
    assert!(!validator.is_valid(&broken));
    let mut broken = doc;
    broken["findings"][0]["severity"] = json!("urgent");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn every_format_renders_without_error_and_is_registered_once() {
    let mut names: Vec<&str> = FORMATS.iter().map(|f| f.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), FORMATS.len());
    for f in FORMATS {
        let mut buf = Vec::new();
        sample()
            .render(
                f,
                &RenderOptions { color: true, fail_on: Some(Severity::High), max_findings: None, source_root: None },
                &mut buf,
            )
            .unwrap();
        assert!(!buf.is_empty(), "{}", f.name);
    }
}

/// A change path of 70,000 characters (a very long tag key) renders in every format
/// (issue 21, item 2: the text report's alignment panicked at 65,536).
#[test]
fn a_very_long_change_path_renders_in_every_format() {
    let mut report = sample();
    let long = format!("tags.{}", "k".repeat(70_000));
    for f in report.findings.iter_mut().filter(|f| f.changes.is_some()) {
        f.changes = Some(vec![Change { path: long.clone(), declared: json!("a"), live: json!("b") }]);
    }
    for f in FORMATS {
        let mut buf = Vec::new();
        report
            .render(
                f,
                &RenderOptions { color: false, fail_on: None, max_findings: Some(0), source_root: None },
                &mut buf,
            )
            .unwrap();
        assert!(String::from_utf8_lossy(&buf).contains(&long), "{}", f.name);
    }
    // By default Markdown leaves out what would pass a comment's limit, and says so.
    let md = rendered(&report, "markdown", None);
    assert!(md.chars().count() <= markdown::COMMENT_LIMIT && md.contains("not listed here"), "{md:.3000}");
}

#[test]
fn colour_only_when_asked() {
    let mut plain = Vec::new();
    sample()
        .render(
            format("text").unwrap(),
            &RenderOptions { color: false, fail_on: None, max_findings: None, source_root: None },
            &mut plain,
        )
        .unwrap();
    assert!(!String::from_utf8(plain).unwrap().contains('\x1b'));
    let mut coloured = Vec::new();
    sample()
        .render(
            format("text").unwrap(),
            &RenderOptions { color: true, fail_on: None, max_findings: None, source_root: None },
            &mut coloured,
        )
        .unwrap();
    assert!(String::from_utf8(coloured).unwrap().contains("\x1b[31m"));
}

#[test]
fn junit_failures_follow_fail_on() {
    let mut buf = Vec::new();
    sample()
        .render(
            format("junit").unwrap(),
            &RenderOptions { color: false, fail_on: Some(Severity::High), max_findings: None, source_root: None },
            &mut buf,
        )
        .unwrap();
    let xml = String::from_utf8(buf).unwrap();
    assert_eq!(xml.matches("<failure ").count(), 4, "{xml}");
    assert!(xml.contains(r#"<testsuites name="driftd" tests="6" failures="4""#), "{xml}");
    assert!(xml.contains("below --fail-on: low changed"), "{xml}");
}

#[test]
fn sarif_results_index_their_rules() {
    let mut buf = Vec::new();
    sample()
        .render(
            format("sarif").unwrap(),
            &RenderOptions { color: false, fail_on: None, max_findings: None, source_root: None },
            &mut buf,
        )
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for r in run["results"].as_array().unwrap() {
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"]);
        assert!(r["partialFingerprints"]["driftdFindingId/v1"].is_string());
    }
}

/// 3,000 findings, a few of them critical: the sample's summary with that many more.
fn large(n: usize) -> Report {
    let mut report = sample();
    report.findings = (0..n)
        .map(|i| {
            let severity = if i % 1000 == 7 { Severity::Critical } else { Severity::Medium };
            let mut f =
                finding(FindingKind::Changed, severity, Some(&format!("aws_instance.gpu[{i}]")), &format!("i-{i:06}"));
            f.remediation.commands = vec![format!("terraform apply -target='aws_instance.gpu[{i}]'")];
            f
        })
        .collect();
    report.findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    report
}

fn rendered(report: &Report, name: &str, max_findings: Option<usize>) -> String {
    let mut buf = Vec::new();
    let opts = RenderOptions { color: false, fail_on: Some(Severity::High), max_findings, source_root: None };
    report.render(format(name).unwrap(), &opts, &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

#[test]
fn a_large_markdown_report_fits_a_github_comment_summary_first() {
    let report = large(3000);
    let md = rendered(&report, "markdown", None);
    assert!(md.chars().count() <= markdown::COMMENT_LIMIT, "{} characters", md.chars().count());
    // Summary, then counts per kind and type, then the findings, most severe first.
    let summary = md.find("| managed | in sync |").unwrap();
    let groups = md.find("| changed | `aws_instance` | 3000 | 3 critical, 2997 medium |").expect("group row");
    let first = md.find("<details>").unwrap();
    assert!(summary < groups && groups < first);
    assert!(md[first..].starts_with("<details><summary><b>critical</b>"), "{}", &md[first..first + 80]);
    let listed = md.matches("<details>").count();
    assert!(listed > 50, "lists what fits: {listed}");
    let more = format!("{} more findings are not listed here ({listed} of 3000 shown", 3000 - listed);
    assert!(md.contains(&more), "no {more:?} line");
    // Asked for all: all, whatever the length.
    assert_eq!(rendered(&report, "markdown", Some(0)).matches("<details>").count(), 3000);
    assert_eq!(rendered(&report, "markdown", Some(5)).matches("<details>").count(), 5);
}

#[test]
fn a_large_text_report_puts_the_summary_first_and_lists_200() {
    let report = large(3000);
    let text = rendered(&report, "text", None);
    let summary = text.find("Summary").unwrap();
    let groups = text.find("By kind and type").unwrap();
    let first = text.find("CRITICAL").unwrap();
    assert!(summary < groups && groups < first);
    assert!(text.contains("changed   aws_instance"), "{text:.2000}");
    assert_eq!(text.matches("\nMEDIUM   changed").count() + text.matches("\nCRITICAL changed").count(), 200);
    assert!(text.contains("2800 more findings are not listed here (200 of 3000 shown"), "no more line");
    // The verdict stays the last line, for CI logs read from the bottom.
    assert_eq!(text.lines().last().unwrap(), "3 findings at or above high: failing.");
    let all = rendered(&report, "text", Some(0));
    assert_eq!(all.matches("\nMEDIUM   changed").count() + all.matches("\nCRITICAL changed").count(), 3000);
    assert!(!all.contains("more findings are not listed"));
}

/// Who made a change: a finding with `changed_by` says so in every format (the JSON one
/// valid against the schema, which refuses an unknown cause), and one without it has
/// `changed_by: null` (the contract: fields that do not apply are null, never missing).
#[test]
fn who_made_a_change_is_shown_in_every_format() {
    let mut report = sample();
    report.findings[0].changed_by = Some(crate::model::ChangedBy {
        principal: "arn:aws:sts::123456789012:assumed-role/Admin/ana@example.com".into(),
        principal_type: "AssumedRole".into(),
        display_name: Some("ana@example.com".into()),
        source_ip: Some("198.51.100.7".into()),
        user_agent: Some("signin.amazonaws.com".into()),
        event_time: "2026-12-05T06:00:00Z".into(),
        event_id: "e-42".into(),
        event_name: "ModifyInstanceAttribute".into(),
        invoked_by: None,
        cause: crate::model::Cause::Manual,
    });
    let line = "ana@example.com (manual, ModifyInstanceAttribute at 2026-12-05T06:00:00Z)";
    for name in ["text", "markdown", "junit"] {
        let out = rendered(&report, name, None);
        assert!(out.contains(line), "{name}: {out}");
    }
    let sarif: serde_json::Value = serde_json::from_str(&rendered(&report, "sarif", None)).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results[0]["properties"]["changedBy"]["event_id"], "e-42");
    assert!(results[1]["properties"].get("changedBy").is_none());
    let json: serde_json::Value = serde_json::from_str(&rendered(&report, "json", None)).unwrap();
    assert_eq!(json["findings"][0]["changed_by"]["cause"], "manual");
    assert_eq!(json["findings"][1].get("changed_by"), Some(&serde_json::Value::Null), "null, never missing");
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../../docs/report.schema.json")).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(&json).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let mut broken = json;
    broken["findings"][0]["changed_by"]["cause"] = json!("magic");
    assert!(!validator.is_valid(&broken));
}
