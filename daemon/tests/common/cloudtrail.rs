//! CloudTrail's `LookupEvents`, which moto does not serve: a local server answering in
//! the documented JSON 1.1 shape (`Events` with each record as the `CloudTrailEvent`
//! string, `NextToken` paging), one event per page, only events at or after the
//! request's `StartTime`, for the `ResourceName` asked; and throttled
//! (`ThrottlingException`, as the API answers above two requests a second) on demand.

use super::receiver::{Receiver, Reply};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub struct CloudTrail {
    pub receiver: Receiver,
    records: Arc<Mutex<HashMap<String, Vec<Value>>>>,
    throttle: Arc<AtomicUsize>,
    /// Requests answered with ThrottlingException so far.
    pub throttled: Arc<AtomicUsize>,
}

fn seconds(record: &Value) -> f64 {
    record["eventTime"].as_str().and_then(|t| t.parse::<jiff::Timestamp>().ok()).map_or(0.0, |t| t.as_second() as f64)
}

impl CloudTrail {
    pub fn start() -> CloudTrail {
        let records: Arc<Mutex<HashMap<String, Vec<Value>>>> = Default::default();
        let (throttle, throttled): (Arc<AtomicUsize>, Arc<AtomicUsize>) = Default::default();
        let (data, pending, counted) = (records.clone(), throttle.clone(), throttled.clone());
        let receiver = Receiver::start(move |req| {
            let json11 = vec![("content-type".to_string(), "application/x-amz-json-1.1".to_string())];
            if req.header("x-amz-target") != Some("CloudTrail_20131101.LookupEvents") {
                return Reply {
                    status: 400,
                    headers: json11,
                    body: r#"{"__type":"UnknownOperationException"}"#.into(),
                };
            }
            if pending.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
                counted.fetch_add(1, Ordering::SeqCst);
                let body = r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#;
                return Reply { status: 400, headers: json11, body: body.into() };
            }
            let body = req.json();
            let name = body["LookupAttributes"][0]["AttributeValue"].as_str().unwrap_or("").to_string();
            let start = body["StartTime"].as_f64().unwrap_or(0.0);
            let page: usize =
                body["NextToken"].as_str().and_then(|t| t.strip_prefix("page-")?.parse().ok()).unwrap_or(0);
            let all = data.lock().unwrap().get(&name).cloned().unwrap_or_default();
            // Newest first, as CloudTrail lists them.
            let mut events: Vec<&Value> = all.iter().filter(|r| seconds(r) >= start).collect();
            events.sort_by(|a, b| seconds(b).total_cmp(&seconds(a)));
            let mut out = json!({"Events": events.get(page).map(|r| vec![json!({
                "EventId": r["eventID"],
                "EventName": r["eventName"],
                "ReadOnly": "false",
                "AccessKeyId": r["userIdentity"]["accessKeyId"],
                "EventTime": seconds(r),
                "EventSource": r["eventSource"],
                "Username": r["userIdentity"]["userName"],
                "Resources": [{"ResourceType": "AWS::EC2::Instance", "ResourceName": name}],
                "CloudTrailEvent": r.to_string(),
            })]).unwrap_or_default()});
            if page + 1 < events.len() {
                out["NextToken"] = json!(format!("page-{}", page + 1));
            }
            Reply { status: 200, headers: json11, body: out.to_string() }
        });
        CloudTrail { receiver, records, throttle, throttled }
    }

    /// CloudTrail holds `record` for the resource `name`.
    pub fn add(&self, name: &str, record: Value) {
        self.records.lock().unwrap().entry(name.to_string()).or_default().push(record);
    }

    /// The next `n` requests are throttled.
    pub fn throttle_next(&self, n: usize) {
        self.throttle.store(n, Ordering::SeqCst);
    }

    /// The `NextToken`s the requests carried.
    pub fn tokens(&self) -> Vec<String> {
        self.receiver.received().iter().filter_map(|r| r.json()["NextToken"].as_str().map(str::to_string)).collect()
    }
}
