//! `azurerm_orchestrated_virtual_machine_scale_set`
//!
//! ## What drifts
//! Flexible scale sets of GPU VMs resized (`sku_name`), scaled by hand (`instances`),
//! switched between Regular and Spot, moved between zones or re-tagged outside
//! Terraform; scale sets deleted or created by hand.
//!
//! ## Why it matters
//! `sku_name` × `instances` is the bill. Its VMs are ordinary VM resources that belong
//! to it (`virtual_machine_scale_set_id`): never reported as unmanaged on their own.
//!
//! ## Noise that is not drift
//! ARM id and enum casing, zone order, the unique id. `sku_name` is Terraform's
//! `<tier>_<size>` form (`Standard_ND96asr_v4`), as ARM's `sku.name` is.
//!
//! ## Owners
//! AKS and CycleCloud, as for Uniform scale sets: `owners.rs`.
//!
//! ## Read from
//! `VirtualMachineScaleSets_ListAll` (compute SDK, `scale_set.rs`): scale sets in
//! Flexible orchestration mode.

use crate::azure::owners;
use driftd_core::model::{Cloud, Severity::*};
use driftd_core::spec::{Attr, CostRule, Lit, NameRule, Norm, TypeSpec};

pub const SPEC: TypeSpec = TypeSpec {
    tf_type: "azurerm_orchestrated_virtual_machine_scale_set",
    cloud: Cloud::Azure,
    doc: "Flexible GPU scale sets resized, scaled by hand, switched between Regular and Spot or moved between zones outside Terraform.",
    compared: &[
        Attr::new("sku_name", High).norms(&[Norm::Lowercase]),
        Attr::new("instances", High),
        Attr::new("priority", Medium).norms(&[Norm::Lowercase, Norm::Default(Lit::Str("regular"))]),
        Attr::new("eviction_policy", Medium).norms(&[Norm::Lowercase]),
        Attr::new("max_bid_price", Low).norms(&[Norm::Default(Lit::Int(-1))]),
        Attr::new("zones", Medium).norms(&[Norm::Set]),
        Attr::new("platform_fault_domain_count", Low),
        Attr::new("single_placement_group", Low).norms(&[Norm::Default(Lit::Bool(false))]),
        Attr::new("zone_balance", Low).norms(&[Norm::Default(Lit::Bool(false))]),
        Attr::new("encryption_at_host_enabled", High).norms(&[Norm::Default(Lit::Bool(false))]),
        Attr::new("identity.0.type", Medium).norms(&[Norm::Lowercase]),
        Attr::new("identity.0.identity_ids", Medium).norms(&[Norm::Lowercase, Norm::Set]),
        Attr::new("tags", Low),
    ],
    computed_only: &["id", "unique_id", "os_profile", "network_interface"],
    cost: Some(CostRule { size_attr: "sku_name", count_attr: Some("instances"), idle_when: None, spot_when: Some(("priority", &["Spot", "Low"])) }),
    name: NameRule::Attr("name"),
    missing: High,
    unmanaged: High,
    change_messages: &[
        ("sku_name", "scale set size changed outside Terraform"),
        ("instances", "scale set capacity changed outside Terraform"),
        ("priority", "priority (Regular/Spot) changed outside Terraform"),
        ("zones", "zones changed outside Terraform"),
        ("tags", "tags changed outside Terraform"),
    ],
    owners: owners::COMPUTE,
    absorbs: &[],
    gpu_facts_from: None,
    events: super::events::SCALE_SET_OPERATIONS,
};

#[cfg(feature = "azure")]
pub fn to_resource(subscription: &str, set: &super::sdk::VirtualMachineScaleSet) -> driftd_core::model::Resource {
    super::scale_set::to_resource(SPEC.tf_type, super::scale_set::Orchestration::Flexible, subscription, set)
}
