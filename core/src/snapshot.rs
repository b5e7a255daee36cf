//! Snapshot files (`driftd.snapshot/v1`): what providers read, when, where and with
//! how many API calls. `driftd snapshot` writes them; `--provider snapshot:FILE`
//! reads them back, so any scan can be replayed offline. Format: `docs/snapshot.md`.

use crate::error::{Error, Result};
use crate::model::{Cloud, Resource};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const SCHEMA: &str = "driftd.snapshot/v1";

/// One provider read of one account and region: which types it covered, how many
/// resources and API calls, and the error if the read failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scan {
    pub provider: Cloud,
    pub account: Option<String>,
    pub region: Option<String>,
    /// Terraform types this scan read: only these can be missing or unmanaged here.
    pub types: Vec<String>,
    pub resources: usize,
    pub api_calls: u64,
    pub started_at: Option<String>,
    pub duration_ms: Option<u64>,
    /// Set when this account/region could not be read; a check then exits 3.
    #[serde(default)]
    pub error: Option<String>,
}

impl Scan {
    /// Does this scan speak for a resource of `tf_type` in `account`/`region`?
    /// Unknown account or region on either side does not rule a scan out.
    pub fn covers(&self, provider: Cloud, tf_type: &str, account: Option<&str>, region: Option<&str>) -> bool {
        let same = |a: Option<&str>, b: Option<&str>, fold: fn(&str) -> String| match (a, b) {
            (Some(a), Some(b)) => fold(a) == fold(b),
            _ => true,
        };
        let region_fold: fn(&str) -> String = match provider {
            Cloud::Azure => crate::model::azure_location,
            _ => str::to_string,
        };
        self.error.is_none()
            && self.provider == provider
            && self.types.iter().any(|t| t == tf_type)
            && same(self.account.as_deref(), account, str::to_ascii_lowercase)
            && same(self.region.as_deref(), region, region_fold)
    }
}

/// A live snapshot: scans plus the resources they read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub schema: String,
    pub taken_at: String,
    pub scans: Vec<Scan>,
    pub resources: Vec<Resource>,
}

impl Snapshot {
    pub fn new(taken_at: String) -> Snapshot {
        Snapshot { schema: SCHEMA.to_string(), taken_at, scans: vec![], resources: vec![] }
    }

    pub fn parse(location: &str, bytes: &[u8]) -> Result<Snapshot> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::input(location, "snapshot file is empty"));
        }
        let snap: Snapshot = serde_json::from_slice(bytes).map_err(|e| Error::json(location, "snapshot file", &e))?;
        if snap.schema != SCHEMA {
            return Err(Error::input(
                location,
                format!("snapshot schema is {:?}, this driftd reads {SCHEMA:?}", snap.schema),
            ));
        }
        Ok(snap)
    }

    pub fn read_file(path: &Path) -> Result<Snapshot> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, &e))?;
        Snapshot::parse(&path.display().to_string(), &bytes)
    }

    /// Fold another snapshot in (several `--provider` values in one run).
    pub fn merge(&mut self, other: Snapshot) {
        self.scans.extend(other.scans);
        self.resources.extend(other.resources);
    }

    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("snapshot serialises")
    }
}
