//! GPU fleets for the Azure tests, each resource rendered twice: as ARM returns it (the
//! shapes of Microsoft's example payloads in `testdata/azure-arm/`) and as the azurerm
//! provider writes it to state (attribute names from the provider's schemas,
//! `internal/services/compute` and `internal/services/containers`; the scale set's
//! checked against a real plan in `testdata/real-state/kaytu-io__pennywise/`).

use serde_json::{json, Map, Value};

pub const RG: &str = "ml-gpu";
pub const LOCATION: &str = "eastus";

pub fn sub_id(i: u32) -> String {
    format!("5f1c8a2e-3b4d-4e6f-9a7b-{i:012x}")
}

fn arm_id(sub: &str, rg: &str, provider: &str, name: &str) -> String {
    format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/{provider}/{name}")
}

/// A GPU VM.
#[derive(Debug, Clone)]
pub struct Vm {
    pub sub: String,
    pub rg: String,
    pub name: String,
    pub size: String,
    pub priority: String,
    pub tags: Map<String, Value>,
    pub zone: String,
    /// A Flexible scale set it belongs to.
    pub scale_set: Option<String>,
}

impl Vm {
    pub fn new(sub: &str, name: &str, size: &str) -> Vm {
        let mut tags = Map::new();
        tags.insert("team".into(), "ml".into());
        tags.insert("cost-center".into(), "research".into());
        Vm {
            sub: sub.into(),
            rg: RG.into(),
            name: name.into(),
            size: size.into(),
            priority: "Regular".into(),
            tags,
            zone: "1".into(),
            scale_set: None,
        }
    }

    pub fn id(&self) -> String {
        arm_id(&self.sub, &self.rg, "Microsoft.Compute/virtualMachines", &self.name)
    }

    fn nic(&self) -> String {
        arm_id(&self.sub, &self.rg, "Microsoft.Network/networkInterfaces", &format!("{}-nic", self.name))
    }

    /// ARM's answer. `id_case` changes the id's casing as ARM does between APIs.
    pub fn arm(&self) -> Value {
        let spot = self.priority == "Spot";
        let mut props = json!({
            "vmId": format!("{:08x}-0000-4000-8000-{:012x}", self.name.len(), self.name.bytes().map(u64::from).sum::<u64>()),
            "hardwareProfile": {"vmSize": self.size},
            "storageProfile": {
                "imageReference": {"publisher": "microsoft-dsvm", "offer": "ubuntu-hpc", "sku": "2204", "version": "latest", "exactVersion": "22.04.2025061101"},
                "osDisk": {"osType": "Linux", "name": format!("{}-osdisk", self.name), "createOption": "FromImage", "caching": "ReadWrite",
                           "managedDisk": {"storageAccountType": "Premium_LRS", "id": arm_id(&self.sub, &self.rg.to_uppercase(), "Microsoft.Compute/disks", &format!("{}-osdisk", self.name))},
                           "deleteOption": "Delete", "diskSizeGB": 256},
                "dataDisks": []
            },
            "osProfile": {"computerName": self.name, "adminUsername": "azureuser",
                          "linuxConfiguration": {"disablePasswordAuthentication": true, "provisionVMAgent": true,
                                                 "patchSettings": {"patchMode": "ImageDefault", "assessmentMode": "ImageDefault"}},
                          "secrets": [], "allowExtensionOperations": true, "requireGuestProvisionSignal": true},
            "networkProfile": {"networkInterfaces": [{"id": self.nic().replace("resourceGroups", "resourcegroups")}]},
            "securityProfile": {"encryptionAtHost": true},
            "diagnosticsProfile": {"bootDiagnostics": {"enabled": true}},
            "priority": self.priority,
            "provisioningState": "Succeeded",
            "timeCreated": "2026-03-02T09:14:27.1234567+00:00"
        });
        if spot {
            props["evictionPolicy"] = "Deallocate".into();
            props["billingProfile"] = json!({"maxPrice": -1});
        }
        if let Some(set) = &self.scale_set {
            props["virtualMachineScaleSet"] = json!({"id": set});
        }
        json!({
            "name": self.name,
            // ARM writes resource group segments in either case.
            "id": self.id().replace("/resourceGroups/", "/resourcegroups/"),
            "type": "Microsoft.Compute/virtualMachines",
            "location": LOCATION,
            "tags": self.tags,
            "zones": [self.zone],
            "properties": props
        })
    }

    /// `azurerm_linux_virtual_machine` attributes.
    pub fn state(&self) -> Value {
        let spot = self.priority == "Spot";
        let head = json!({
            "additional_capabilities": [], "admin_password": null, "admin_ssh_key": [{"public_key": "ssh-rsa AAAAB3NzaC1yc2E test", "username": "azureuser"}],
            "admin_username": "azureuser", "allow_extension_operations": true, "availability_set_id": "", "boot_diagnostics": [{"storage_account_uri": ""}],
            "bypass_platform_safety_checks_on_user_schedule_enabled": false, "capacity_reservation_group_id": "", "computer_name": self.name,
            "custom_data": null, "dedicated_host_group_id": "", "dedicated_host_id": "", "disable_password_authentication": true,
            "disk_controller_type": "", "edge_zone": "", "encryption_at_host_enabled": true,
            "eviction_policy": if spot { Value::from("Deallocate") } else { Value::Null },
            "extensions_time_budget": "PT1H30M", "gallery_application": [], "id": self.id(), "identity": [], "license_type": "",
            "location": LOCATION, "max_bid_price": -1, "name": self.name, "network_interface_ids": [self.nic()],
            "os_disk": [{"caching": "ReadWrite", "diff_disk_settings": [], "disk_encryption_set_id": "", "disk_size_gb": 256,
                         "id": arm_id(&self.sub, &self.rg, "Microsoft.Compute/disks", &format!("{}-osdisk", self.name)),
                         "name": format!("{}-osdisk", self.name), "secure_vm_disk_encryption_set_id": "", "security_encryption_type": "",
                         "storage_account_type": "Premium_LRS", "write_accelerator_enabled": false}]
        });
        merged(
            head,
            json!({
                "os_image_notification": [], "patch_assessment_mode": "ImageDefault", "patch_mode": "ImageDefault", "plan": [],
                "platform_fault_domain": -1, "priority": self.priority, "private_ip_address": "10.20.0.4", "private_ip_addresses": ["10.20.0.4"],
                "provision_vm_agent": true, "proximity_placement_group_id": "", "public_ip_address": "", "public_ip_addresses": [],
                "reboot_setting": "", "resource_group_name": self.rg, "secret": [], "secure_boot_enabled": false, "size": self.size,
                "source_image_id": "", "source_image_reference": [{"offer": "ubuntu-hpc", "publisher": "microsoft-dsvm", "sku": "2204", "version": "latest"}],
                "tags": self.tags, "termination_notification": [], "timeouts": null, "user_data": "", "virtual_machine_id": "",
                "virtual_machine_scale_set_id": self.scale_set.clone().unwrap_or_default(), "vm_agent_platform_updates_enabled": false,
                "vtpm_enabled": false, "zone": self.zone
            }),
        )
    }
}

/// A Uniform (Linux) or Flexible scale set.
#[derive(Debug, Clone)]
pub struct ScaleSet {
    pub sub: String,
    pub rg: String,
    pub name: String,
    pub sku: String,
    pub capacity: i64,
    pub flexible: bool,
    pub priority: String,
    pub tags: Map<String, Value>,
}

impl ScaleSet {
    pub fn new(sub: &str, name: &str, sku: &str, capacity: i64) -> ScaleSet {
        let mut tags = Map::new();
        tags.insert("team".into(), "ml".into());
        ScaleSet {
            sub: sub.into(),
            rg: RG.into(),
            name: name.into(),
            sku: sku.into(),
            capacity,
            flexible: false,
            priority: "Regular".into(),
            tags,
        }
    }

    pub fn id(&self) -> String {
        arm_id(&self.sub, &self.rg, "Microsoft.Compute/virtualMachineScaleSets", &self.name)
    }

    pub fn arm(&self) -> Value {
        let mut profile = json!({
            "osProfile": {"computerNamePrefix": self.name, "adminUsername": "azureuser",
                          "linuxConfiguration": {"disablePasswordAuthentication": true, "provisionVMAgent": true}, "secrets": []},
            "storageProfile": {"imageReference": {"publisher": "microsoft-dsvm", "offer": "ubuntu-hpc", "sku": "2204", "version": "latest"},
                               "osDisk": {"osType": "Linux", "createOption": "FromImage", "caching": "ReadWrite", "managedDisk": {"storageAccountType": "Premium_LRS"}, "diskSizeGB": 256}},
            "networkProfile": {"networkInterfaceConfigurations": [{"name": format!("{}-nic", self.name), "properties": {"primary": true, "ipConfigurations": [{"name": "ipconfig", "properties": {"subnet": {"id": arm_id(&self.sub, &self.rg, "Microsoft.Network/virtualNetworks", "ml-vnet/subnets/gpu")}}}]}}]},
            "priority": self.priority
        });
        if self.priority == "Spot" {
            profile["evictionPolicy"] = "Delete".into();
            profile["billingProfile"] = json!({"maxPrice": -1});
        }
        let mut props = json!({
            "singlePlacementGroup": false,
            "virtualMachineProfile": profile,
            "provisioningState": "Succeeded",
            "uniqueId": format!("{:08x}-1111-4111-8111-{:012x}", self.capacity, self.name.len()),
            "platformFaultDomainCount": 1,
            "timeCreated": "2026-02-11T08:01:02.5+00:00"
        });
        if self.flexible {
            props["orchestrationMode"] = "Flexible".into();
        } else {
            props["orchestrationMode"] = "Uniform".into();
            props["upgradePolicy"] = json!({"mode": "Manual"});
            props["overprovision"] = false.into();
        }
        json!({
            "name": self.name, "id": self.id(), "type": "Microsoft.Compute/virtualMachineScaleSets", "location": LOCATION,
            "tags": self.tags, "sku": {"name": self.sku, "tier": "Standard", "capacity": self.capacity}, "properties": props
        })
    }

    /// `azurerm_linux_virtual_machine_scale_set` or `azurerm_orchestrated_virtual_machine_scale_set` attributes.
    pub fn state(&self) -> Value {
        let spot = self.priority == "Spot";
        if self.flexible {
            return json!({
                "additional_capabilities": [], "automatic_instance_repair": [], "boot_diagnostics": [], "capacity_reservation_group_id": "",
                "data_disk": [], "encryption_at_host_enabled": false, "eviction_policy": if spot { Value::from("Delete") } else { Value::Null },
                "extension": [], "extension_operations_enabled": true, "extensions_time_budget": "PT1H30M", "id": self.id(), "identity": [],
                "instances": self.capacity, "license_type": "", "location": LOCATION, "max_bid_price": -1, "name": self.name,
                "network_api_version": "2020-11-01", "network_interface": [], "os_disk": [], "os_profile": [], "plan": [],
                "platform_fault_domain_count": 1, "priority": self.priority, "priority_mix": [], "proximity_placement_group_id": "",
                "resource_group_name": self.rg, "rolling_upgrade_policy": [], "single_placement_group": false, "sku_name": self.sku,
                "sku_profile": [], "source_image_id": "", "source_image_reference": [], "tags": self.tags, "termination_notification": [],
                "timeouts": null, "unique_id": "", "upgrade_mode": "Manual", "user_data_base64": null, "zone_balance": false, "zones": []
            });
        }
        let head = json!({
            "additional_capabilities": [], "admin_password": null, "admin_ssh_key": [{"public_key": "ssh-rsa AAAAB3NzaC1yc2E test", "username": "azureuser"}],
            "admin_username": "azureuser", "automatic_instance_repair": [], "automatic_os_upgrade_policy": [], "boot_diagnostics": [],
            "capacity_reservation_group_id": "", "computer_name_prefix": self.name, "custom_data": null, "data_disk": [],
            "disable_password_authentication": true, "do_not_run_extensions_on_overprovisioned_machines": false, "edge_zone": "",
            "encryption_at_host_enabled": false, "eviction_policy": if spot { Value::from("Delete") } else { Value::Null },
            "extension": [], "extension_operations_enabled": true, "extensions_time_budget": "PT1H30M", "gallery_application": [],
            "health_probe_id": "", "host_group_id": "", "id": self.id(), "identity": [], "instances": self.capacity, "location": LOCATION,
            "max_bid_price": -1, "name": self.name
        });
        let head = merged(
            head,
            json!({
                "network_interface": [{"dns_servers": [], "enable_accelerated_networking": false, "enable_ip_forwarding": false,
                                       "ip_configuration": [{"application_gateway_backend_address_pool_ids": [], "application_security_group_ids": [],
                                                             "load_balancer_backend_address_pool_ids": [], "load_balancer_inbound_nat_rules_ids": [],
                                                             "name": "ipconfig", "primary": true, "public_ip_address": [],
                                                             "subnet_id": arm_id(&self.sub, &self.rg, "Microsoft.Network/virtualNetworks", "ml-vnet/subnets/gpu"), "version": "IPv4"}],
                                       "name": format!("{}-nic", self.name), "network_security_group_id": "", "primary": true}],
                "os_disk": [{"caching": "ReadWrite", "diff_disk_settings": [], "disk_encryption_set_id": "", "disk_size_gb": 256,
                             "secure_vm_disk_encryption_set_id": "", "security_encryption_type": "", "storage_account_type": "Premium_LRS",
                             "write_accelerator_enabled": false}]
            }),
        );
        merged(
            head,
            json!({
                "overprovision": false, "plan": [], "platform_fault_domain_count": 1, "priority": self.priority, "provision_vm_agent": true,
                "proximity_placement_group_id": "", "resource_group_name": self.rg, "rolling_upgrade_policy": [], "scale_in": [], "secret": [],
                "secure_boot_enabled": false, "single_placement_group": false, "sku": self.sku,
                "source_image_id": "", "source_image_reference": [{"offer": "ubuntu-hpc", "publisher": "microsoft-dsvm", "sku": "2204", "version": "latest"}],
                "spot_restore": [], "tags": self.tags, "termination_notification": [], "timeouts": null, "unique_id": "", "upgrade_mode": "Manual",
                "user_data": "", "vtpm_enabled": false, "zone_balance": false, "zones": []
            }),
        )
    }
}

/// Two JSON objects as one (`json!` of a whole provider schema exceeds the macro's recursion limit).
fn merged(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}

/// An AKS node pool.
#[derive(Debug, Clone)]
pub struct Pool {
    pub name: String,
    pub vm_size: String,
    pub count: i64,
    pub autoscale: Option<(i64, i64)>,
    pub mode: String,
    pub spot: bool,
    pub taints: Vec<String>,
    pub labels: Map<String, Value>,
}

impl Pool {
    pub fn new(name: &str, vm_size: &str, count: i64) -> Pool {
        Pool {
            name: name.into(),
            vm_size: vm_size.into(),
            count,
            autoscale: None,
            mode: "User".into(),
            spot: false,
            taints: vec![],
            labels: Map::new(),
        }
    }

    fn arm(&self) -> Value {
        let mut p = json!({
            "name": self.name, "count": self.count, "vmSize": self.vm_size, "osDiskSizeGB": 128, "osDiskType": "Managed",
            "kubeletDiskType": "OS", "maxPods": 30, "type": "VirtualMachineScaleSets", "availabilityZones": ["1", "2"],
            "enableAutoScaling": self.autoscale.is_some(), "scaleDownMode": "Delete", "provisioningState": "Succeeded",
            "powerState": {"code": "Running"}, "orchestratorVersion": "1.31.2", "currentOrchestratorVersion": "1.31.2",
            "enableNodePublicIP": false, "mode": self.mode, "enableEncryptionAtHost": false, "enableUltraSSD": false,
            "osType": "Linux", "osSKU": "Ubuntu", "nodeImageVersion": "AKSUbuntu-2204gen2containerd-202511.03.0", "enableFIPS": false,
            "upgradeSettings": {"maxSurge": "10%"}
        });
        if let Some((min, max)) = self.autoscale {
            p["minCount"] = min.into();
            p["maxCount"] = max.into();
        }
        if self.spot {
            p["scaleSetPriority"] = "Spot".into();
            p["scaleSetEvictionPolicy"] = "Delete".into();
            p["spotMaxPrice"] = (-1).into();
        }
        if !self.taints.is_empty() {
            p["nodeTaints"] = json!(self.taints);
        }
        if !self.labels.is_empty() {
            p["nodeLabels"] = Value::Object(self.labels.clone());
        }
        p
    }

    fn common_state(&self) -> Map<String, Value> {
        let v = json!({
            "auto_scaling_enabled": self.autoscale.is_some(), "host_encryption_enabled": false, "kubelet_disk_type": "OS",
            "max_count": self.autoscale.map(|a| a.1), "max_pods": 30, "min_count": self.autoscale.map(|a| a.0), "name": self.name,
            "node_count": self.count, "node_labels": self.labels, "node_public_ip_enabled": false, "orchestrator_version": "1.31.2",
            "os_disk_size_gb": 128, "os_disk_type": "Managed", "os_sku": "Ubuntu", "tags": {}, "ultra_ssd_enabled": false,
            "upgrade_settings": [{"drain_timeout_in_minutes": 0, "max_surge": "10%", "node_soak_duration_in_minutes": 0}],
            "vm_size": self.vm_size, "vnet_subnet_id": "", "zones": ["1", "2"], "fips_enabled": false, "gpu_instance": "",
            "kubelet_config": [], "linux_os_config": [], "node_public_ip_prefix_id": "", "pod_subnet_id": "", "proximity_placement_group_id": "",
            "scale_down_mode": "Delete", "snapshot_id": "", "workload_runtime": ""
        });
        v.as_object().unwrap().clone()
    }
}

/// An AKS cluster: its first pool is the default (System) pool.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub sub: String,
    pub rg: String,
    pub name: String,
    pub pools: Vec<Pool>,
    pub kubernetes_version: String,
    pub tags: Map<String, Value>,
}

impl Cluster {
    pub fn new(sub: &str, name: &str, pools: Vec<Pool>) -> Cluster {
        let mut tags = Map::new();
        tags.insert("team".into(), "ml".into());
        Cluster { sub: sub.into(), rg: RG.into(), name: name.into(), pools, kubernetes_version: "1.31.2".into(), tags }
    }

    pub fn id(&self) -> String {
        arm_id(&self.sub, &self.rg, "Microsoft.ContainerService/managedClusters", &self.name)
    }

    pub fn node_resource_group(&self) -> String {
        format!("MC_{}_{}_{}", self.rg, self.name, LOCATION)
    }

    pub fn pool_id(&self, pool: &str) -> String {
        format!("{}/agentPools/{pool}", self.id())
    }

    pub fn arm(&self) -> Value {
        json!({
            "id": self.id().replace("/resourceGroups/", "/resourcegroups/"),
            "location": LOCATION, "name": self.name, "type": "Microsoft.ContainerService/ManagedClusters", "tags": self.tags,
            "sku": {"name": "Base", "tier": "Standard"},
            "identity": {"type": "SystemAssigned", "principalId": "d1a1b1c1-0000-4000-8000-000000000001", "tenantId": super::arm::TENANT},
            "properties": {
                "provisioningState": "Succeeded", "powerState": {"code": "Running"}, "kubernetesVersion": self.kubernetes_version,
                "currentKubernetesVersion": self.kubernetes_version, "dnsPrefix": self.name, "fqdn": format!("{}-abc123.hcp.eastus.azmk8s.io", self.name),
                "agentPoolProfiles": self.pools.iter().map(Pool::arm).collect::<Vec<_>>(),
                "nodeResourceGroup": self.node_resource_group(), "enableRBAC": true, "disableLocalAccounts": true,
                "supportPlan": "KubernetesOfficial",
                "networkProfile": {"networkPlugin": "azure", "networkPluginMode": "overlay", "networkPolicy": "cilium", "networkDataplane": "cilium",
                                   "loadBalancerSku": "standard", "podCidr": "10.244.0.0/16", "serviceCidr": "10.0.0.0/16", "dnsServiceIP": "10.0.0.10", "outboundType": "loadBalancer"},
                "oidcIssuerProfile": {"enabled": true, "issuerURL": "https://eastus.oic.prod-aks.azure.com/t/c/"},
                "securityProfile": {"workloadIdentity": {"enabled": true}},
                "autoUpgradeProfile": {"upgradeChannel": "patch", "nodeOSUpgradeChannel": "NodeImage"},
                "addonProfiles": {"azurepolicy": {"enabled": false, "config": null}}
            }
        })
    }

    /// `azurerm_kubernetes_cluster` attributes (the first pool as `default_node_pool`).
    pub fn state(&self) -> Value {
        let mut default = self.pools[0].common_state();
        default.insert("only_critical_addons_enabled".into(), false.into());
        default.insert("temporary_name_for_rotation".into(), "".into());
        default.insert("type".into(), "VirtualMachineScaleSets".into());
        default.insert("capacity_reservation_group_id".into(), "".into());
        let head = json!({
            "aci_connector_linux": [], "api_server_access_profile": [], "api_server_authorized_ip_ranges": null, "auto_scaler_profile": [],
            "automatic_upgrade_channel": "patch", "azure_active_directory_role_based_access_control": [], "azure_policy_enabled": false,
            "confidential_computing": [], "cost_analysis_enabled": false, "current_kubernetes_version": self.kubernetes_version,
            "default_node_pool": [Value::Object(default)], "disk_encryption_set_id": "", "dns_prefix": self.name, "dns_prefix_private_cluster": "",
            "edge_zone": "", "fqdn": format!("{}-abc123.hcp.eastus.azmk8s.io", self.name), "http_application_routing_enabled": false,
            "http_proxy_config": [], "id": self.id(),
            "identity": [{"identity_ids": [], "principal_id": "d1a1b1c1-0000-4000-8000-000000000001", "tenant_id": super::arm::TENANT, "type": "SystemAssigned"}],
        });
        let head = merged(
            head,
            json!({
                "image_cleaner_enabled": false, "image_cleaner_interval_hours": 0, "ingress_application_gateway": [], "key_management_service": [],
                "key_vault_secrets_provider": [], "kube_admin_config": [], "kube_admin_config_raw": "", "kube_config": [], "kube_config_raw": "",
                "kubelet_identity": [], "kubernetes_version": self.kubernetes_version, "linux_profile": [], "local_account_disabled": true,
            }),
        );
        merged(
            head,
            json!({
                "location": LOCATION, "maintenance_window": [], "microsoft_defender": [], "monitor_metrics": [], "name": self.name,
                "network_profile": [{"network_plugin": "azure", "network_policy": "cilium", "outbound_type": "loadBalancer"}],
                "node_os_upgrade_channel": "NodeImage", "node_resource_group": self.node_resource_group(), "node_resource_group_id": "",
                "oidc_issuer_enabled": true, "oidc_issuer_url": "https://eastus.oic.prod-aks.azure.com/t/c/", "oms_agent": [],
                "open_service_mesh_enabled": false, "portal_fqdn": "", "private_cluster_enabled": false, "private_cluster_public_fqdn_enabled": false,
                "private_dns_zone_id": "", "private_fqdn": "", "resource_group_name": self.rg, "role_based_access_control_enabled": true,
                "run_command_enabled": true, "service_mesh_profile": [], "service_principal": [], "sku_tier": "Standard", "storage_profile": [],
                "support_plan": "KubernetesOfficial", "tags": self.tags, "timeouts": null, "web_app_routing": [], "windows_profile": [],
                "workload_autoscaler_profile": [], "workload_identity_enabled": true
            }),
        )
    }

    /// `azurerm_kubernetes_cluster_node_pool` attributes of a pool other than the first.
    pub fn pool_state(&self, pool: &Pool) -> Value {
        let mut m = pool.common_state();
        m.insert("id".into(), self.pool_id(&pool.name).into());
        m.insert("kubernetes_cluster_id".into(), self.id().into());
        m.insert("mode".into(), pool.mode.clone().into());
        m.insert("node_taints".into(), json!(pool.taints));
        m.insert("os_type".into(), "Linux".into());
        m.insert("priority".into(), if pool.spot { "Spot" } else { "Regular" }.into());
        m.insert("eviction_policy".into(), if pool.spot { Value::from("Delete") } else { Value::Null });
        m.insert("spot_max_price".into(), (-1).into());
        m.insert("timeouts".into(), Value::Null);
        m.insert("windows_profile".into(), json!([]));
        Value::Object(m)
    }

    /// The scale sets AKS made for each pool in the node resource group.
    pub fn node_scale_sets(&self) -> Vec<Value> {
        self.pools
            .iter()
            .map(|p| {
                let mut set = ScaleSet::new(&self.sub, &format!("aks-{}-31415926-vmss", p.name), &p.vm_size, p.count);
                set.rg = self.node_resource_group();
                set.tags = Map::new();
                for (k, v) in [
                    ("aks-managed-createOperationID", "6f1e9d2c-0000-4000-8000-000000000001"),
                    ("aks-managed-creationSource", "vmssclient-aks-31415926-vmss"),
                    ("aks-managed-kubeletIdentityClientID", "c0ffee00-0000-4000-8000-000000000002"),
                    ("aks-managed-orchestrator", "Kubernetes:1.31.2"),
                    ("aks-managed-poolName", p.name.as_str()),
                    ("aks-managed-resourceNameSuffix", "31415926"),
                ] {
                    set.tags.insert(k.into(), v.into());
                }
                set.arm()
            })
            .collect()
    }
}

/// A raw state (version 4) as Terraform writes it, of `(type, name, attributes, schema_version)`.
pub fn tfstate(resources: &[(&str, &str, Value)]) -> Value {
    let provider = "provider[\"registry.terraform.io/hashicorp/azurerm\"]";
    let out: Vec<Value> = resources
        .iter()
        .map(|(t, name, attrs)| {
            let schema_version = match *t {
                "azurerm_kubernetes_cluster" => 2,
                "azurerm_kubernetes_cluster_node_pool" => 1,
                _ => 0,
            };
            json!({"mode": "managed", "type": t, "name": name, "provider": provider,
                   "instances": [{"schema_version": schema_version, "attributes": attrs, "sensitive_attributes": [],
                                  "private": "eyJlMmJmYjczMC1lY2FhLTExZTYtOGY4OC0zNDM2M2JjN2M0YzAiOnt9fQ==", "dependencies": []}]})
        })
        .collect();
    json!({"version": 4, "terraform_version": "1.9.8", "serial": 12, "lineage": "6a3f1c2e-5d4b-4a39-8e7f-0c1b2a3d4e5f", "outputs": {}, "resources": out, "check_results": null})
}

/// A capacity reservation in a capacity reservation group, in ARM's shapes (Microsoft's
/// `CapacityReservation_Get` and `CapacityReservationGroup_ListBySubscription` examples).
#[derive(Debug, Clone)]
pub struct CapacityReservation {
    pub sub: String,
    pub group: String,
    pub name: String,
    pub size: String,
    pub capacity: i64,
    /// VMs allocated in it (their ids).
    pub allocated: Vec<String>,
    pub tags: Map<String, Value>,
}

impl CapacityReservation {
    pub fn new(sub: &str, group: &str, name: &str, size: &str, capacity: i64) -> CapacityReservation {
        CapacityReservation {
            sub: sub.into(),
            group: group.into(),
            name: name.into(),
            size: size.into(),
            capacity,
            allocated: vec![],
            tags: Map::new(),
        }
    }

    pub fn group_id(&self) -> String {
        arm_id(&self.sub, RG, "Microsoft.Compute/capacityReservationGroups", &self.group)
    }

    pub fn id(&self) -> String {
        format!("{}/capacityReservations/{}", self.group_id(), self.name)
    }

    /// The group as `capacityReservationGroups` lists it, naming its reservations as ARM's
    /// example does (without the leading `/`).
    pub fn arm_group(reservations: &[&CapacityReservation]) -> Value {
        let first = reservations[0];
        json!({
            "name": first.group, "id": first.group_id(), "type": "Microsoft.Compute/CapacityReservationGroups",
            "location": "East US", "zones": ["1"],
            "properties": {
                "capacityReservations": reservations.iter().map(|r| json!({"id": r.id().trim_start_matches('/')})).collect::<Vec<_>>(),
                "virtualMachinesAssociated": reservations.iter().flat_map(|r| r.allocated.iter().map(|v| json!({"id": v}))).collect::<Vec<_>>()
            }
        })
    }

    /// The reservation as GET `$expand=instanceView` answers.
    pub fn arm(&self) -> Value {
        let vms: Vec<Value> = self.allocated.iter().map(|v| json!({"id": v})).collect();
        json!({
            "id": self.id(), "name": self.name, "type": "Microsoft.Compute/capacityReservationGroups/capacityReservations",
            "location": LOCATION, "tags": self.tags, "sku": {"name": self.size, "capacity": self.capacity}, "zones": ["1"],
            "properties": {
                "platformFaultDomainCount": 1, "reservationId": format!("{:08x}-0000-4000-8000-000000000000", self.name.len()),
                "provisioningTime": "2026-10-01T08:00:00.0000000+00:00", "virtualMachinesAssociated": vms,
                "provisioningState": "Succeeded", "timeCreated": "2026-10-01T08:00:00.0000000+00:00",
                "instanceView": {"utilizationInfo": {"currentCapacity": self.capacity, "virtualMachinesAllocated": vms},
                                 "statuses": [{"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded"}]}
            }
        })
    }

    /// `azurerm_capacity_reservation` attributes.
    pub fn state(&self) -> Value {
        json!({"id": self.id(), "name": self.name, "capacity_reservation_group_id": self.group_id(),
               "sku": [{"name": self.size, "capacity": self.capacity}], "zone": "1", "tags": self.tags, "timeouts": null})
    }
}
