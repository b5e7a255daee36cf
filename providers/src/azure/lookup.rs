//! Who made a change, after the fact: the subscription's Activity Log
//! (`Microsoft.Insights/eventtypes/management/values`, api-version 2015-04-01) for a
//! resource id since a time, the latest succeeded write, delete or action on it. For the
//! daemon's scheduled scans, where no event said who.

use super::arm::Arm;
use super::error::AzureError;
use driftd_core::model::ChangedBy;
use serde_json::Value;
use std::collections::HashMap;

const ACTIVITY_LOG_API: &str = "2015-04-01";

/// `$filter` values are quoted OData: everything but unreserved characters escaped.
pub(crate) fn escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' | b':' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Who last changed each wanted (type, id) since `since` (RFC 3339), where the Activity
/// Log recorded it. `endpoint`: ARM's URL (`None`: the public cloud).
pub async fn changed_by(
    endpoint: Option<&str>,
    wanted: &[(String, String)],
    since: &str,
) -> Result<HashMap<(String, String), ChangedBy>, String> {
    let arm = Arm::new(endpoint.unwrap_or(super::arm::PUBLIC_ARM)).map_err(|e| e.to_string())?;
    let mut out = HashMap::new();
    for (tf_type, id) in wanted {
        let Some(sub) = id
            .to_ascii_lowercase()
            .strip_prefix("/subscriptions/")
            .and_then(|r| r.split('/').next().map(str::to_string))
        else {
            continue;
        };
        let filter = format!("eventTimestamp ge '{since}' and resourceUri eq '{id}'");
        let path = format!(
            "/subscriptions/{sub}/providers/Microsoft.Insights/eventtypes/management/values?api-version={ACTIVITY_LOG_API}&$filter={}",
            escape(&filter)
        );
        let entries: Vec<Value> =
            arm.list(&path, Some(&sub)).await.map_err(|e: AzureError| arm.explain(e).to_string())?;
        let latest = entries
            .iter()
            .filter(|e| e.get("resourceId").and_then(Value::as_str).is_none_or(|r| r.eq_ignore_ascii_case(id)))
            .filter_map(super::events::from_activity_log)
            .max_by(|a, b| a.event_time.cmp(&b.event_time));
        if let Some(by) = latest {
            out.insert((tf_type.clone(), id.clone()), by);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn filters_are_escaped_as_odata_in_a_query() {
        assert_eq!(
            super::escape("eventTimestamp ge '2026-12-05T00:00:00Z' and resourceUri eq '/subscriptions/x'"),
            "eventTimestamp%20ge%20%272026-12-05T00:00:00Z%27%20and%20resourceUri%20eq%20%27/subscriptions/x%27"
        );
    }
}
