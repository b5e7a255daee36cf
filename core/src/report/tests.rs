//! Report-model tests. Golden output of every format over the demo fleet, through the
//! real binary, lives in `daemon/tests/golden.rs`.

use super::*;
use crate::model::{Change, Cost, FindingKind, FindingResource, Remediation};
use serde_json::json;

fn finding(kind: FindingKind, severity: Severity, address: Option<&str>, id: &str) -> Finding {
    Finding {
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
            tags: Default::default(),
        },
        changes: (kind == FindingKind::Changed)
            .then(|| vec![Change { path: "instance_type".into(), declared: json!("a"), live: json!("b") }]),
        policy: None,
        declared_at: None,
        cost: Some(Cost { declared_per_hour_usd: None, live_per_hour_usd: Some(1.0), delta_per_hour_usd: None }),
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
            orchestrated: vec![],
        },
        findings,
        warnings: vec![],
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
    for key in ["changes", "policy", "declared_at"] {
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
    sample().render(format("json").unwrap(), &RenderOptions { color: false, fail_on: None }, &mut buf).unwrap();
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
        sample().render(f, &RenderOptions { color: true, fail_on: Some(Severity::High) }, &mut buf).unwrap();
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
        report.render(f, &RenderOptions { color: false, fail_on: None }, &mut buf).unwrap();
        assert!(String::from_utf8_lossy(&buf).contains(&long), "{}", f.name);
    }
}

#[test]
fn colour_only_when_asked() {
    let mut plain = Vec::new();
    sample().render(format("text").unwrap(), &RenderOptions { color: false, fail_on: None }, &mut plain).unwrap();
    assert!(!String::from_utf8(plain).unwrap().contains('\x1b'));
    let mut coloured = Vec::new();
    sample().render(format("text").unwrap(), &RenderOptions { color: true, fail_on: None }, &mut coloured).unwrap();
    assert!(String::from_utf8(coloured).unwrap().contains("\x1b[31m"));
}

#[test]
fn junit_failures_follow_fail_on() {
    let mut buf = Vec::new();
    sample()
        .render(format("junit").unwrap(), &RenderOptions { color: false, fail_on: Some(Severity::High) }, &mut buf)
        .unwrap();
    let xml = String::from_utf8(buf).unwrap();
    assert_eq!(xml.matches("<failure ").count(), 4, "{xml}");
    assert!(xml.contains(r#"<testsuites name="driftd" tests="6" failures="4""#), "{xml}");
    assert!(xml.contains("below --fail-on: low changed"), "{xml}");
}

#[test]
fn sarif_results_index_their_rules() {
    let mut buf = Vec::new();
    sample().render(format("sarif").unwrap(), &RenderOptions { color: false, fail_on: None }, &mut buf).unwrap();
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
