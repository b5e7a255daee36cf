use super::*;
use driftd_core::policy::{PolicyEngine, Side};
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
fn builtin_pack_registers_every_policy_file_with_a_unique_id_and_metadata() {
    let engine = RegoEngine::load(&builtin_sources(false), &json!({}), LIMIT).unwrap();
    let mut ids: Vec<&str> = engine.policies().iter().map(|p| p.id.as_str()).collect();
    ids.sort();
    let count = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), count, "policy ids must be unique: {ids:?}");
    // The pack as it is on disk: every policy file (not tests, not the shared lib) is
    // compiled in, and its METADATA id is the one the engine reports.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("gpu");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rego"))
        .filter(|p| !p.file_stem().unwrap().to_string_lossy().ends_with("_test"))
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let id = text.lines().find_map(|l| l.split("id: ").nth(1))?;
            Some(id.split([',', '}']).next().unwrap().trim().to_string())
        })
        .collect();
    on_disk.sort();
    assert_eq!(ids, on_disk, "policies/gpu/*.rego and the compiled-in pack differ");
    assert!(ids.iter().all(|id| id.len() == 6 && id.starts_with("GPU")), "{ids:?}");
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
    let mut ids: Vec<String> = engine.evaluate(&node, Side::Live).into_iter().map(|v| v.policy_id).collect();
    ids.sort();
    assert_eq!(ids, ["GPU001", "GPU002", "GPU003"]);
    assert!(engine.has_fleet_policies());
    let sg = json!({"type": "aws_security_group", "id": "sg-1", "name": "open", "provider": "aws",
        "attributes": {"ingress": [{"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0"]}]}});
    assert!(engine.evaluate(&sg, Side::Live).is_empty());
    // The same group declared: the declared fleet has no GPU node attached to it.
    assert!(engine.evaluate(&sg, Side::Declared).is_empty());
    assert!(engine.evaluate_fleet(Side::Declared).is_empty());
    let v = engine.evaluate_fleet(Side::Live);
    assert_eq!(v.len(), 1);
    assert_eq!((v[0].policy_id.as_str(), v[0].severity), ("GPU006", driftd_core::model::Severity::Critical));
    assert_eq!(v[0].resource, Some(("aws_security_group".into(), "sg-1".into())));
}

#[test]
fn syntax_errors_name_file_line_and_column() {
    let src = Source {
        path: "team/bad.rego".into(),
        text: "package x\n\ndeny contains msg if {\n  input.a ==\n}\n".into(),
        builtin: false,
    };
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
    builtin: false,
    };
    let good = Source {
        path: "good.rego".into(),
        text: "package y\n\ndeny contains \"always\" if { true }\n".into(),
        builtin: false,
    };
    let mut engine = RegoEngine::load(&[bad, good], &json!({}), LIMIT).unwrap();
    let v = engine.evaluate(&json!({"type": "t", "id": "not-a-number"}), Side::Live);
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
    builtin: false,
    };
    let mut engine = RegoEngine::load(&[slow], &json!({}), Duration::from_millis(50)).unwrap();
    let started = std::time::Instant::now();
    let v = engine.evaluate(&json!({"type": "t", "id": "i"}), Side::Live);
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(v.len(), 1);
    assert!(v[0].message.contains("could not be evaluated"), "{v:?}");
}

#[test]
fn fleet_policies_get_the_limit_per_thousand_resources() {
    use crate::engine::fleet_limit;
    let ms = Duration::from_millis;
    assert_eq!(fleet_limit(ms(1000), 0), ms(1000));
    assert_eq!(fleet_limit(ms(1000), 1000), ms(1000));
    assert_eq!(fleet_limit(ms(1000), 1001), ms(2000));
    assert_eq!(fleet_limit(ms(1000), 100_000), ms(100_000));
    // A runaway fleet policy over a small fleet is still stopped at the plain limit.
    let slow = Source {
        path: "slow_fleet.rego".into(),
        text: "# METADATA\n# title: slow\n# custom:\n#   id: SLOW\n#   scope: fleet\npackage slow\n\ndeny contains n if {\n  n := count([1 | some r in input.resources; some i in numbers.range(1, 3000); some j in numbers.range(1, 3000)])\n  n < 0\n}\n".into(),
        builtin: false,
    };
    let mut engine = RegoEngine::load(&[slow], &json!({}), ms(50)).unwrap();
    for i in 0..3 {
        assert!(engine.evaluate(&json!({"type": "t", "id": format!("i{i}")}), Side::Live).is_empty());
    }
    let started = std::time::Instant::now();
    let v = engine.evaluate_fleet(Side::Live);
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].message.contains("exceeded time limit"), "{v:?}");
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
        builtin: false,
    };
    let err = RegoEngine::load(&[bad], &json!({}), LIMIT).err().unwrap();
    assert!(err.to_string().contains("urgent"), "{err}");
    let a = Source {
        path: "a.rego".into(),
        text: "# METADATA\n# custom:\n#   id: SAME\npackage a\n\ndeny contains 1 if { false }\n".into(),
        builtin: false,
    };
    let b = Source {
        path: "b.rego".into(),
        text: "# METADATA\n# custom:\n#   id: SAME\npackage b\n\ndeny contains 1 if { false }\n".into(),
        builtin: false,
    };
    let err = RegoEngine::load(&[a, b], &json!({}), LIMIT).err().unwrap();
    assert!(err.to_string().contains("SAME is already used by a.rego"), "{err}");
}

#[test]
fn compile_errors_found_only_at_evaluation_fail_the_load() {
    let src = Source {
        path: "scoping.rego".into(),
        // The variable `key` of the rule head is bound only later in the body.
        text: "package scoping\n\nsize[key] := 1 if { some key in {\"a\"} }\n\ndeny contains msg if {\n  some pair in [[1, \"a\"]]\n  [r, key] := pair\n  size[key] >= 1\n  msg := sprintf(\"%v\", [r])\n}\n".into(),
    builtin: false,
    };
    let err = RegoEngine::load(std::slice::from_ref(&src), &json!({}), LIMIT).err().expect("load must fail");
    assert!(err.location.starts_with("scoping.rego:7:"), "{err}");
    let err = run_tests(&[src], &json!({}), LIMIT).expect_err("tests must not run");
    assert!(err.location.starts_with("scoping.rego:7:"), "{err}");
}

/// A varied fleet: every combination the pack's rules branch on, plus odd shapes.
fn varied_inputs() -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    let sizes = ["p5.48xlarge", "p4d.24xlarge", "g5.xlarge", "t3.micro"];
    for i in 0..240usize {
        let size = sizes[i % sizes.len()];
        let gpu = if size.starts_with('t') {
            json!(null)
        } else {
            json!({"count": 8, "family": size.split('.').next().unwrap()})
        };
        let tags = match i % 5 {
            0 => json!(null),
            1 => json!({}),
            2 => json!({"owner": "", "team": "ml", "env": "dev"}),
            3 => json!({"owner": "a", "team": "ml", "env": "prod", "cluster": "c1"}),
            _ => json!({"owner": "a", "team": format!("t{}", i % 3), "env": "Dev"}),
        };
        out.push(json!({"type": "aws_instance", "id": format!("i-{i}"), "name": if i % 7 == 0 { json!(null) } else { json!(format!("n{i}")) },
            "provider": "aws", "side": "live", "gpu": gpu, "cost_per_hour_usd": if i % 11 == 0 { json!(null) } else { json!(55.04) },
            "attributes": {"instance_type": size, "tags": tags,
                "public_ip": if i % 6 == 0 { "54.0.0.1" } else { "" }, "associate_public_ip_address": i % 9 == 0,
                "metadata_options": match i % 4 { 0 => json!([]), 1 => json!([{"http_tokens": "optional"}]), 2 => json!([{"http_tokens": "Required"}]), _ => json!(null) },
                "root_block_device": [{"encrypted": i % 8 != 0}], "ebs_block_device": if i % 10 == 0 { json!([{"device_name": "/dev/sdf", "encrypted": false}]) } else { json!([]) },
                "instance_lifecycle": if i % 12 == 0 { "spot" } else { "" }, "placement_group": if i % 2 == 0 { "" } else { "pg" },
                "vpc_security_group_ids": [format!("sg-{}", i % 4)]}}));
        if i % 20 == 0 {
            out.push(json!({"type": "azurerm_linux_virtual_machine", "id": format!("/s/vm{i}"), "name": format!("vm{i}"), "provider": "azure", "side": "live",
                "gpu": {"count": 8, "family": "NDasrA100_v4"}, "cost_per_hour_usd": 27.2,
                "attributes": {"size": "Standard_ND96asr_v4", "priority": if i % 40 == 0 { "Spot" } else { "Regular" }, "eviction_policy": if i % 80 == 0 { "Delete" } else { "Deallocate" },
                    "encryption_at_host_enabled": i % 60 != 0, "public_ip_address": if i % 100 == 0 { "20.0.0.1" } else { "" }, "tags": {"env": "dev", "team": "ml"}}}));
        }
    }
    for g in 0..4 {
        out.push(json!({"type": "aws_security_group", "id": format!("sg-{g}"), "name": format!("sg-{g}"), "provider": "aws", "side": "live", "gpu": null,
            "attributes": {"ingress": [{"protocol": if g == 3 { "-1" } else { "tcp" }, "from_port": 0, "to_port": if g == 1 { 21 } else { 3389 },
                "cidr_blocks": [if g == 2 { "10.0.0.0/8" } else { "0.0.0.0/0" }]}]}}));
    }
    out
}

#[test]
fn vm_and_interpreter_agree_on_every_policy() {
    let config = json!({"required_tags": ["owner", "team"], "allowed_gpu_types": {"dev": ["g5.*"], "*": ["p5.*"]},
                        "team_budget_per_hour_usd": {"ml": 100, "t1": 10}});
    let fast = RegoEngine::load(&builtin_sources(false), &config, LIMIT).unwrap();
    assert!(fast.uses_vm().0, "resource policies must run on the VM");
    let mut fast = fast;
    let mut slow = RegoEngine::load(&builtin_sources(false), &config, LIMIT).unwrap().without_vm();
    let inputs = varied_inputs();
    let key = |v: Vec<driftd_core::policy::Violation>| {
        let mut k: Vec<String> =
            v.into_iter().map(|v| format!("{}|{:?}|{}|{:?}", v.policy_id, v.severity, v.message, v.resource)).collect();
        k.sort();
        k
    };
    let mut total = 0;
    for input in &inputs {
        let (a, b) = (key(fast.evaluate(input, Side::Live)), key(slow.evaluate(input, Side::Live)));
        assert_eq!(a, b, "{input}");
        total += a.len();
    }
    let (a, b) = (key(fast.evaluate_fleet(Side::Live)), key(slow.evaluate_fleet(Side::Live)));
    assert_eq!(a, b);
    assert!(total > 200 && !a.is_empty(), "the fleet must exercise the policies: {total} resource, {} fleet", a.len());
}

#[test]
fn docs_policies_md_is_current() {
    let engine = RegoEngine::load(&builtin_sources(false), &json!({}), LIMIT).unwrap();
    let want = markdown(engine.policies());
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/policies.md");
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{} is stale: run `cargo run -p driftd -- policy list --format markdown > docs/policies.md`",
        path.display()
    );
}

/// Lines past 4,096 characters and brackets nested past 12 are refused before regorus
/// parses them, naming the file, line (and column); `nested-12.rego` still loads.
#[test]
fn rego_that_breaks_regorus_is_refused_naming_where() {
    let src = |path: &str, text: String| Source { path: path.into(), text, builtin: false };
    let long = format!("package x\n\np := \"{}\"\n", "a".repeat(5000));
    let err = RegoEngine::load(&[src("long.rego", long)], &json!({}), LIMIT).err().unwrap();
    assert_eq!(err.location, "long.rego:3");
    assert!(err.message.contains("a line of 5007 characters"), "{err}");

    // Kept out of policies/, whose .rego files `driftd policy test policies/` loads.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/regorus");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let err = RegoEngine::load(&[src("nested-20.rego", read("nested-20.rego"))], &json!({}), LIMIT).err().unwrap();
    assert_eq!(err.location, "nested-20.rego:3:18", "{err}");
    assert!(err.message.contains("nested more than 12 deep"), "{err}");
    // Brackets in strings and comments do not count.
    let quoted = format!("package x\n\n# {}\np := \"{}\"\n", "[".repeat(30), "{".repeat(30));
    assert!(RegoEngine::load(&[src("quoted.rego", quoted)], &json!({}), LIMIT).is_ok());
    assert!(RegoEngine::load(&[src("nested-12.rego", read("nested-12.rego"))], &json!({}), LIMIT).is_ok());
}

/// Compiling is given up at its deadline with an error, whatever regorus is doing.
#[test]
fn compiling_past_its_deadline_is_an_error() {
    let err = crate::engine::within(Duration::from_millis(100), || {
        std::thread::sleep(Duration::from_secs(2));
        Ok(())
    })
    .err()
    .unwrap();
    assert!(err.message.contains("compiling the policies took longer than"), "{err}");
}
