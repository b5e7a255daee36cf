//! Prices from the Azure Retail Prices API (`https://prices.azure.com/api/retail/prices`,
//! no credential): per region and VM size, the Linux consumption meter (pay-as-you-go)
//! and the Spot meter (else the Low Priority one) for Spot VMs. Pages are followed by
//! `NextPageLink`, on the same host only.

use super::lookup::escape;
use crate::prices::Fetched;
use driftd_core::cost::{PriceKey, PriceOrigin, Purchase, RegionalPrice};
use driftd_core::model::Cloud;
use futures::stream::{self, StreamExt};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

pub const PUBLIC_RETAIL_PRICES: &str = "https://prices.azure.com/api/retail/prices";
const CONCURRENCY: usize = 4;
const MAX_PAGES: usize = 20;

/// Fetch the Azure prices of `wanted` (other clouds' keys are passed over) from `base`
/// (`PUBLIC_RETAIL_PRICES` unless configured). `today` dates them.
pub async fn fetch(base: &str, wanted: &[PriceKey], today: &str) -> Fetched {
    let mut out = Fetched::default();
    let client = match reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            out.errors.push(format!("Azure Retail Prices API at {base}: {e}"));
            return out;
        }
    };
    let pairs: BTreeSet<(&str, &str)> =
        wanted.iter().filter(|k| k.cloud == Cloud::Azure).map(|k| (k.region.as_str(), k.size.as_str())).collect();
    let results: Vec<Result<Vec<RegionalPrice>, String>> = stream::iter(pairs)
        .map(|(region, size)| {
            let client = &client;
            async move { meters(client, base, region, size, today).await }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut failed = None;
    for r in results {
        match r {
            Ok(prices) => out.prices.extend(prices),
            Err(e) => {
                failed.get_or_insert(e);
            }
        }
    }
    if let Some(e) = failed {
        out.errors.push(format!("Azure Retail Prices API at {base}: {e}"));
    }
    out
}

/// Every page of one region's and size's virtual machine meters, read into prices.
async fn meters(
    client: &reqwest::Client,
    base: &str,
    region: &str,
    size: &str,
    today: &str,
) -> Result<Vec<RegionalPrice>, String> {
    let filter = format!(
        "serviceName eq 'Virtual Machines' and armRegionName eq '{region}' and armSkuName eq '{size}' and priceType eq 'Consumption'"
    );
    let mut url = format!("{base}?$filter={}", escape(&filter));
    let origin = origin_of(base);
    let mut items: Vec<Value> = Vec::new();
    for _ in 0..MAX_PAGES {
        let resp = client.get(&url).send().await.map_err(|e| describe(&e))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(format!("HTTP {status} for {region} {size}"));
        }
        let page: Value = resp.json().await.map_err(|e| describe(&e))?;
        items.extend(page.get("Items").and_then(Value::as_array).cloned().unwrap_or_default());
        match page.get("NextPageLink").and_then(Value::as_str).filter(|l| !l.is_empty()) {
            // Another host's link is not followed: the answer is what this host gave.
            Some(next) if origin_of(next) == origin => url = next.to_string(),
            _ => break,
        }
    }
    Ok(read_items(&items, today))
}

/// `scheme://host:port` of a URL, default ports written out (`:443` and none alike).
fn origin_of(url: &str) -> Option<String> {
    let u = reqwest::Url::parse(url).ok()?;
    Some(format!("{}://{}:{}", u.scheme(), u.host_str()?, u.port_or_known_default()?))
}

/// What went wrong, without the URL (the message names the endpoint already).
fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_connect() {
        "could not connect"
    } else if e.is_timeout() {
        "timed out"
    } else if e.is_decode() {
        "an answer that is not the API's JSON"
    } else {
        "the request failed"
    };
    match std::error::Error::source(e) {
        Some(cause) => format!("{what} ({cause})"),
        None => what.to_string(),
    }
}

/// The prices in a list of meters: per region, size and purchase option, the Linux
/// consumption meter in hours with the latest effective date. Spot meters price Spot
/// VMs; Low Priority meters do where a size has no Spot meter.
pub fn read_items(items: &[Value], today: &str) -> Vec<RegionalPrice> {
    // (region, size, purchase) -> (rank: spot 2, low priority 1, else 0; start date; price)
    let mut best: BTreeMap<(String, String, Purchase), (u8, String, f64)> = BTreeMap::new();
    for item in items {
        let text = |k: &str| item.get(k).and_then(Value::as_str).unwrap_or_default();
        if text("serviceName") != "Virtual Machines"
            || text("type") != "Consumption"
            || text("unitOfMeasure") != "1 Hour"
        {
            continue;
        }
        let currency = text("currencyCode");
        if text("productName").ends_with("Windows") || !(currency.is_empty() || currency == "USD") {
            continue;
        }
        let Some(usd) = item.get("retailPrice").and_then(Value::as_f64).filter(|p| *p > 0.0) else { continue };
        let (region, size) = (text("armRegionName"), text("armSkuName"));
        if region.is_empty() || size.is_empty() {
            continue;
        }
        let meter = format!("{} {}", text("meterName"), text("skuName"));
        let (purchase, rank) = if meter.contains("Spot") {
            (Purchase::Spot, 2)
        } else if meter.contains("Low Priority") {
            (Purchase::Spot, 1)
        } else {
            (Purchase::OnDemand, 0)
        };
        let start = text("effectiveStartDate").to_string();
        let key = (region.to_ascii_lowercase(), size.to_string(), purchase);
        let better = best.get(&key).is_none_or(|(r, s, _)| (rank, &start) > (*r, s));
        if better {
            best.insert(key, (rank, start, usd));
        }
    }
    best.into_iter()
        .map(|((region, size, purchase), (_, _, usd))| RegionalPrice {
            cloud: Cloud::Azure,
            region,
            size,
            purchase,
            per_hour_usd: usd,
            origin: PriceOrigin::AzureRetailPrices,
            as_of: today.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Microsoft's documented sample answer (`testdata/prices/`): its one meter is a
    /// Windows Spot meter, which prices no Linux VM.
    #[test]
    fn the_documented_sample_is_read_and_its_windows_meter_prices_nothing() {
        let page: Value =
            serde_json::from_str(include_str!("../../../testdata/prices/azure-retail-prices-example.json")).unwrap();
        let items = page["Items"].as_array().unwrap();
        assert_eq!(items[0]["productName"], "Virtual Machines D Series Windows");
        assert!(read_items(items, "2026-12-05").is_empty());
        let mut linux = items[0].clone();
        linux["productName"] = "Virtual Machines D Series".into();
        let prices = read_items(&[linux], "2026-12-05");
        assert_eq!(prices.len(), 1);
        assert_eq!((prices[0].purchase, prices[0].per_hour_usd), (Purchase::Spot, 0.176346));
        assert_eq!((prices[0].region.as_str(), prices[0].size.as_str()), ("westeurope", "Standard_D14"));
    }

    #[test]
    fn linux_consumption_spot_and_low_priority_meters_are_told_apart() {
        let meter = |meter: &str, product: &str, price: f64, start: &str| {
            json!({"currencyCode": "USD", "retailPrice": price, "armRegionName": "westeurope",
                   "effectiveStartDate": start, "meterName": meter, "skuName": meter,
                   "productName": product, "serviceName": "Virtual Machines", "unitOfMeasure": "1 Hour",
                   "type": "Consumption", "armSkuName": "Standard_ND96isr_H100_v5"})
        };
        let items = [
            meter("ND96isr H100 v5", "Virtual Machines NDisr H100 v5 Series", 110.0, "2024-01-01T00:00:00Z"),
            meter("ND96isr H100 v5", "Virtual Machines NDisr H100 v5 Series", 108.0, "2025-01-01T00:00:00Z"),
            meter("ND96isr H100 v5", "Virtual Machines NDisr H100 v5 Series Windows", 120.0, "2025-01-01T00:00:00Z"),
            meter(
                "ND96isr H100 v5 Low Priority",
                "Virtual Machines NDisr H100 v5 Series",
                40.0,
                "2025-01-01T00:00:00Z",
            ),
            meter("ND96isr H100 v5 Spot", "Virtual Machines NDisr H100 v5 Series", 35.0, "2025-01-01T00:00:00Z"),
        ];
        let prices = read_items(&items, "2026-12-05");
        let of = |p: Purchase| prices.iter().find(|x| x.purchase == p).map(|x| x.per_hour_usd);
        assert_eq!((of(Purchase::OnDemand), of(Purchase::Spot)), (Some(108.0), Some(35.0)));
        assert!(prices.iter().all(|p| p.as_of == "2026-12-05" && p.origin == PriceOrigin::AzureRetailPrices));
    }
}
