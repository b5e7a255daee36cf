//! `azurerm_kubernetes_cluster`
//!
//! ## What drifts
//! The default node pool resized or scaled by hand, autoscaler bounds moved, the
//! Kubernetes version upgraded outside Terraform, the API server opened (private
//! cluster, authorised ranges), local accounts or RBAC switched, tags changed;
//! clusters deleted or created by hand.
//!
//! ## Why it matters
//! The default pool is capacity like any other (`vm_size` × `node_count`); local
//! accounts, RBAC, authorised IP ranges and a private API server are security controls.
//!
//! ## Noise that is not drift
//! `default_node_pool.0.node_count` while the pool autoscales (the autoscaler's to
//! move), `current_kubernetes_version`, the node resource group's generated name, FQDNs,
//! kube configs, ARM id casing.
//!
//! ## Owners
//! None: clusters are created by hand or by Terraform. The scale sets of its default
//! pool belong to the cluster (`owners.rs`).
//!
//! ## Read from
//! `managedClusters` of the subscription as JSON (`aks.rs`); the default pool is the
//! first System pool of `agentPoolProfiles`, as azurerm picks it without a configured name.

use driftd_core::model::{Cloud, Severity::*};
use driftd_core::spec::{Attr, CostRule, Lit, NameRule, Norm, TypeSpec};

pub const SPEC: TypeSpec = TypeSpec {
    tf_type: "azurerm_kubernetes_cluster",
    cloud: Cloud::Azure,
    doc: "AKS clusters whose default pool was resized or scaled by hand, upgraded outside Terraform, or opened up (API server, local accounts).",
    compared: &[
        Attr::new("default_node_pool.0.vm_size", High).norms(&[Norm::Lowercase]),
        Attr::new("default_node_pool.0.node_count", High).unless("default_node_pool.0.auto_scaling_enabled", Lit::Bool(true)),
        Attr::new("default_node_pool.0.auto_scaling_enabled", Medium).norms(&[Norm::Default(Lit::Bool(false))]),
        Attr::new("default_node_pool.0.min_count", Medium).norms(&[Norm::Default(Lit::Int(0))]),
        Attr::new("default_node_pool.0.max_count", Medium).norms(&[Norm::Default(Lit::Int(0))]),
        Attr::new("default_node_pool.0.zones", Medium).norms(&[Norm::Set]),
        Attr::new("default_node_pool.0.node_labels", Low),
        Attr::new("default_node_pool.0.only_critical_addons_enabled", Low).norms(&[Norm::Default(Lit::Bool(false))]),
        Attr::new("default_node_pool.0.host_encryption_enabled", High).norms(&[Norm::Default(Lit::Bool(false))]),
        Attr::new("default_node_pool.0.node_public_ip_enabled", High).norms(&[Norm::Default(Lit::Bool(false))]),
        Attr::new("default_node_pool.0.max_pods", Low),
        Attr::new("default_node_pool.0.os_disk_size_gb", Low),
        Attr::new("kubernetes_version", Medium),
        Attr::new("sku_tier", Medium).norms(&[Norm::Lowercase, Norm::Default(Lit::Str("free"))]),
        Attr::new("private_cluster_enabled", High).norms(&[Norm::Default(Lit::Bool(false))]),
        Attr::new("api_server_access_profile.0.authorized_ip_ranges", High).norms(&[Norm::Set]),
        Attr::new("local_account_disabled", High).norms(&[Norm::Default(Lit::Bool(false))]),
        Attr::new("role_based_access_control_enabled", High).norms(&[Norm::Default(Lit::Bool(true))]),
        Attr::new("oidc_issuer_enabled", Medium).norms(&[Norm::Default(Lit::Bool(false))]),
        Attr::new("workload_identity_enabled", Medium).norms(&[Norm::Default(Lit::Bool(false))]),
        Attr::new("azure_policy_enabled", Medium).norms(&[Norm::Default(Lit::Bool(false))]),
        Attr::new("automatic_upgrade_channel", Low).norms(&[Norm::Lowercase, Norm::Default(Lit::Str("none"))]),
        Attr::new("identity.0.type", Medium).norms(&[Norm::Lowercase]),
        Attr::new("tags", Low),
    ],
    computed_only: &[
        "id",
        "fqdn",
        "private_fqdn",
        "portal_fqdn",
        "current_kubernetes_version",
        "node_resource_group",
        "node_resource_group_id",
        "oidc_issuer_url",
        "kube_config",
        "kube_config_raw",
        "kube_admin_config",
        "kube_admin_config_raw",
        "kubelet_identity",
        "identity.0.principal_id",
        "identity.0.tenant_id",
        "power_state",
        "default_node_pool.0.power_state",
    ],
    cost: Some(CostRule {
        size_attr: "default_node_pool.0.vm_size",
        count_attr: Some("default_node_pool.0.node_count"),
        idle_when: Some(("power_state", &["Stopped"])),
        spot_when: None,
    }),
    name: NameRule::Attr("name"),
    missing: High,
    unmanaged: High,
    change_messages: &[
        ("default_node_pool.0.vm_size", "default node pool size changed outside Terraform"),
        ("default_node_pool.0.node_count", "default node pool scaled outside Terraform"),
        ("kubernetes_version", "Kubernetes version changed outside Terraform"),
        ("private_cluster_enabled", "private API server changed outside Terraform"),
        ("api_server_access_profile", "API server authorised IP ranges changed outside Terraform"),
        ("local_account_disabled", "local accounts changed outside Terraform"),
        ("tags", "tags changed outside Terraform"),
    ],
    owners: &[],
    absorbs: &[],
    gpu_facts_from: None,
    events: super::events::CLUSTER_OPERATIONS,
};

#[cfg(feature = "azure")]
pub use lister::to_resource;

#[cfg(feature = "azure")]
mod lister {
    use crate::azure::aks::{self, ManagedCluster};
    use crate::azure::util;
    use driftd_core::model::Resource;
    use serde_json::{json, Value};

    /// One cluster in Terraform's shape, its default pool as `default_node_pool`.
    pub fn to_resource(subscription: &str, c: &ManagedCluster) -> Resource {
        let p = &c.properties;
        let mut pool = c.default_pool().map(aks::pool_attributes).unwrap_or_default();
        let taints = pool.remove("node_taints").unwrap_or(Value::Null);
        let critical = taints.as_array().is_some_and(|t| t.iter().any(|t| t == aks::CRITICAL_ADDONS_TAINT));
        pool.insert("only_critical_addons_enabled".into(), Value::from(critical));
        for computed_elsewhere in ["mode", "priority", "eviction_policy", "spot_max_price", "os_type", "gpu_instance"] {
            pool.remove(computed_elsewhere);
        }
        let addon = |name: &str| {
            p.addon_profiles
                .as_ref()
                .and_then(|a| a.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
                .and_then(|(_, v)| v.get("enabled"))
                .and_then(Value::as_bool)
                .unwrap_or(false)
        };
        let id = c.id.clone().unwrap_or_default();
        let ranges =
            p.api_server_access_profile.as_ref().and_then(|a| a.authorized_ip_ranges.clone()).unwrap_or_default();
        let attributes = json!({
            "id": id,
            "name": c.name,
            "location": c.location,
            "resource_group_name": util::resource_group(&id),
            "dns_prefix": p.dns_prefix,
            "kubernetes_version": p.kubernetes_version,
            "current_kubernetes_version": p.current_kubernetes_version,
            "sku_tier": c.sku.as_ref().and_then(|s| s.tier.clone()),
            "node_resource_group": p.node_resource_group,
            "fqdn": p.fqdn,
            "private_fqdn": p.private_fqdn,
            "private_cluster_enabled": p.api_server_access_profile.as_ref().and_then(|a| a.enable_private_cluster).unwrap_or(false),
            "api_server_access_profile": if ranges.is_empty() { json!([]) } else { json!([{"authorized_ip_ranges": ranges}]) },
            "local_account_disabled": p.disable_local_accounts.unwrap_or(false),
            "role_based_access_control_enabled": p.enable_rbac.unwrap_or(true),
            "oidc_issuer_enabled": p.oidc_issuer_profile.as_ref().and_then(|o| o.enabled).unwrap_or(false),
            "workload_identity_enabled": p.security_profile.as_ref().and_then(|s| s.workload_identity.as_ref()).and_then(|w| w.enabled).unwrap_or(false),
            "azure_policy_enabled": addon("azurepolicy"),
            "automatic_upgrade_channel": p.auto_upgrade_profile.as_ref().and_then(|a| a.upgrade_channel.clone()),
            "network_profile": p.network_profile.as_ref().map(|n| json!([{"network_plugin": n.network_plugin, "network_policy": n.network_policy, "outbound_type": n.outbound_type}])).unwrap_or(json!([])),
            "identity": aks::identity_block(c.identity.as_ref()),
            "power_state": p.power_state.as_ref().and_then(|s| s.code.clone()),
            "default_node_pool": [Value::Object(pool)],
            "tags": Value::Object(c.tags.clone().unwrap_or_default()),
        });
        util::resource(super::SPEC.tf_type, subscription, id, attributes, "default_node_pool.0.vm_size")
    }
}
