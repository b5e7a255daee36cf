//! AWS: covered types, and (feature `aws`) the SDK listers and the S3 state backend.
//! A new type is one file next to `instance.rs` (docs, spec, owner rules, lister) and
//! one `aws_type!` line in [`TYPES`], which pairs the file's spec with its lister.

pub mod autoscaling_group;
pub mod capacity_block_reservation;
pub mod capacity_reservation;
pub mod eks_node_group;
pub mod events;
pub mod instance;
pub mod launch_template;
pub mod owners;
pub mod placement_group;
pub mod security_group;

#[cfg(feature = "aws")]
mod client;
#[cfg(feature = "aws")]
mod error;
#[cfg(feature = "aws")]
pub mod lookup;
#[cfg(feature = "aws")]
pub mod prices;
#[cfg(feature = "aws")]
pub mod queue;
#[cfg(feature = "aws")]
mod s3;
#[cfg(feature = "aws")]
pub(crate) mod util;

#[cfg(feature = "aws")]
pub use client::{default_region, iam_action, scan, AssumeRole, AwsOptions, CallCounter, RegionCx, Wanted};
#[cfg(feature = "aws")]
pub use error::ListError;
#[cfg(feature = "aws")]
pub use s3::read_state;

use driftd_core::spec::TypeSpec;

/// One covered type: its spec and, with the SDKs, its lister, taken from the same file
/// so that a type can never be read by another type's lister.
pub struct AwsType {
    pub spec: &'static TypeSpec,
    #[cfg(feature = "aws")]
    pub(crate) list: client::Lister,
}

/// `aws_type!(instance)`: the `SPEC` and `list` of `instance.rs`.
macro_rules! aws_type {
    ($file:ident) => {
        AwsType {
            spec: &$file::SPEC,
            #[cfg(feature = "aws")]
            list: |cx| Box::pin($file::list(cx)),
        }
    };
}

pub const TYPES: &[AwsType] = &[
    aws_type!(instance),
    aws_type!(launch_template),
    aws_type!(autoscaling_group),
    aws_type!(eks_node_group),
    aws_type!(security_group),
    aws_type!(placement_group),
    aws_type!(capacity_reservation),
    aws_type!(capacity_block_reservation),
];
