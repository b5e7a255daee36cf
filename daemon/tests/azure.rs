//! The Azure provider end to end: the real `driftd` binary against a local ARM server
//! and token endpoint (`common/arm.rs`) serving GPU fleets in ARM's shapes over several
//! subscriptions and pages, with state in the azurerm provider's shapes, from a file and
//! from Azurite through `azurerm://`.

mod common;

use common::arm::{ArmServer, Fleet, Subscription, SECRET};
use common::azure_fleet::{sub_id, tfstate, CapacityReservation, Cluster, Pool, ScaleSet, Vm};
use common::azurite::Azurite;
use common::receiver::Fault;
use common::{driftd_env, Run};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

/// The fleet: two subscriptions, VMs, a Uniform and a Flexible scale set (with its VMs),
/// an AKS cluster with a fixed GPU pool and an autoscaled one (and the scale sets AKS
/// made for each pool), a CycleCloud node, all declared but the owned ones.
struct World {
    a: String,
    b: String,
    vms: Vec<Vm>,
    render: ScaleSet,
    flex: ScaleSet,
    flex_vms: Vec<Vm>,
    cyclecloud: Vm,
    cluster: Cluster,
    /// A capacity reservation the training VM runs in: declared, wholly in use.
    reservation: CapacityReservation,
}

fn world() -> World {
    let (a, b) = (sub_id(1), sub_id(2));
    let mut vms = vec![
        Vm::new(&a, "nd-train-0", "Standard_ND96asr_v4"),
        Vm::new(&a, "nd-train-1", "Standard_ND96isr_H100_v5"),
        Vm::new(&a, "nc-infer-0", "Standard_NC24ads_A100_v4"),
    ];
    for i in 0..4 {
        vms.push(Vm::new(&b, &format!("nv-viz-{i}"), "Standard_NV12ads_A10_v5"));
    }
    let render = ScaleSet::new(&a, "render", "Standard_NV36ads_A10_v5", 4);
    let mut flex = ScaleSet::new(&a, "batch-flex", "Standard_NC4as_T4_v3", 2);
    flex.flexible = true;
    let flex_vms = (0..2)
        .map(|i| {
            let mut v = Vm::new(&a, &format!("batch-flex_{i}"), "Standard_NC4as_T4_v3");
            v.scale_set = Some(flex.id().to_lowercase());
            v
        })
        .collect();
    let mut cyclecloud = Vm::new(&b, "hpc-execute-1", "Standard_ND96asr_v4");
    cyclecloud.tags.insert("ClusterName".into(), "hpc".into());
    cyclecloud.tags.insert("CycleOwner".into(), "hpc(ana@site:ab12)".into());
    cyclecloud.tags.insert("CycleCloudCluster".into(), "/sites/ab12/clusters/hpc".into());
    let mut system = Pool::new("system", "Standard_D4s_v5", 3);
    system.mode = "System".into();
    let mut gpu = Pool::new("gpu", "Standard_ND96asr_v4", 2);
    gpu.taints = vec!["nvidia.com/gpu=present:NoSchedule".into()];
    gpu.labels.insert("accelerator".into(), "nvidia-a100".into());
    let mut gpuauto = Pool::new("gpuauto", "Standard_NC24ads_A100_v4", 1);
    gpuauto.autoscale = Some((0, 4));
    let cluster = Cluster::new(&a, "ml-aks", vec![system, gpu, gpuauto]);
    let mut reservation = CapacityReservation::new(&a, "gpu-reserve", "h100", "Standard_ND96isr_H100_v5", 1);
    reservation.allocated = vec![vms[1].id()];
    World { a, b, vms, render, flex, flex_vms, cyclecloud, cluster, reservation }
}

impl World {
    fn fleet(&self) -> Fleet {
        let mut fleet = Fleet { page_size: 2, ..Fleet::default() };
        let mut a = Subscription::default();
        let mut b = Subscription::default();
        for vm in self.vms.iter().chain(&self.flex_vms).chain([&self.cyclecloud]) {
            if vm.sub == self.a { &mut a } else { &mut b }.vms.push(vm.arm());
        }
        a.scale_sets = vec![self.render.arm(), self.flex.arm()];
        a.scale_sets.extend(self.cluster.node_scale_sets());
        a.clusters = vec![self.cluster.arm()];
        a.reservation_groups = vec![CapacityReservation::arm_group(&[&self.reservation])];
        a.reservations = vec![self.reservation.arm()];
        fleet.subscriptions.insert(self.a.clone(), a);
        fleet.subscriptions.insert(self.b.clone(), b);
        fleet
    }

    fn state(&self) -> Value {
        let mut res: Vec<(&str, String, Value)> = Vec::new();
        for vm in &self.vms {
            res.push(("azurerm_linux_virtual_machine", vm.name.replace('-', "_"), vm.state()));
        }
        res.push(("azurerm_linux_virtual_machine_scale_set", "render".into(), self.render.state()));
        res.push(("azurerm_orchestrated_virtual_machine_scale_set", "batch_flex".into(), self.flex.state()));
        res.push(("azurerm_kubernetes_cluster", "ml".into(), self.cluster.state()));
        for pool in &self.cluster.pools[1..] {
            res.push(("azurerm_kubernetes_cluster_node_pool", pool.name.clone(), self.cluster.pool_state(pool)));
        }
        res.push(("azurerm_capacity_reservation", "h100".into(), self.reservation.state()));
        let refs: Vec<(&str, &str, Value)> = res.iter().map(|(t, n, v)| (*t, n.as_str(), v.clone())).collect();
        tfstate(&refs)
    }
}

fn check(dir: &Path, server: &ArmServer, extra: &[(&'static str, String)], args: &[&str]) -> Run {
    let mut env = server.env();
    env.extend(extra.iter().cloned());
    let mut all = vec!["check", "--provider", "azure", "--format", "json", "--no-builtin-policies"];
    all.extend_from_slice(args);
    driftd_env(dir, &all, &env)
}

fn report(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: stdout {}\nstderr {}", run.stdout, run.stderr))
}

/// `(kind, address or id, changed paths)` of every finding.
fn findings(v: &Value) -> BTreeSet<(String, String, Vec<String>)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let who = f["resource"]["address"].as_str().or(f["resource"]["id"].as_str()).unwrap().to_string();
            let paths = f["changes"]
                .as_array()
                .map(|c| c.iter().map(|c| c["path"].as_str().unwrap().to_string()).collect())
                .unwrap_or_default();
            (f["kind"].as_str().unwrap().to_string(), who, paths)
        })
        .collect()
}

fn no_secret(run: &Run) {
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains(SECRET), "the client secret leaked: {text}");
        assert!(!text.contains(common::azurite::KEY), "the storage key leaked: {text}");
    }
}

fn setup() -> (tempfile::TempDir, World, ArmServer) {
    let dir = tempfile::tempdir().unwrap();
    let w = world();
    std::fs::write(dir.path().join("state.json"), w.state().to_string()).unwrap();
    let server = ArmServer::start(w.fleet());
    (dir, w, server)
}

#[test]
fn in_sync_fleet_then_every_kind_of_drift_is_found_exactly() {
    let (dir, w, server) = setup();
    let r = check(dir.path(), &server, &[], &["--state", "state.json"]);
    assert_eq!(r.code, 0, "stderr: {}\nstdout: {}", r.stderr, r.stdout);
    no_secret(&r);
    let v = report(&r);
    assert_eq!(findings(&v), BTreeSet::new(), "in sync: ids differ only in casing, sizes in enum spelling");
    assert_eq!(v["summary"]["managed"], 13, "{:#}", v["summary"]);
    assert_eq!(v["summary"]["unmanaged"], 0);
    let live = v["sources"]["live"].as_array().unwrap();
    assert_eq!(live.len(), 2, "one scan per subscription: {live:?}");

    // Calls: per subscription ceil(items / page) per list (at least one), plus the
    // subscription listing, plus one GET per capacity reservation:
    // (VMs 5 -> 3, sets 5 -> 3, clusters 1 -> 1, reservation groups 1 -> 1, reservations 1)
    // + (VMs 5 -> 3, 0 -> 1, 0 -> 1, 0 -> 1) + 1.
    let calls = server.calls().len();
    assert_eq!(
        calls,
        3 + 3 + 1 + 1 + 1 + 3 + 1 + 1 + 1 + 1,
        "{:?}",
        server.calls().iter().map(|c| &c.path).collect::<Vec<_>>()
    );
    let counted: u64 = live.iter().map(|s| s["api_calls"].as_u64().unwrap()).sum();
    assert_eq!(counted as usize, calls, "the report counts every ARM call");

    // Drift of every kind, by hand, in ARM.
    server.update(|f| {
        let a = f.subscriptions.get_mut(&w.a).unwrap();
        let vm = a.vms.iter_mut().find(|v| v["name"] == "nd-train-0").unwrap();
        vm["properties"]["hardwareProfile"]["vmSize"] = json!("Standard_ND96isr_H100_v5");
        let vm = a.vms.iter_mut().find(|v| v["name"] == "nc-infer-0").unwrap();
        vm["tags"]["team"] = json!("platform");
        a.vms.retain(|v| v["name"] != "nd-train-1");
        let set = a.scale_sets.iter_mut().find(|s| s["name"] == "render").unwrap();
        set["sku"]["capacity"] = json!(6);
        let pools = a.clusters[0]["properties"]["agentPoolProfiles"].as_array_mut().unwrap();
        pools.iter_mut().find(|p| p["name"] == "gpu").unwrap()["count"] = json!(4);
        // The autoscaler's move: never drift.
        pools.iter_mut().find(|p| p["name"] == "gpuauto").unwrap()["count"] = json!(3);
        for s in a.scale_sets.iter_mut().filter(|s| s["name"].as_str().unwrap().starts_with("aks-gpu")) {
            s["sku"]["capacity"] = json!(if s["name"].as_str().unwrap().contains("gpuauto") { 3 } else { 4 });
        }
        let b = f.subscriptions.get_mut(&w.b).unwrap();
        let vm = b.vms.iter_mut().find(|v| v["name"] == "nv-viz-0").unwrap();
        vm["properties"]["priority"] = json!("Spot");
        vm["properties"]["evictionPolicy"] = json!("Deallocate");
        vm["properties"]["billingProfile"] = json!({"maxPrice": -1});
        b.vms.push(Vm::new(&w.b, "by-hand-h100", "Standard_ND96isr_H100_v5").arm());
    });
    let r = check(dir.path(), &server, &[], &["--state", "state.json", "--fail-on", "never"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = report(&r);
    let by_hand = Vm::new(&w.b, "by-hand-h100", "").id().replace("/resourceGroups/", "/resourcegroups/");
    let want: BTreeSet<(String, String, Vec<String>)> = [
        ("changed", "azurerm_linux_virtual_machine.nd_train_0", vec!["size"]),
        ("changed", "azurerm_linux_virtual_machine.nc_infer_0", vec!["tags.team"]),
        ("changed", "azurerm_linux_virtual_machine.nv_viz_0", vec!["priority", "eviction_policy"]),
        ("changed", "azurerm_linux_virtual_machine_scale_set.render", vec!["instances"]),
        ("changed", "azurerm_kubernetes_cluster_node_pool.gpu", vec!["node_count"]),
        ("missing", "azurerm_linux_virtual_machine.nd_train_1", vec![]),
        ("unmanaged", by_hand.as_str(), vec![]),
    ]
    .into_iter()
    .map(|(k, a, p)| (k.to_string(), a.to_string(), p.into_iter().map(str::to_string).collect()))
    .collect();
    assert_eq!(findings(&v), want, "{:#}", v["findings"]);
    // Costs by size string, including sizes newer than the SDK's enum.
    let resized = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["resource"]["address"] == "azurerm_linux_virtual_machine.nd_train_0")
        .unwrap();
    assert_eq!(resized["cost"]["live_per_hour_usd"], 98.32, "{resized:#}");
    let pool = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["resource"]["address"] == "azurerm_kubernetes_cluster_node_pool.gpu")
        .unwrap();
    assert_eq!(
        pool["cost"]["delta_per_hour_usd"], 54.4,
        "2 more ND96asr_v4 nodes (each side rounded to cents): {pool:#}"
    );
    assert_eq!(pool["message"], "node pool scaled outside Terraform");
}

#[test]
fn throttling_is_waited_out_as_retry_after_says() {
    let (dir, _w, server) = setup();
    // The subscription listing meets a 429 (Retry-After 1), then a 503 (Retry-After 1).
    server.fail_next([Fault::RateLimit(1), Fault::RetryAfter(503, 1)]);
    let started = Instant::now();
    let r = check(dir.path(), &server, &[], &["--state", "state.json"]);
    let took = started.elapsed();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(findings(&report(&r)).is_empty());
    assert!(took >= Duration::from_millis(1900), "both Retry-After waits honoured: {took:?}");
    let calls = server.calls();
    assert_eq!(calls.len(), 16 + 2, "two retries on top of a clean scan");
    let first_three: Vec<_> = calls.iter().take(3).map(|c| c.at).collect();
    assert!(first_three[1] - first_three[0] >= Duration::from_millis(950), "waited Retry-After after 429");
    assert!(first_three[2] - first_three[1] >= Duration::from_millis(950), "waited Retry-After after 503");
}

#[test]
fn an_invalid_secret_exits_3_naming_the_credential_never_the_secret() {
    let (dir, _w, server) = setup();
    let started = Instant::now();
    let r = check(
        dir.path(),
        &server,
        &[("AZURE_CLIENT_SECRET", "not-the-secret-value-1234".into())],
        &["--state", "state.json", "--subscription", &sub_id(1)],
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    common::assert_one_error(&r, 3);
    assert!(r.stderr.contains("AADSTS7000215") || r.stderr.contains("invalid_client"), "{}", r.stderr);
    assert!(
        r.stderr.contains("AZURE_CLIENT_SECRET") && r.stderr.contains("credential"),
        "says what to check: {}",
        r.stderr
    );
    assert!(!r.stderr.contains("not-the-secret-value-1234"), "{}", r.stderr);
    no_secret(&r);
    assert!(server.calls().is_empty(), "no ARM call without a token");
}

#[test]
fn a_subscription_without_permission_exits_3_naming_it_and_the_permission() {
    let (dir, w, server) = setup();
    server.update(|f| f.denied = vec![w.b.clone()]);
    let r = check(dir.path(), &server, &[], &["--state", "state.json", "--fail-on", "never"]);
    assert_eq!(r.code, 3, "a partial scan never passes: {}", r.stderr);
    assert!(r.stderr.contains(&w.b), "{}", r.stderr);
    assert!(r.stderr.contains("Microsoft.Compute/virtualMachines/read"), "{}", r.stderr);
    assert!(r.stderr.contains("AuthorizationFailed"), "{}", r.stderr);
    no_secret(&r);
    // What the denied subscription declares is not reported missing.
    let v = report(&r);
    assert_eq!(v["summary"]["missing"], 0, "unread declarations are not missing: {:#}", v["summary"]);
}

#[test]
fn an_unreachable_or_hanging_endpoint_exits_3_within_30_seconds() {
    let (dir, _w, server) = setup();
    // Nothing listens.
    let closed = format!("http://127.0.0.1:{}", common::daemon::free_port());
    let started = Instant::now();
    let r = check(dir.path(), &server, &[("DRIFTD_AZURE_ENDPOINT", closed.clone())], &["--state", "state.json"]);
    let took = started.elapsed();
    common::assert_one_error(&r, 3);
    assert!(took < Duration::from_secs(30), "{took:?}");
    assert!(
        r.stderr.contains("could not reach") && r.stderr.contains(closed.trim_start_matches("http://")),
        "{}",
        r.stderr
    );
    // ARM accepts the connection and never answers.
    server.fail_next((0..8).map(|_| Fault::Hang(Duration::from_secs(40))));
    let started = Instant::now();
    let r = check(dir.path(), &server, &[], &["--state", "state.json"]);
    let took = started.elapsed();
    common::assert_one_error(&r, 3);
    assert!(took < Duration::from_secs(30), "a hanging ARM is given up within 30 s: {took:?}");
    assert!(r.stderr.contains("timed out"), "{}", r.stderr);
    no_secret(&r);
}

#[test]
fn state_from_azurite_through_azurerm_urls() {
    let (dir, _w, server) = setup();
    let azurite = Azurite::start();
    let state = std::fs::read(dir.path().join("state.json")).unwrap();
    azurite.put("tfstate", "ml/gpu.tfstate", &state);
    let url = format!("azurerm://{}/tfstate/ml/gpu.tfstate", common::azurite::ACCOUNT);
    // The connection string names the endpoint and the key.
    let r = check(
        dir.path(),
        &server,
        &[("AZURE_STORAGE_CONNECTION_STRING", azurite.connection_string())],
        &["--state", &url],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    no_secret(&r);
    let v = report(&r);
    assert_eq!(v["summary"]["managed"], 13);
    assert_eq!(v["sources"]["declared"][0]["location"], url.as_str());
    // The same state found by discovery, through a root module's azurerm backend.
    let root_module = dir.path().join("infra/gpu");
    std::fs::create_dir_all(&root_module).unwrap();
    let backend = format!(
        "terraform {{\n  backend \"azurerm\" {{\n    storage_account_name = \"{}\"\n    container_name       = \"tfstate\"\n    key                  = \"ml/gpu.tfstate\"\n  }}\n}}\n",
        common::azurite::ACCOUNT
    );
    std::fs::write(root_module.join("backend.tf"), backend).unwrap();
    let r = check(
        dir.path(),
        &server,
        &[("AZURE_STORAGE_CONNECTION_STRING", azurite.connection_string())],
        &["--discover", "infra"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    no_secret(&r);
    let v = report(&r);
    assert_eq!(v["summary"]["managed"], 13);
    assert_eq!(v["sources"]["declared"][0]["location"], url.as_str());
    assert_eq!(v["sources"]["declared"][0]["root_module"], "gpu");
    // Terraform's own variable for the key, with the endpoint given apart.
    let env = [
        ("ARM_ACCESS_KEY", common::azurite::KEY.to_string()),
        ("DRIFTD_AZURE_BLOB_ENDPOINT", azurite.endpoint.clone()),
    ];
    let r = check(dir.path(), &server, &env, &["--state", &url]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // A SAS for that blob alone (Terraform's ARM_SAS_TOKEN).
    let sas = azurite.blob_sas("tfstate", "ml/gpu.tfstate", "2099-01-01T00:00:00Z");
    let env = [("ARM_SAS_TOKEN", sas.clone()), ("DRIFTD_AZURE_BLOB_ENDPOINT", azurite.endpoint.clone())];
    let r = check(dir.path(), &server, &env, &["--state", &url]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let sig = sas.split("sig=").nth(1).unwrap().to_string();
    // An expired SAS: exit 3, and its signature never printed.
    let expired = azurite.blob_sas("tfstate", "ml/gpu.tfstate", "2020-01-01T00:00:00Z");
    let env = [("ARM_SAS_TOKEN", expired.clone()), ("DRIFTD_AZURE_BLOB_ENDPOINT", azurite.endpoint.clone())];
    let r = check(dir.path(), &server, &env, &["--state", &url]);
    common::assert_one_error(&r, 3);
    assert!(r.stderr.contains("access denied with a SAS token"), "{}", r.stderr);
    let expired_sig = expired.split("sig=").nth(1).unwrap();
    assert!(!r.stderr.contains(expired_sig) && !r.stderr.contains(&sig), "{}", r.stderr);
    // A wrong key: exit 3, named, never printed.
    let wrong = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktd3Jvbmcta2V5LXdyb25nLWtleQ==";
    let env = [("ARM_ACCESS_KEY", wrong.to_string()), ("DRIFTD_AZURE_BLOB_ENDPOINT", azurite.endpoint.clone())];
    let r = check(dir.path(), &server, &env, &["--state", &url]);
    common::assert_one_error(&r, 3);
    assert!(r.stderr.contains("access denied with the storage account key"), "{}", r.stderr);
    assert!(!r.stderr.contains(wrong), "{}", r.stderr);
    // No such blob: exit 3, saying which.
    let missing = format!("azurerm://{}/tfstate/ml/none.tfstate", common::azurite::ACCOUNT);
    let r = check(
        dir.path(),
        &server,
        &[("AZURE_STORAGE_CONNECTION_STRING", azurite.connection_string())],
        &["--state", &missing],
    );
    common::assert_one_error(&r, 3);
    assert!(r.stderr.contains("no such blob"), "{}", r.stderr);
}

#[test]
fn custom_role_lists_exactly_the_operations_the_code_performs() {
    let (dir, _w, server) = setup();
    let azurite = Azurite::start();
    azurite.put("tfstate", "gpu.tfstate", &std::fs::read(dir.path().join("state.json")).unwrap());
    let trace = dir.path().join("ops.txt");
    let env = [
        ("DRIFTD_TRACE_API_CALLS", trace.display().to_string()),
        ("AZURE_STORAGE_CONNECTION_STRING", azurite.connection_string()),
    ];
    // No --subscription: the subscriptions are listed too, as in a full scan.
    let url = format!("azurerm://{}/tfstate/gpu.tfstate", common::azurite::ACCOUNT);
    let r = check(dir.path(), &server, &env, &["--state", &url]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let called: BTreeSet<String> = std::fs::read_to_string(&trace).unwrap().lines().map(str::to_string).collect();
    let role: Value =
        serde_json::from_slice(&std::fs::read(common::root().join("deploy/azure/driftd-reader-role.json")).unwrap())
            .unwrap();
    let granted: BTreeSet<String> = ["Actions", "DataActions"]
        .iter()
        .flat_map(|k| role[k].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()))
        .collect();
    assert_eq!(called, granted, "deploy/azure/driftd-reader-role.json must list exactly what the code performs");
    assert!(role["NotActions"].as_array().unwrap().is_empty() && role["IsCustom"] == true);
}

/// Microsoft's own example payloads, served by the local ARM as a subscription's
/// listings, go through the SDK and our JSON reads into a snapshot.
#[test]
fn microsofts_example_payloads_scan_into_a_snapshot() {
    let examples = common::root().join("testdata/azure-arm");
    let body = |f: &str| -> Value {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(examples.join(f)).unwrap()).unwrap();
        v["responses"]["200"]["body"].clone()
    };
    // The generated examples page to "nextLink": "a", a placeholder: the server pages itself.
    let list = |f: &str| body(f)["value"].as_array().unwrap().clone();
    let mut vms = list("compute-2025-04-01/VirtualMachine_ListAll_MaximumSet_Gen.json");
    vms.extend(list("compute-2025-04-01/VirtualMachine_ListAll_MinimumSet_Gen.json"));
    vms.extend(list("compute-2025-04-01/VirtualMachine_ListBySubscription_ByLocation.json"));
    vms.push(body("compute-2025-04-01/VirtualMachine_Get.json"));
    let mut sets = list("compute-2025-04-01/VirtualMachineScaleSet_ListAll_MaximumSet_Gen.json");
    sets.extend(list("compute-2025-04-01/VirtualMachineScaleSet_ListAll_MinimumSet_Gen.json"));
    sets.push(body("compute-2025-04-01/VirtualMachineScaleSet_Create_WithSpotRestorePolicy.json"));
    // A cluster whose pools are the agent pool examples.
    let mut pools: Vec<Value> = list("containerservice-2025-10-01/AgentPoolsList.json");
    pools.push(body("containerservice-2025-10-01/AgentPoolsCreate_GPUMIG.json"));
    pools.push(body("containerservice-2025-10-01/AgentPoolsCreate_Spot.json"));
    let profiles: Vec<Value> = pools
        .iter()
        .map(|p| {
            let mut profile = p["properties"].clone();
            profile["name"] = p["name"].clone();
            profile
        })
        .collect();
    let mut system = Pool::new("system", "Standard_D4s_v5", 1);
    system.mode = "System".into();
    let mut cluster = Cluster::new(&sub_id(9), "examples", vec![system]).arm();
    cluster["properties"]["agentPoolProfiles"].as_array_mut().unwrap().extend(profiles);
    let sub = sub_id(9);
    let mut fleet = Fleet { page_size: 3, ..Fleet::default() };
    fleet.subscriptions.insert(
        sub.clone(),
        Subscription { vms: vms.clone(), scale_sets: sets.clone(), clusters: vec![cluster], ..Default::default() },
    );
    let server = ArmServer::start(fleet);
    let dir = tempfile::tempdir().unwrap();
    let r = driftd_env(dir.path(), &["snapshot", "--provider", "azure", "--subscription", &sub], &server.env());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let snap: Value = serde_json::from_str(&r.stdout).unwrap();
    let started = snap["scans"][0]["started_at"].as_str().unwrap_or_default();
    assert!(started.parse::<jiff::Timestamp>().is_ok(), "the scan says when it began: {}", snap["scans"]);
    let res = snap["resources"].as_array().unwrap();
    let count = |t: &str| res.iter().filter(|r| r["type"] == t).count();
    assert_eq!(count("azurerm_linux_virtual_machine") + count("azurerm_windows_virtual_machine"), vms.len());
    let windows = vms
        .iter()
        .filter(|v| {
            v["properties"]["osProfile"].get("windowsConfiguration").is_some()
                || v["properties"]["storageProfile"]["osDisk"]["osType"] == "Windows"
        })
        .count();
    assert_eq!(windows, 5, "the examples' Windows VMs");
    assert_eq!(count("azurerm_windows_virtual_machine"), windows);
    assert_eq!(count("azurerm_kubernetes_cluster"), 1);
    assert_eq!(count("azurerm_kubernetes_cluster_node_pool"), pools.len(), "every pool but the default one");
    let mig = res.iter().find(|r| r["attributes"]["gpu_instance"] == "MIG2g").expect("the MIG pool");
    assert_eq!(mig["attributes"]["vm_size"], "Standard_ND96asr_v4");
    assert_eq!(mig["gpu"]["count"], 8.0);
    // Scale sets, by azurerm's types: Flexible ones are orchestrated, Uniform Linux ones
    // linux; Uniform Windows ones are a type driftd does not cover.
    let flexible =
        |v: &&Value| v["properties"]["orchestrationMode"].as_str().is_some_and(|m| m.eq_ignore_ascii_case("flexible"));
    let windows = |v: &&Value| {
        let profile = &v["properties"]["virtualMachineProfile"];
        profile["osProfile"].get("windowsConfiguration").is_some()
            || profile["storageProfile"]["osDisk"]["osType"].as_str().is_some_and(|t| t.eq_ignore_ascii_case("windows"))
    };
    let want_orchestrated = sets.iter().filter(flexible).count();
    let want_linux = sets.iter().filter(|v| !flexible(v) && !windows(v)).count();
    assert_eq!(count("azurerm_orchestrated_virtual_machine_scale_set"), want_orchestrated);
    assert_eq!(count("azurerm_linux_virtual_machine_scale_set"), want_linux);
    assert!(want_orchestrated + want_linux >= 1, "the examples hold a covered scale set");
    assert_eq!(snap["scans"][0]["error"], Value::Null, "{:#}", snap["scans"]);
    assert_eq!(snap["scans"][0]["failures"], Value::Null, "{:#}", snap["scans"]);
}

/// A node pool added by hand is one unmanaged finding, carrying its scale set's cost; the
/// scale set AKS made for it is never a finding of its own.
#[test]
fn a_pool_added_by_hand_is_one_finding_with_its_scale_set() {
    let (dir, w, server) = setup();
    let mut state = w.state();
    state["resources"]
        .as_array_mut()
        .unwrap()
        .retain(|r| !(r["type"] == "azurerm_kubernetes_cluster_node_pool" && r["name"] == "gpu"));
    std::fs::write(dir.path().join("state.json"), state.to_string()).unwrap();
    let r = check(dir.path(), &server, &[], &["--state", "state.json", "--fail-on", "never"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = report(&r);
    let f = findings(&v);
    let pool = w.cluster.pool_id("gpu").replace("/resourceGroups/", "/resourcegroups/");
    assert_eq!(f, [("unmanaged".to_string(), pool, vec![])].into_iter().collect(), "{:#}", v["findings"]);
    let finding = &v["findings"][0];
    assert_eq!(finding["resource"]["type"], "azurerm_kubernetes_cluster_node_pool");
    assert_eq!(finding["severity"], "high");
    assert!(finding["cost"]["live_per_hour_usd"].as_f64().unwrap() > 54.0, "2 ND96asr_v4 nodes: {finding:#}");
}

/// A certificate made with the openssl command: (PEM with key and certificate, public key PEM, x5t).
fn certificate(dir: &Path, name: &str) -> (std::path::PathBuf, std::path::PathBuf, String) {
    use base64::Engine;
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl makes test certificates");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let (key, cert) = (format!("{name}-key.pem"), format!("{name}-cert.pem"));
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        &key,
        "-out",
        &cert,
        "-days",
        "1",
        "-subj",
        "/CN=driftd-test",
    ]);
    let public = run(&["x509", "-in", &cert, "-pubkey", "-noout"]);
    std::fs::write(dir.join(format!("{name}-pub.pem")), public).unwrap();
    let fingerprint = run(&["x509", "-in", &cert, "-noout", "-fingerprint", "-sha1"]);
    let hex: String = fingerprint.trim().rsplit('=').next().unwrap().replace(':', "");
    let bytes: Vec<u8> = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
    let both = dir.join(format!("{name}.pem"));
    let pem = std::fs::read_to_string(dir.join(&key)).unwrap() + &std::fs::read_to_string(dir.join(&cert)).unwrap();
    std::fs::write(&both, pem).unwrap();
    (both, dir.join(format!("{name}-pub.pem")), base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

#[test]
fn a_client_certificate_signs_in_without_a_secret() {
    let (dir, _w, server) = setup();
    let (pem, public, x5t) = certificate(dir.path(), "app");
    server.register_certificate(&x5t, &public);
    let env = [
        ("AZURE_CREDENTIAL_KIND", "clientcertificate".to_string()),
        ("AZURE_CLIENT_SECRET", String::new()),
        ("AZURE_CLIENT_CERTIFICATE_PATH", pem.display().to_string()),
    ];
    let r = check(dir.path(), &server, &env, &["--state", "state.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(findings(&report(&r)).is_empty());
    // The chain takes the certificate from the environment too, when no secret is set.
    let env = [("AZURE_CREDENTIAL_KIND", "environment".to_string()), env[1].clone(), env[2].clone()];
    assert_eq!(check(dir.path(), &server, &env, &["--state", "state.json"]).code, 0);
    // A certificate the app does not know: refused, exit 3, the key never printed.
    let (other, _, _) = certificate(dir.path(), "stranger");
    let env = [
        ("AZURE_CREDENTIAL_KIND", "clientcertificate".to_string()),
        ("AZURE_CLIENT_CERTIFICATE_PATH", other.display().to_string()),
    ];
    let r = check(dir.path(), &server, &env, &["--state", "state.json"]);
    common::assert_one_error(&r, 3);
    assert!(r.stderr.contains("invalid_client"), "{}", r.stderr);
    assert!(!r.stderr.contains("PRIVATE KEY"), "{}", r.stderr);
}
