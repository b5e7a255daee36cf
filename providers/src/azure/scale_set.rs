//! A scale set from `VirtualMachineScaleSets_ListAll` in azurerm's shape, shared by
//! `azurerm_linux_virtual_machine_scale_set` (Uniform) and
//! `azurerm_orchestrated_virtual_machine_scale_set` (Flexible): the type files call
//! [`to_resource`] with their type and orchestration; this file names neither.

use super::sdk::VirtualMachineScaleSet;
use super::util::{self, wire};
use driftd_core::model::Resource;
use serde_json::{json, Value};

/// How a scale set runs its VMs, as far as the covered types go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orchestration {
    /// Flexible: `azurerm_orchestrated_virtual_machine_scale_set`.
    Flexible,
    /// Uniform with a Linux profile (or none: AKS pools carry one):
    /// `azurerm_linux_virtual_machine_scale_set`.
    UniformLinux,
}

/// A scale set's orchestration; `None` for Uniform Windows scale sets, a type driftd
/// does not cover.
pub fn orchestration(set: &VirtualMachineScaleSet) -> Option<Orchestration> {
    let props = set.properties.as_ref();
    let mode = wire(props.and_then(|p| p.orchestration_mode.as_ref()));
    if mode.as_str().is_some_and(|m| m.eq_ignore_ascii_case("flexible")) {
        return Some(Orchestration::Flexible);
    }
    let profile = props.and_then(|p| p.virtual_machine_profile.as_ref());
    let windows = profile.and_then(|v| v.os_profile.as_ref()).is_some_and(|o| o.windows_configuration.is_some())
        || wire(
            profile
                .and_then(|v| v.storage_profile.as_ref())
                .and_then(|s| s.os_disk.as_ref())
                .and_then(|d| d.os_type.as_ref()),
        )
        .as_str()
        .is_some_and(|t| t.eq_ignore_ascii_case("windows"));
    (!windows).then_some(Orchestration::UniformLinux)
}

pub fn to_resource(
    tf_type: &str,
    orchestration: Orchestration,
    subscription: &str,
    set: &VirtualMachineScaleSet,
) -> Resource {
    let id = set.resource.id.clone().unwrap_or_default();
    let props = set.properties.as_ref();
    let profile = props.and_then(|p| p.virtual_machine_profile.as_ref());
    let os = profile.and_then(|v| v.os_profile.as_ref());
    let storage = profile.and_then(|v| v.storage_profile.as_ref());
    let disk = storage.and_then(|s| s.os_disk.as_ref());
    let image = storage.and_then(|s| s.image_reference.as_ref());
    let security = profile.and_then(|v| v.security_profile.as_ref());
    let uefi = security.and_then(|s| s.uefi_settings.as_ref());
    let priority = wire(profile.and_then(|v| v.priority.as_ref()));
    let spot = priority.as_str().is_some_and(|p| p.eq_ignore_ascii_case("spot"));
    let max_bid = profile.and_then(|v| v.billing_profile.as_ref()).and_then(|b| b.max_price);
    let sku = set.sku.as_ref().and_then(|s| s.name.clone());
    let identity = match set.identity.as_ref() {
        Some(i) => {
            util::identity(wire(i.type_.as_ref()), i.user_assigned_identities.as_ref(), &i.principal_id, &i.tenant_id)
        }
        None => json!([]),
    };
    let mut attributes = json!({
        "id": id,
        "name": set.resource.name,
        "resource_group_name": util::resource_group(&id),
        "location": set.resource.location,
        "instances": set.sku.as_ref().and_then(|s| s.capacity).unwrap_or(0),
        "priority": if priority.is_null() { Value::from("Regular") } else { priority },
        "eviction_policy": wire(profile.and_then(|v| v.eviction_policy.as_ref())),
        "max_bid_price": max_bid.map(Value::from).unwrap_or(if spot { Value::from(-1) } else { Value::Null }),
        "zones": set.zones,
        "platform_fault_domain_count": props.and_then(|p| p.platform_fault_domain_count),
        "single_placement_group": props.and_then(|p| p.single_placement_group),
        "proximity_placement_group_id": props
            .and_then(|p| p.proximity_placement_group.as_ref())
            .and_then(|g| g.id.clone())
            .unwrap_or_default(),
        "zone_balance": props.and_then(|p| p.zone_balance).unwrap_or(false),
        "encryption_at_host_enabled": security.and_then(|s| s.encryption_at_host).unwrap_or(false),
        "identity": identity,
        "unique_id": props.and_then(|p| p.unique_id.clone()),
        "tags": util::tags(set.resource.tags.as_ref()),
    });
    if orchestration == Orchestration::Flexible {
        attributes["sku_name"] = sku.map(Value::from).unwrap_or(Value::Null);
    } else {
        attributes["sku"] = sku.map(Value::from).unwrap_or(Value::Null);
        attributes["upgrade_mode"] = wire(props.and_then(|p| p.upgrade_policy.as_ref()).and_then(|u| u.mode.as_ref()));
        attributes["overprovision"] = Value::from(props.and_then(|p| p.overprovision).unwrap_or(true));
        attributes["admin_username"] =
            os.and_then(|o| o.admin_username.clone()).map(Value::from).unwrap_or(Value::Null);
        attributes["computer_name_prefix"] =
            os.and_then(|o| o.computer_name_prefix.clone()).map(Value::from).unwrap_or(Value::Null);
        attributes["disable_password_authentication"] = os
            .and_then(|o| o.linux_configuration.as_ref())
            .and_then(|l| l.disable_password_authentication)
            .map(Value::from)
            .unwrap_or(Value::Null);
        attributes["secure_boot_enabled"] = Value::from(uefi.and_then(|u| u.secure_boot_enabled).unwrap_or(false));
        attributes["vtpm_enabled"] = Value::from(uefi.and_then(|u| u.v_tpm_enabled).unwrap_or(false));
        attributes["os_disk"] = json!([{
            "caching": wire(disk.and_then(|d| d.caching.as_ref())),
            "storage_account_type": wire(disk.and_then(|d| d.managed_disk.as_ref()).and_then(|m| m.storage_account_type.as_ref())),
            "disk_size_gb": disk.and_then(|d| d.disk_size_gb),
        }]);
        attributes["source_image_reference"] = match image.filter(|i| i.publisher.is_some()) {
            Some(i) => json!([{"publisher": i.publisher, "offer": i.offer, "sku": i.sku, "version": i.version}]),
            None => json!([]),
        };
    }
    let size_attr = if attributes.get("sku_name").is_some() { "sku_name" } else { "sku" };
    util::resource(tf_type, subscription, id, attributes, size_attr)
}
