//! The owners that create Azure compute besides Terraform, and the rules that recognise
//! their work. Each type's spec lists the rules that apply to it, first match wins.
//!
//! Where each marker was confirmed:
//! - AKS creates one scale set per node pool in the cluster's node resource group
//!   (`properties.nodeResourceGroup` of the managed cluster, `MC_<rg>_<cluster>_<location>`
//!   by default) and tags it `aks-managed-poolName` (cluster-autoscaler's Azure cache reads
//!   the same tag, `agentpoolNameTag`). The tag alone does not say which cluster, so the
//!   scan joins it with the cluster listing of the same subscription and names the owner
//!   on the resource itself (`Resource::owner`): the node pool for a pool that is its
//!   own `azurerm_kubernetes_cluster_node_pool`, the cluster for the default pool, which
//!   Terraform declares inside `azurerm_kubernetes_cluster`. A scale set with
//!   the tag whose cluster was not read (another subscription, a failed listing) still
//!   belongs to AKS, never to nobody.
//! - A scale set in Flexible orchestration lists its VMs among the subscription's VMs,
//!   each with `properties.virtualMachineScaleSet.id` (azurerm's
//!   `virtual_machine_scale_set_id`). Uniform scale sets' VMs are not VM resources at all.
//! - Azure CycleCloud tags every node `ClusterName` and `CycleOwner`, and from 8.2 on
//!   `CycleCloudCluster` (`/sites/<site>/clusters/<cluster>`) and `CycleCloudNodeArray`
//!   (CycleCloud docs, "Tag nodes").
//! - Azure Batch (user subscription pools) documents no tag of its own on the scale sets
//!   it creates, only the pool's user-chosen `resourceTags`: no rule guesses one.

use driftd_core::owner::{Match, Owner, OwnerKind, OwnerRule};

pub static AKS_NODE_POOL: Owner =
    Owner { tf_type: "azurerm_kubernetes_cluster_node_pool", label: "AKS node pool", kind: OwnerKind::Terraform };
pub static AKS_CLUSTER: Owner =
    Owner { tf_type: "azurerm_kubernetes_cluster", label: "AKS cluster", kind: OwnerKind::Terraform };
/// An AKS pool whose cluster this scan did not read: AKS's, not shadow capacity.
pub static AKS: Owner = Owner { tf_type: "aks", label: "AKS (cluster not read)", kind: OwnerKind::Orchestrator };
pub static FLEXIBLE_SCALE_SET: Owner =
    Owner { tf_type: "azurerm_orchestrated_virtual_machine_scale_set", label: "scale set", kind: OwnerKind::Terraform };
pub static CYCLECLOUD: Owner =
    Owner { tf_type: "cyclecloud", label: "CycleCloud cluster", kind: OwnerKind::Orchestrator };

pub const BY_AKS_NODE_POOL: OwnerRule = OwnerRule {
    owner: &AKS_NODE_POOL,
    when: Match::FromScan("tag `aks-managed-poolName` of a pool of a cluster the scan read"),
    id: "CLUSTER_ID/agentPools/POOL",
};
pub const BY_AKS_DEFAULT_POOL: OwnerRule = OwnerRule {
    owner: &AKS_CLUSTER,
    when: Match::FromScan("tag `aks-managed-poolName` of the default pool of a cluster the scan read"),
    id: "CLUSTER_ID",
};
pub const BY_AKS_POOL_TAG: OwnerRule = OwnerRule {
    owner: &AKS,
    when: Match::Tags(&["aks-managed-poolName"]),
    id: "{@resource_group_name}/{aks-managed-poolName}",
};
pub const BY_FLEXIBLE_SCALE_SET: OwnerRule = OwnerRule {
    owner: &FLEXIBLE_SCALE_SET,
    when: Match::AttrSet("virtual_machine_scale_set_id"),
    id: "{@virtual_machine_scale_set_id}",
};
pub const BY_CYCLECLOUD: OwnerRule =
    OwnerRule { owner: &CYCLECLOUD, when: Match::Tags(&["CycleCloudCluster"]), id: "{CycleCloudCluster}" };
/// CycleCloud before 8.2: the cluster's name only.
pub const BY_CYCLECLOUD_NAME: OwnerRule =
    OwnerRule { owner: &CYCLECLOUD, when: Match::Tags(&["ClusterName", "CycleOwner"]), id: "{ClusterName}" };

/// The rules of every compute type (VMs and scale sets), in order.
pub const COMPUTE: &[OwnerRule] =
    &[BY_AKS_NODE_POOL, BY_AKS_DEFAULT_POOL, BY_AKS_POOL_TAG, BY_CYCLECLOUD, BY_CYCLECLOUD_NAME];
/// VMs: a Flexible scale set's VMs first, then the compute rules.
pub const VM: &[OwnerRule] =
    &[BY_FLEXIBLE_SCALE_SET, BY_AKS_NODE_POOL, BY_AKS_DEFAULT_POOL, BY_AKS_POOL_TAG, BY_CYCLECLOUD, BY_CYCLECLOUD_NAME];
