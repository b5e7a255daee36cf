//! driftd's providers: one file per covered Terraform type, holding its docs, compared
//! attributes (severity, normalisers), computed-only list, cost rule and, with the
//! cloud SDKs, its lister. [`REGISTRY`] is the one list the comparer reads.

pub mod aws;
pub mod azure;
#[cfg(feature = "backends")]
pub mod backends;
#[cfg(any(feature = "aws", feature = "azure"))]
mod trace;

use driftd_core::spec::{Registry, TypeSpec};

/// Every covered type of this build. A new type is one line in its cloud's `TYPES`.
pub static ALL_TYPES: std::sync::LazyLock<Vec<&'static TypeSpec>> =
    std::sync::LazyLock::new(|| aws::TYPES.iter().map(|t| t.spec).chain(azure::TYPES.iter().map(|t| t.spec)).collect());

/// The registry the comparer uses.
pub fn registry() -> Registry {
    Registry::new(ALL_TYPES.as_slice())
}
