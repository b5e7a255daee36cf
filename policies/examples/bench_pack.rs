//! Benchmark: the whole built-in pack over every resource of a snapshot (resource
//! policies on each, then fleet policies once), as `driftd check` runs it on one side.
//! Inputs are built by core from full resources, as in a check. Prints the times.
//! Run through `bench/policies_10k.sh`, which generates the fleet and pins one core.
//!     bench_pack SNAPSHOT.json

// The allocator of the driftd binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use driftd_core::policy::{self, PolicyEngine, Side};
use serde_json::json;
use std::time::{Duration, Instant};

fn main() {
    let path = std::env::args().nth(1).expect("usage: bench_pack SNAPSHOT.json");
    let snapshot = driftd_core::snapshot::Snapshot::read_file(path.as_ref()).unwrap_or_else(|e| panic!("{e}"));
    let (registry, prices) = (driftd_providers::registry(), driftd_core::cost::PriceTable::builtin());
    let config = json!({"team_budget_per_hour_usd": {"team-1": 100.0, "team-2": 1000.0},
                        "allowed_gpu_types": {"dev": ["g5.*", "g6.*"]}});

    let started = Instant::now();
    let mut engine =
        driftd_policies::RegoEngine::load(&driftd_policies::builtin_sources(false), &config, Duration::from_secs(1))
            .unwrap();
    let load = started.elapsed();

    let started = Instant::now();
    let inputs: Vec<serde_json::Value> =
        snapshot.resources.into_iter().map(|r| policy::input(r, Side::Live, None, &registry, &prices)).collect();
    let build = started.elapsed();

    let mut by_policy: std::collections::BTreeMap<String, usize> = Default::default();
    let started = Instant::now();
    for input in &inputs {
        for v in engine.evaluate(input, Side::Live) {
            *by_policy.entry(v.policy_id).or_default() += 1;
        }
    }
    let per_resource = started.elapsed();
    let started = Instant::now();
    for v in engine.evaluate_fleet(Side::Live) {
        *by_policy.entry(v.policy_id).or_default() += 1;
    }
    let fleet = started.elapsed();
    let violations: usize = by_policy.values().sum();
    eprintln!("{by_policy:?}");
    println!(
        "resources={} policies={} load_s={:.3} input_s={:.3} resource_eval_s={:.3} fleet_eval_s={:.3} total_eval_s={:.3} violations={violations}",
        inputs.len(),
        engine.policies().len(),
        load.as_secs_f64(),
        build.as_secs_f64(),
        per_resource.as_secs_f64(),
        fleet.as_secs_f64(),
        (build + per_resource + fleet).as_secs_f64()
    );
}
