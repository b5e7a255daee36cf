//! Capacity that is paid for, end to end: capacity reservations and Capacity Blocks for
//! ML read through DescribeCapacityReservations (answered by a local relay in the
//! documented shape, since moto does not serve it, `common/capacity.rs`), instances from
//! moto, the GPU pack's GPU015 (idle reservations, priced at their idle share), GPU016
//! (on-demand beside an idle open reservation) and GPU017 (a Capacity Block ending soon).

mod common;

use common::capacity::{CapacityRelay, Reservation};
use common::moto::Moto;
use common::{driftd_env, fleet};
use serde_json::Value;
use std::collections::BTreeSet;

/// moto serves no placement groups; capacity reservations come from the relay.
const CONFIG: &str = "[aws]\nskip_types = [\"aws_placement_group\"]\n";

fn in_hours(h: i64) -> String {
    let t = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(h);
    t.round(jiff::Unit::Second).unwrap().to_string()
}

/// Acceptance: each reservation gives exactly the expected finding, with its price.
#[test]
fn idle_reservations_on_demand_beside_them_and_a_block_ending_tomorrow_are_found_and_priced() {
    let moto = Moto::start();
    let relay = CapacityRelay::start(&moto.endpoint);
    let instance = fleet::rt().block_on(async {
        let ec2 = aws_sdk_ec2::Client::new(&moto.sdk("us-east-1").await);
        let ami = fleet::ami(&ec2).await;
        fleet::launch(&ec2, &ami, "by-hand", "p5.48xlarge", "", &[("team", "ml")]).await
    });
    let zone = fleet::rt().block_on(async {
        let ec2 = aws_sdk_ec2::Client::new(&moto.sdk("us-east-1").await);
        let out = ec2.describe_instances().instance_ids(&instance).send().await.unwrap();
        let i = &out.reservations()[0].instances()[0];
        i.placement().unwrap().availability_zone().unwrap().to_string()
    });
    let mut open = Reservation::new("cr-0open", "p5.48xlarge", &zone, 4, 3);
    open.tags = vec![("team".into(), "ml".into()), ("Name".into(), "llm-reserve".into())];
    relay.add(open);
    let mut idle = Reservation::new("cr-0idle", "g6e.12xlarge", "us-east-1b", 2, 2);
    idle.match_criteria = "targeted".into();
    relay.add(idle);
    let mut soon = Reservation::new("cr-0soon", "p5.48xlarge", "us-east-1a", 8, 0);
    (soon.capacity_block, soon.end_date) = (true, in_hours(20));
    relay.add(soon);
    let mut later = Reservation::new("cr-0later", "p5.48xlarge", "us-east-1a", 8, 0);
    (later.capacity_block, later.end_date) = (true, in_hours(240));
    relay.add(later);

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("driftd.toml"), CONFIG).unwrap();
    let args = ["check", "--provider", "aws", "--format", "json", "--fail-on", "never"];
    let run = driftd_env(dir.path(), &args, &relay.env());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let got: BTreeSet<(String, String, String, Option<String>)> = findings
        .iter()
        .filter(|f| ["GPU015", "GPU016", "GPU017"].contains(&f["policy"]["id"].as_str().unwrap_or("")))
        .map(|f| {
            (
                f["policy"]["id"].as_str().unwrap().to_string(),
                f["resource"]["id"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["cost"]["live_per_hour_usd"].as_f64().map(|c| format!("{c:.2}")),
            )
        })
        .collect();
    let want: BTreeSet<(String, String, String, Option<String>)> = [
        // 3 of 4 p5.48xlarge idle at the bundled $55.04: $165.12/h.
        ("GPU015", "cr-0open", "medium", Some("165.12")),
        // 2 of 2 g6e.12xlarge idle at $10.49264: $20.99/h.
        ("GPU015", "cr-0idle", "high", Some("20.99")),
        ("GPU016", instance.as_str(), "medium", None),
        ("GPU017", "cr-0soon", "high", None),
    ]
    .into_iter()
    .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.map(str::to_string)))
    .collect();
    assert_eq!(got, want);

    let idle_finding =
        findings.iter().find(|f| f["policy"]["id"] == "GPU015" && f["resource"]["id"] == "cr-0open").unwrap();
    assert_eq!(idle_finding["cost"]["price"]["source"], "bundled");
    assert_eq!(idle_finding["resource"]["team"], "ml");
    let beside = findings.iter().find(|f| f["policy"]["id"] == "GPU016").unwrap();
    assert_eq!(
        beside["message"],
        format!("by-hand runs p5.48xlarge on demand in {zone} while reservation cr-0open has idle p5.48xlarge there")
    );
    // The blocks are their own covered type, priced by what they hold.
    let block = findings
        .iter()
        .find(|f| f["kind"] == "unmanaged" && f["resource"]["id"] == "cr-0later")
        .expect("the block bought by hand is unmanaged");
    assert_eq!(block["resource"]["type"], "aws_ec2_capacity_block_reservation");
    assert_eq!(block["cost"]["live_per_hour_usd"], 440.32);

    let summary = &report["summary"];
    assert_eq!(summary["idle_capacity_cost_per_hour_usd"], 186.11);
    let team = |name: &str| summary["teams"].as_array().unwrap().iter().find(|t| t["name"] == name).cloned().unwrap();
    assert_eq!(team("ml")["idle_capacity_cost_per_hour_usd"], 165.12);
    assert_eq!(team("untagged")["idle_capacity_cost_per_hour_usd"], 20.99);
}

/// Azure: a capacity reservation group's reservation with 1 of 4 reserved VMs allocated
/// (Microsoft's CapacityReservation_Get shape, through the local ARM server) is GPU015,
/// priced at its 3 idle VMs with the Retail Prices API's price for its region.
#[test]
fn an_azure_capacity_reservation_with_idle_capacity_is_found_and_priced() {
    use common::arm::{ArmServer, Fleet, Subscription};
    use common::azure_fleet::{sub_id, CapacityReservation, Vm};
    use common::price_apis::PriceApis;
    let sub = sub_id(1);
    let vm = Vm::new(&sub, "nd-train-0", "Standard_ND96isr_H100_v5");
    let mut reservation = CapacityReservation::new(&sub, "gpu-reserve", "h100", "Standard_ND96isr_H100_v5", 4);
    reservation.allocated = vec![vm.id()];
    reservation.tags.insert("team".into(), "ml".into());
    let mut fleet = Fleet::default();
    let subscription = Subscription {
        vms: vec![vm.arm()],
        reservation_groups: vec![CapacityReservation::arm_group(&[&reservation])],
        reservations: vec![reservation.arm()],
        ..Default::default()
    };
    fleet.subscriptions.insert(sub.clone(), subscription);
    let server = ArmServer::start(fleet);
    let apis = PriceApis::start();
    apis.azure("eastus", "Standard_ND96isr_H100_v5", 101.5, 40.0);
    let dir = tempfile::tempdir().unwrap();
    let mut env = server.env();
    env.extend(apis.env());
    let run = driftd_env(dir.path(), &["check", "--provider", "azure", "--format", "json", "--fail-on", "never"], &env);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let idle: Vec<&Value> =
        report["findings"].as_array().unwrap().iter().filter(|f| f["policy"]["id"] == "GPU015").collect();
    assert_eq!(idle.len(), 1, "{:#}", report["findings"]);
    let f = idle[0];
    assert!(f["resource"]["id"].as_str().unwrap().eq_ignore_ascii_case(&reservation.id()));
    assert_eq!(f["message"], "h100 holds 4 Standard_ND96isr_H100_v5 in eastus zone 1, 3 of them idle");
    assert_eq!(f["cost"]["live_per_hour_usd"], 304.5);
    assert_eq!(f["cost"]["price"]["source"], "azure_retail_prices");
    assert_eq!(report["summary"]["idle_capacity_cost_per_hour_usd"], 304.5);
}
