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
                f["policy"]["side"].as_str().unwrap().to_string(),
                f["resource"]["address"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    let want = |id: &str| (id.to_string(), "declared".to_string(), "aws_instance.new_trainer".to_string());
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
                f["policy"]["side"].as_str().unwrap(),
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
            ("live", "research", "team research runs $210.42/h of GPU nodes, over its $50/h budget"),
            ("declared", "research", "team research runs $113.11/h of GPU nodes, over its $50/h budget"),
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
