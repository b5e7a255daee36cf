//! `azurerm_linux_virtual_machine_scale_set`
//!
//! ## What drifts
//! GPU scale sets resized (`sku`), scaled by hand (`instances`), switched between
//! Regular and Spot or given another eviction policy or bid, moved between zones,
//! re-tagged; scale sets deleted or created by hand.
//!
//! ## Why it matters
//! `sku` × `instances` is the bill: one extra ND H100 instance is ~$98 an hour. Spot
//! changes who can take the capacity away; encryption at host and password logins are
//! security controls.
//!
//! ## Noise that is not drift
//! ARM id and enum casing, zone order, the unique id and computed names.
//!
//! ## Owners
//! AKS node pools' scale sets (node resource group + `aks-managed-poolName`), CycleCloud
//! node arrays: `owners.rs`.
//!
//! ## Read from
//! `VirtualMachineScaleSets_ListAll` (compute SDK, `scale_set.rs`): Uniform scale sets
//! with a Linux profile. Flexible ones are `azurerm_orchestrated_virtual_machine_scale_set`.

use crate::azure::owners;
use driftd_core::model::{Cloud, Severity::*};
use driftd_core::spec::{Attr, CostRule, Lit, NameRule, Norm, TypeSpec};

pub const SPEC: TypeSpec = TypeSpec {
    tf_type: "azurerm_linux_virtual_machine_scale_set",
    cloud: Cloud::Azure,
    doc: "GPU scale sets resized, scaled by hand, switched between Regular and Spot or moved between zones outside Terraform.",
    compared: &[
        Attr::new("sku", High).norms(&[Norm::Lowercase]),
        Attr::new("instances", High),
        Attr::new("priority", Medium).norms(&[Norm::Lowercase, Norm::Default(Lit::Str("regular"))]),
        Attr::new("eviction_policy", Medium).norms(&[Norm::Lowercase]),
        Attr::new("max_bid_price", Low).norms(&[Norm::Default(Lit::Int(-1))]),
        Attr::new("zones", Medium).norms(&[Norm::Set]),
        Attr::new("admin_username", Medium),
        Attr::new("disable_password_authentication", High).norms(&[Norm::Default(Lit::Bool(true))]),
        Attr::new("encryption_at_host_enabled", High).norms(&[Norm::Default(Lit::Bool(false))]),
        Attr::new("secure_boot_enabled", Medium).norms(&[Norm::Default(Lit::Bool(false))]),
        Attr::new("vtpm_enabled", Medium).norms(&[Norm::Default(Lit::Bool(false))]),
        Attr::new("upgrade_mode", Low).norms(&[Norm::Lowercase, Norm::Default(Lit::Str("manual"))]),
        Attr::new("overprovision", Low).norms(&[Norm::Default(Lit::Bool(true))]),
        Attr::new("single_placement_group", Low).norms(&[Norm::Default(Lit::Bool(true))]),
        Attr::new("platform_fault_domain_count", Low),
        Attr::new("identity.0.type", Medium).norms(&[Norm::Lowercase]),
        Attr::new("identity.0.identity_ids", Medium).norms(&[Norm::Lowercase, Norm::Set]),
        Attr::new("os_disk.0.storage_account_type", Low).norms(&[Norm::Lowercase]),
        Attr::new("os_disk.0.disk_size_gb", Low),
        Attr::new("source_image_reference.0.publisher", Medium).norms(&[Norm::Lowercase]),
        Attr::new("source_image_reference.0.offer", Medium).norms(&[Norm::Lowercase]),
        Attr::new("source_image_reference.0.sku", Medium).norms(&[Norm::Lowercase]),
        Attr::new("source_image_reference.0.version", Low).norms(&[Norm::Lowercase]),
        Attr::new("tags", Low),
    ],
    computed_only: &[
        "id",
        "unique_id",
        "admin_password",
        "admin_ssh_key",
        "custom_data",
        "user_data",
        "computer_name_prefix",
        "network_interface",
        "os_disk.0.caching",
    ],
    cost: Some(CostRule { size_attr: "sku", count_attr: Some("instances"), idle_when: None, spot_when: Some(("priority", &["Spot", "Low"])) }),
    name: NameRule::Attr("name"),
    missing: High,
    unmanaged: High,
    change_messages: &[
        ("sku", "scale set size changed outside Terraform"),
        ("instances", "scale set capacity changed outside Terraform"),
        ("priority", "priority (Regular/Spot) changed outside Terraform"),
        ("zones", "zones changed outside Terraform"),
        ("encryption_at_host_enabled", "encryption at host changed outside Terraform"),
        ("tags", "tags changed outside Terraform"),
    ],
    owners: owners::COMPUTE,
    absorbs: &[],
    gpu_facts_from: None,
    events: super::events::SCALE_SET_OPERATIONS,
};

#[cfg(feature = "azure")]
pub fn to_resource(subscription: &str, set: &super::sdk::VirtualMachineScaleSet) -> driftd_core::model::Resource {
    super::scale_set::to_resource(SPEC.tf_type, super::scale_set::Orchestration::UniformLinux, subscription, set)
}
