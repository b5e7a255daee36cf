//! Microsoft's own example payloads (`testdata/azure-arm/`, from
//! Azure/azure-rest-api-specs) read by the same code a scan uses: every file is walked,
//! each classified by the operation it answers, and none may fail to deserialise or to
//! convert. A new file fails this test until it is classified.

#![cfg(feature = "azure")]

use driftd_providers::azure::aks::{AgentPool, Page};
use driftd_providers::azure::sdk::{
    VirtualMachine, VirtualMachineListResult, VirtualMachineScaleSet, VirtualMachineScaleSetListWithLinkResult,
};
use driftd_providers::azure::{kubernetes_cluster_node_pool, linux_virtual_machine, linux_virtual_machine_scale_set};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/azure-arm")
}

/// The 200 body of an example file.
fn body(path: &Path) -> Value {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["responses"]["200"]["body"].clone()
}

fn files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for service in std::fs::read_dir(dir()).unwrap() {
        let service = service.unwrap().path();
        if service.is_dir() {
            for f in std::fs::read_dir(&service).unwrap() {
                out.push(f.unwrap().path());
            }
        }
    }
    out.sort();
    out
}

fn fail<T>(name: &str, e: impl std::fmt::Display) -> T {
    panic!("{name}: {e}")
}

#[test]
fn every_example_payload_deserialises_and_converts() {
    let mut read = 0;
    for path in files() {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let b = body(&path);
        match name.as_str() {
            n if n.starts_with("VirtualMachine_List") => {
                let page: VirtualMachineListResult = serde_json::from_value(b).unwrap_or_else(|e| fail(&name, e));
                assert!(!page.value.is_empty(), "{name}");
                for vm in &page.value {
                    let r = linux_virtual_machine::to_resource("sub", vm);
                    assert_eq!(r.id, vm.resource.id.clone().unwrap_or_default(), "{name}");
                    assert!(r.attributes["size"].is_string() || vm.properties.is_none(), "{name}: {}", r.attributes);
                }
            }
            "VirtualMachine_Get.json" => {
                let vm: VirtualMachine = serde_json::from_value(b).unwrap_or_else(|e| fail(&name, e));
                let r = linux_virtual_machine::to_resource("sub", &vm);
                assert_eq!(r.attributes["size"], "Standard_DS3_v2");
                assert_eq!(r.attributes["tags"]["myTag1"], "tagValue1");
            }
            "VirtualMachine_Get_InstanceView.json" => {
                // The instance view of one VM: not read by a scan (ListAll carries no
                // power state); its model must still parse for `statusOnly` listings.
                serde_json::from_value::<driftd_providers::azure::sdk::VirtualMachineInstanceView>(b)
                    .unwrap_or_else(|e| fail(&name, e));
            }
            n if n.starts_with("VirtualMachineScaleSet_List") => {
                let page: VirtualMachineScaleSetListWithLinkResult =
                    serde_json::from_value(b).unwrap_or_else(|e| fail(&name, e));
                for set in &page.value {
                    let r = linux_virtual_machine_scale_set::to_resource("sub", set);
                    assert!(r.attributes["instances"].is_i64(), "{name}");
                }
            }
            n if n.starts_with("VirtualMachineScaleSet_") => {
                let set: VirtualMachineScaleSet = serde_json::from_value(b).unwrap_or_else(|e| fail(&name, e));
                let r = linux_virtual_machine_scale_set::to_resource("sub", &set);
                if n.contains("Spot") {
                    assert_eq!(r.attributes["priority"], "Spot");
                    assert_eq!(r.attributes["eviction_policy"], "Deallocate");
                    assert_eq!(r.attributes["max_bid_price"], -1.0);
                }
            }
            n if n.starts_with("VirtualMachineScaleSetVM_List") => {
                // VMs of Uniform scale sets: not listed by a scan (the scale set's
                // `instances` is what is compared and priced); the model must parse.
                serde_json::from_value::<driftd_providers::azure::sdk::VirtualMachineScaleSetVmListResult>(b)
                    .unwrap_or_else(|e| fail(&name, e));
            }
            "AgentPoolsList.json" => {
                let page: Page<AgentPool> = serde_json::from_value(b).unwrap_or_else(|e| fail(&name, e));
                assert!(!page.value.is_empty());
                for pool in page.value {
                    let id = pool.id.clone().unwrap();
                    let cluster = id.rsplit_once("/agentPools/").unwrap().0.to_string();
                    let r = kubernetes_cluster_node_pool::to_resource("sub", &cluster, "eastus", &pool.into_profile());
                    assert!(r.id.eq_ignore_ascii_case(&id), "{} vs {id}", r.id);
                }
            }
            n if n.starts_with("AgentPools") => {
                let pool: AgentPool = serde_json::from_value(b).unwrap_or_else(|e| fail(&name, e));
                let id = pool.id.clone().unwrap();
                let cluster = id.rsplit_once("/agentPools/").unwrap().0.to_string();
                let r = kubernetes_cluster_node_pool::to_resource("sub", &cluster, "eastus", &pool.into_profile());
                if n.contains("GPUMIG") {
                    assert_eq!(r.attributes["vm_size"], "Standard_ND96asr_v4");
                    assert_eq!(r.attributes["gpu_instance"], "MIG2g");
                    assert_eq!(r.gpu.as_ref().unwrap()["count"], 8.0, "GPU facts by size");
                }
                if n.contains("Spot") {
                    assert_eq!(r.attributes["priority"], "Spot");
                }
            }
            "CapacityReservationGroup_ListBySubscription.json" => {
                // The groups name their reservations, without the leading `/` here.
                let groups = b["value"].as_array().unwrap();
                let ids: Vec<&str> = groups
                    .iter()
                    .flat_map(|g| g["properties"]["capacityReservations"].as_array().unwrap())
                    .map(|r| r["id"].as_str().unwrap())
                    .collect();
                assert_eq!(ids.len(), 4, "{name}");
                assert!(ids.iter().all(|id| id.contains("/capacityReservations/")), "{name}");
            }
            "CapacityReservation_Get.json" => {
                let group = "/subscriptions/s/resourceGroups/myResourceGroup/providers/Microsoft.Compute/capacityReservationGroups/myCapacityReservationGroup";
                let r = driftd_providers::azure::capacity_reservation::to_resource("sub", group, &b);
                assert_eq!(r.attributes["sku"][0]["capacity"], 4);
                assert_eq!(r.attributes["virtual_machines_allocated"].as_array().unwrap().len(), 2);
            }
            // Read by no scan: Resource Graph, resource changes and the activity log are
            // not how driftd lists (a subscription-wide list per type is cheaper and exact).
            n if ["GetActivityLogsFiltered.json", "ResourceChanges.json"].contains(&n)
                || n.starts_with("Resources") =>
            {
                assert!(b.is_object(), "{name}");
                continue;
            }
            "README.md" => continue,
            other => panic!("{other}: classify this example (which operation, which type reads it)"),
        }
        read += 1;
    }
    assert!(read >= 17, "read {read} example payloads");
}

/// VM sizes newer than the SDK's enum arrive as its unknown value and are compared,
/// priced and given GPU facts as strings.
#[test]
fn sizes_newer_than_the_sdk_enum_are_plain_strings() {
    let mut v = body(&dir().join("compute-2025-04-01/VirtualMachine_Get.json"));
    v["properties"]["hardwareProfile"]["vmSize"] = Value::from("Standard_ND96isr_H200_v5");
    let vm: VirtualMachine = serde_json::from_value(v).unwrap();
    let r = linux_virtual_machine::to_resource("sub", &vm);
    assert_eq!(r.attributes["size"], "Standard_ND96isr_H200_v5");
    assert_eq!(r.gpu.as_ref().unwrap()["model"], "H200");
}

/// Every attribute the scale set type compares is one the azurerm provider really
/// writes: checked against a real plan (`testdata/real-state/kaytu-io__pennywise/`,
/// planned values and computed-later ones), the one real azurerm compute shape we hold.
#[test]
fn scale_set_compared_attributes_exist_in_a_real_azurerm_plan() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/real-state/kaytu-io__pennywise/sample__azure__tfplan.json");
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let change = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "azurerm_linux_virtual_machine_scale_set")
        .unwrap()["change"]
        .clone();
    let mut real: Vec<String> = change["after"].as_object().unwrap().keys().cloned().collect();
    real.extend(change["after_unknown"].as_object().unwrap().keys().cloned());
    for attr in linux_virtual_machine_scale_set::SPEC.compared {
        let root = attr.path.split('.').next().unwrap();
        assert!(
            real.iter().any(|k| k == root),
            "{root} is not an attribute of a real azurerm_linux_virtual_machine_scale_set"
        );
    }
    for (block, leaf) in [("os_disk", "storage_account_type"), ("source_image_reference", "publisher")] {
        assert!(change["after"][block][0].get(leaf).is_some(), "{block}.0.{leaf}");
    }
}
