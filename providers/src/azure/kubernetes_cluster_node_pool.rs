//! `azurerm_kubernetes_cluster_node_pool`
//!
//! ## What drifts
//! GPU node pools resized, scaled by hand (when not autoscaled), autoscaler bounds
//! moved, switched between Regular and Spot, re-labelled or re-tainted, moved between
//! System and User mode; pools deleted or added by hand (`az aks nodepool add`).
//!
//! ## Why it matters
//! A pool is `vm_size` × `node_count` of GPU capacity: an ND96asr_v4 pool scaled from
//! 2 to 6 by hand is ~$109 an hour more. Taints keep ordinary pods off GPU nodes;
//! labels steer GPU workloads.
//!
//! ## Noise that is not drift
//! `node_count` while the pool autoscales: the autoscaler's to move, never drift
//! (`min_count` and `max_count` are compared). ARM id casing, zone order.
//!
//! ## Owners
//! None. The scale sets AKS creates for a pool belong to the pool (`owners.rs`).
//!
//! ## Read from
//! Each cluster's `agentPoolProfiles`, which come with the cluster listing (`aks.rs`):
//! no call per cluster. The cluster's default pool is part of `azurerm_kubernetes_cluster`
//! and is not listed here. The id is the cluster's with `/agentPools/<name>`.

use driftd_core::model::{Cloud, Severity::*};
use driftd_core::spec::{Attr, CostRule, Lit, NameRule, Norm, TypeSpec};

pub const SPEC: TypeSpec = TypeSpec {
    tf_type: "azurerm_kubernetes_cluster_node_pool",
    cloud: Cloud::Azure,
    doc: "AKS GPU node pools resized, scaled by hand, re-tainted or switched to Spot outside Terraform; pools added by hand.",
    compared: &[
        Attr::new("vm_size", High).norms(&[Norm::Lowercase]),
        Attr::new("node_count", High).unless("auto_scaling_enabled", Lit::Bool(true)),
        Attr::new("auto_scaling_enabled", Medium).norms(&[Norm::Default(Lit::Bool(false))]),
        Attr::new("min_count", Medium).norms(&[Norm::Default(Lit::Int(0))]),
        Attr::new("max_count", Medium).norms(&[Norm::Default(Lit::Int(0))]),
        Attr::new("priority", Medium).norms(&[Norm::Lowercase, Norm::Default(Lit::Str("regular"))]),
        Attr::new("eviction_policy", Medium).norms(&[Norm::Lowercase]),
        Attr::new("spot_max_price", Low).norms(&[Norm::Default(Lit::Int(-1))]),
        Attr::new("node_taints", Medium).norms(&[Norm::Set]),
        Attr::new("node_labels", Low),
        Attr::new("mode", Medium).norms(&[Norm::Lowercase, Norm::Default(Lit::Str("user"))]),
        Attr::new("zones", Medium).norms(&[Norm::Set]),
        Attr::new("gpu_instance", Medium).norms(&[Norm::Lowercase]),
        Attr::new("host_encryption_enabled", High).norms(&[Norm::Default(Lit::Bool(false))]),
        Attr::new("node_public_ip_enabled", High).norms(&[Norm::Default(Lit::Bool(false))]),
        Attr::new("max_pods", Low),
        Attr::new("os_disk_size_gb", Low),
        Attr::new("os_sku", Low).norms(&[Norm::Lowercase]),
        Attr::new("tags", Low),
    ],
    computed_only: &["id", "kubernetes_cluster_id", "orchestrator_version", "power_state", "type"],
    cost: Some(CostRule {
        size_attr: "vm_size",
        count_attr: Some("node_count"),
        idle_when: Some(("power_state", &["Stopped"])),
        spot_when: Some(("priority", &["Spot"])),
    }),
    name: NameRule::Attr("name"),
    missing: High,
    unmanaged: High,
    change_messages: &[
        ("vm_size", "node pool size changed outside Terraform"),
        ("node_count", "node pool scaled outside Terraform"),
        ("min_count", "node pool autoscaler bounds changed outside Terraform"),
        ("max_count", "node pool autoscaler bounds changed outside Terraform"),
        ("priority", "priority (Regular/Spot) changed outside Terraform"),
        ("node_taints", "node pool taints changed outside Terraform"),
        ("tags", "tags changed outside Terraform"),
    ],
    owners: &[],
    absorbs: &[],
    gpu_facts_from: None,
    events: super::events::NODE_POOL_OPERATIONS,
};

#[cfg(feature = "azure")]
pub use lister::to_resource;

#[cfg(feature = "azure")]
mod lister {
    use crate::azure::aks::{self, AgentPoolProfile};
    use crate::azure::util;
    use driftd_core::model::Resource;
    use serde_json::Value;

    /// One pool of the cluster `cluster_id`, in Terraform's shape.
    pub fn to_resource(subscription: &str, cluster_id: &str, location: &str, p: &AgentPoolProfile) -> Resource {
        let name = p.name.clone().unwrap_or_default();
        let id = format!("{cluster_id}/agentPools/{name}");
        let mut attributes = aks::pool_attributes(p);
        attributes.insert("id".into(), Value::from(id.clone()));
        attributes.insert("kubernetes_cluster_id".into(), Value::from(cluster_id));
        // Pools have no location of their own: the cluster's, for the scan's scope.
        attributes.insert("location".into(), Value::from(location));
        util::resource(super::SPEC.tf_type, subscription, id, Value::Object(attributes), "vm_size")
    }
}
