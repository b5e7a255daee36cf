//! Azure: covered types. VM sizes are plain strings: sizes newer than the SDK's enum
//! must compare and price like any other.

pub mod linux_virtual_machine;

use driftd_core::spec::TypeSpec;

pub const TYPES: &[&TypeSpec] = &[&linux_virtual_machine::SPEC];
