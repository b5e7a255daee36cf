//! `azurerm_linux_virtual_machine`
//!
//! ## What drifts
//! GPU VMs resized (NC/ND/NV sizes), switched between Regular and Spot, re-tagged,
//! given password logins or new identities outside Terraform; VMs deleted or created
//! by hand.
//!
//! ## Why it matters
//! `size` moves cost by up to ~$100 an hour on ND H100 sizes; password authentication,
//! encryption at host and identity are security controls.
//!
//! ## Noise that is not drift
//! ARM id and enum casing (`Standard_LRS` vs `standard_lrs`, `resourceGroups` vs
//! `resourcegroups`), location spelling (`East US` vs `eastus`), NIC order,
//! computed ids and addresses.
//!
//! ## Owners
//! VMs of a Flexible scale set (`virtual_machine_scale_set_id`), AKS pools of the
//! VirtualMachines type, CycleCloud nodes: `owners.rs`.
//!
//! ## Read from
//! `VirtualMachines_ListAll` (compute SDK, `vm.rs`): Linux and Windows VMs in one
//! subscription-wide listing, told apart by their OS configuration.

use crate::azure::owners;
use driftd_core::model::{Cloud, Severity::*};
use driftd_core::spec::{Attr, CostRule, Lit, NameRule, Norm, TypeSpec};

pub const SPEC: TypeSpec = TypeSpec {
    tf_type: "azurerm_linux_virtual_machine",
    cloud: Cloud::Azure,
    doc: "GPU VMs resized, switched between Regular and Spot, re-tagged or given password logins outside Terraform.",
    compared: &[
        Attr::new("size", High).norms(&[Norm::Lowercase]),
        Attr::new("priority", Medium).norms(&[Norm::Lowercase, Norm::Default(Lit::Str("regular"))]),
        Attr::new("eviction_policy", Medium).norms(&[Norm::Lowercase]),
        Attr::new("max_bid_price", Low).norms(&[Norm::Default(Lit::Int(-1))]),
        Attr::new("admin_username", Medium),
        Attr::new("disable_password_authentication", High).norms(&[Norm::Default(Lit::Bool(true))]),
        Attr::new("encryption_at_host_enabled", High).norms(&[Norm::Default(Lit::Bool(false))]),
        Attr::new("secure_boot_enabled", Medium).norms(&[Norm::Default(Lit::Bool(false))]),
        Attr::new("vtpm_enabled", Medium).norms(&[Norm::Default(Lit::Bool(false))]),
        Attr::new("network_interface_ids", Medium).norms(&[Norm::Lowercase, Norm::Set]),
        Attr::new("identity.0.type", Medium).norms(&[Norm::Lowercase]),
        Attr::new("identity.0.identity_ids", Medium).norms(&[Norm::Lowercase, Norm::Set]),
        Attr::new("os_disk.0.storage_account_type", Low).norms(&[Norm::Lowercase]),
        Attr::new("os_disk.0.disk_size_gb", Low),
        Attr::new("os_disk.0.caching", Low).norms(&[Norm::Lowercase]),
        Attr::new("source_image_reference.0.publisher", Medium).norms(&[Norm::Lowercase]),
        Attr::new("source_image_reference.0.offer", Medium).norms(&[Norm::Lowercase]),
        Attr::new("source_image_reference.0.sku", Medium).norms(&[Norm::Lowercase]),
        Attr::new("source_image_reference.0.version", Low).norms(&[Norm::Lowercase]),
        Attr::new("zone", Low),
        Attr::new("availability_set_id", Low).norms(&[Norm::Lowercase]),
        Attr::new("proximity_placement_group_id", Low).norms(&[Norm::Lowercase]),
        Attr::new("license_type", Low),
        Attr::new("tags", Low),
    ],
    computed_only: &[
        "id",
        "virtual_machine_id",
        "private_ip_address",
        "private_ip_addresses",
        "public_ip_address",
        "public_ip_addresses",
        "os_disk.0.name",
        "os_disk.0.id",
        "admin_ssh_key",
        "admin_password",
        "custom_data",
        "user_data",
        "power_state",
        "computer_name",
        "virtual_machine_scale_set_id",
        "platform_fault_domain",
        "provision_vm_agent",
        "source_image_id",
    ],
    cost: Some(CostRule {
        size_attr: "size",
        count_attr: None,
        idle_when: Some(("power_state", &["deallocated", "stopped (deallocated)"])),
        spot_when: Some(("priority", &["Spot", "Low"])),
    }),
    name: NameRule::Attr("name"),
    missing: High,
    unmanaged: High,
    change_messages: &[
        ("size", "VM size changed outside Terraform"),
        ("priority", "priority (Regular/Spot) changed outside Terraform"),
        ("disable_password_authentication", "password authentication changed outside Terraform"),
        ("encryption_at_host_enabled", "encryption at host changed outside Terraform"),
        ("tags", "tags changed outside Terraform"),
    ],
    owners: owners::VM,
    absorbs: &[],
    gpu_facts_from: None,
    events: super::events::VM_OPERATIONS,
};

#[cfg(feature = "azure")]
pub fn to_resource(subscription: &str, vm: &super::sdk::VirtualMachine) -> driftd_core::model::Resource {
    super::vm::to_resource(SPEC.tf_type, subscription, vm)
}
