//! AWS: covered types, and (feature `aws`) the SDK listers and the S3 state backend.
//! A new type is one file next to `instance.rs` and one line in [`TYPES`].

pub mod instance;

#[cfg(feature = "aws")]
mod client;
#[cfg(feature = "aws")]
mod error;
#[cfg(feature = "aws")]
mod s3;

#[cfg(feature = "aws")]
pub use client::{scan, AwsOptions, CallCounter, RegionCx};
#[cfg(feature = "aws")]
pub use error::{ListError, ListErrorKind};
#[cfg(feature = "aws")]
pub use s3::read_state;

use driftd_core::spec::TypeSpec;

pub const TYPES: &[&TypeSpec] = &[&instance::SPEC];
