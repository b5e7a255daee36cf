//! Azure: covered types, and (feature `azure`) the listers and the azurerm blob state
//! backend. VM sizes are plain strings: sizes newer than the SDK's enum must compare and
//! price like any other.
//!
//! A new type is one file next to `linux_virtual_machine.rs` (docs, spec, owner rules,
//! `to_resource`) and one line in [`TYPES`]; the read that lists it is in `scan.rs`
//! (three reads cover every type: VMs, scale sets, AKS clusters with their pools).

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
mod scale_set;
#[cfg(feature = "azure")]
mod scan;
#[cfg(feature = "azure")]
pub mod sdk;
#[cfg(feature = "azure")]
pub(crate) mod util;
#[cfg(feature = "azure")]
mod vm;

#[cfg(feature = "azure")]
pub use blob::read_state;
#[cfg(feature = "azure")]
pub use scan::{scan, AzureOptions};

use driftd_core::spec::TypeSpec;

pub const TYPES: &[&TypeSpec] = &[
    &linux_virtual_machine::SPEC,
    &windows_virtual_machine::SPEC,
    &linux_virtual_machine_scale_set::SPEC,
    &orchestrated_virtual_machine_scale_set::SPEC,
    &kubernetes_cluster::SPEC,
    &kubernetes_cluster_node_pool::SPEC,
];
