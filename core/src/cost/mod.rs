//! On-demand prices and the cost of resources. The built-in table (`prices.json`)
//! carries its source and date; config overrides or extends it. A size not in the
//! table has no price: costs are `null`, never a guess.

use crate::model::{Cloud, Resource};
use crate::path;
use crate::spec::TypeSpec;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

const BUILTIN: &str = include_str!("prices.json");

#[derive(Deserialize)]
struct Table {
    as_of: String,
    source: String,
    regions: Regions,
    aws: BTreeMap<String, f64>,
    azure: BTreeMap<String, f64>,
}

/// The one region per cloud whose prices the table holds.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, serde::Serialize)]
pub struct Regions {
    pub aws: String,
    pub azure: String,
}

/// Where a report's costs come from, as every report says next to them: until prices
/// per region exist, one dated list price per size, from one region per cloud.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct PriceSource {
    /// `on-demand list prices`: no spot, reservation or discount.
    pub kind: &'static str,
    pub as_of: String,
    pub regions: Regions,
    pub source: String,
    /// Sizes whose price `[prices]` in driftd.toml set or changed.
    pub from_config: usize,
}

impl PriceSource {
    /// `on-demand list prices of AWS us-east-1 and Azure eastus as of 2025-06-30 (2 sizes from driftd.toml)`.
    pub fn line(&self) -> String {
        let config = match self.from_config {
            0 => String::new(),
            1 => " (1 size from driftd.toml)".into(),
            n => format!(" ({n} sizes from driftd.toml)"),
        };
        format!(
            "{} of AWS {} and Azure {} as of {}{config}, whatever region a resource runs in",
            self.kind, self.regions.aws, self.regions.azure, self.as_of
        )
    }
}

/// Hourly prices per cloud, keyed by instance type / VM size.
#[derive(Debug, Clone, Default)]
pub struct PriceTable {
    pub as_of: String,
    pub source: String,
    pub regions: Regions,
    /// Sizes set from config (`set`).
    from_config: usize,
    aws: HashMap<String, f64>,
    /// Azure sizes are matched case-insensitively (`Standard_ND96asr_v4` vs `standard_nd96asr_v4`).
    azure: HashMap<String, f64>,
}

impl PriceTable {
    pub fn builtin() -> PriceTable {
        let t: Table = serde_json::from_str(BUILTIN).expect("built-in price table is valid JSON");
        let mut table = PriceTable { as_of: t.as_of, source: t.source, regions: t.regions, ..Default::default() };
        for (size, price) in t.aws {
            table.set(Cloud::Aws, &size, price);
        }
        for (size, price) in t.azure {
            table.set(Cloud::Azure, &size, price);
        }
        table
    }

    /// Add or override one price from config (counted in [`PriceSource::from_config`]).
    pub fn set_from_config(&mut self, cloud: Cloud, size: &str, per_hour_usd: f64) {
        self.from_config += 1;
        self.set(cloud, size, per_hour_usd);
    }

    /// What a report says about these prices.
    pub fn source(&self) -> PriceSource {
        PriceSource {
            kind: "on-demand list prices",
            as_of: self.as_of.clone(),
            regions: self.regions.clone(),
            source: self.source.clone(),
            from_config: self.from_config,
        }
    }

    /// Add or override one price.
    pub fn set(&mut self, cloud: Cloud, size: &str, per_hour_usd: f64) {
        match cloud {
            Cloud::Aws => {
                self.aws.insert(size.to_string(), per_hour_usd);
            }
            Cloud::Azure => {
                self.azure.insert(size.to_ascii_lowercase(), per_hour_usd);
            }
            Cloud::Other => {}
        }
    }

    pub fn price(&self, cloud: Cloud, size: &str) -> Option<f64> {
        match cloud {
            Cloud::Aws => self.aws.get(size).copied(),
            Cloud::Azure => self.azure.get(&size.to_ascii_lowercase()).copied(),
            Cloud::Other => None,
        }
    }

    /// Hourly cost of a resource by its spec's cost rule: `None` when the type has no
    /// cost rule or the size has no known price; `Some(0.0)` when it is idle (stopped).
    pub fn hourly(&self, spec: &TypeSpec, resource: &Resource) -> Option<f64> {
        self.hourly_of(spec, resource.provider, &resource.attributes)
    }

    pub fn hourly_of(&self, spec: &TypeSpec, cloud: Cloud, attributes: &Value) -> Option<f64> {
        let rule = spec.cost?;
        if let Some((attr, idle)) = rule.idle_when {
            if let Some(state) = path::get(attributes, attr).and_then(Value::as_str) {
                if idle.iter().any(|s| s.eq_ignore_ascii_case(state)) {
                    return Some(0.0);
                }
            }
        }
        let size = path::get(attributes, rule.size_attr)?.as_str()?;
        let unit = self.price(cloud, size)?;
        let count = match rule.count_attr {
            Some(attr) => path::get(attributes, attr).and_then(Value::as_f64).unwrap_or(1.0),
            None => 1.0,
        };
        Some(round_cents(unit * count))
    }
}

/// Prices are shown to the cent; sums of f64 would otherwise print 33.080000000000005.
/// An empty sum of f64 is -0.0, which would print as "-0.00": fold it to 0.
pub fn round_cents(v: f64) -> f64 {
    let r = (v * 100.0).round() / 100.0;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_has_source_date_and_gpu_families() {
        let t = PriceTable::builtin();
        assert!(!t.source.is_empty());
        assert_eq!(t.as_of.len(), 10);
        for size in
            ["p3.2xlarge", "p4d.24xlarge", "p5.48xlarge", "g4dn.xlarge", "g5.48xlarge", "g6.xlarge", "g6e.48xlarge"]
        {
            assert!(t.price(Cloud::Aws, size).is_some(), "{size}");
        }
        for size in ["Standard_NC24ads_A100_v4", "standard_nd96asr_v4", "Standard_NV36ads_A10_v5"] {
            assert!(t.price(Cloud::Azure, size).is_some(), "{size}");
        }
        assert_eq!(t.price(Cloud::Aws, "m5.large"), None);
    }

    #[test]
    fn rounding_never_yields_negative_zero() {
        let empty: f64 = std::iter::empty::<f64>().sum();
        assert!(round_cents(empty).is_sign_positive());
        assert_eq!(round_cents(55.04 - 21.96), 33.08);
    }

    #[test]
    fn overrides_replace_builtin_prices() {
        let mut t = PriceTable::builtin();
        t.set(Cloud::Aws, "p5.48xlarge", 40.0);
        t.set(Cloud::Azure, "Standard_ND96isr_H100_v5", 50.0);
        assert_eq!(t.price(Cloud::Aws, "p5.48xlarge"), Some(40.0));
        assert_eq!(t.price(Cloud::Azure, "STANDARD_ND96ISR_H100_V5"), Some(50.0));
    }
}
