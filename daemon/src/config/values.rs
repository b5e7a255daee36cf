//! Typed config values: each is checked once, when the file is read, and what runs
//! later gets the value, never the string to parse again.

use serde::{Deserialize, Deserializer};

/// A duration written as `"90s"`, `"15m"`, `"24h"` or `"90d"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Duration(pub std::time::Duration);

impl Duration {
    pub const fn secs(n: u64) -> Duration {
        Duration(std::time::Duration::from_secs(n))
    }

    /// Days of 24 hours, as `"90d"` reads.
    pub const fn days(n: u64) -> Duration {
        Duration::secs(n * 86_400)
    }

    pub fn get(self) -> std::time::Duration {
        self.0
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(deserializer)?;
        crate::notify::parse_duration(&text).map(Duration).map_err(serde::de::Error::custom)
    }
}

/// `fail_on`: the lowest severity that fails a check, or `never`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailOn(pub Option<driftd_core::model::Severity>);

impl FailOn {
    pub const NAMES: &'static str = "critical, high, medium, low, never";

    pub fn parse(s: &str) -> Result<FailOn, String> {
        match s {
            "never" => Ok(FailOn(None)),
            s => driftd_core::model::Severity::parse(s)
                .map(|s| FailOn(Some(s)))
                .ok_or_else(|| format!("{s:?} is not one of {}", FailOn::NAMES)),
        }
    }
}

impl<'de> Deserialize<'de> for FailOn {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<FailOn, D::Error> {
        FailOn::parse(&String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// A report format by name (`driftd_core::report::FORMATS`).
#[derive(Clone, Copy)]
pub struct Format(pub &'static driftd_core::report::Format);

impl Format {
    pub fn parse(s: &str) -> Result<Format, String> {
        driftd_core::report::format(s).map(Format).ok_or_else(|| {
            let names: Vec<&str> = driftd_core::report::FORMATS.iter().map(|f| f.name).collect();
            format!("{s:?} is not one of {}", names.join(", "))
        })
    }
}

impl std::fmt::Debug for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.name)
    }
}

impl<'de> Deserialize<'de> for Format {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Format, D::Error> {
        Format::parse(&String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}
