//! `driftd check` as users and CI run it: exit codes, messages, files.

mod common;
use common::*;
use std::fs;

#[test]
fn demo_reports_every_kind_with_cost_and_remediation_and_exits_1() {
    let r = driftd(&["check", "--state", DEMO_STATE, "--provider", DEMO_LIVE]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    for needle in [
        "changed   module.training.aws_instance.trainer[1]",
        "instance_type  p4d.24xlarge → p5.48xlarge",
        "$21.96/h → $55.04/h (+$33.08/h)",
        "missing   module.research.aws_instance.h100[1]",
        "unmanaged i-",
        "(alice-experiment)",
        "$98.32/h of capacity no state declares",
        "$ terraform apply -target='module.training.aws_instance.trainer[1]'",
        "$ terraform import 'aws_instance.alice_experiment'",
        "$ terraform state rm 'module.research.aws_instance.h100[1]'",
        ">> .driftignore",
        "managed 22 · in sync 14 · changed 6 · missing 2 · unmanaged 2 · violations 4 · not covered 7",
        "violation module.inference.aws_instance.server[\"mistral\"]",
        "policy GPU002 (live): GPU instances require IMDSv2",
        "coverage 90.91% · cost drift +$115.83/h · unmanaged capacity $153.36/h",
    ] {
        assert!(r.stdout.contains(needle), "missing {needle:?} in:\n{}", r.stdout);
    }
    assert!(!r.stdout.contains('\x1b'), "no colour when stdout is not a terminal");
}

#[test]
fn demo_in_sync_exits_0_despite_noise() {
    let r = driftd(&["check", "--state", DEMO_STATE, "--provider", DEMO_IN_SYNC]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.starts_with("No drift"), "{}", r.stdout);
}

#[test]
fn fail_on_sets_the_threshold() {
    for (fail_on, code) in [("never", 0), ("critical", 0), ("high", 1), ("medium", 1), ("low", 1)] {
        let r = driftd(&[
            "check",
            "--state",
            DEMO_STATE,
            "--provider",
            DEMO_LIVE,
            "--fail-on",
            fail_on,
            "--format",
            "json",
        ]);
        assert_eq!(r.code, code, "--fail-on {fail_on}: {}", r.stderr);
    }
    // Only the low finding left after ignoring every high one: fails at low, passes at medium.
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join(".driftignore"),
        "aws_instance.*\nazurerm_linux_virtual_machine.*\n!aws_instance.*.tags\n",
    )
    .unwrap();
    let (state, live) = (abs_demo_state(), abs_demo_live("live.json"));
    let r = driftd_in(dir.path(), &["check", "--state", &state, "--provider", &live, "--fail-on", "medium"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let r = driftd_in(dir.path(), &["check", "--state", &state, "--provider", &live, "--fail-on", "low"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
}

#[test]
fn default_driftignore_is_read_from_the_working_directory_and_expiry_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (state, live) = (abs_demo_state(), abs_demo_live("live.json"));
    fs::write(
        dir.path().join(".driftignore"),
        "# accepted\naws_instance.*\nazurerm_linux_virtual_machine.*\n!azurerm_linux_virtual_machine.*.size  # until 2020-01-01\n",
    )
    .unwrap();
    let r = driftd_in(dir.path(), &["check", "--state", &state, "--provider", &live, "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);
    let w = &v["warnings"][0];
    assert_eq!(w["kind"], "ignore_expired");
    assert_eq!(w["location"], ".driftignore:4");
}

#[test]
fn output_file_and_json_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    let r = driftd(&[
        "check",
        "--state",
        DEMO_STATE,
        "--provider",
        DEMO_LIVE,
        "--format",
        "json",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.is_empty(), "report goes to the file only");
    let v: serde_json::Value = serde_json::from_slice(&fs::read(&out).unwrap()).unwrap();
    let s = &v["summary"];
    assert_eq!(
        (
            s["managed"].as_u64(),
            s["changed"].as_u64(),
            s["missing"].as_u64(),
            s["unmanaged"].as_u64(),
            s["not_covered"].as_u64()
        ),
        (Some(22), Some(6), Some(2), Some(2), Some(7))
    );
    assert_eq!(s["cost_delta_per_hour_usd"], 115.83);
    assert_eq!(v["sources"]["live"].as_array().unwrap().len(), 3);
    // Stable ids: the same drift gets the same id in another run.
    let again = driftd(&["check", "--state", DEMO_STATE, "--provider", DEMO_LIVE, "--format", "json"]);
    let v2: serde_json::Value = serde_json::from_str(&again.stdout).unwrap();
    let ids =
        |v: &serde_json::Value| v["findings"].as_array().unwrap().iter().map(|f| f["id"].clone()).collect::<Vec<_>>();
    assert_eq!(ids(&v), ids(&v2));
}

#[test]
fn several_states_by_glob_and_repeated_flag_merge_with_duplicates_reported() {
    let dir = tempfile::tempdir().unwrap();
    let demo = fs::read(root().join(DEMO_STATE)).unwrap();
    fs::write(dir.path().join("a.tfstate"), &demo).unwrap();
    fs::write(dir.path().join("b.tfstate"), &demo).unwrap();
    let live = abs_demo_live("live.json");
    let r = driftd_in(dir.path(), &["check", "--state", "*.tfstate", "--provider", &live, "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["sources"]["declared"].as_array().unwrap().len(), 2);
    assert_eq!(v["summary"]["managed"], 22, "duplicates are not counted twice");
    // Every resource of the demo state (data sources aside) is declared twice.
    let dups = v["warnings"].as_array().unwrap().iter().filter(|w| w["kind"] == "duplicate_address").count();
    assert_eq!(dups, 29);
}

#[test]
fn snapshot_replays_and_merges() {
    let dir = tempfile::tempdir().unwrap();
    let merged = dir.path().join("merged.json");
    let r = driftd(&[
        "snapshot",
        "--provider",
        DEMO_LIVE,
        "--provider",
        DEMO_IN_SYNC,
        "--output",
        merged.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_slice(&fs::read(&merged).unwrap()).unwrap();
    assert_eq!(v["schema"], "driftd.snapshot/v1");
    assert_eq!(v["scans"].as_array().unwrap().len(), 6);
    // Replaying the single drifted snapshot through `snapshot` gives the same check result.
    let copy = dir.path().join("copy.json");
    driftd(&["snapshot", "--provider", DEMO_LIVE, "--output", copy.to_str().unwrap()]);
    let a = driftd(&["check", "--state", DEMO_STATE, "--provider", DEMO_LIVE, "--format", "markdown"]);
    let b = driftd(&[
        "check",
        "--state",
        DEMO_STATE,
        "--provider",
        &format!("snapshot:{}", copy.display()),
        "--format",
        "markdown",
    ]);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn failed_scan_exits_3_naming_the_scope_even_with_findings() {
    let dir = tempfile::tempdir().unwrap();
    let mut v: serde_json::Value =
        serde_json::from_slice(&fs::read(root().join("testdata/demo/live.json")).unwrap()).unwrap();
    v["scans"][1]["error"] = "ec2:DescribeInstances AccessDenied at https://ec2.us-west-2.amazonaws.com".into();
    let path = dir.path().join("live.json");
    fs::write(&path, v.to_string()).unwrap();
    let r = driftd(&[
        "check",
        "--state",
        DEMO_STATE,
        "--provider",
        &format!("snapshot:{}", path.display()),
        "--fail-on",
        "never",
    ]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("aws 123456789012 us-west-2 could not be read: ec2:DescribeInstances AccessDenied"),
        "{}",
        r.stderr
    );
    // The unreadable region's resources are not reported missing.
    assert!(!r.stdout.contains("missing   module.research"), "{}", r.stdout);
}

#[test]
fn config_file_supplies_defaults_and_prices() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("driftd.toml");
    fs::write(
        &cfg,
        format!(
            "[check]\nstate = [{:?}]\nprovider = [{:?}]\nformat = \"json\"\nfail_on = \"critical\"\n[prices.aws]\n\"p5.48xlarge\" = 60.0\n",
            root().join(DEMO_STATE).display().to_string(),
            format!("snapshot:{}", root().join("testdata/demo/live.json").display())
        ),
    )
    .unwrap();
    let r = driftd_in(dir.path(), &["check", "--config", cfg.to_str().unwrap()]);
    assert_eq!(r.code, 0, "fail_on critical from config: {}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let trainer = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["resource"]["address"] == "module.training.aws_instance.trainer[1]")
        .unwrap();
    assert_eq!(trainer["cost"]["live_per_hour_usd"], 60.0);
    // A flag beats the config.
    let r = driftd_in(dir.path(), &["check", "--config", cfg.to_str().unwrap(), "--fail-on", "high"]);
    assert_eq!(r.code, 1);
}

#[test]
fn plan_json_declares_and_reports_terraform_seen_drift_without_a_live_provider() {
    let dir = tempfile::tempdir().unwrap();
    let plan = serde_json::json!({
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": [
            {"address": "aws_instance.a", "mode": "managed", "type": "aws_instance", "name": "a",
             "values": {"id": "i-1", "instance_type": "p4d.24xlarge", "arn": "arn:aws:ec2:us-east-1:1:instance/i-1"}}
        ]}},
        "resource_changes": [],
        "resource_drift": [
            {"address": "aws_instance.a", "mode": "managed", "type": "aws_instance", "name": "a",
             "change": {"actions": ["update"], "before": {"id": "i-1", "instance_type": "p4d.24xlarge"}, "after": {"id": "i-1", "instance_type": "p5.48xlarge"}}}
        ]
    });
    let path = dir.path().join("plan.json");
    fs::write(&path, plan.to_string()).unwrap();
    let r = driftd(&["check", "--state", path.to_str().unwrap(), "--provider", "none", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["sources"]["declared"][0]["kind"], "plan");
    assert_eq!(v["findings"][0]["changes"][0]["live"], "p5.48xlarge");
    assert_eq!(v["findings"][0]["cost"]["delta_per_hour_usd"], 33.08);
}

#[test]
fn sensitive_values_never_reach_any_report_format() {
    let dir = tempfile::tempdir().unwrap();
    let mut state: serde_json::Value = serde_json::from_slice(&fs::read(root().join(DEMO_STATE)).unwrap()).unwrap();
    // Mark the gateway's `team` tag sensitive and give it a secret-looking value.
    for r in state["resources"].as_array_mut().unwrap() {
        if r["name"] == "gateway" {
            let inst = &mut r["instances"][0];
            inst["attributes"]["tags"]["team"] = "TOKEN-declared-8c1f".into();
            inst["attributes"]["tags_all"]["team"] = "TOKEN-declared-8c1f".into();
            inst["sensitive_attributes"] = serde_json::json!([[{"type": "get_attr", "value": "tags"}, {"type": "index", "value": {"value": "team", "type": "string"}}]]);
        }
    }
    let path = dir.path().join("state.json");
    fs::write(&path, state.to_string()).unwrap();
    let mut live: serde_json::Value =
        serde_json::from_slice(&fs::read(root().join("testdata/demo/live.json")).unwrap()).unwrap();
    for r in live["resources"].as_array_mut().unwrap() {
        if r["name"] == "inference-gateway" {
            r["attributes"]["tags"]["team"] = "TOKEN-live-77aa".into();
        }
    }
    let live_path = dir.path().join("live.json");
    fs::write(&live_path, live.to_string()).unwrap();
    // Every format there is: a new one is checked for leaks without anyone adding it here.
    for format in driftd_core::report::FORMATS.iter().map(|f| f.name) {
        let r = driftd(&[
            "check",
            "--state",
            path.to_str().unwrap(),
            "--provider",
            &format!("snapshot:{}", live_path.display()),
            "--tf",
            "testdata/demo/infra",
            "--format",
            format,
        ]);
        assert_eq!(r.code, 1, "{format}: {}", r.stderr);
        assert!(!r.stdout.contains("TOKEN-"), "{format} leaked a sensitive value:\n{}", r.stdout);
        assert!(r.stdout.contains("(sensitive)"), "{format} should show the change as (sensitive)");
    }
}

#[test]
fn the_headline_says_what_was_not_checked() {
    let dir = tempfile::tempdir().unwrap();
    // The in-sync demo, but one region's scan failed.
    let mut snap: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(root().join("testdata/demo/live-in-sync.json")).unwrap()).unwrap();
    snap["scans"][1]["error"] = "missing IAM permission ec2:DescribeInstances (UnauthorizedOperation)".into();
    let failed = dir.path().join("failed.json");
    fs::write(&failed, snap.to_string()).unwrap();
    let live = format!("snapshot:{}", failed.display());
    let r = driftd_in(dir.path(), &["check", "--state", &abs_demo_state(), "--provider", &live]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(!r.stdout.starts_with("No drift:"), "{}", r.stdout);
    assert!(r.stdout.lines().next().unwrap().contains("could not be read"), "{}", r.stdout);
    let md =
        driftd_in(dir.path(), &["check", "--state", &abs_demo_state(), "--provider", &live, "--format", "markdown"]);
    assert!(md.stdout.contains("could not be read: not a clean result"), "{}", md.stdout);

    // Declarations only.
    let r = driftd_in(
        dir.path(),
        &["check", "--state", &abs_demo_state(), "--provider", "none", "--no-builtin-policies", "--fail-on", "never"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("No live scan (--provider none)"), "{}", r.stdout);
}

#[test]
fn help_shows_the_defaults_and_every_provider() {
    let help = driftd(&["check", "--help"]).stdout;
    for want in ["[default: text]", "[default: low]", "none (declarations", "./driftd.toml"] {
        assert!(help.contains(want), "{want} missing from:\n{help}");
    }
}

#[test]
fn driftd_toml_in_the_working_directory_is_read_without_config() {
    let dir = tempfile::tempdir().unwrap();
    let live = abs_demo_live("live.json");
    let args = ["check", "--state", &abs_demo_state(), "--provider", &live];
    assert_eq!(driftd_in(dir.path(), &args).code, 1, "the demo drifts");
    fs::write(dir.path().join("driftd.toml"), "[check]\nfail_on = \"never\"\n").unwrap();
    assert_eq!(driftd_in(dir.path(), &args).code, 0, "./driftd.toml sets fail_on = never");
    fs::write(dir.path().join("driftd.toml"), "[check]\nfail_on = \n").unwrap();
    let r = driftd_in(dir.path(), &args);
    assert_one_error(&r, 2);
    assert!(r.stderr.starts_with("driftd: driftd.toml:2:"), "{}", r.stderr);
}

#[test]
fn declared_azure_is_scanned_without_provider_and_never_passes_unread() {
    // The demo's Azure half alone, no --provider: Azure is scanned. The harness gives it
    // no credential and a closed endpoint, so the run ends with exit 3, naming Azure.
    let dir = tempfile::tempdir().unwrap();
    let mut state: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(root().join(DEMO_STATE)).unwrap()).unwrap();
    state["resources"].as_array_mut().unwrap().retain(|r| r["type"].as_str().unwrap().starts_with("azurerm"));
    fs::write(dir.path().join("azure.tfstate"), state.to_string()).unwrap();
    let r = driftd_in(dir.path(), &["check", "--state", "azure.tfstate", "--format", "json", "--no-builtin-policies"]);
    assert_one_error(&r, 3);
    assert!(r.stderr.contains("azure") && r.stderr.contains("credential"), "{}", r.stderr);
    assert!(r.stdout.is_empty(), "no report when the cloud was not read: {}", r.stdout);
}

/// A pull request gate: the code alone (no state, no cloud) through the same policies.
#[test]
fn terraform_code_alone_is_checked_by_the_policies() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("gpu-fleet");
    copy_testdata("testdata/tf/gpu-fleet", &copy);
    let tf = copy.display().to_string();
    // As committed: the three p5 trainers are in no placement group (GPU007), nothing else.
    let r = driftd_in(dir.path(), &["check", "--tf", &tf, "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["sources"]["declared"][0]["kind"], "tf");
    assert_eq!(v["sources"]["declared"][0]["resources"], 9);
    let hits: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (f["policy"]["id"].as_str().unwrap().to_string(), f["resource"]["address"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(
        hits,
        (0..3).map(|i| ("GPU007".to_string(), format!("module.trainers[{i}].aws_instance.this"))).collect::<Vec<_>>()
    );
    // One trainer from the command line: no multi-node training, no GPU007.
    let r = driftd_in(dir.path(), &["check", "--tf", &tf, "--var", "trainer_count=1", "--format", "json"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stderr, r.stdout);
    // The pull request turns IMDSv1 back on in the node module: every trainer fails GPU002.
    let node = copy.join("modules/gpu-node/main.tf");
    let text = std::fs::read_to_string(&node)
        .unwrap()
        .replace("http_tokens                 = \"required\"", "http_tokens                 = \"optional\"");
    std::fs::write(&node, text).unwrap();
    let r = driftd_in(dir.path(), &["check", "--tf", &tf, "--format", "json", "--provider", "none"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let imds = v["findings"].as_array().unwrap().iter().filter(|f| f["policy"]["id"] == "GPU002").count();
    assert_eq!(imds, 3);
    // Code compared with a cloud reads that cloud (here a closed port): never a pass, exit 3.
    // (Matching code with live is tested against moto in terraform_live.rs.)
    let r = driftd_in(dir.path(), &["check", "--tf", &tf, "--provider", "aws", "--region", "us-east-1"]);
    assert_one_error(&r, 3);
}

/// State and code together: state decides what exists, code adds `code_differs` warnings
/// for changes not applied yet, at the block they come from. The fixture's code and state
/// agree (no warning); an edited copy (tfvars, a module default, a new pool) is named.
#[test]
fn code_beside_a_state_notes_unapplied_changes() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("gpu-fleet");
    copy_testdata("testdata/tf/gpu-fleet", &copy);
    let state = root().join("testdata/tf/gpu-fleet.tfstate").display().to_string();
    let tf = copy.display().to_string();
    let args =
        ["check", "--state", &state, "--tf", &tf, "--provider", "none", "--no-builtin-policies", "--format", "json"];
    let notes = |r: &Run| -> Vec<(String, String)> {
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| w["kind"] == "code_differs")
            .map(|w| (w["message"].as_str().unwrap().to_string(), w["location"].as_str().unwrap_or("").to_string()))
            .collect()
    };
    let r = driftd_in(dir.path(), &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(notes(&r), vec![], "the state is what this code applies");

    let tfvars = copy.join("terraform.tfvars");
    let text = fs::read_to_string(&tfvars).unwrap().replace("\"p5.48xlarge\"", "\"p5en.48xlarge\"").replace(
        "notebooks = { type = \"g5.2xlarge\" }",
        "notebooks = { type = \"g5.2xlarge\" }\n  batch     = { type = \"g6.xlarge\" }",
    );
    fs::write(&tfvars, text).unwrap();
    let r = driftd_in(dir.path(), &args);
    assert_eq!(r.code, 0, "notes never fail the gate: {}", r.stderr);
    let got = notes(&r);
    assert_eq!(got.len(), 4, "{got:#?}");
    for (i, (message, location)) in got.iter().take(3).enumerate() {
        assert_eq!(
            message,
            &format!("module.trainers[{i}].aws_instance.this: the code differs from the state (a change not applied yet): instance_type: code \"p5en.48xlarge\", state \"p5.48xlarge\"")
        );
        assert!(location.ends_with("gpu-fleet/modules/gpu-node/main.tf:10"), "{location}");
    }
    assert_eq!(got[3].0, "aws_instance.pool[\"batch\"]: in the code but not in the state (not applied yet)");

    // A variable CI sets elsewhere is unknown here, named in a warning; the notes stay.
    fs::write(copy.join("extra.tf"), "variable \"from_ci\" {}\nlocals {\n  x = var.from_ci\n}\n").unwrap();
    let r = driftd_in(dir.path(), &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(notes(&r), got);
    assert!(r.stdout.contains("from_ci") && r.stdout.contains("has no value"), "{}", r.stdout);
}

/// `--max-findings N` lists the N most severe findings after the summary and says how
/// many more the JSON report has; `0` lists all.
#[test]
fn max_findings_caps_the_list_and_says_how_many_more() {
    let r = driftd(&["check", "--state", DEMO_STATE, "--provider", DEMO_LIVE, "--max-findings", "3"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.find("Summary").unwrap() < r.stdout.find("HIGH").unwrap(), "{}", r.stdout);
    assert_eq!(r.stdout.matches("\nHIGH     ").count(), 3, "{}", r.stdout);
    assert!(r.stdout.contains("11 more findings are not listed here (3 of 14 shown"), "{}", r.stdout);
    let all = driftd(&["check", "--state", DEMO_STATE, "--provider", DEMO_LIVE, "--max-findings", "0"]);
    assert!(!all.stdout.contains("not listed here"), "{}", all.stdout);
    let md = driftd(&[
        "check",
        "--state",
        DEMO_STATE,
        "--provider",
        DEMO_LIVE,
        "--format",
        "markdown",
        "--max-findings",
        "2",
    ]);
    assert_eq!(md.stdout.matches("<details>").count(), 2, "{}", md.stdout);
    assert!(md.stdout.contains("12 more findings are not listed here"), "{}", md.stdout);
}

/// `driftd types --format json`: every covered type, machine-readable.
#[test]
fn types_as_json() {
    let r = driftd(&["types", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let names: Vec<&str> = v["types"].as_array().unwrap().iter().map(|t| t["type"].as_str().unwrap()).collect();
    assert!(names.contains(&"aws_instance") && names.contains(&"azurerm_linux_virtual_machine"), "{names:?}");
}

/// Every format says where its costs come from: the table's regions and date, and how
/// many sizes driftd.toml priced.
#[test]
fn reports_say_which_prices_their_costs_use() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("driftd.toml"), "[prices.aws]\n\"g5.xlarge\" = 1.10\n").unwrap();
    let state = root().join(DEMO_STATE).display().to_string();
    let live = abs_demo_live("live.json");
    let base = ["check", "--config", "driftd.toml", "--state", state.as_str(), "--provider", live.as_str()];
    let run = |format: &str| {
        let mut args = base.to_vec();
        args.extend(["--format", format]);
        driftd_in(dir.path(), &args).stdout
    };
    let line = "on-demand list prices of AWS us-east-1 and Azure eastus as of 2025-06-30 (1 size from driftd.toml)";
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!(json["prices"]["as_of"], "2025-06-30");
    assert_eq!(json["prices"]["regions"], serde_json::json!({"aws": "us-east-1", "azure": "eastus"}));
    assert_eq!(json["prices"]["from_config"], 1);
    assert!(run("text").contains(&format!("costs: {line}")));
    assert!(run("markdown").contains(&format!("_Costs: {line}")));
    assert!(run("junit").contains(&format!("<property name=\"prices\" value=\"{line}")));
    let sarif: serde_json::Value = serde_json::from_str(&run("sarif")).unwrap();
    assert_eq!(sarif["runs"][0]["properties"]["prices"]["as_of"], "2025-06-30");
}
