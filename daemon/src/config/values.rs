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
