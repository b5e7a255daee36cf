//! `azurerm_capacity_reservation`
//!
//! ## What drifts
//! On-demand capacity reservations of GPU sizes resized (`sku.capacity`) or made by hand
//! in a capacity reservation group.
//!
//! ## Why it matters
//! A reservation is billed at the pay-as-you-go price of its size whether VMs run in it
//! or not: 4 reserved ND96isr H100 v5 cost as much idle as running. Priced as the size ×
//! `sku.capacity`; the GPU pack prices its idle share (what the reservation's instance
//! view says is allocated, read live).
//!
//! ## Read from
//! The subscription's capacity reservation groups (`capacityReservationGroups`, one list),
//! then each reservation they name by id with `$expand=instanceView` (its utilisation:
//! `currentCapacity`, `virtualMachinesAllocated`): one GET per reservation, and fleets
//! hold few. ARM's group listing may name a reservation without the leading `/`.

use driftd_core::model::{Cloud, Severity::*};
use driftd_core::spec::{Attr, CostRule, NameRule, Norm, TypeSpec};

pub const SPEC: TypeSpec = TypeSpec {
    tf_type: "azurerm_capacity_reservation",
    cloud: Cloud::Azure,
    doc: "GPU capacity reservations resized or made outside Terraform; billed whether VMs use them or not.",
    compared: &[
        Attr::new("sku.0.name", High).norms(&[Norm::Lowercase]),
        Attr::new("sku.0.capacity", High),
        Attr::new("zone", Medium),
        Attr::new("tags", Low),
    ],
    computed_only: &["id", "capacity_reservation_group_id", "current_capacity", "virtual_machines_allocated"],
    cost: Some(CostRule {
        size_attr: "sku.0.name",
        count_attr: Some("sku.0.capacity"),
        idle_when: None,
        spot_when: None,
    }),
    name: NameRule::Attr("name"),
    missing: Medium,
    unmanaged: High,
    change_messages: &[
        ("sku.0.capacity", "reserved GPU capacity changed outside Terraform"),
        ("sku.0.name", "reserved VM size changed outside Terraform"),
    ],
    owners: &[],
    absorbs: &[],
    gpu_facts_from: Some("sku.0.name"),
    events: super::events::CAPACITY_RESERVATION_OPERATIONS,
};

#[cfg(feature = "azure")]
pub use lister::to_resource;

#[cfg(feature = "azure")]
mod lister {
    use crate::azure::util;
    use driftd_core::model::Resource;
    use serde_json::{json, Value};

    /// A reservation as ARM's GET with `$expand=instanceView` answers, in azurerm's shape,
    /// plus what only the instance view says: `current_capacity` (billed) and the VMs
    /// `virtual_machines_allocated`. `group_id`: the group it belongs to.
    pub fn to_resource(sub: &str, group_id: &str, r: &Value) -> Resource {
        let id = r.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
        let sku = r.get("sku").cloned().unwrap_or(Value::Null);
        let usage = r.pointer("/properties/instanceView/utilizationInfo");
        let allocated: Vec<Value> = usage
            .and_then(|u| u.get("virtualMachinesAllocated"))
            .and_then(Value::as_array)
            .map(|vms| vms.iter().filter_map(|v| v.get("id").cloned()).collect())
            .unwrap_or_default();
        let zone = r.get("zones").and_then(Value::as_array).and_then(|z| z.first()).cloned().unwrap_or(Value::Null);
        let attributes = json!({
            "id": id,
            "name": r.get("name").cloned().unwrap_or(Value::Null),
            "location": r.get("location").cloned().unwrap_or(Value::Null),
            "capacity_reservation_group_id": group_id,
            "sku": [{"name": sku.get("name").cloned().unwrap_or(Value::Null), "capacity": sku.get("capacity").cloned().unwrap_or(Value::Null)}],
            "zone": zone,
            "tags": util::tags(r.get("tags")),
            "current_capacity": usage.and_then(|u| u.get("currentCapacity")).cloned().unwrap_or(Value::Null),
            // Absent (null) without an instance view: how much is in use is then unknown.
            "virtual_machines_allocated": if usage.is_some() { Value::from(allocated) } else { Value::Null },
        });
        util::resource("azurerm_capacity_reservation", sub, id, attributes, "sku.0.name")
    }

    #[cfg(test)]
    mod tests {
        /// Microsoft's `CapacityReservation_Get` example (`testdata/azure-arm/`): 4
        /// reserved, 5 billed, 2 VMs allocated.
        #[test]
        fn microsofts_example_reservation_maps_with_its_utilisation() {
            let doc: serde_json::Value = serde_json::from_str(include_str!(
                "../../../testdata/azure-arm/compute-2024-03-01/CapacityReservation_Get.json"
            ))
            .unwrap();
            let body = &doc["responses"]["200"]["body"];
            let r = super::to_resource("sub-1", "/subscriptions/sub-1/resourceGroups/myResourceGroup/providers/Microsoft.Compute/capacityReservationGroups/myCapacityReservationGroup", body);
            assert_eq!(r.tf_type, "azurerm_capacity_reservation");
            assert_eq!(r.attributes["sku"][0]["name"], "Standard_DS1_v2");
            assert_eq!(
                (r.attributes["sku"][0]["capacity"].as_i64(), r.attributes["current_capacity"].as_i64()),
                (Some(4), Some(5))
            );
            assert_eq!(r.attributes["virtual_machines_allocated"].as_array().unwrap().len(), 2);
            assert_eq!((r.attributes["zone"].as_str(), r.region.as_deref()), (Some("1"), Some("westus")));
        }
    }
}
