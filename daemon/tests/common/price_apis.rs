//! The clouds' price APIs, which moto and the local ARM server do not serve: one local
//! server answering the AWS Price List Query API (`AWSPriceListService.GetProducts`, JSON
//! 1.1, each `PriceList` entry a JSON string of an EC2 product as AWS documents it, one
//! entry per page with `NextToken`) and the Azure Retail Prices API (`GET
//! /api/retail/prices?$filter=…`, pages of `Items` with `NextPageLink`), in the shapes
//! of `testdata/prices/`. Each request is recorded; prices are set per region and size.

use super::percent_decode;
use super::receiver::{Receiver, Reply};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Book {
    /// (region, instance type) -> on-demand USD per hour.
    aws: HashMap<(String, String), f64>,
    /// (region, ARM size) -> (pay-as-you-go, spot) USD per hour.
    azure: HashMap<(String, String), (f64, f64)>,
}

pub struct PriceApis {
    pub receiver: Receiver,
    book: Arc<Mutex<Book>>,
}

/// One EC2 compute instance product of the Price List, as `GetProducts` returns it.
fn ec2_product(region: &str, itype: &str, operation: &str, os: &str, usd: f64) -> String {
    let sku = format!("{:X}", itype.len() * 7919 + region.len() * 104_729 + operation.len());
    json!({
        "product": {
            "productFamily": "Compute Instance",
            "attributes": {
                "instanceType": itype, "regionCode": region, "operatingSystem": os, "tenancy": "Shared",
                "preInstalledSw": "NA", "capacitystatus": "Used", "operation": operation,
                "servicecode": "AmazonEC2", "locationType": "AWS Region", "licenseModel": "No License required",
                "usagetype": format!("{}-BoxUsage:{itype}", region.to_uppercase()),
            },
            "sku": sku,
        },
        "serviceCode": "AmazonEC2",
        "terms": {"OnDemand": {format!("{sku}.JRTCKXETXF"): {
            "priceDimensions": {format!("{sku}.JRTCKXETXF.6YS6EN2CT7"): {
                "unit": "Hrs", "endRange": "Inf", "beginRange": "0", "appliesTo": [],
                "description": format!("${usd} per On Demand {os} {itype} Instance Hour"),
                "rateCode": format!("{sku}.JRTCKXETXF.6YS6EN2CT7"),
                "pricePerUnit": {"USD": format!("{usd:.10}")}}},
            "sku": sku, "effectiveDate": "2025-06-01T00:00:00Z", "offerTermCode": "JRTCKXETXF", "termAttributes": {}}}},
        "version": "20251201000000",
        "publicationDate": "2025-12-01T00:00:00Z",
    })
    .to_string()
}

/// One virtual machine meter of the Retail Prices API.
fn azure_meter(region: &str, size: &str, meter: &str, product: &str, usd: f64) -> Value {
    let short = size.trim_start_matches("Standard_").replace('_', " ");
    json!({
        "currencyCode": "USD", "tierMinimumUnits": 0.0, "retailPrice": usd, "unitPrice": usd,
        "armRegionName": region, "location": region, "effectiveStartDate": "2025-06-01T00:00:00Z",
        "meterId": format!("{:08x}-0000-4000-8000-000000000000", short.len()), "meterName": format!("{short}{meter}"),
        "productId": "DZH318Z0GPU0", "skuId": "DZH318Z0GPU0/00A1", "productName": product, "skuName": format!("{short}{meter}"),
        "serviceName": "Virtual Machines", "serviceId": "DZH313Z7MMC8", "serviceFamily": "Compute",
        "unitOfMeasure": "1 Hour", "type": "Consumption", "isPrimaryMeterRegion": true, "armSkuName": size
    })
}

/// `name eq 'value'` in an OData filter.
fn odata(filter: &str, name: &str) -> Option<String> {
    let at = filter.find(&format!("{name} eq '"))? + name.len() + 5;
    Some(filter[at..].split('\'').next()?.to_string())
}

impl PriceApis {
    pub fn start() -> PriceApis {
        let book: Arc<Mutex<Book>> = Default::default();
        let shared = book.clone();
        let url: Arc<Mutex<String>> = Default::default();
        let own_url = url.clone();
        let receiver = Receiver::start(move |req| {
            let book = shared.lock().unwrap();
            if req.method == "POST" {
                let json11 = vec![("content-type".to_string(), "application/x-amz-json-1.1".to_string())];
                if req.header("x-amz-target") != Some("AWSPriceListService.GetProducts") {
                    let body = r#"{"__type":"UnknownOperationException"}"#;
                    return Reply { status: 400, headers: json11, body: body.into() };
                }
                let body = req.json();
                let filter = |field: &str| {
                    body["Filters"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|f| f["Field"] == field)
                        .and_then(|f| f["Value"].as_str())
                };
                let (Some(itype), Some(region)) = (filter("instanceType"), filter("regionCode")) else {
                    return Reply {
                        status: 200,
                        headers: json11,
                        body: json!({"FormatVersion": "aws_v1", "PriceList": []}).to_string(),
                    };
                };
                // The Linux product and the same type's Windows product (another operation),
                // one a page: a client must page and must pick the Linux one.
                let mut products = Vec::new();
                if let Some(usd) = book.aws.get(&(region.to_string(), itype.to_string())) {
                    products.push(ec2_product(region, itype, "RunInstances:0002", "Windows", usd * 1.5));
                    products.push(ec2_product(region, itype, "RunInstances", "Linux", *usd));
                }
                let page: usize =
                    body["NextToken"].as_str().and_then(|t| t.strip_prefix("page-")?.parse().ok()).unwrap_or(0);
                let mut out = json!({"FormatVersion": "aws_v1", "PriceList": products.get(page).map(|p| vec![p.clone()]).unwrap_or_default()});
                if page + 1 < products.len() {
                    out["NextToken"] = json!(format!("page-{}", page + 1));
                }
                return Reply { status: 200, headers: json11, body: out.to_string() };
            }
            let query = req.path.split_once('?').map(|(_, q)| q).unwrap_or_default();
            let params: HashMap<String, String> = query
                .split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (percent_decode(k), percent_decode(v)))
                .collect();
            let filter = params.get("$filter").cloned().unwrap_or_default();
            let (Some(region), Some(size)) = (odata(&filter, "armRegionName"), odata(&filter, "armSkuName")) else {
                return Reply::json(400, json!({"Error": "give armRegionName and armSkuName"}));
            };
            let mut items = Vec::new();
            // The default API version matches values case-insensitively.
            let found =
                book.azure.iter().find(|((r, s), _)| r.eq_ignore_ascii_case(&region) && s.eq_ignore_ascii_case(&size));
            if let Some(((r, s), (payg, spot))) = found {
                let series = "Virtual Machines GPU Series";
                items.push(azure_meter(r, s, "", &format!("{series} Windows"), payg * 1.4));
                items.push(azure_meter(r, s, "", series, *payg));
                items.push(azure_meter(r, s, " Low Priority", series, payg * 0.5));
                items.push(azure_meter(r, s, " Spot", series, *spot));
            }
            // Two meters a page.
            let skip: usize = params.get("$skip").and_then(|s| s.parse().ok()).unwrap_or(0);
            let page: Vec<Value> = items.iter().skip(skip).take(2).cloned().collect();
            let next = (skip + 2 < items.len()).then(|| {
                format!(
                    "{}/api/retail/prices?$filter={}&$skip={}",
                    own_url.lock().unwrap(),
                    query_escape(&filter),
                    skip + 2
                )
            });
            Reply::json(
                200,
                json!({
                    "BillingCurrency": "USD", "CustomerEntityId": "Default", "CustomerEntityType": "Retail",
                    "Items": page.clone(), "NextPageLink": next, "Count": page.len()
                }),
            )
        });
        *url.lock().unwrap() = receiver.url.clone();
        PriceApis { receiver, book }
    }

    /// The on-demand Linux price of `itype` in `region`.
    pub fn aws(&self, region: &str, itype: &str, usd: f64) -> &Self {
        self.book.lock().unwrap().aws.insert((region.into(), itype.into()), usd);
        self
    }

    /// The pay-as-you-go and Spot Linux prices of `size` in `region`.
    pub fn azure(&self, region: &str, size: &str, payg: f64, spot: f64) -> &Self {
        self.book.lock().unwrap().azure.insert((region.into(), size.into()), (payg, spot));
        self
    }

    /// Environment for a driftd run that asks these APIs.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL_PRICING", self.receiver.url.clone()),
            ("DRIFTD_AZURE_PRICES_URL", format!("{}/api/retail/prices", self.receiver.url)),
        ]
    }

    /// GetProducts requests so far, and how many of them asked for a next page.
    pub fn aws_requests(&self) -> (usize, usize) {
        let posts: Vec<_> = self.receiver.received().into_iter().filter(|r| r.method == "POST").collect();
        let paged = posts.iter().filter(|r| r.json()["NextToken"].is_string()).count();
        (posts.len(), paged)
    }

    /// Retail Prices requests so far, and how many followed a `NextPageLink`.
    pub fn azure_requests(&self) -> (usize, usize) {
        let gets: Vec<_> = self.receiver.received().into_iter().filter(|r| r.method == "GET").collect();
        let paged = gets.iter().filter(|r| r.path.contains("$skip=")).count();
        (gets.len(), paged)
    }
}

fn query_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}
