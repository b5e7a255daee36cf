//! Azure: covered types, and (feature `azure`) the listers and the azurerm blob state
//! backend. VM sizes are plain strings: sizes newer than the SDK's enum must compare and
//! price like any other.
//!
//! A new type is one file next to `linux_virtual_machine.rs` (docs, spec, owner rules,
//! `to_resource`) and one line in [`TYPES`] naming its spec and the read that lists it
//! (three subscription-wide reads cover every type: VMs, scale sets, AKS clusters with
//! their pools); `scan.rs` derives which types each read covers from that line.

pub mod capacity_reservation;
pub mod events;
pub mod kubernetes_cluster;
pub mod kubernetes_cluster_node_pool;
pub mod linux_virtual_machine;
pub mod linux_virtual_machine_scale_set;
pub mod orchestrated_virtual_machine_scale_set;
pub mod owners;
pub mod windows_virtual_machine;

#[cfg(feature = "azure")]
pub mod aks;
#[cfg(feature = "azure")]
pub mod arm;
#[cfg(feature = "azure")]
mod blob;
#[cfg(feature = "azure")]
mod certificate;
#[cfg(feature = "azure")]
pub mod error;
#[cfg(feature = "azure")]
pub mod lookup;
#[cfg(feature = "azure")]
pub mod prices;
#[cfg(feature = "azure")]
pub mod queue;
#[cfg(feature = "azure")]
mod scale_set;
#[cfg(feature = "azure")]
mod scan;
#[cfg(feature = "azure")]
pub mod sdk;
#[cfg(feature = "azure")]
mod storage;
#[cfg(feature = "azure")]
pub(crate) mod util;
#[cfg(feature = "azure")]
mod vm;

#[cfg(feature = "azure")]
pub use blob::read_state;
#[cfg(feature = "azure")]
pub use scan::{scan, AzureOptions};

use driftd_core::spec::TypeSpec;

/// Which subscription-wide read lists a type (each read maps what it lists to the types'
/// `to_resource` in `scan.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListedBy {
    /// `Microsoft.Compute/virtualMachines` (Linux and Windows VMs).
    VirtualMachines,
    /// `Microsoft.Compute/virtualMachineScaleSets` (uniform and flexible).
    ScaleSets,
    /// `Microsoft.ContainerService/managedClusters`, with their agent pools.
    AksClusters,
    /// `Microsoft.Compute/capacityReservationGroups`, then each reservation by id.
    CapacityReservations,
}

/// A covered Azure type: its spec and the read that lists it.
#[derive(Debug)]
pub struct AzureType {
    pub spec: &'static TypeSpec,
    pub listed_by: ListedBy,
}

pub const TYPES: &[AzureType] = &[
    AzureType { spec: &linux_virtual_machine::SPEC, listed_by: ListedBy::VirtualMachines },
    AzureType { spec: &windows_virtual_machine::SPEC, listed_by: ListedBy::VirtualMachines },
    AzureType { spec: &linux_virtual_machine_scale_set::SPEC, listed_by: ListedBy::ScaleSets },
    AzureType { spec: &orchestrated_virtual_machine_scale_set::SPEC, listed_by: ListedBy::ScaleSets },
    AzureType { spec: &kubernetes_cluster::SPEC, listed_by: ListedBy::AksClusters },
    AzureType { spec: &kubernetes_cluster_node_pool::SPEC, listed_by: ListedBy::AksClusters },
    AzureType { spec: &capacity_reservation::SPEC, listed_by: ListedBy::CapacityReservations },
];

/// The Terraform types a read lists, in registry order.
pub fn listed_by(read: ListedBy) -> Vec<&'static str> {
    TYPES.iter().filter(|t| t.listed_by == read).map(|t| t.spec.tf_type).collect()
}
