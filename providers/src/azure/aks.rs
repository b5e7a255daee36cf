//! AKS as ARM returns it (`Microsoft.ContainerService/managedClusters`, api-version
//! 2025-10-01), in structs of our own that hold only what driftd compares: no
//! management crate matches our `azure_core` (`azure_mgmt_containerservice` stops at
//! 0.10), so clusters are read as JSON through the same credential, retry and paging
//! code as the compute SDK (`arm.rs`). Every node pool comes inline with its cluster
//! (`properties.agentPoolProfiles`), so the pools cost no call of their own; the
//! `agentPools` sub-resource shape ([`AgentPool`]) is read by the same code.

use serde::Deserialize;
use serde_json::{Map, Value};

pub const API_VERSION: &str = "2025-10-01";

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ManagedCluster {
    pub id: Option<String>,
    pub name: Option<String>,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub tags: Option<Map<String, Value>>,
    pub sku: Option<Sku>,
    pub identity: Option<Identity>,
    #[serde(default)]
    pub properties: ClusterProperties,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Sku {
    pub name: Option<String>,
    pub tier: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub principal_id: Option<String>,
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub user_assigned_identities: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ClusterProperties {
    pub kubernetes_version: Option<String>,
    pub current_kubernetes_version: Option<String>,
    pub dns_prefix: Option<String>,
    pub fqdn: Option<String>,
    #[serde(rename = "privateFQDN")]
    pub private_fqdn: Option<String>,
    pub node_resource_group: Option<String>,
    #[serde(rename = "enableRBAC")]
    pub enable_rbac: Option<bool>,
    pub disable_local_accounts: Option<bool>,
    #[serde(default)]
    pub agent_pool_profiles: Vec<AgentPoolProfile>,
    pub api_server_access_profile: Option<ApiServerAccessProfile>,
    pub oidc_issuer_profile: Option<Enabled>,
    pub security_profile: Option<SecurityProfile>,
    #[serde(default)]
    pub addon_profiles: Option<Map<String, Value>>,
    pub auto_upgrade_profile: Option<AutoUpgradeProfile>,
    pub power_state: Option<PowerState>,
    pub network_profile: Option<NetworkProfile>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ApiServerAccessProfile {
    pub enable_private_cluster: Option<bool>,
    #[serde(rename = "authorizedIPRanges", default)]
    pub authorized_ip_ranges: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Enabled {
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct SecurityProfile {
    pub workload_identity: Option<Enabled>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AutoUpgradeProfile {
    pub upgrade_channel: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PowerState {
    pub code: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct NetworkProfile {
    pub network_plugin: Option<String>,
    pub network_policy: Option<String>,
    pub outbound_type: Option<String>,
}

/// One node pool: an entry of a cluster's `agentPoolProfiles` (with `name`) or the
/// `properties` of an `agentPools` sub-resource (whose name is outside it).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AgentPoolProfile {
    pub name: Option<String>,
    pub count: Option<i64>,
    pub vm_size: Option<String>,
    #[serde(rename = "osDiskSizeGB")]
    pub os_disk_size_gb: Option<i64>,
    #[serde(rename = "vnetSubnetID")]
    pub vnet_subnet_id: Option<String>,
    pub max_pods: Option<i64>,
    pub os_type: Option<String>,
    #[serde(rename = "osSKU")]
    pub os_sku: Option<String>,
    pub max_count: Option<i64>,
    pub min_count: Option<i64>,
    pub enable_auto_scaling: Option<bool>,
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub mode: Option<String>,
    pub orchestrator_version: Option<String>,
    #[serde(default)]
    pub availability_zones: Option<Vec<String>>,
    #[serde(rename = "enableNodePublicIP")]
    pub enable_node_public_ip: Option<bool>,
    pub scale_set_priority: Option<String>,
    pub scale_set_eviction_policy: Option<String>,
    pub spot_max_price: Option<f64>,
    #[serde(default)]
    pub tags: Option<Map<String, Value>>,
    #[serde(default)]
    pub node_labels: Option<Map<String, Value>>,
    #[serde(default)]
    pub node_taints: Option<Vec<String>>,
    pub enable_encryption_at_host: Option<bool>,
    pub gpu_instance_profile: Option<String>,
    pub power_state: Option<PowerState>,
}

/// An `agentPools` sub-resource (`AgentPools_List`, `AgentPools_Get`).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AgentPool {
    pub id: Option<String>,
    pub name: Option<String>,
    #[serde(default)]
    pub properties: AgentPoolProfile,
}

impl AgentPool {
    /// The profile with its name, as a cluster's `agentPoolProfiles` entry.
    pub fn into_profile(self) -> AgentPoolProfile {
        AgentPoolProfile { name: self.name.or(self.properties.name.clone()), ..self.properties }
    }
}

/// A list page of any ARM collection.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
    pub next_link: Option<String>,
}

impl ManagedCluster {
    /// The pool Terraform declares inside `azurerm_kubernetes_cluster` as
    /// `default_node_pool`: what azurerm's `findDefaultNodePool` falls back to without a
    /// configured name, the first pool in System mode.
    pub fn default_pool(&self) -> Option<&AgentPoolProfile> {
        self.properties
            .agent_pool_profiles
            .iter()
            .find(|p| p.name.is_some() && p.mode.as_deref().is_some_and(|m| m.eq_ignore_ascii_case("system")))
    }
}

/// Terraform's `node_taints`/`only_critical_addons_enabled` split: AKS implements
/// `only_critical_addons_enabled` as this taint on the default pool.
pub const CRITICAL_ADDONS_TAINT: &str = "CriticalAddonsOnly=true:NoSchedule";

/// A pool's attributes in the shape azurerm gives them, both in
/// `azurerm_kubernetes_cluster_node_pool` and in a cluster's `default_node_pool`.
pub fn pool_attributes(p: &AgentPoolProfile) -> Map<String, Value> {
    let autoscale = p.enable_auto_scaling.unwrap_or(false);
    let spot = p.scale_set_priority.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("spot"));
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_string(), v);
    };
    put("name", opt(&p.name));
    put("vm_size", opt(&p.vm_size));
    put("node_count", p.count.map(Value::from).unwrap_or(Value::Null));
    put("auto_scaling_enabled", Value::from(autoscale));
    put("min_count", p.min_count.map(Value::from).unwrap_or(Value::Null));
    put("max_count", p.max_count.map(Value::from).unwrap_or(Value::Null));
    put("max_pods", p.max_pods.map(Value::from).unwrap_or(Value::Null));
    put("os_disk_size_gb", p.os_disk_size_gb.map(Value::from).unwrap_or(Value::Null));
    put("os_type", opt(&p.os_type));
    put("os_sku", opt(&p.os_sku));
    put("mode", opt(&p.mode));
    put("orchestrator_version", opt(&p.orchestrator_version));
    put("vnet_subnet_id", opt(&p.vnet_subnet_id));
    put("zones", Value::from(p.availability_zones.clone().unwrap_or_default()));
    put("node_public_ip_enabled", Value::from(p.enable_node_public_ip.unwrap_or(false)));
    put("host_encryption_enabled", Value::from(p.enable_encryption_at_host.unwrap_or(false)));
    put("priority", Value::from(if spot { "Spot" } else { "Regular" }));
    put("eviction_policy", opt(&p.scale_set_eviction_policy));
    put(
        "spot_max_price",
        p.spot_max_price.map(Value::from).unwrap_or(if spot { Value::from(-1) } else { Value::Null }),
    );
    put("node_labels", Value::Object(p.node_labels.clone().unwrap_or_default()));
    put("node_taints", Value::from(p.node_taints.clone().unwrap_or_default()));
    put("gpu_instance", opt(&p.gpu_instance_profile));
    put("tags", Value::Object(p.tags.clone().unwrap_or_default()));
    put("type", opt(&p.type_));
    put("power_state", opt(&p.power_state.as_ref().and_then(|s| s.code.clone())));
    m
}

fn opt(v: &Option<String>) -> Value {
    v.as_deref().map(Value::from).unwrap_or(Value::Null)
}

/// `identity` in azurerm's block shape.
pub fn identity_block(i: Option<&Identity>) -> Value {
    match i {
        Some(i) => super::util::identity(
            i.type_.clone().map(Value::from).unwrap_or(Value::Null),
            i.user_assigned_identities.as_ref(),
            &i.principal_id,
            &i.tenant_id,
        ),
        None => Value::Array(vec![]),
    }
}
