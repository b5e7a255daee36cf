//! Cost per team end to end: a moto fleet of three teams (their tag spelled three ways,
//! as `[cost_allocation] aliases` name them) and an untagged instance, through
//! `driftd check` (JSON, text, Markdown) and `driftd run`'s `/api/v1/teams` over scans.

mod common;

use common::daemon::{free_port, wait_for, Daemon};
use common::moto::{Moto, CONFIG};
use common::{driftd_env, fleet};
use serde_json::Value;
use std::collections::BTreeMap;

const ALLOCATION: &str = "[cost_allocation]\ntags = [\"team\", \"cost-center\"]\n\
                          [cost_allocation.aliases]\nteam = [\"Team\", \"squad\"]\n";

/// ml's declared trainer resized by hand (drift) and a p5 it launched by hand; serving's
/// (tagged `Team`) g5 by hand; research's (tagged `squad`) p4d by hand; one g6 without any
/// team tag. Returns the folder with `terraform.tfstate` (the trainer only).
fn fleet(moto: &Moto) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fleet::rt().block_on(async {
        let conf = moto.sdk("us-east-1").await;
        let ec2 = aws_sdk_ec2::Client::new(&conf);
        let ami = fleet::ami(&ec2).await;
        let trainer =
            fleet::launch(&ec2, &ami, "trainer", "g5.xlarge", "", &[("team", "ml"), ("cost-center", "cc-1")]).await;
        let state = fleet::terraform_state(&[("us-east-1", conf.clone())], "123456789012").await;
        std::fs::write(dir.path().join("terraform.tfstate"), state.to_string()).unwrap();
        ec2.stop_instances().instance_ids(&trainer).send().await.unwrap();
        ec2.modify_instance_attribute()
            .instance_id(&trainer)
            .instance_type(aws_sdk_ec2::types::AttributeValue::builder().value("g5.4xlarge").build())
            .send()
            .await
            .unwrap();
        ec2.start_instances().instance_ids(&trainer).send().await.unwrap();
        fleet::launch(&ec2, &ami, "ml-by-hand", "p5.48xlarge", "", &[("team", "ml")]).await;
        fleet::launch(&ec2, &ami, "serving-by-hand", "g5.xlarge", "", &[("Team", "serving"), ("cost-center", "cc-2")])
            .await;
        fleet::launch(&ec2, &ami, "research-by-hand", "p4d.24xlarge", "", &[("squad", "research")]).await;
        fleet::launch(&ec2, &ami, "nobodys", "g6.xlarge", "", &[("owner", "raj")]).await;
    });
    std::fs::write(dir.path().join("driftd.toml"), format!("{CONFIG}{ALLOCATION}")).unwrap();
    dir
}

fn check(moto: &Moto, dir: &std::path::Path, format: &str) -> String {
    let args = [
        "check",
        "--state",
        "terraform.tfstate",
        "--provider",
        "aws",
        "--no-builtin-policies",
        "--fail-on",
        "never",
        "--format",
        format,
    ];
    let run = driftd_env(dir, &args, &moto.env());
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
}

fn f64_of(v: &Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

/// Per team: (findings, drift, unmanaged) summed from the report's findings themselves.
fn sums_of_findings(report: &Value) -> BTreeMap<String, (usize, f64, f64)> {
    let mut out: BTreeMap<String, (usize, f64, f64)> = BTreeMap::new();
    for f in report["findings"].as_array().unwrap() {
        let team = f["resource"]["team"].as_str().unwrap_or("untagged").to_string();
        let e = out.entry(team).or_default();
        e.0 += 1;
        e.1 += f64_of(&f["cost"]["delta_per_hour_usd"]);
        if f["kind"] == "unmanaged" {
            e.2 += f64_of(&f["cost"]["live_per_hour_usd"]);
        }
    }
    out
}

/// Acceptance: the summary rolls costs up per team, each team's sums equal the sums of
/// its findings, the untagged share is shown by name, in JSON, text and Markdown.
#[test]
fn the_summary_rolls_costs_up_per_team_with_the_untagged_share() {
    let moto = Moto::start();
    let dir = fleet(&moto);
    let report: Value = serde_json::from_str(&check(&moto, dir.path(), "json")).unwrap();
    let teams = report["summary"]["teams"].as_array().unwrap();
    let names: Vec<&str> = teams.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["ml", "research", "serving", "untagged"]);
    let sums = sums_of_findings(&report);
    for t in teams {
        let (n, drift, unmanaged) = sums[t["name"].as_str().unwrap()];
        assert_eq!(t["findings"].as_u64(), Some(n as u64), "{t}");
        assert!((f64_of(&t["drift_cost_per_hour_usd"]) - drift).abs() < 0.011, "{t} vs {drift}");
        assert!((f64_of(&t["unmanaged_cost_per_hour_usd"]) - unmanaged).abs() < 0.011, "{t} vs {unmanaged}");
    }
    // ml: the trainer resized (g5.xlarge -> g5.4xlarge) and a p5 by hand; untagged: the g6.
    let ml = &teams[0];
    assert_eq!(ml["findings"], 2);
    assert!(f64_of(&ml["unmanaged_cost_per_hour_usd"]) > 50.0, "{ml}");
    assert_eq!(teams[3]["unmanaged_cost_per_hour_usd"], 0.8);
    let total: f64 = teams.iter().map(|t| f64_of(&t["unmanaged_cost_per_hour_usd"])).sum();
    assert!((total - f64_of(&report["summary"]["unmanaged_cost_per_hour_usd"])).abs() < 0.05);
    // The second tag rolls up too; a finding carries both.
    let centers: Vec<&str> = report["summary"]["cost_allocation"]["cost-center"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(centers, ["cc-1", "cc-2", "untagged"]);
    let serving = report["findings"].as_array().unwrap().iter().find(|f| f["resource"]["team"] == "serving").unwrap();
    assert_eq!(serving["resource"]["cost_allocation"]["cost-center"], "cc-2");

    let text = check(&moto, dir.path(), "text");
    assert!(text.contains("by team: untagged: 1 finding, drift +$0.80/h, unmanaged $0.80/h"), "{text}");
    assert!(text.contains("by team: research: 1 finding"), "{text}");
    let markdown = check(&moto, dir.path(), "markdown");
    assert!(markdown.contains("| untagged | 1 | +$0.80/h | $0.80/h | $0.00/h |"), "{markdown}");
}

/// The daemon keeps each complete scan's roll-up: `/api/v1/teams` lists scans newest
/// first with their teams (the same figures as the check's), filters by team, and pages
/// by scan.
#[test]
fn the_daemon_serves_costs_per_team_over_its_scans() {
    let moto = Moto::start();
    let dir = fleet(&moto);
    let expected: Value = serde_json::from_str(&check(&moto, dir.path(), "json")).unwrap();
    let port = free_port();
    let config = format!(
        "{CONFIG}{ALLOCATION}[daemon]\nlisten = \"127.0.0.1:{port}\"\n[store]\npath = \"driftd.db\"\n\n\
         [[target]]\nname = \"gpu\"\nstate = [\"terraform.tfstate\"]\nprovider = [\"aws\"]\ninterval = \"1s\"\nno_builtin_policies = true\n"
    );
    std::fs::write(dir.path().join("daemon.toml"), config).unwrap();
    let d = Daemon::start(dir.path(), "daemon.toml", port, &moto.env());
    let scans = wait_for(60, "three scans with teams", || {
        let page = d.json("/api/v1/teams", &[]);
        let scans = page["scans"].as_array().cloned().unwrap_or_default();
        (scans.len() >= 3).then_some(scans)
    });
    assert!(scans.windows(2).all(|w| w[0]["scan_id"].as_i64() > w[1]["scan_id"].as_i64()), "newest first");
    for scan in &scans {
        assert_eq!(scan["target"], "gpu");
        assert_eq!(scan["teams"], expected["summary"]["teams"], "scan {}", scan["scan_id"]);
    }
    let untagged = d.json("/api/v1/teams?team=untagged", &[]);
    let rows: Vec<&Value> =
        untagged["scans"].as_array().unwrap().iter().flat_map(|s| s["teams"].as_array().unwrap()).collect();
    assert!(!rows.is_empty() && rows.iter().all(|t| t["name"] == "untagged"), "{untagged}");
    let first = d.json("/api/v1/teams?limit=1", &[]);
    assert_eq!(first["scans"].as_array().unwrap().len(), 1);
    let next = first["next"].as_i64().expect("a next page");
    let second = d.json(&format!("/api/v1/teams?limit=1&before={next}"), &[]);
    assert!(second["scans"][0]["scan_id"].as_i64().unwrap() < first["scans"][0]["scan_id"].as_i64().unwrap());
    assert_eq!(second["scans"][0]["teams"].as_array().unwrap().len(), 4, "a scan is never split over pages");
    d.terminate(20);
}
