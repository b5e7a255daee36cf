//! Prices from AWS for what a check needs priced: on-demand Linux prices per region and
//! instance type from the Price List Query API (`pricing:GetProducts`), and spot prices
//! from `ec2:DescribeSpotPriceHistory` for capacity that runs as spot.
//!
//! The Price List API is served from us-east-1 (also eu-central-1 and ap-south-1) and
//! answers for every region; `AWS_ENDPOINT_URL_PRICING` (or `AWS_ENDPOINT_URL`) points it
//! elsewhere, as for every other AWS call. A call that cannot be made at all (the
//! endpoint does not answer, access denied) stops that API for this run: the rest of its
//! prices come from the bundled table, and the report says why.

use super::client::{endpoint_for, sdk_config, CallCounter};
use super::error::ListErrorKind;
use super::ListError;
use crate::prices::Fetched;
use aws_config::Region;
use driftd_core::cost::{PriceKey, PriceOrigin, Purchase, RegionalPrice};
use driftd_core::model::Cloud;
use futures::stream::{self, StreamExt};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The region the Price List API is called in.
const PRICING_REGION: &str = "us-east-1";
/// Price List calls in flight at once.
const CONCURRENCY: usize = 4;
/// Pages of one GetProducts query: a query per type and region matches one product.
const MAX_PAGES: usize = 10;

/// One GetProducts query's region, size and price (none: no such product).
type Answer<'a> = (&'a str, &'a str, Result<Option<f64>, ListError>);

/// Fetch the AWS prices of `wanted` (other clouds' keys are passed over). `today` dates them.
pub async fn fetch(wanted: &[PriceKey], today: &str) -> Fetched {
    let config = sdk_config().await;
    let mut out = Fetched::default();
    let on_demand: BTreeSet<(&str, &str)> =
        wanted.iter().filter(|k| k.cloud == Cloud::Aws).map(|k| (k.region.as_str(), k.size.as_str())).collect();
    let pricing = aws_sdk_pricing::Client::from_conf(
        aws_sdk_pricing::config::Builder::from(&config)
            .region(Region::new(PRICING_REGION))
            .interceptor(CallCounter::default())
            .build(),
    );
    let endpoint = endpoint_for("pricing", PRICING_REGION);
    let results: Vec<Answer<'_>> = stream::iter(on_demand)
        .map(|(region, size)| {
            let pricing = &pricing;
            let endpoint = &endpoint;
            async move { (region, size, on_demand_price(pricing, endpoint, region, size).await) }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut failed: Option<ListError> = None;
    for (region, size, result) in results {
        match result {
            Ok(Some(usd)) => {
                out.prices.push(price(region, size, Purchase::OnDemand, usd, PriceOrigin::AwsPriceList, today))
            }
            Ok(None) => {}
            Err(e) => {
                failed.get_or_insert(e);
            }
        }
    }
    if let Some(e) = failed {
        // The message names the call and the endpoint.
        out.errors.push(format!("AWS Price List API: {}", e.message));
    }

    let mut spot: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for k in wanted.iter().filter(|k| k.cloud == Cloud::Aws && k.purchase == Purchase::Spot) {
        spot.entry(k.region.as_str()).or_default().insert(k.size.as_str());
    }
    for (region, sizes) in spot {
        let ec2 = aws_sdk_ec2::Client::from_conf(
            aws_sdk_ec2::config::Builder::from(&config)
                .region(Region::new(region.to_string()))
                .interceptor(CallCounter::default())
                .build(),
        );
        match spot_prices(&ec2, region, &sizes).await {
            Ok(prices) => out.prices.extend(prices.into_iter().map(|(size, usd, as_of)| {
                price(region, &size, Purchase::Spot, usd, PriceOrigin::AwsSpotPriceHistory, &as_of)
            })),
            Err(e) => out.errors.push(format!("AWS spot price history in {region}: {}", e.message)),
        }
    }
    out
}

fn price(region: &str, size: &str, purchase: Purchase, usd: f64, origin: PriceOrigin, as_of: &str) -> RegionalPrice {
    RegionalPrice {
        cloud: Cloud::Aws,
        region: region.to_string(),
        size: size.to_string(),
        purchase,
        per_hour_usd: usd,
        origin,
        as_of: as_of.get(..10).unwrap_or(as_of).to_string(),
    }
}

/// The on-demand hourly price of Linux `size` in `region`, shared tenancy, no
/// pre-installed software, as used capacity (not a reservation's unused share).
async fn on_demand_price(
    client: &aws_sdk_pricing::Client,
    endpoint: &str,
    region: &str,
    size: &str,
) -> Result<Option<f64>, ListError> {
    use aws_sdk_pricing::types::{Filter, FilterType};
    let fail = |message: String| ListError {
        operation: "pricing:GetProducts",
        region: PRICING_REGION.to_string(),
        endpoint: endpoint.to_string(),
        kind: ListErrorKind::Other,
        message: format!("pricing:GetProducts at {endpoint}: {message}"),
    };
    let filters = [
        ("instanceType", size),
        ("regionCode", region),
        ("operatingSystem", "Linux"),
        ("tenancy", "Shared"),
        ("preInstalledSw", "NA"),
        ("capacitystatus", "Used"),
    ]
    .into_iter()
    .map(|(field, value)| {
        Filter::builder()
            .r#type(FilterType::TermMatch)
            .field(field)
            .value(value)
            .build()
            .map_err(|e| fail(e.to_string()))
    })
    .collect::<Result<Vec<_>, _>>()?;
    let mut best: Option<f64> = None;
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let resp = client
            .get_products()
            .service_code("AmazonEC2")
            .format_version("aws_v1")
            .set_filters(Some(filters.clone()))
            .max_results(100)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| ListError::from_sdk("pricing:GetProducts", PRICING_REGION, endpoint, e))?;
        for text in resp.price_list() {
            let product: Value =
                serde_json::from_str(text).map_err(|e| fail(format!("a PriceList entry is not JSON: {e}")))?;
            if let Some(usd) = hourly_on_demand(&product, region, size) {
                // Several products can match (license models); the plain one is the cheapest.
                best = Some(best.map_or(usd, |b: f64| b.min(usd)));
            }
        }
        token = resp.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok(best)
}

/// The hourly USD price of one Price List product, as AWS documents its JSON: the
/// `OnDemand` term's price dimension in `Hrs`, for this instance type and region.
pub fn hourly_on_demand(product: &Value, region: &str, size: &str) -> Option<f64> {
    let attributes = product.pointer("/product/attributes")?;
    let is = |key: &str, want: &str| attributes.get(key).and_then(Value::as_str) == Some(want);
    if !is("instanceType", size) || attributes.get("regionCode").is_some_and(|r| r.as_str() != Some(region)) {
        return None;
    }
    if attributes.get("operation").and_then(Value::as_str).is_some_and(|op| op != "RunInstances") {
        return None; // RunInstances:0002 and so on: other operating systems' license charges
    }
    let terms = product.pointer("/terms/OnDemand")?.as_object()?;
    terms
        .values()
        .filter_map(|term| term.get("priceDimensions")?.as_object())
        .flat_map(|dims| dims.values())
        .filter(|d| d.get("unit").and_then(Value::as_str) == Some("Hrs"))
        .filter_map(|d| d.pointer("/pricePerUnit/USD")?.as_str()?.parse::<f64>().ok())
        .find(|usd| *usd > 0.0)
}

/// The latest Linux spot price of each size in each zone of `region`, averaged over the
/// zones, with the date of the newest: (size, USD per hour, date).
async fn spot_prices(
    ec2: &aws_sdk_ec2::Client,
    region: &str,
    sizes: &BTreeSet<&str>,
) -> Result<Vec<(String, f64, String)>, ListError> {
    use aws_sdk_ec2::types::InstanceType;
    let endpoint = endpoint_for("ec2", region);
    let mut latest: BTreeMap<(String, String), (String, f64)> = BTreeMap::new();
    let mut pages = ec2
        .describe_spot_price_history()
        .set_instance_types(Some(sizes.iter().map(|s| InstanceType::from(*s)).collect()))
        .product_descriptions("Linux/UNIX")
        .product_descriptions("Linux/UNIX (Amazon VPC)")
        // From now: each zone's current price only.
        .start_time(aws_smithy_types::DateTime::from(std::time::SystemTime::now()))
        .into_paginator()
        .send();
    let mut pages_read = 0;
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ListError::from_sdk("ec2:DescribeSpotPriceHistory", region, &endpoint, e))?;
        for p in page.spot_price_history() {
            let (Some(size), Some(zone), Some(usd)) = (
                p.instance_type().map(|t| t.as_str().to_string()),
                p.availability_zone().map(str::to_string),
                p.spot_price().and_then(|s| s.parse::<f64>().ok()),
            ) else {
                continue;
            };
            let at = p.timestamp().map(|t| t.to_string()).unwrap_or_default();
            let entry = latest.entry((size, zone)).or_insert_with(|| (at.clone(), usd));
            if at > entry.0 {
                *entry = (at, usd);
            }
        }
        pages_read += 1;
        if pages_read >= MAX_PAGES {
            break;
        }
    }
    let mut by_size: BTreeMap<String, (f64, usize, String)> = BTreeMap::new();
    for ((size, _zone), (at, usd)) in latest {
        let e = by_size.entry(size).or_insert((0.0, 0, String::new()));
        e.0 += usd;
        e.1 += 1;
        if at > e.2 {
            e.2 = at;
        }
    }
    Ok(by_size.into_iter().map(|(size, (sum, n, at))| (size, sum / n as f64, at)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one entry of the AWS CLI's documented `get-products` example (an EBS volume
    /// price, `testdata/prices/`): a product that is not an instance gives no price.
    #[test]
    fn the_documented_example_product_is_read_and_is_no_instance_price() {
        let doc: Value =
            serde_json::from_str(include_str!("../../../testdata/prices/aws-get-products-example.json")).unwrap();
        let entry: Value = serde_json::from_str(doc["PriceList"][0].as_str().unwrap()).unwrap();
        assert_eq!(entry.pointer("/terms/OnDemand").map(Value::is_object), Some(true));
        assert_eq!(hourly_on_demand(&entry, "ap-southeast-1", "p5.48xlarge"), None);
    }

    #[test]
    fn an_instance_product_gives_its_hourly_on_demand_price() {
        let product = serde_json::json!({
            "product": {"productFamily": "Compute Instance", "attributes": {
                "instanceType": "p5.48xlarge", "regionCode": "eu-west-1", "operation": "RunInstances",
                "operatingSystem": "Linux", "tenancy": "Shared", "capacitystatus": "Used", "preInstalledSw": "NA"},
                "sku": "ABC"},
            "serviceCode": "AmazonEC2",
            "terms": {"OnDemand": {"ABC.JRTCKXETXF": {"priceDimensions": {"ABC.JRTCKXETXF.6YS6EN2CT7": {
                "unit": "Hrs", "pricePerUnit": {"USD": "63.2960000000"}}}}}}
        });
        assert_eq!(hourly_on_demand(&product, "eu-west-1", "p5.48xlarge"), Some(63.296));
        assert_eq!(hourly_on_demand(&product, "us-east-1", "p5.48xlarge"), None);
        assert_eq!(hourly_on_demand(&product, "eu-west-1", "p5e.48xlarge"), None);
    }
}
