use super::*;
use driftd_core::policy::PolicyEngine;
use serde_json::json;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(2);

#[test]
fn builtin_pack_tests_all_pass() {
    let results = run_tests(&builtin_sources(true), &json!({}), LIMIT).unwrap();
    let failed: Vec<String> =
        results.iter().filter(|r| !r.passed).map(|r| format!("{} ({}): {:?}", r.name, r.file, r.detail)).collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(results.len() >= 40, "only {} tests ran", results.len());
}

#[test]
fn builtin_pack_has_ten_policies_with_unique_ids_and_metadata() {
    let engine = RegoEngine::load(&builtin_sources(false), &json!({}), LIMIT).unwrap();
    let mut ids: Vec<&str> = engine.policies().iter().map(|p| p.id.as_str()).collect();
    ids.sort();
    assert_eq!(
        ids,
        ["GPU001", "GPU002", "GPU003", "GPU004", "GPU005", "GPU006", "GPU007", "GPU008", "GPU009", "GPU010"]
    );
    for p in engine.policies() {
        assert!(p.title != p.id && p.description.is_some() && p.remediation.is_some(), "{p:?}");
    }
    // Every policy has a test file beside it.
    for p in engine.policies() {
        let test = p.file.replace(".rego", "_test.rego");
        assert!(BUILTIN_TESTS.iter().any(|(path, _)| *path == test), "{} has no tests", p.file);
    }
}

#[test]
fn evaluates_resource_and_fleet_policies() {
    let mut engine = RegoEngine::load(&builtin_sources(false), &json!({}), LIMIT).unwrap();
    let node = json!({"type": "aws_instance", "id": "i-1", "name": "n", "provider": "aws", "side": "live",
        "gpu": {"count": 8, "family": "p5"},
        "attributes": {"instance_type": "p5.48xlarge", "tags": {"team": "ml"}, "public_ip": "54.1.1.1",
                       "metadata_options": [{"http_tokens": "optional"}], "vpc_security_group_ids": ["sg-1"]}});
    let mut ids: Vec<String> = engine.evaluate(&node).into_iter().map(|v| v.policy_id).collect();
    ids.sort();
    assert_eq!(ids, ["GPU001", "GPU002", "GPU003"]);
    assert!(engine.has_fleet_policies());
    let sg = json!({"type": "aws_security_group", "id": "sg-1", "name": "open", "provider": "aws",
        "attributes": {"ingress": [{"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0"]}]}});
    let fleet = json!({"side": "live", "resources": [node, sg]});
    let v = engine.evaluate_fleet(&fleet);
    assert_eq!(v.len(), 1);
    assert_eq!((v[0].policy_id.as_str(), v[0].severity), ("GPU006", driftd_core::model::Severity::Critical));
    assert_eq!(v[0].resource, Some(("aws_security_group".into(), "sg-1".into())));
}

#[test]
fn syntax_errors_name_file_line_and_column() {
    let src =
        Source { path: "team/bad.rego".into(), text: "package x\n\ndeny contains msg if {\n  input.a ==\n}\n".into() };
    let err = RegoEngine::load(&[src], &json!({}), LIMIT).err().unwrap();
    assert_eq!(err.location, "team/bad.rego:5:1");
    assert!(err.message.starts_with("Rego error: "), "{err}");
    assert_eq!(err.kind, driftd_core::ErrorKind::Input);
}

#[test]
fn runtime_error_is_a_finding_for_that_policy_and_the_rest_still_run() {
    let bad = Source {
        path: "bad.rego".into(),
        text: "# METADATA\n# title: breaks\n# custom:\n#   id: X001\n#   severity: low\npackage x\n\ndeny contains msg if {\n  msg := sprintf(\"%d\", [to_number(input.id)])\n}\n".into(),
    };
    let good = Source { path: "good.rego".into(), text: "package y\n\ndeny contains \"always\" if { true }\n".into() };
    let mut engine = RegoEngine::load(&[bad, good], &json!({}), LIMIT).unwrap();
    let v = engine.evaluate(&json!({"type": "t", "id": "not-a-number"}));
    assert_eq!(v.len(), 2, "{v:?}");
    assert!(v[0].message.starts_with("policy X001 could not be evaluated"), "{v:?}");
    assert_eq!(v[1].policy_id, "y", "a policy without METADATA is named by its package");
}

#[test]
fn every_evaluation_has_a_time_limit() {
    let slow = Source {
        path: "slow.rego".into(),
        // Interpreted work is interruptible; one huge builtin call (numbers.range(1, 1e9))
        // is not, a regorus limit documented in docs/policies.md.
        text: "package slow\n\ndeny contains n if {\n  n := count([1 | some i in numbers.range(1, 3000); some j in numbers.range(1, 3000)])\n  n < 0\n}\n".into(),
    };
    let mut engine = RegoEngine::load(&[slow], &json!({}), Duration::from_millis(50)).unwrap();
    let started = std::time::Instant::now();
    let v = engine.evaluate(&json!({"type": "t", "id": "i"}));
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(v.len(), 1);
    assert!(v[0].message.contains("could not be evaluated"), "{v:?}");
}

#[test]
fn broken_test_fails_with_its_name() {
    let mut sources = builtin_sources(true);
    let t = sources.iter_mut().find(|s| s.path.ends_with("imdsv2_test.rego")).unwrap();
    t.text = t.text.replace(r#"{"http_tokens": "required"}"#, r#"{"http_tokens": "optional"}"#);
    let results = run_tests(&sources, &json!({}), LIMIT).unwrap();
    let failed: Vec<&str> = results.iter().filter(|r| !r.passed).map(|r| r.name.as_str()).collect();
    assert_eq!(failed, ["data.driftd.gpu.imdsv2_test.test_required_passes"]);
}

#[test]
fn bad_metadata_and_duplicate_ids_are_input_errors() {
    let bad = Source {
        path: "m.rego".into(),
        text: "# METADATA\n# custom:\n#   severity: urgent\npackage m\n\ndeny contains 1 if { false }\n".into(),
    };
    let err = RegoEngine::load(&[bad], &json!({}), LIMIT).err().unwrap();
    assert!(err.to_string().contains("urgent"), "{err}");
    let a = Source {
        path: "a.rego".into(),
        text: "# METADATA\n# custom:\n#   id: SAME\npackage a\n\ndeny contains 1 if { false }\n".into(),
    };
    let b = Source {
        path: "b.rego".into(),
        text: "# METADATA\n# custom:\n#   id: SAME\npackage b\n\ndeny contains 1 if { false }\n".into(),
    };
    let err = RegoEngine::load(&[a, b], &json!({}), LIMIT).err().unwrap();
    assert!(err.to_string().contains("SAME is already used by a.rego"), "{err}");
}
