//! Prices and the cost of resources. A price is looked up per cloud, region, size and
//! purchase option (on-demand or spot), in this order: `[prices.aws|azure]` of
//! driftd.toml (the user's own price, any region); a price the clouds' price APIs gave
//! for that region (fetched by the daemon and `driftd check`, `prices_fetch.rs` in
//! providers); the bundled dated table (`prices.json`, one region per cloud, on-demand),
//! which is all an offline check has. A size none of them knows has no price: costs are
//! `null`, never a guess. Every priced finding says which price it used ([`PriceBasis`]).

use crate::model::{azure_location, Cloud, Resource};
use crate::path;
use crate::spec::TypeSpec;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

const BUILTIN: &str = include_str!("prices.json");

/// How old a price may be before reports flag it (`[prices] max_age`).
pub const DEFAULT_MAX_AGE_DAYS: u32 = 30;

#[derive(Deserialize)]
struct Table {
    as_of: String,
    source: String,
    regions: Regions,
    aws: BTreeMap<String, f64>,
    azure: BTreeMap<String, f64>,
}

/// The one region per cloud whose prices the bundled table holds.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct Regions {
    pub aws: String,
    pub azure: String,
}

/// How capacity is bought, which decides its price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purchase {
    OnDemand,
    /// AWS spot, Azure Spot (and low-priority) VMs.
    Spot,
}

impl Purchase {
    pub fn as_str(self) -> &'static str {
        match self {
            Purchase::OnDemand => "on-demand",
            Purchase::Spot => "spot",
        }
    }
}

/// Where a price came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceOrigin {
    /// AWS Price List Query API (`pricing:GetProducts`), on-demand Linux, shared tenancy.
    AwsPriceList,
    /// EC2 `DescribeSpotPriceHistory`: the zones' latest Linux spot prices, averaged.
    AwsSpotPriceHistory,
    /// Azure Retail Prices API (`prices.azure.com`), Linux consumption meters.
    AzureRetailPrices,
    /// `[prices.aws]` / `[prices.azure]` in driftd.toml: any region, any purchase option.
    Config,
    /// The table bundled with driftd: one region per cloud, on-demand, dated.
    Bundled,
}

impl PriceOrigin {
    pub fn label(self) -> &'static str {
        match self {
            PriceOrigin::AwsPriceList => "AWS Price List API",
            PriceOrigin::AwsSpotPriceHistory => "AWS spot price history",
            PriceOrigin::AzureRetailPrices => "Azure Retail Prices API",
            PriceOrigin::Config => "driftd.toml",
            PriceOrigin::Bundled => "bundled table",
        }
    }
}

/// One price from a cloud's price API: one size, in one region, bought one way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionalPrice {
    pub cloud: Cloud,
    /// `eu-west-1`, `westeurope`.
    pub region: String,
    pub size: String,
    pub purchase: Purchase,
    pub per_hour_usd: f64,
    pub origin: PriceOrigin,
    /// The day the API gave it (`YYYY-MM-DD`).
    pub as_of: String,
}

/// A price to look up: what a resource needs priced.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PriceKey {
    pub cloud: Cloud,
    pub region: String,
    pub size: String,
    pub purchase: Purchase,
}

impl PriceKey {
    /// The key prices are stored and looked up under: regions in their short form,
    /// Azure sizes lowercase (ARM spells them both ways).
    pub fn new(cloud: Cloud, region: &str, size: &str, purchase: Purchase) -> PriceKey {
        let (region, size) = match cloud {
            Cloud::Azure => (azure_location(region), size.to_ascii_lowercase()),
            _ => (region.to_string(), size.to_string()),
        };
        PriceKey { cloud, region, size, purchase }
    }
}

/// The price one finding's cost used, as every report shows it next to the cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceBasis {
    pub source: PriceOrigin,
    /// The region the price is for: the resource's own, or the bundled table's when no
    /// API price for its region was at hand; null for a price from driftd.toml.
    pub region: Option<String>,
    pub purchase: Purchase,
    /// The day the price was given; null for a price from driftd.toml.
    pub as_of: Option<String>,
    /// Older than `[prices] max_age`: the refresh is failing, or the bundled table is old.
    pub stale: bool,
}

impl PriceBasis {
    /// `AWS Price List API, eu-west-1, on-demand, 2026-12-05` (`, stale` when stale).
    pub fn line(&self) -> String {
        let mut parts = vec![self.source.label().to_string()];
        parts.extend(self.region.clone());
        parts.push(self.purchase.as_str().to_string());
        parts.extend(self.as_of.clone());
        if self.stale {
            parts.push("stale".into());
        }
        parts.join(", ")
    }
}

/// What a report says about its prices: the bundled table, what the APIs gave, what
/// could not be fetched, and whether any of it is older than `max_age`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PriceSource {
    /// `on-demand list prices`: the bundled table holds no spot, reservation or discount.
    pub kind: &'static str,
    /// The bundled table's date, regions and sources.
    pub as_of: String,
    pub regions: Regions,
    pub source: String,
    /// Sizes whose price `[prices]` in driftd.toml set or changed.
    pub from_config: usize,
    /// Prices from the clouds' price APIs at hand for this report, per API and purchase
    /// option: regions, how many sizes, the oldest date.
    pub fetched: Vec<FetchedPrices>,
    /// Price APIs that could not be read, and why: their clouds are priced from the
    /// bundled table.
    pub unavailable: Vec<String>,
    pub max_age_days: u32,
    /// Some price at hand (the bundled table's included, when used) is older than `max_age_days`.
    pub stale: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FetchedPrices {
    pub source: PriceOrigin,
    pub purchase: Purchase,
    pub regions: Vec<String>,
    pub sizes: usize,
    pub as_of: String,
}

impl PriceSource {
    /// One line for text, Markdown and JUnit reports.
    pub fn line(&self) -> String {
        let config = match self.from_config {
            0 => String::new(),
            1 => " (1 size from driftd.toml)".into(),
            n => format!(" ({n} sizes from driftd.toml)"),
        };
        let mut parts: Vec<String> = self
            .fetched
            .iter()
            .map(|f| {
                format!("{} ({}) for {} as of {}", f.source.label(), f.purchase.as_str(), f.regions.join(", "), f.as_of)
            })
            .collect();
        let bundled = format!(
            "{} of AWS {} and Azure {} as of {}{config}, from the bundled table",
            self.kind, self.regions.aws, self.regions.azure, self.as_of
        );
        match parts.is_empty() {
            true => parts.push(format!("{bundled}, whatever region a resource runs in")),
            false => parts.push(format!("else {bundled}")),
        }
        let mut line = parts.join("; ");
        if self.stale {
            line.push_str(&format!("; some prices are older than {} days", self.max_age_days));
        }
        for u in &self.unavailable {
            line.push_str(&format!("; {u}"));
        }
        line
    }
}

/// Prices per cloud, region, size and purchase option, with the bundled table behind.
#[derive(Debug, Clone)]
pub struct PriceTable {
    pub as_of: String,
    pub source: String,
    pub regions: Regions,
    /// Sizes set from config (`set_from_config`).
    from_config: usize,
    bundled: HashMap<(Cloud, String), f64>,
    config: HashMap<(Cloud, String), f64>,
    fetched: HashMap<PriceKey, RegionalPrice>,
    unavailable: Vec<String>,
    max_age_days: u32,
    /// Decides which prices are stale; unset, none is.
    today: Option<jiff::civil::Date>,
}

impl Default for PriceTable {
    fn default() -> Self {
        PriceTable {
            as_of: String::new(),
            source: String::new(),
            regions: Regions::default(),
            from_config: 0,
            bundled: HashMap::new(),
            config: HashMap::new(),
            fetched: HashMap::new(),
            unavailable: Vec::new(),
            max_age_days: DEFAULT_MAX_AGE_DAYS,
            today: None,
        }
    }
}

/// The key of a size in the bundled and config tables.
fn size_key(cloud: Cloud, size: &str) -> (Cloud, String) {
    match cloud {
        Cloud::Azure => (cloud, size.to_ascii_lowercase()),
        _ => (cloud, size.to_string()),
    }
}

impl PriceTable {
    pub fn builtin() -> PriceTable {
        let t: Table = serde_json::from_str(BUILTIN).expect("built-in price table is valid JSON");
        let mut table = PriceTable { as_of: t.as_of, source: t.source, regions: t.regions, ..Default::default() };
        for (size, price) in t.aws {
            table.bundled.insert(size_key(Cloud::Aws, &size), price);
        }
        for (size, price) in t.azure {
            table.bundled.insert(size_key(Cloud::Azure, &size), price);
        }
        table
    }

    /// Add or override one price from config (counted in [`PriceSource::from_config`]):
    /// it wins over every other price of that size, in every region.
    pub fn set_from_config(&mut self, cloud: Cloud, size: &str, per_hour_usd: f64) {
        self.from_config += 1;
        self.config.insert(size_key(cloud, size), per_hour_usd);
    }

    /// Add or override one price of the bundled table (tests).
    pub fn set(&mut self, cloud: Cloud, size: &str, per_hour_usd: f64) {
        if cloud != Cloud::Other {
            self.bundled.insert(size_key(cloud, size), per_hour_usd);
        }
    }

    /// Prices from a cloud's price API (or the store's cache of them).
    pub fn add_fetched(&mut self, prices: impl IntoIterator<Item = RegionalPrice>) {
        for p in prices {
            let key = PriceKey::new(p.cloud, &p.region, &p.size, p.purchase);
            self.fetched.insert(key, p);
        }
    }

    /// A price API could not be read: said in the report; that cloud falls back.
    pub fn unavailable(&mut self, why: String) {
        self.unavailable.push(why);
    }

    pub fn set_max_age_days(&mut self, days: u32) {
        self.max_age_days = days;
    }

    /// The day staleness is measured from (the check's today).
    pub fn set_today(&mut self, today: jiff::civil::Date) {
        self.today = Some(today);
    }

    fn is_stale(&self, as_of: &str) -> bool {
        let (Some(today), Ok(day)) = (self.today, as_of.get(..10).unwrap_or(as_of).parse::<jiff::civil::Date>()) else {
            return false;
        };
        today.since(day).is_ok_and(|span| span.get_days() > self.max_age_days as i32)
    }

    /// The bundled (or config) price of a size, whatever the region.
    pub fn price(&self, cloud: Cloud, size: &str) -> Option<f64> {
        let key = size_key(cloud, size);
        self.config.get(&key).or_else(|| self.bundled.get(&key)).copied()
    }

    /// The price of one size bought one way in one region, and which price that is.
    pub fn quote(
        &self,
        cloud: Cloud,
        region: Option<&str>,
        size: &str,
        purchase: Purchase,
    ) -> Option<(f64, PriceBasis)> {
        let basis = |source, region: Option<String>, purchase, as_of: Option<String>| PriceBasis {
            stale: as_of.as_deref().is_some_and(|d| self.is_stale(d)),
            source,
            region,
            purchase,
            as_of,
        };
        if let Some(p) = self.config.get(&size_key(cloud, size)) {
            return Some((*p, basis(PriceOrigin::Config, None, purchase, None)));
        }
        if let Some(region) = region.filter(|r| !r.is_empty()) {
            // Spot capacity without a spot price is priced on-demand, and says so.
            let tries: &[Purchase] = match purchase {
                Purchase::Spot => &[Purchase::Spot, Purchase::OnDemand],
                Purchase::OnDemand => &[Purchase::OnDemand],
            };
            for p in tries {
                if let Some(f) = self.fetched.get(&PriceKey::new(cloud, region, size, *p)) {
                    return Some((f.per_hour_usd, basis(f.origin, Some(f.region.clone()), *p, Some(f.as_of.clone()))));
                }
            }
        }
        let p = self.bundled.get(&size_key(cloud, size))?;
        let region = match cloud {
            Cloud::Aws => self.regions.aws.clone(),
            _ => self.regions.azure.clone(),
        };
        Some((*p, basis(PriceOrigin::Bundled, Some(region), Purchase::OnDemand, Some(self.as_of.clone()))))
    }

    /// What the report says about these prices.
    pub fn source(&self) -> PriceSource {
        let mut groups: BTreeMap<(PriceOrigin, Purchase), (BTreeSet<String>, usize, String)> = BTreeMap::new();
        for p in self.fetched.values() {
            let g = groups.entry((p.origin, p.purchase)).or_insert_with(|| (BTreeSet::new(), 0, p.as_of.clone()));
            g.0.insert(p.region.clone());
            g.1 += 1;
            if p.as_of < g.2 {
                g.2.clone_from(&p.as_of);
            }
        }
        let fetched: Vec<FetchedPrices> = groups
            .into_iter()
            .map(|((source, purchase), (regions, sizes, as_of))| FetchedPrices {
                source,
                purchase,
                regions: regions.into_iter().collect(),
                sizes,
                as_of,
            })
            .collect();
        let stale = self.is_stale(&self.as_of) || fetched.iter().any(|f| self.is_stale(&f.as_of));
        PriceSource {
            kind: "on-demand list prices",
            as_of: self.as_of.clone(),
            regions: self.regions.clone(),
            source: self.source.clone(),
            from_config: self.from_config,
            fetched,
            unavailable: self.unavailable.clone(),
            max_age_days: self.max_age_days,
            stale,
        }
    }

    /// What a resource needs priced: its size in its region, bought as it is bought.
    /// `None` for types without a cost rule, or without a size or region.
    pub fn key_of(spec: &TypeSpec, r: &Resource) -> Option<PriceKey> {
        let rule = spec.cost?;
        let size = path::get(&r.attributes, rule.size_attr)?.as_str().filter(|s| !s.is_empty())?;
        let region = r.region.as_deref().filter(|s| !s.is_empty())?;
        Some(PriceKey::new(r.provider, region, size, purchase_of(spec, &r.attributes)))
    }

    /// Hourly cost of a resource by its spec's cost rule: `None` when the type has no
    /// cost rule or the size has no known price; `Some(0.0)` when it is idle (stopped).
    pub fn hourly(&self, spec: &TypeSpec, resource: &Resource) -> Option<f64> {
        self.priced(spec, resource.provider, resource.region.as_deref(), &resource.attributes).map(|(c, _)| c)
    }

    /// The hourly cost and the price behind it (none for idle capacity, which costs nothing).
    pub fn priced(
        &self,
        spec: &TypeSpec,
        cloud: Cloud,
        region: Option<&str>,
        attributes: &Value,
    ) -> Option<(f64, Option<PriceBasis>)> {
        let rule = spec.cost?;
        if let Some((attr, idle)) = rule.idle_when {
            if let Some(state) = path::get(attributes, attr).and_then(Value::as_str) {
                if idle.iter().any(|s| s.eq_ignore_ascii_case(state)) {
                    return Some((0.0, None));
                }
            }
        }
        let size = path::get(attributes, rule.size_attr)?.as_str()?;
        let (unit, basis) = self.quote(cloud, region, size, purchase_of(spec, attributes))?;
        let count = match rule.count_attr {
            Some(attr) => path::get(attributes, attr).and_then(Value::as_f64).unwrap_or(1.0),
            None => 1.0,
        };
        Some((round_cents(unit * count), Some(basis)))
    }
}

/// Spot or on-demand, by the type's cost rule (`instance_lifecycle = "spot"`, `priority = "Spot"`).
pub fn purchase_of(spec: &TypeSpec, attributes: &Value) -> Purchase {
    let spot = spec.cost.and_then(|c| c.spot_when).is_some_and(|(attr, values)| {
        path::get(attributes, attr)
            .and_then(Value::as_str)
            .is_some_and(|v| values.iter().any(|s| s.eq_ignore_ascii_case(v)))
    });
    match spot {
        true => Purchase::Spot,
        false => Purchase::OnDemand,
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

    fn fetched(region: &str, size: &str, purchase: Purchase, usd: f64, as_of: &str) -> RegionalPrice {
        RegionalPrice {
            cloud: Cloud::Aws,
            region: region.into(),
            size: size.into(),
            purchase,
            per_hour_usd: usd,
            origin: match purchase {
                Purchase::OnDemand => PriceOrigin::AwsPriceList,
                Purchase::Spot => PriceOrigin::AwsSpotPriceHistory,
            },
            as_of: as_of.into(),
        }
    }

    #[test]
    fn a_region_is_priced_with_its_own_price_and_says_so_else_the_bundled_tables() {
        let mut t = PriceTable::builtin();
        t.add_fetched([fetched("eu-west-1", "p5.48xlarge", Purchase::OnDemand, 63.2, "2026-12-01")]);
        let (eu, basis) = t.quote(Cloud::Aws, Some("eu-west-1"), "p5.48xlarge", Purchase::OnDemand).unwrap();
        assert_eq!(eu, 63.2);
        assert_eq!((basis.source, basis.region.as_deref()), (PriceOrigin::AwsPriceList, Some("eu-west-1")));
        assert_eq!(basis.line(), "AWS Price List API, eu-west-1, on-demand, 2026-12-01");
        let (us, basis) = t.quote(Cloud::Aws, Some("us-west-2"), "p5.48xlarge", Purchase::OnDemand).unwrap();
        assert_eq!((us, basis.source, basis.region.as_deref()), (55.04, PriceOrigin::Bundled, Some("us-east-1")));
        let source = t.source();
        assert_eq!(source.fetched.len(), 1);
        assert_eq!(source.fetched[0].regions, ["eu-west-1"]);
        assert!(source.line().starts_with("AWS Price List API (on-demand) for eu-west-1 as of 2026-12-01; else "));
    }

    #[test]
    fn spot_is_priced_by_spot_prices_else_on_demand_and_says_which() {
        let mut t = PriceTable::builtin();
        t.add_fetched([
            fetched("us-east-1", "p5.48xlarge", Purchase::Spot, 30.0, "2026-12-01"),
            fetched("us-east-1", "g5.xlarge", Purchase::OnDemand, 1.1, "2026-12-01"),
        ]);
        let (spot, b) = t.quote(Cloud::Aws, Some("us-east-1"), "p5.48xlarge", Purchase::Spot).unwrap();
        assert_eq!((spot, b.purchase, b.source), (30.0, Purchase::Spot, PriceOrigin::AwsSpotPriceHistory));
        let (od, b) = t.quote(Cloud::Aws, Some("us-east-1"), "g5.xlarge", Purchase::Spot).unwrap();
        assert_eq!((od, b.purchase), (1.1, Purchase::OnDemand));
        let (bundled, b) = t.quote(Cloud::Aws, Some("us-east-1"), "g6.xlarge", Purchase::Spot).unwrap();
        assert_eq!((bundled, b.purchase, b.source), (0.8048, Purchase::OnDemand, PriceOrigin::Bundled));
    }

    #[test]
    fn prices_older_than_max_age_are_stale_and_config_prices_win() {
        let mut t = PriceTable::builtin();
        t.set_max_age_days(7);
        t.set_today("2026-12-10".parse().unwrap());
        t.add_fetched([
            fetched("eu-west-1", "p5.48xlarge", Purchase::OnDemand, 63.2, "2026-12-01"),
            fetched("eu-west-1", "p4d.24xlarge", Purchase::OnDemand, 24.0, "2026-12-05"),
        ]);
        assert!(t.quote(Cloud::Aws, Some("eu-west-1"), "p5.48xlarge", Purchase::OnDemand).unwrap().1.stale);
        assert!(!t.quote(Cloud::Aws, Some("eu-west-1"), "p4d.24xlarge", Purchase::OnDemand).unwrap().1.stale);
        assert!(t.source().stale && t.source().line().contains("older than 7 days"));
        t.set_from_config(Cloud::Aws, "p5.48xlarge", 40.0);
        let (p, b) = t.quote(Cloud::Aws, Some("eu-west-1"), "p5.48xlarge", Purchase::OnDemand).unwrap();
        assert_eq!((p, b.source, b.region, b.stale), (40.0, PriceOrigin::Config, None, false));
    }

    #[test]
    fn azure_regions_and_sizes_match_however_arm_spells_them() {
        let mut t = PriceTable::builtin();
        t.add_fetched([RegionalPrice {
            cloud: Cloud::Azure,
            region: "westeurope".into(),
            size: "Standard_ND96isr_H100_v5".into(),
            purchase: Purchase::OnDemand,
            per_hour_usd: 110.0,
            origin: PriceOrigin::AzureRetailPrices,
            as_of: "2026-12-01".into(),
        }]);
        let (p, _) =
            t.quote(Cloud::Azure, Some("West Europe"), "standard_nd96isr_h100_v5", Purchase::OnDemand).unwrap();
        assert_eq!(p, 110.0);
    }
}
