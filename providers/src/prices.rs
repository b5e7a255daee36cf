//! What a cloud's price APIs gave for one check, whichever cloud: the prices, and one
//! line per API that could not be read (its cloud is then priced from the cache or the
//! bundled table).

use driftd_core::cost::RegionalPrice;

#[derive(Debug, Default)]
pub struct Fetched {
    pub prices: Vec<RegionalPrice>,
    /// `AWS Price List API: cannot reach …`, `Azure Retail Prices API at URL: …`.
    pub errors: Vec<String>,
}
