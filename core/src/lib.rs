//! driftd's core: everything between "what the cloud says" and "what people read",
//! with no network and no cloud SDK, so it builds and tests in seconds.
//!
//! Data flows one way: [`tfstate`] reads declarations, [`snapshot`] reads what a
//! provider saw, [`compare`] turns both into findings (normalised per [`spec::TypeSpec`]),
//! [`ignore`] and [`cost`] refine them, and [`report`] renders them.

pub mod allocation;
pub mod check;
pub mod compare;
pub mod cost;
pub mod encoding;
pub mod error;
pub mod gpu;
pub mod ignore;
pub mod model;
pub mod owner;
pub mod path;
pub mod policy;
pub mod remediation;
pub mod report;
pub mod snapshot;
pub mod spec;
pub mod terraform;
pub mod tfstate;

pub use error::{Error, ErrorKind};
