//! Snapshot files (`driftd.snapshot/v1`): what providers read, when, where and with
//! how many API calls. `driftd snapshot` writes them; `--provider snapshot:FILE`
//! reads them back, so any scan can be replayed offline. Format: `docs/snapshot.md`.

use crate::error::{Error, Result};
use crate::model::{Cloud, Resource};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const SCHEMA: &str = "driftd.snapshot/v1";

/// Now as scans record it: RFC 3339 in UTC, to the second.
pub fn now_utc() -> String {
    let now = jiff::Timestamp::now();
    now.round(jiff::Unit::Second).unwrap_or(now).to_string()
}

/// One provider read of one account and region: which types it covered, how many
/// resources and API calls, and what could not be read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scan {
    pub provider: Cloud,
    pub account: Option<String>,
    pub region: Option<String>,
    /// Terraform types this scan tried to read: only these can be missing or unmanaged
    /// here, and only those without a failure below.
    pub types: Vec<String>,
    pub resources: usize,
    pub api_calls: u64,
    /// When this scope's read began (RFC 3339, UTC, to the second).
    pub started_at: Option<String>,
    pub duration_ms: Option<u64>,
    /// Set when this account/region could not be read at all; a check then exits 3.
    #[serde(default)]
    pub error: Option<String>,
    /// Parts that could not be read while the rest was: a type (not covered here, the
    /// others still compared) or an enrichment such as GPU facts. A check then exits 3.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<ScanFailure>,
    /// A re-read of these resources only (after a cloud event), not of whole types: only
    /// these ids can be missing here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only_ids: Option<Vec<String>>,
}

/// One part of a scan that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanFailure {
    /// The type left unread; null for a failure no type's coverage depends on.
    #[serde(rename = "type")]
    pub tf_type: Option<String>,
    /// Why, naming the API action (and so the IAM permission) that failed.
    pub message: String,
}

/// When every one of `types` failed (an unreachable endpoint, no permission for
/// anything), the scope could not be read at all: one error for it, each distinct reason
/// said once, and no per-type failures. Otherwise `None`, and the failures stay.
pub fn whole_scope_error(failures: &mut Vec<ScanFailure>, types: usize) -> Option<String> {
    if failures.is_empty() || failures.len() != types {
        return None;
    }
    let mut messages: Vec<&str> = failures.iter().map(|f| f.message.as_str()).collect();
    messages.dedup();
    let error = messages.join("; ");
    failures.clear();
    Some(error)
}

impl Scan {
    /// One sentence per unread part: "aws 123456789012 us-west-2 could not be read: <why>",
    /// "aws 123456789012 us-west-2: aws_placement_group not read: <why>".
    pub fn failures(&self) -> Vec<String> {
        let scope: Vec<&str> = [Some(self.provider.as_str()), self.account.as_deref(), self.region.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        let scope = scope.join(" ");
        let mut out: Vec<String> = self.error.iter().map(|e| format!("{scope} could not be read: {e}")).collect();
        for f in &self.failures {
            out.push(match &f.tf_type {
                Some(t) => format!("{scope}: {t} not read: {}", f.message),
                None => format!("{scope}: {}", f.message),
            });
        }
        out
    }

    /// Could some part of this scope not be read?
    pub fn incomplete(&self) -> bool {
        self.error.is_some() || !self.failures.is_empty()
    }

    /// Does this scan speak for the resource `id` of `tf_type` in `account`/`region`?
    /// Unknown account or region on either side does not rule a scan out.
    pub fn covers(
        &self,
        provider: Cloud,
        tf_type: &str,
        id: &str,
        account: Option<&str>,
        region: Option<&str>,
    ) -> bool {
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
            && !self.failures.iter().any(|f| f.tf_type.as_deref() == Some(tf_type))
            && same(self.account.as_deref(), account, str::to_ascii_lowercase)
            && same(self.region.as_deref(), region, region_fold)
            && self.only_ids.as_ref().is_none_or(|ids| {
                let key = provider.match_key(id);
                ids.iter().any(|i| provider.match_key(i) == key)
            })
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
        let bytes = &crate::encoding::decode(location, bytes)?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::input(location, "snapshot file is empty"));
        }
        let snap: Snapshot = serde_json::from_slice(bytes).map_err(|e| not_a_snapshot(location, bytes, &e))?;
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

/// A snapshot without its resources.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub schema: String,
    pub taken_at: String,
    pub scans: Vec<Scan>,
}

/// Parse a snapshot, handing each resource to `on_resource` as soon as it is read, so
/// that a fleet of any size is never held whole. Returns the rest of the document.
/// Resources already handed over before an error are the caller's to discard.
pub fn stream(location: &str, bytes: &[u8], on_resource: &mut dyn FnMut(Resource)) -> Result<Header> {
    use serde::de::DeserializeSeed;
    let bytes = &crate::encoding::decode(location, bytes)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::input(location, "snapshot file is empty"));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let header = stream_de::Document { on_resource }
        .deserialize(&mut de)
        .and_then(|h| de.end().map(|_| h))
        .map_err(|e| not_a_snapshot(location, bytes, &e))?;
    if header.schema != SCHEMA {
        return Err(Error::input(
            location,
            format!("snapshot schema is {:?}, this driftd reads {SCHEMA:?}", header.schema),
        ));
    }
    Ok(header)
}

/// A snapshot that does not parse: say so, or that it is a Terraform file given as one.
fn not_a_snapshot(location: &str, bytes: &[u8], e: &serde_json::Error) -> Error {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let has = |key: &[u8]| head.windows(key.len()).any(|w| w == key);
    if has(b"\"terraform_version\"") || has(b"\"format_version\"") {
        return Error::input(
            location,
            "is a Terraform state or plan, not a driftd snapshot: give it with --state (snapshots are written by `driftd snapshot`)",
        );
    }
    Error::json(location, "snapshot file", e)
}

mod stream_de {
    use super::{Header, Resource, Scan};
    use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use std::fmt;

    pub(super) struct Document<'f> {
        pub on_resource: &'f mut dyn FnMut(Resource),
    }

    impl<'de> DeserializeSeed<'de> for Document<'_> {
        type Value = Header;
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Header, D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for Document<'_> {
        type Value = Header;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a driftd snapshot object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Header, A::Error> {
            let (mut schema, mut taken_at, mut scans): (Option<String>, Option<String>, Option<Vec<Scan>>) =
                (None, None, None);
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                match key.as_ref() {
                    "schema" => schema = Some(map.next_value()?),
                    "taken_at" => taken_at = Some(map.next_value()?),
                    "scans" => scans = Some(map.next_value()?),
                    "resources" => map.next_value_seed(Resources { on_resource: &mut *self.on_resource })?,
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(Header {
                schema: schema.ok_or_else(|| de::Error::missing_field("schema"))?,
                taken_at: taken_at.unwrap_or_default(),
                scans: scans.unwrap_or_default(),
            })
        }
    }

    struct Resources<'f> {
        on_resource: &'f mut dyn FnMut(Resource),
    }

    impl<'de> DeserializeSeed<'de> for Resources<'_> {
        type Value = ();
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }

    impl<'de> Visitor<'de> for Resources<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of resources")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(r) = seq.next_element::<Resource>()? {
                (self.on_resource)(r);
            }
            Ok(())
        }
    }
}
