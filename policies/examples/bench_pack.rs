//! Benchmark: the whole built-in pack over N resources (resource policies on each,
//! then fleet policies once), as `driftd check` runs it. Prints the evaluation time.
//! Run through `bench/policies_10k.sh`, which pins it to one core.

use driftd_core::policy::PolicyEngine;
use serde_json::json;
use std::time::{Duration, Instant};

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let types = ["p4d.24xlarge", "p5.48xlarge", "g5.xlarge", "g6e.12xlarge", "g4dn.xlarge"];
    let inputs: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            if i % 10 == 9 {
                // Security groups, for the fleet policy.
                return json!({"type": "aws_security_group", "id": format!("sg-{i}"), "name": format!("sg-{i}"), "provider": "aws",
                    "side": "live", "gpu": null, "cost_per_hour_usd": null,
                    "attributes": {"ingress": [{"protocol": "tcp", "from_port": 22, "to_port": 22,
                        "cidr_blocks": [if i % 20 == 9 { "0.0.0.0/0" } else { "10.0.0.0/8" }]}]}});
            }
            let size = types[i % types.len()];
            let family = size.split('.').next().unwrap();
            json!({"type": "aws_instance", "id": format!("i-{i:017x}"), "name": format!("gpu-{i}"), "provider": "aws",
                "account": "123456789012", "region": "us-east-1", "side": "live", "address": null, "owner": null,
                "gpu": {"count": 8, "model": "H100", "memory_gib": 80, "family": family},
                "cost_per_hour_usd": 55.04,
                "attributes": {"instance_type": size, "public_ip": if i % 50 == 0 { "54.1.2.3" } else { "" },
                    "metadata_options": [{"http_tokens": if i % 7 == 0 { "optional" } else { "required" }}],
                    "root_block_device": [{"encrypted": i % 11 != 0, "volume_size": 500}],
                    "vpc_security_group_ids": [format!("sg-{}", (i / 10) * 10 + 9)],
                    "placement_group": if i % 3 == 0 { "" } else { "pg" },
                    "tags": {"Name": format!("gpu-{i}"), "team": format!("team-{}", i % 40), "env": if i % 4 == 0 { "dev" } else { "prod" },
                             "owner": if i % 13 == 0 { "" } else { "ana" }}}})
        })
        .collect();
    let config =
        json!({"team_budget_per_hour_usd": {"team-1": 1000.0}, "allowed_gpu_types": {"dev": ["g5.*", "g6.*"]}});
    let started = Instant::now();
    let mut engine =
        driftd_policies::RegoEngine::load(&driftd_policies::builtin_sources(false), &config, Duration::from_secs(1))
            .unwrap();
    let load = started.elapsed();
    let started = Instant::now();
    let mut violations = 0;
    let mut by_policy: std::collections::BTreeMap<String, usize> = Default::default();
    for input in &inputs {
        for v in engine.evaluate(input) {
            *by_policy.entry(v.policy_id).or_default() += 1;
            violations += 1;
        }
    }
    let per_resource = started.elapsed();
    let started = Instant::now();
    for v in engine.evaluate_fleet(&json!({"side": "live", "resources": inputs})) {
        *by_policy.entry(v.policy_id).or_default() += 1;
        violations += 1;
    }
    eprintln!("{by_policy:?}");
    let fleet = started.elapsed();
    println!(
        "resources={n} policies={} load_s={:.3} resource_eval_s={:.3} fleet_eval_s={:.3} total_eval_s={:.3} violations={violations}",
        engine.policies().len(),
        load.as_secs_f64(),
        per_resource.as_secs_f64(),
        fleet.as_secs_f64(),
        (per_resource + fleet).as_secs_f64()
    );
}
