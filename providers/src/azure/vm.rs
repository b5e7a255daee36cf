//! A VM from `VirtualMachines_ListAll` in azurerm's shape: the attributes
//! `azurerm_linux_virtual_machine` and `azurerm_windows_virtual_machine` share, plus
//! each OS's own. The type files call [`to_resource`] with their Terraform type.

use super::sdk::VirtualMachine;
use super::util::{self, wire};
use driftd_core::model::Resource;
use serde_json::{json, Value};

/// Is this VM a Windows VM? Its OS configuration says; failing that, its OS disk.
pub fn is_windows(vm: &VirtualMachine) -> bool {
    let props = vm.properties.as_ref();
    let os = props.and_then(|p| p.os_profile.as_ref());
    if os.is_some_and(|o| o.windows_configuration.is_some()) {
        return true;
    }
    if os.is_some_and(|o| o.linux_configuration.is_some()) {
        return false;
    }
    let disk_os = props
        .and_then(|p| p.storage_profile.as_ref())
        .and_then(|s| s.os_disk.as_ref())
        .and_then(|d| d.os_type.as_ref());
    wire(disk_os).as_str().is_some_and(|t| t.eq_ignore_ascii_case("windows"))
}

pub fn to_resource(tf_type: &str, subscription: &str, vm: &VirtualMachine) -> Resource {
    let id = vm.resource.id.clone().unwrap_or_default();
    let props = vm.properties.as_ref();
    let os = props.and_then(|p| p.os_profile.as_ref());
    let storage = props.and_then(|p| p.storage_profile.as_ref());
    let disk = storage.and_then(|s| s.os_disk.as_ref());
    let image = storage.and_then(|s| s.image_reference.as_ref());
    let security = props.and_then(|p| p.security_profile.as_ref());
    let uefi = security.and_then(|s| s.uefi_settings.as_ref());
    let priority = wire(props.and_then(|p| p.priority.as_ref()));
    let spot = priority.as_str().is_some_and(|p| p.eq_ignore_ascii_case("spot"));
    let sub_id = |s: Option<&super::sdk::SubResource>| s.and_then(|s| s.id.clone()).unwrap_or_default();
    let nics: Vec<String> = props
        .and_then(|p| p.network_profile.as_ref())
        .map(|n| n.network_interfaces.iter().filter_map(|i| i.sub_resource.id.clone()).collect())
        .unwrap_or_default();
    let identity = match vm.identity.as_ref() {
        Some(i) => {
            util::identity(wire(i.type_.as_ref()), i.user_assigned_identities.as_ref(), &i.principal_id, &i.tenant_id)
        }
        None => json!([]),
    };
    let max_bid = props.and_then(|p| p.billing_profile.as_ref()).and_then(|b| b.max_price);
    let mut attributes = json!({
        "id": id,
        "name": vm.resource.name,
        "resource_group_name": util::resource_group(&id),
        "location": vm.resource.location,
        "size": wire(props.and_then(|p| p.hardware_profile.as_ref()).and_then(|h| h.vm_size.as_ref())),
        "priority": if priority.is_null() { Value::from("Regular") } else { priority },
        "eviction_policy": wire(props.and_then(|p| p.eviction_policy.as_ref())),
        "max_bid_price": max_bid.map(Value::from).unwrap_or(if spot { Value::from(-1) } else { Value::Null }),
        "admin_username": os.and_then(|o| o.admin_username.clone()),
        "computer_name": os.and_then(|o| o.computer_name.clone()),
        "network_interface_ids": nics,
        "identity": identity,
        "os_disk": [{
            "name": disk.and_then(|d| d.name.clone()),
            "caching": wire(disk.and_then(|d| d.caching.as_ref())),
            "storage_account_type": wire(disk.and_then(|d| d.managed_disk.as_ref()).and_then(|m| m.storage_account_type.as_ref())),
            "disk_size_gb": disk.and_then(|d| d.disk_size_gb),
            "write_accelerator_enabled": disk.and_then(|d| d.write_accelerator_enabled).unwrap_or(false),
        }],
        "source_image_reference": match image.filter(|i| i.publisher.is_some()) {
            Some(i) => json!([{"publisher": i.publisher, "offer": i.offer, "sku": i.sku, "version": i.version}]),
            None => json!([]),
        },
        "source_image_id": image.and_then(|i| i.sub_resource.id.clone()),
        "encryption_at_host_enabled": security.and_then(|s| s.encryption_at_host).unwrap_or(false),
        "secure_boot_enabled": uefi.and_then(|u| u.secure_boot_enabled).unwrap_or(false),
        "vtpm_enabled": uefi.and_then(|u| u.v_tpm_enabled).unwrap_or(false),
        "zone": vm.zones.first().cloned().unwrap_or_default(),
        "availability_set_id": sub_id(props.and_then(|p| p.availability_set.as_ref())),
        "proximity_placement_group_id": sub_id(props.and_then(|p| p.proximity_placement_group.as_ref())),
        "virtual_machine_scale_set_id": sub_id(props.and_then(|p| p.virtual_machine_scale_set.as_ref())),
        "platform_fault_domain": props.and_then(|p| p.platform_fault_domain).unwrap_or(-1),
        "license_type": props.and_then(|p| p.license_type.clone()),
        "virtual_machine_id": props.and_then(|p| p.vm_id.clone()),
        "tags": util::tags(vm.resource.tags.as_ref()),
    });
    if let Some(linux) = os.and_then(|o| o.linux_configuration.as_ref()) {
        attributes["disable_password_authentication"] =
            Value::from(linux.disable_password_authentication.unwrap_or(false));
        attributes["provision_vm_agent"] = Value::from(linux.provision_vm_agent.unwrap_or(true));
    }
    if let Some(win) = os.and_then(|o| o.windows_configuration.as_ref()) {
        attributes["automatic_updates_enabled"] = Value::from(win.enable_automatic_updates.unwrap_or(true));
        attributes["timezone"] = win.time_zone.clone().map(Value::from).unwrap_or(Value::Null);
        attributes["provision_vm_agent"] = Value::from(win.provision_vm_agent.unwrap_or(true));
        let patch = win.patch_settings.as_ref();
        attributes["patch_mode"] = wire(patch.and_then(|p| p.patch_mode.as_ref()));
        attributes["hotpatching_enabled"] = Value::from(patch.and_then(|p| p.enable_hotpatching).unwrap_or(false));
    }
    util::resource(tf_type, subscription, id, attributes, "size")
}
