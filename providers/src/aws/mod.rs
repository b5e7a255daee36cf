//! AWS: covered types, and (feature `aws`) the SDK listers and the S3 state backend.
//! A new type is one file next to `instance.rs` (docs, spec, lister) and one line in
//! [`TYPES`] plus one in `LISTERS`, side by side below.

pub mod autoscaling_group;
pub mod capacity_reservation;
pub mod eks_node_group;
pub mod instance;
pub mod launch_template;
pub mod placement_group;
pub mod security_group;

#[cfg(feature = "aws")]
mod client;
#[cfg(feature = "aws")]
mod error;
#[cfg(feature = "aws")]
mod s3;
#[cfg(feature = "aws")]
pub(crate) mod util;

#[cfg(feature = "aws")]
pub use client::{iam_action, scan, AssumeRole, AwsOptions, CallCounter, RegionCx};
#[cfg(feature = "aws")]
pub use error::ListError;
#[cfg(feature = "aws")]
pub use s3::read_state;

use driftd_core::spec::TypeSpec;

pub const TYPES: &[&TypeSpec] = &[
    &instance::SPEC,
    &launch_template::SPEC,
    &autoscaling_group::SPEC,
    &eks_node_group::SPEC,
    &security_group::SPEC,
    &placement_group::SPEC,
    &capacity_reservation::SPEC,
];

/// One lister per covered type, in the order of [`TYPES`].
#[cfg(feature = "aws")]
pub(crate) const LISTERS: &[client::Lister] = &[
    |cx| Box::pin(instance::list(cx)),
    |cx| Box::pin(launch_template::list(cx)),
    |cx| Box::pin(autoscaling_group::list(cx)),
    |cx| Box::pin(eks_node_group::list(cx)),
    |cx| Box::pin(security_group::list(cx)),
    |cx| Box::pin(placement_group::list(cx)),
    |cx| Box::pin(capacity_reservation::list(cx)),
];
