//! Who made a change, after the fact: CloudTrail `LookupEvents` for a resource id over a
//! window, each record read as an event would be (`events::parse`), the latest call that
//! changed the resource taken. For the daemon's scheduled scans, where no event said who
//! (no `[aws.events]`, or the event was lost).
//!
//! LookupEvents answers 2 requests a second per account and region: calls are paced at
//! that rate, and throttling beyond it is retried by the SDK's standard retry mode.

use super::client::{account_config, endpoint_for, sdk_config, AssumeRole, CallCounter, Wanted};
use super::ListError;
use aws_config::Region;
use driftd_core::model::ChangedBy;
use std::collections::HashMap;
use std::time::Duration;

/// At most this many pages of one resource's events are read (50 events a page).
const MAX_PAGES: usize = 5;
/// LookupEvents' rate per account and region.
const PACE: Duration = Duration::from_millis(500);

/// Who last changed each wanted resource between `since` and now (Unix seconds), where
/// CloudTrail recorded it. Resources without such a record are absent.
pub async fn changed_by(
    accounts: &[AssumeRole],
    wanted: &[Wanted],
    since: i64,
) -> Result<HashMap<(String, String), ChangedBy>, ListError> {
    let base = sdk_config().await;
    let own = [AssumeRole::default()];
    let accounts = if accounts.is_empty() { &own[..] } else { accounts };
    let specs = super::events::specs();
    let mut out = HashMap::new();
    for role in accounts {
        let config = account_config(&base, role).await;
        let account = match wanted.iter().all(|w| w.account.is_none()) {
            true => None,
            false => {
                let region = config.region().map(|r| r.to_string()).unwrap_or_else(|| wanted[0].region.clone());
                let sts = aws_sdk_sts::Client::from_conf(
                    aws_sdk_sts::config::Builder::from(&config).region(Region::new(region.clone())).build(),
                );
                let identity = sts.get_caller_identity().send().await.map_err(|e| {
                    ListError::from_sdk("sts:GetCallerIdentity", &region, &endpoint_for("sts", &region), e)
                })?;
                identity.account().map(str::to_string)
            }
        };
        let mine: Vec<&Wanted> =
            wanted.iter().filter(|w| w.account.is_none() || w.account.as_deref() == account.as_deref()).collect();
        let mut regions: Vec<&str> = mine.iter().map(|w| w.region.as_str()).collect();
        regions.sort();
        regions.dedup();
        for region in regions {
            let client = aws_sdk_cloudtrail::Client::from_conf(
                aws_sdk_cloudtrail::config::Builder::from(&config)
                    .region(Region::new(region.to_string()))
                    .interceptor(CallCounter::default())
                    .build(),
            );
            let endpoint = endpoint_for("cloudtrail", region);
            for (i, w) in mine.iter().filter(|w| w.region == region).enumerate() {
                if i > 0 {
                    tokio::time::sleep(PACE).await;
                }
                if let Some(by) = latest(&client, region, &endpoint, w, since, &specs).await? {
                    out.insert((w.tf_type.clone(), w.id.clone()), by);
                }
            }
        }
    }
    Ok(out)
}

/// The latest call in CloudTrail that changed `w` since `since`.
async fn latest(
    client: &aws_sdk_cloudtrail::Client,
    region: &str,
    endpoint: &str,
    w: &Wanted,
    since: i64,
    specs: &[&'static driftd_core::spec::TypeSpec],
) -> Result<Option<ChangedBy>, ListError> {
    use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
    let attribute = LookupAttribute::builder()
        .attribute_key(LookupAttributeKey::ResourceName)
        .attribute_value(&w.id)
        .build()
        .map_err(|e| ListError {
            operation: "cloudtrail:LookupEvents",
            region: region.to_string(),
            endpoint: endpoint.to_string(),
            kind: super::error::ListErrorKind::Other,
            message: e.to_string(),
        })?;
    let mut best: Option<ChangedBy> = None;
    let mut token: Option<String> = None;
    for page in 0..MAX_PAGES {
        if page > 0 {
            tokio::time::sleep(PACE).await;
        }
        let resp = client
            .lookup_events()
            .lookup_attributes(attribute.clone())
            .start_time(aws_smithy_types::DateTime::from_secs(since))
            .max_results(50)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| ListError::from_sdk("cloudtrail:LookupEvents", region, endpoint, e))?;
        for event in resp.events() {
            let Some(record) = event.cloud_trail_event().and_then(|r| serde_json::from_str(r).ok()) else { continue };
            let Some(call) = super::events::parse(&record, specs) else { continue };
            let touched = call.resources.iter().any(|(t, id)| *t == w.tf_type && *id == w.id);
            if call.changed_nothing || !touched {
                continue;
            }
            if let Some(by) = call.changed_by {
                if best.as_ref().is_none_or(|b| b.event_time < by.event_time) {
                    best = Some(by);
                }
            }
        }
        token = resp.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok(best)
}
