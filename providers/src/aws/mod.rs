//! AWS: covered types. Listers with the AWS SDK join them per type.

pub mod instance;

use driftd_core::spec::TypeSpec;

pub const TYPES: &[&TypeSpec] = &[&instance::SPEC];
