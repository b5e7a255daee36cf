//! Policies as users run them: `driftd policy list|test`, user policy directories,
//! both sides (live and declared), configuration, and errors.

mod common;
use common::*;
use std::fs;

#[test]
fn policy_test_passes_on_the_repo_pack_and_fails_a_broken_copy_by_name() {
    let r = driftd(&["policy", "test", "policies/"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let last = r.stdout.lines().last().unwrap();
    assert!(last.starts_with("policy tests: ") && last.ends_with(" passed, 0 failed"), "{last}");

    let dir = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(root().join("policies/gpu")).unwrap() {
        let p = entry.unwrap().path();
        let text = fs::read_to_string(&p).unwrap();
        // Break the policy, not its test: IMDSv2 now accepts "optional".
        let text = text.replace(r#"tokens(input) != "required""#, r#"not tokens(input) in {"required", "optional"}"#);
        fs::write(dir.path().join(p.file_name().unwrap()), text).unwrap();
    }
    let r = driftd(&["policy", "test", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("FAIL  data.driftd.gpu.imdsv2_test.test_optional_denied"), "{}", r.stdout);
    assert!(r.stdout.contains("FAIL  data.driftd.gpu.imdsv2_test.test_unset_is_optional"), "{}", r.stdout);
}

#[test]
fn policy_list_shows_builtin_and_user_policies() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("quota.rego"),
        "# METADATA\n# title: No p6 yet\n# custom:\n#   id: ACME001\n#   severity: critical\npackage acme.quota\n\ndeny contains \"p6\" if { startswith(input.attributes.instance_type, \"p6\") }\n",
    )
    .unwrap();
    let r = driftd(&["policy", "list", "--policies", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let row = |id: &str| -> Vec<String> {
        let line = r.stdout.lines().find(|l| l.starts_with(&format!("{id} "))).unwrap_or_default();
        line.split_whitespace().map(str::to_string).collect()
    };
    assert_eq!(row("GPU002")[..3], ["GPU002", "high", "resource"], "{}", r.stdout);
    assert!(r.stdout.contains("GPU instances require IMDSv2  ") && r.stdout.contains("policies/gpu/imdsv2.rego"));
    assert_eq!(row("ACME001")[..6], ["ACME001", "critical", "resource", "No", "p6", "yet"], "{}", r.stdout);
    let r = driftd(&["policy", "list", "--no-builtin-policies", "--policies", dir.path().to_str().unwrap()]);
    assert!(!r.stdout.contains("GPU002") && r.stdout.contains("ACME001"), "{}", r.stdout);
}

#[test]
fn rego_syntax_error_exits_2_with_file_line_column() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("broken.rego"), "package broken\n\ndeny contains msg if {\n  msg := \n}\n").unwrap();
    let r =
        driftd(&["check", "--state", DEMO_STATE, "--provider", DEMO_LIVE, "--policies", dir.path().to_str().unwrap()]);
    assert_one_error(&r, 2);
    assert!(r.stderr.contains("broken.rego:4:7: Rego error: expecting `}`"), "{}", r.stderr);
}

#[test]
fn the_same_policy_guards_the_pull_request_declared_side() {
    // A plan adds a GPU instance on IMDSv1 without tags: no live provider needed.
    let dir = tempfile::tempdir().unwrap();
    let plan = serde_json::json!({
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": [
            {"address": "aws_instance.new_trainer", "mode": "managed", "type": "aws_instance", "name": "new_trainer",
             "values": {"instance_type": "p5.48xlarge", "metadata_options": [{"http_tokens": "optional"}], "tags": {"Name": "new"}}}
        ]}},
        "resource_changes": [
            {"address": "aws_instance.new_trainer", "mode": "managed", "type": "aws_instance", "name": "new_trainer",
             "change": {"actions": ["create"], "before": null, "after": {}, "after_unknown": {"id": true, "arn": true}}}
        ]
    });
    let path = dir.path().join("plan.json");
    fs::write(&path, plan.to_string()).unwrap();
    let r = driftd(&["check", "--state", path.to_str().unwrap(), "--provider", "none", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let mut got: Vec<(String, String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["policy"]["id"].as_str().unwrap().to_string(),
                f["policy"]["sides"].to_string(),
                f["resource"]["address"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    let want = |id: &str| (id.to_string(), r#"["declared"]"#.to_string(), "aws_instance.new_trainer".to_string());
    assert_eq!(got, [want("GPU001"), want("GPU001"), want("GPU002")]);
    assert!(v["findings"][0]["remediation"]["commands"][0].as_str().unwrap().starts_with("terraform plan -target="));
}

#[test]
fn policy_config_comes_from_driftd_toml() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("driftd.toml");
    fs::write(&cfg, "[policy.config]\nteam_budget_per_hour_usd = { research = 50.0 }\n").unwrap();
    let r = driftd(&[
        "check",
        "--config",
        cfg.to_str().unwrap(),
        "--state",
        DEMO_STATE,
        "--provider",
        DEMO_LIVE,
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let budget: Vec<(&str, &str, &str)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["policy"]["id"] == "GPU010")
        .map(|f| {
            (
                f["policy"]["sides"][0].as_str().unwrap(),
                f["resource"]["id"].as_str().unwrap(),
                f["message"].as_str().unwrap(),
            )
        })
        .collect();
    // Team research, live: h100[0] and alice's p5 ($55.04 each), alice's Azure H100 box
    // ($98.32), notebook-0 and -1 ($1.01 each; notebook-2 is stopped: $0) = $210.42.
    // Declared: h100[0] and h100[1], three notebooks = $113.11.
    assert_eq!(
        budget,
        [
            ("declared", "research", "team research runs $113.11/h of GPU nodes, over its $50/h budget"),
            ("live", "research", "team research runs $210.42/h of GPU nodes, over its $50/h budget"),
        ],
        "{}",
        r.stdout
    );
}

#[test]
fn no_builtin_policies_drops_violations() {
    let r =
        driftd(&["check", "--state", DEMO_STATE, "--provider", DEMO_LIVE, "--no-builtin-policies", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["summary"]["violations"], 0);
    assert_eq!(v["summary"]["changed"], 6);
}

#[test]
fn the_example_in_writing_policies_md_passes_its_own_test() {
    let doc = fs::read_to_string(root().join("docs/writing-policies.md")).unwrap();
    let start = doc.find("```rego\n# METADATA").expect("example policy") + "```rego\n".len();
    let end = start + doc[start..].find("```").unwrap();
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("quota.rego"), &doc[start..end]).unwrap();
    let r = driftd(&["policy", "test", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("PASS  data.acme.quota.test_p6_denied"), "{}", r.stdout);
}

/// A plan that creates three GPU instances on IMDSv1 without tags (no ids yet).
fn plan_with_creates(dir: &std::path::Path) -> String {
    let resources: Vec<serde_json::Value> = (0..3)
        .map(|i| {
            serde_json::json!({"address": format!("aws_instance.new[{i}]"), "mode": "managed", "type": "aws_instance",
                               "name": "new", "index": i,
                               "values": {"instance_type": "p5.48xlarge", "metadata_options": [{"http_tokens": "optional"}], "tags": {}}})
        })
        .collect();
    let changes: Vec<serde_json::Value> = resources
        .iter()
        .map(|r| {
            serde_json::json!({"address": r["address"], "mode": "managed", "type": "aws_instance", "name": "new", "index": r["index"],
                               "change": {"actions": ["create"], "before": null, "after": {}, "after_unknown": {"id": true, "arn": true}}})
        })
        .collect();
    let plan = serde_json::json!({"format_version": "1.2", "planned_values": {"root_module": {"resources": resources}},
                                  "resource_changes": changes});
    let path = dir.join("plan.json");
    fs::write(&path, plan.to_string()).unwrap();
    path.display().to_string()
}

fn report(dir: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let r = driftd_in(dir, args);
    assert!(r.code == 0 || r.code == 1, "exit {}: {}", r.code, r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

/// The `.driftignore` line of `echo '<line>' >> .driftignore`.
fn suggested_line(command: &str) -> Option<String> {
    let quoted = command.strip_prefix("echo ")?.strip_suffix(" >> .driftignore")?;
    Some(quoted.trim_matches('\'').replace(r"'\''", "'"))
}

#[test]
fn finding_ids_are_unique_and_every_suggested_ignore_line_parses_and_ignores_just_that() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan_with_creates(dir.path());
    let state = abs_demo_state();
    let live = abs_demo_live("live.json");
    let args = [
        "check",
        "--state",
        &state,
        "--state",
        &plan,
        "--provider",
        &live,
        "--format",
        "json",
        "--driftignore",
        ".driftignore",
    ];
    fs::write(dir.path().join(".driftignore"), "").unwrap();
    let all = report(dir.path(), &args);
    let findings = all["findings"].as_array().unwrap();
    let ids: std::collections::BTreeSet<&str> = findings.iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert!(findings.len() > 20, "a large report: {}", findings.len());
    assert_eq!(ids.len(), findings.len(), "finding ids must be unique");
    // Several deny entries of one policy on one resource (GPU001: owner, team) are distinct.
    let per_create = findings
        .iter()
        .filter(|f| f["resource"]["address"] == "aws_instance.new[0]" && f["policy"]["id"] == "GPU001")
        .count();
    assert!(per_create >= 2, "{per_create}");

    for f in findings {
        let commands = f["remediation"]["commands"].as_array().unwrap();
        let lines: Vec<String> = commands.iter().filter_map(|c| suggested_line(c.as_str().unwrap())).collect();
        assert!(!lines.is_empty(), "no .driftignore line for {f:#}");
        for line in lines {
            fs::write(dir.path().join(".driftignore"), format!("{line}\n")).unwrap();
            let r = driftd_in(dir.path(), &args);
            assert!(r.code == 0 || r.code == 1, "`{line}` was rejected: {}", r.stderr);
            let after: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
            let left: std::collections::BTreeSet<&str> =
                after["findings"].as_array().unwrap().iter().map(|g| g["id"].as_str().unwrap()).collect();
            let gone: Vec<&serde_json::Value> =
                findings.iter().filter(|g| !left.contains(g["id"].as_str().unwrap())).collect();
            if f["kind"] == "violation" {
                // Only that policy on that resource: never its other drift or other policies.
                assert!(gone.iter().any(|g| g["id"] == f["id"]), "`{line}` left {f:#}");
                for g in gone {
                    assert_eq!(
                        (&g["policy"]["id"], &g["resource"]["type"], &g["resource"]["id"], &g["resource"]["address"]),
                        (&f["policy"]["id"], &f["resource"]["type"], &f["resource"]["id"], &f["resource"]["address"]),
                        "`{line}` also hid {g:#}"
                    );
                }
            } else {
                let still = after["findings"].as_array().unwrap().iter().find(|g| g["id"] == f["id"]);
                let shrank =
                    still.is_none_or(|g| g["changes"].as_array().map(Vec::len) < f["changes"].as_array().map(Vec::len));
                assert!(shrank, "`{line}` did not ignore {f:#}");
                // A resource line accepts that resource as it is (driftctl's meaning): what it
                // hides is that resource's, nothing else's.
                for g in gone {
                    assert_eq!(
                        (&g["resource"]["type"], &g["resource"]["id"]),
                        (&f["resource"]["type"], &f["resource"]["id"]),
                        "`{line}` also hid {g:#}"
                    );
                }
            }
        }
    }
}

/// A policy with no remediation of its own: its violation says what to make comply, by
/// the sides it was found on (both, when a live twin joined the declared finding).
#[test]
fn a_policy_without_remediation_says_which_sides_to_make_comply() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("acme")).unwrap();
    fs::write(
        dir.path().join("acme/sizes.rego"),
        "# METADATA\n# title: No g5\n# custom:\n#   id: ACME002\n#   severity: low\npackage acme.g5\n\ndeny contains \"g5\" if { input.type == \"aws_instance\"; startswith(input.attributes.instance_type, \"g5.\") }\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("acme/p5.rego"),
        "# METADATA\n# title: No p5\n# custom:\n#   id: ACME003\n#   severity: low\npackage acme.p5\n\ndeny contains \"p5\" if { input.type == \"aws_instance\"; input.attributes.instance_type == \"p5.48xlarge\" }\n",
    )
    .unwrap();
    let r = driftd_in(
        dir.path(),
        &[
            "check",
            "--state",
            &abs_demo_state(),
            "--provider",
            &format!("snapshot:{}", root().join("testdata/demo/live.json").display()),
            "--no-builtin-policies",
            "--policies",
            "acme",
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let summary_of = |id: &str, policy: &str| -> String {
        let f = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["resource"]["id"] == id && f["policy"]["id"] == policy)
            .unwrap_or_else(|| panic!("no {policy} on {id}"));
        f["remediation"]["summary"].as_str().unwrap().to_string()
    };
    // Declared g5.xlarge, live g5.4xlarge: the same violation on both sides.
    let both = summary_of("i-09cda5030e30f8786", "ACME002");
    assert!(both.starts_with("make the Terraform code and the live resource comply with ACME002"), "{both}");
    // Declared p4d.24xlarge, live p5.48xlarge: live only.
    let live = summary_of("i-0334f4275ea84ffff", "ACME003");
    assert!(live.starts_with("make the live resource comply with ACME003"), "{live}");
}

/// The demo fleet edited so that one resource breaks a policy on both sides, one only in
/// the code and one (the demo's own mistral server) only live: each violation is one
/// finding, and its remediation says what its sides mean.
#[test]
fn a_violation_on_both_sides_is_one_finding_and_one_side_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let mut state: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(root().join(DEMO_STATE)).unwrap()).unwrap();
    let live_path = root().join("testdata/demo/live.json");
    let mut live: serde_json::Value = serde_json::from_str(&fs::read_to_string(live_path).unwrap()).unwrap();
    let (notebook0, notebook1) = ("i-0a5f76f825a6a87fe", "i-03829f2863ce84d6d");
    for res in state["resources"].as_array_mut().unwrap() {
        for inst in res["instances"].as_array_mut().unwrap() {
            let a = &mut inst["attributes"];
            if a["id"] == notebook0 {
                // No owner in the code, nor (below) on the running instance.
                a["tags"].as_object_mut().unwrap().remove("owner");
                a["tags_all"].as_object_mut().unwrap().remove("owner");
            }
            if a["id"] == notebook1 {
                // The code says IMDSv1; the running instance still requires tokens.
                a["metadata_options"][0]["http_tokens"] = "optional".into();
            }
        }
    }
    let mut ids = Vec::new();
    for r in live["resources"].as_array_mut().unwrap() {
        ids.push(r["id"].as_str().unwrap().to_string());
        if r["id"] == notebook0 {
            r["attributes"]["tags"].as_object_mut().unwrap().remove("owner");
        }
    }
    assert!(ids.iter().any(|i| i == notebook1), "the demo has notebook-1 as {notebook1}: {ids:?}");
    fs::write(dir.path().join("state.tfstate"), state.to_string()).unwrap();
    fs::write(dir.path().join("live.json"), live.to_string()).unwrap();
    let r = driftd_in(
        dir.path(),
        &["check", "--state", "state.tfstate", "--provider", "snapshot:live.json", "--format", "json"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let violations: Vec<&serde_json::Value> =
        v["findings"].as_array().unwrap().iter().filter(|f| f["kind"] == "violation").collect();
    let of = |id: &str, policy: &str| -> Vec<&serde_json::Value> {
        violations.iter().copied().filter(|f| f["resource"]["id"] == id && f["policy"]["id"] == policy).collect()
    };

    let both = of(notebook0, "GPU001");
    assert_eq!(both.len(), 1, "one finding for the missing owner tag, not one per side: {both:#?}");
    assert_eq!(both[0]["policy"]["sides"], serde_json::json!(["declared", "live"]));
    assert_eq!(both[0]["resource"]["address"], "aws_instance.notebook[0]");
    assert_eq!(both[0]["resource"]["region"], "us-west-2");
    let summary = both[0]["remediation"]["summary"].as_str().unwrap();
    assert!(summary.contains("found in the code and on the running resource alike"), "{summary}");

    let declared_only = of(notebook1, "GPU002");
    assert_eq!(declared_only.len(), 1, "{declared_only:#?}");
    assert_eq!(declared_only[0]["policy"]["sides"], serde_json::json!(["declared"]));
    let summary = declared_only[0]["remediation"]["summary"].as_str().unwrap();
    assert!(summary.contains("the next apply brings it to the running resource"), "{summary}");

    let live_only = of("i-09924fa857d8efd7e", "GPU002");
    assert_eq!(live_only.len(), 1, "{live_only:#?}");
    assert_eq!(live_only[0]["policy"]["sides"], serde_json::json!(["live"]));
    let summary = live_only[0]["remediation"]["summary"].as_str().unwrap();
    assert!(summary.contains("drift introduced it"), "{summary}");

    // Counted once, and no two findings share an id.
    assert_eq!(v["summary"]["violations"].as_u64().unwrap() as usize, violations.len());
    let mut seen = std::collections::HashSet::new();
    for f in v["findings"].as_array().unwrap() {
        assert!(seen.insert(f["id"].as_str().unwrap()), "duplicate id {}", f["id"]);
    }
}
