//! The compute SDK's models, from the one api-version package driftd builds
//! (`package-2024-07-01`). Only the Azure provider module sees them.

pub use azure_mgmt_compute::package_2024_07_01::models::{
    SubResource, VirtualMachine, VirtualMachineInstanceView, VirtualMachineListResult, VirtualMachineScaleSet,
    VirtualMachineScaleSetListWithLinkResult, VirtualMachineScaleSetVmListResult,
};
pub use azure_mgmt_compute::package_2024_07_01::Client as ComputeClient;
pub use azure_mgmt_compute::package_2024_07_01::ClientBuilder as ComputeClientBuilder;
