//! driftd's providers: one file per covered Terraform type, holding its docs, compared
//! attributes (severity, normalisers), computed-only list, cost rule and, with the
//! cloud SDKs, its lister. [`REGISTRY`] is the one list the comparer reads.

pub mod aws;
pub mod azure;
#[cfg(feature = "backends")]
pub mod backends;
pub mod events;
pub mod prices;
#[cfg(any(feature = "aws", feature = "azure"))]
mod trace;

use driftd_core::spec::{Registry, TypeSpec};
use driftd_core::tfstate::StateInput;
use driftd_core::Error;
use std::future::Future;
use std::pin::Pin;

/// Every covered type of this build. A new type is one line in its cloud's `TYPES`.
pub static ALL_TYPES: std::sync::LazyLock<Vec<&'static TypeSpec>> =
    std::sync::LazyLock::new(|| aws::TYPES.iter().map(|t| t.spec).chain(azure::TYPES.iter().map(|t| t.spec)).collect());

/// The registry the comparer uses.
pub fn registry() -> Registry {
    Registry::new(ALL_TYPES.as_slice())
}

/// Reading one state from its backend.
pub type StateRead<'a> = Pin<Box<dyn Future<Output = Result<StateInput, Error>> + Send + 'a>>;

/// A place Terraform keeps state that `--state` reads, by URL scheme. A new backend is
/// its file (in `backends/`, or its cloud's folder) and one line in [`STATE_BACKENDS`];
/// `core/src/terraform/discover.rs` maps its `backend` block to the same URL.
pub struct StateBackend {
    /// URL prefixes it answers (`s3://`).
    pub schemes: &'static [&'static str],
    /// How a `--state` of it is written, for help and errors.
    pub usage: &'static str,
    pub read: for<'a> fn(&'a str) -> StateRead<'a>,
}

/// The state backends of this build.
pub const STATE_BACKENDS: &[StateBackend] = &[
    #[cfg(feature = "aws")]
    StateBackend { schemes: &["s3://"], usage: "s3://BUCKET/KEY", read: |url| Box::pin(aws::read_state(url)) },
    #[cfg(feature = "azure")]
    StateBackend {
        schemes: &["azurerm://"],
        usage: "azurerm://ACCOUNT/CONTAINER/BLOB",
        read: |url| Box::pin(azure::read_state(url)),
    },
    #[cfg(feature = "backends")]
    StateBackend {
        schemes: &["http://", "https://"],
        usage: "http(s):// (Terraform's http backend)",
        read: |url| Box::pin(backends::http::read_state(url)),
    },
    #[cfg(feature = "backends")]
    StateBackend {
        schemes: &["remote://"],
        usage: "remote://HOST/ORG/WORKSPACE (HCP Terraform, Terraform Enterprise)",
        read: |url| Box::pin(backends::hcp::read_state(url)),
    },
];

/// The backend that reads `source`, if it is a URL one of them answers.
pub fn state_backend(source: &str) -> Option<&'static StateBackend> {
    STATE_BACKENDS.iter().find(|b| b.schemes.iter().any(|s| source.starts_with(s)))
}
