//! Prices for one check. The bundled table prices everything offline; where a check
//! scans a cloud live, the sizes and regions it found (and those its declarations name)
//! are priced from that cloud's price API: from the store's cache when the daemon has
//! one and the price is younger than `[prices] refresh`, else fetched and cached. An API
//! that cannot be read leaves its cloud to the cache (however old) and then the bundled
//! table, and the report says so; the check goes on. The daemon then leaves that API
//! alone for an hour.

use crate::store::Store;
use driftd_core::check::LiveInput;
use driftd_core::cost::{PriceKey, PriceTable, RegionalPrice};
use driftd_core::model::Cloud;
use driftd_core::spec::Registry;
use driftd_core::tfstate::StateInput;
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tracing::warn;

/// After a price API of a cloud fails, the daemon leaves it alone this long (its old
/// prices serve meanwhile): a denied permission or an outage is not asked about at every
/// scan.
const BACKOFF: Duration = Duration::from_secs(3600);

/// When a cloud's price API last failed, and what it said.
type Failure = (Instant, Vec<String>);

/// The daemon's clouds whose price API failed lately.
static FAILED: Mutex<Option<HashMap<Cloud, Failure>>> = Mutex::new(None);

/// `[prices]` as a check uses it.
#[derive(Debug, Clone)]
pub struct PriceApis {
    pub fetch: bool,
    pub refresh: Duration,
    pub azure_retail_url: String,
}

impl Default for PriceApis {
    fn default() -> Self {
        PriceApis {
            fetch: true,
            refresh: Duration::from_secs(86_400),
            azure_retail_url: driftd_providers::azure::prices::PUBLIC_RETAIL_PRICES.to_string(),
        }
    }
}

/// Where fetched prices are kept between checks: the daemon's store.
pub trait PriceCache: Sync {
    fn cached(&self, keys: &[PriceKey]) -> Vec<(RegionalPrice, i64)>;
    fn keep(&self, prices: &[RegionalPrice], fetched_ms: i64);
}

impl PriceCache for Mutex<Store> {
    fn cached(&self, keys: &[PriceKey]) -> Vec<(RegionalPrice, i64)> {
        let store = self.lock().unwrap_or_else(|p| p.into_inner());
        store.cached_prices(keys).unwrap_or_else(|e| {
            warn!(error = %e, "reading cached prices failed; asking the price APIs");
            Vec::new()
        })
    }

    fn keep(&self, prices: &[RegionalPrice], fetched_ms: i64) {
        let store = self.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = store.cache_prices(prices, fetched_ms) {
            warn!(error = %e, "caching prices failed");
        }
    }
}

/// What the live scans (in memory: scanned now) and the declarations of those clouds
/// need priced.
pub fn wanted(live: &[LiveInput], states: &[StateInput], registry: &Registry) -> Vec<PriceKey> {
    let mut keys = BTreeSet::new();
    let mut clouds = BTreeSet::new();
    for input in live {
        let LiveInput::Snapshot(snapshot) = input else { continue };
        clouds.extend(snapshot.scans.iter().map(|s| s.provider));
        for r in &snapshot.resources {
            if let Some(key) = registry.get(&r.tf_type).and_then(|spec| PriceTable::key_of(spec, r)) {
                keys.insert(key);
            }
        }
    }
    for d in states.iter().flat_map(|s| &s.resources).filter(|d| clouds.contains(&d.provider)) {
        let Some(spec) = registry.get(&d.tf_type) else { continue };
        if spec.cost.is_none() {
            continue;
        }
        if let Some(key) = PriceTable::key_of(spec, &d.to_resource()) {
            keys.insert(key);
        }
    }
    keys.into_iter().collect()
}

/// Price `wanted` into `table`: cached, fetched, or left to the bundled table.
pub fn resolve(apis: &PriceApis, table: &mut PriceTable, wanted: &[PriceKey], cache: Option<&dyn PriceCache>) {
    if !apis.fetch || wanted.is_empty() {
        return;
    }
    let now_ms = crate::notify::outbox::now_ms();
    let fresh_for = apis.refresh.as_millis() as i64;
    let mut stale_or_missing: Vec<PriceKey> = wanted.to_vec();
    if let Some(cache) = cache {
        let cached = cache.cached(wanted);
        let fresh: BTreeSet<PriceKey> = cached
            .iter()
            .filter(|(_, at)| now_ms - at < fresh_for)
            .map(|(p, _)| PriceKey::new(p.cloud, &p.region, &p.size, p.purchase))
            .collect();
        stale_or_missing.retain(|k| !fresh.contains(k));
        // Old prices serve until new ones come: they are flagged by `max_age` if too old.
        table.add_fetched(cached.into_iter().map(|(p, _)| p));
    }
    // The daemon does not ask an API that failed within the backoff; a check always asks.
    if cache.is_some() {
        let failed = FAILED.lock().unwrap_or_else(|p| p.into_inner());
        for (cloud, (at, errors)) in failed.iter().flatten() {
            if at.elapsed() < BACKOFF.min(apis.refresh) && stale_or_missing.iter().any(|k| k.cloud == *cloud) {
                stale_or_missing.retain(|k| k.cloud != *cloud);
                for e in errors {
                    table.unavailable(format!(
                        "{e} (not asked again for up to an hour): priced from the cache or the bundled table"
                    ));
                }
            }
        }
    }
    if stale_or_missing.is_empty() {
        return;
    }
    let today = crate::today().to_string();
    let (fetched, errors) = match crate::live::runtime() {
        Ok(rt) => rt.block_on(fetch(apis, &stale_or_missing, &today)),
        Err(e) => (Vec::new(), vec![(Cloud::Other, format!("price APIs not asked: {e}"))]),
    };
    if cache.is_some() {
        let mut failed = FAILED.lock().unwrap_or_else(|p| p.into_inner());
        let failed = failed.get_or_insert_with(HashMap::new);
        for cloud in [Cloud::Aws, Cloud::Azure] {
            let said: Vec<String> = errors.iter().filter(|(c, _)| *c == cloud).map(|(_, e)| e.clone()).collect();
            match said.is_empty() {
                true => failed.remove(&cloud),
                false => failed.insert(cloud, (Instant::now(), said)),
            };
        }
    }
    let errors: Vec<String> = errors.into_iter().map(|(_, e)| e).collect();
    for e in &errors {
        // The daemon's log is where its operators look; a check's report says it anyway.
        match cache {
            Some(_) => {
                warn!(error = %e, "a price API could not be read; its cloud is priced from the cache or the bundled table")
            }
            None => {
                tracing::info!(error = %e, "a price API could not be read; its cloud is priced from the bundled table")
            }
        }
        table.unavailable(format!("{e}: priced from the bundled table"));
    }
    if let Some(cache) = cache {
        cache.keep(&fetched, now_ms);
    }
    table.add_fetched(fetched);
}

/// What the APIs gave, and what each cloud's APIs said when they failed.
async fn fetch(apis: &PriceApis, wanted: &[PriceKey], today: &str) -> (Vec<RegionalPrice>, Vec<(Cloud, String)>) {
    let mut prices = Vec::new();
    let mut errors = Vec::new();
    if wanted.iter().any(|k| k.cloud == Cloud::Aws) {
        let aws = driftd_providers::aws::prices::fetch(wanted, today).await;
        prices.extend(aws.prices);
        errors.extend(aws.errors.into_iter().map(|e| (Cloud::Aws, e)));
    }
    if wanted.iter().any(|k| k.cloud == Cloud::Azure) {
        let azure = driftd_providers::azure::prices::fetch(&apis.azure_retail_url, wanted, today).await;
        prices.extend(azure.prices);
        errors.extend(azure.errors.into_iter().map(|e| (Cloud::Azure, e)));
    }
    (prices, errors)
}
