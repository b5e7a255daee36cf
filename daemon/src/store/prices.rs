//! The store's cache of what the clouds' price APIs gave: one row per cloud, region,
//! size and purchase option, with the day the API gave it and when it was fetched. Every
//! replica of a shared store reads and refreshes the same rows.

use super::db::{args, DbResult, Sql};
use super::Store;
use driftd_core::cost::{PriceKey, PriceOrigin, Purchase, RegionalPrice};

fn purchase_name(p: Purchase) -> &'static str {
    match p {
        Purchase::OnDemand => "on_demand",
        Purchase::Spot => "spot",
    }
}

fn origin_name(o: PriceOrigin) -> String {
    serde_json::to_value(o).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// A cached price, and when it was fetched (ms since the epoch).
pub type Cached = (RegionalPrice, i64);

impl Store {
    /// The cached prices of `keys` (those the cache holds).
    pub fn cached_prices(&self, keys: &[PriceKey]) -> DbResult<Vec<Cached>> {
        let mut out = Vec::new();
        for k in keys {
            let row = self.db.query_opt(
                "SELECT per_hour_usd, origin, as_of, fetched_ms FROM prices
                 WHERE cloud = ?1 AND region = ?2 AND size = ?3 AND purchase = ?4",
                args![k.cloud.as_str(), k.region.as_str(), k.size.as_str(), purchase_name(k.purchase)],
            )?;
            let Some(row) = row else { continue };
            let origin: String = row.get(1)?;
            let Ok(origin) = serde_json::from_value::<PriceOrigin>(origin.into()) else { continue };
            let price = RegionalPrice {
                cloud: k.cloud,
                region: k.region.clone(),
                size: k.size.clone(),
                purchase: k.purchase,
                per_hour_usd: row.get(0)?,
                origin,
                as_of: row.get(2)?,
            };
            out.push((price, row.get(3)?));
        }
        Ok(out)
    }

    /// Keep what an API gave (replacing what was cached for the same key).
    pub fn cache_prices(&self, prices: &[RegionalPrice], fetched_ms: i64) -> DbResult<()> {
        for p in prices {
            let k = PriceKey::new(p.cloud, &p.region, &p.size, p.purchase);
            self.db.execute(
                "INSERT INTO prices (cloud, region, size, purchase, per_hour_usd, origin, as_of, fetched_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (cloud, region, size, purchase) DO UPDATE SET per_hour_usd = excluded.per_hour_usd,
                    origin = excluded.origin, as_of = excluded.as_of, fetched_ms = excluded.fetched_ms",
                args![
                    k.cloud.as_str(),
                    k.region.as_str(),
                    k.size.as_str(),
                    purchase_name(k.purchase),
                    p.per_hour_usd,
                    origin_name(p.origin).as_str(),
                    p.as_of.as_str(),
                    fetched_ms
                ],
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::on_each_backend;
    use driftd_core::model::Cloud;

    fn count(conn: &dyn Sql) -> DbResult<i64> {
        conn.query_one("SELECT count(*) FROM prices", &[])?.get(0)
    }

    #[test]
    fn prices_are_cached_and_replaced_on_both_backends() {
        on_each_backend(|store| {
            let p = RegionalPrice {
                cloud: Cloud::Azure,
                region: "westeurope".into(),
                size: "Standard_ND96isr_H100_v5".into(),
                purchase: Purchase::Spot,
                per_hour_usd: 35.0,
                origin: PriceOrigin::AzureRetailPrices,
                as_of: "2026-12-01".into(),
            };
            store.cache_prices(std::slice::from_ref(&p), 1_000).unwrap();
            store
                .cache_prices(&[RegionalPrice { per_hour_usd: 36.0, as_of: "2026-12-02".into(), ..p.clone() }], 2_000)
                .unwrap();
            let key = PriceKey::new(Cloud::Azure, "West Europe", "standard_nd96isr_h100_v5", Purchase::Spot);
            let cached = store.cached_prices(&[key]).unwrap();
            assert_eq!(cached.len(), 1);
            assert_eq!(
                (cached[0].0.per_hour_usd, cached[0].0.as_of.as_str(), cached[0].1),
                (36.0, "2026-12-02", 2_000)
            );
            assert_eq!(cached[0].0.origin, PriceOrigin::AzureRetailPrices);
            let other = PriceKey::new(Cloud::Azure, "westeurope", "standard_nd96isr_h100_v5", Purchase::OnDemand);
            assert!(store.cached_prices(&[other]).unwrap().is_empty());
            assert_eq!(count(&store.db).unwrap(), 1);
        });
    }
}
