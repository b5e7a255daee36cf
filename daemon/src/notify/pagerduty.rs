//! PagerDuty Events API v2: a finding is an alert whose `dedup_key` is the finding id.
//! `new`, `changed` and `reminder` trigger (PagerDuty folds them into one alert),
//! `resolved` resolves. A failing scope is its own alert (`driftd-scan:SCOPE`), resolved
//! when scans recover. Severity: critical → critical, high → error, medium → warning,
//! low → info. No digest: each finding is its own incident.

use super::http::{check_status, send};
use super::render::{self, fit};
use super::{Body, BuildCx, Capabilities, EventKind, Message, Notifier, NotifierConfig, SendError, Sent};
use crate::secret::Secret;
use async_trait::async_trait;
use driftd_core::model::Severity;
use serde::Deserialize;
use serde_json::{json, Value};
use std::path::PathBuf;

const EVENTS_URL: &str = "https://events.pagerduty.com/v2/enqueue";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PagerDutyConfig {
    /// The integration's routing key (a secret: prefer `routing_key_env` or `_file`).
    routing_key: Option<String>,
    routing_key_env: Option<String>,
    routing_key_file: Option<PathBuf>,
    /// Default `https://events.pagerduty.com/v2/enqueue` (EU accounts, tests).
    events_url: Option<String>,
    /// The alert's `source`; default `driftd`.
    source: Option<String>,
}

impl NotifierConfig for PagerDutyConfig {
    fn validate(&self) -> Vec<String> {
        let mut p = Vec::new();
        super::secret_ref(&self.routing_key, &self.routing_key_env, &self.routing_key_file).validate(
            "routing_key",
            true,
            &mut p,
        );
        p.extend(self.events_url.as_deref().and_then(|u| super::url_problem("events_url", u)));
        p
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { digest: false, items_per_message: 1, per_resource: false, scan_health: true }
    }

    fn build(&self, cx: &BuildCx) -> Result<Box<dyn Notifier>, String> {
        let key = super::secret_ref(&self.routing_key, &self.routing_key_env, &self.routing_key_file)
            .resolve("routing_key")?
            .ok_or("routing_key is not set")?;
        Ok(Box::new(PagerDuty {
            client: cx.client.clone(),
            key,
            url: self.events_url.clone().unwrap_or_else(|| EVENTS_URL.into()),
            source: self.source.clone().unwrap_or_else(|| "driftd".into()),
        }))
    }
}

struct PagerDuty {
    client: reqwest::Client,
    key: Secret,
    url: String,
    source: String,
}

pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "info",
    }
}

impl PagerDuty {
    fn event(&self, msg: &Message) -> Option<Value> {
        let key = self.key.expose();
        Some(match &msg.body {
            Body::Finding(e) => {
                let f = &e.finding;
                let action = if e.event == EventKind::Resolved { "resolve" } else { "trigger" };
                let mut ev = json!({
                    "routing_key": key,
                    "event_action": action,
                    "dedup_key": f.id,
                });
                if action == "trigger" {
                    ev["payload"] = json!({
                        "summary": fit(&format!("{}: {}", render::title(e), f.message), 1024),
                        "source": self.source,
                        "severity": severity(f.severity),
                        "component": format!("{} {}", f.resource.tf_type, f.resource.id),
                        "group": msg.scope,
                        "class": f.kind.as_str(),
                        "custom_details": {
                            "event": e.event.as_str(),
                            "finding": f,
                            "changes": render::change_lines(f),
                            "cost": render::cost_line(f),
                            "declared_at": render::location_line(f),
                            "fix": render::fix_commands(f),
                            "first_seen": e.first_seen,
                        },
                    });
                    if let Some(by) = render::changed_by_line(f) {
                        ev["payload"]["custom_details"]["changed_by"] = json!(by);
                    }
                    if let Some(url) = &msg.report_url {
                        ev["links"] = json!([{"href": url, "text": "Full report"}]);
                    }
                }
                ev
            }
            Body::Scan(s) => {
                let action = if s.event == EventKind::ScanRecovered { "resolve" } else { "trigger" };
                let mut ev = json!({
                    "routing_key": key,
                    "event_action": action,
                    "dedup_key": format!("driftd-scan:{}", msg.scope),
                });
                if action == "trigger" {
                    ev["payload"] = json!({
                        "summary": fit(&render::plain(msg), 1024),
                        "source": self.source,
                        "severity": "error",
                        "group": msg.scope,
                        "class": "scan_failed",
                        "custom_details": {"error": s.error, "failing_since": s.failing_since},
                    });
                }
                ev
            }
            // Routing never packs digests for a notifier without them.
            Body::Digest { .. } => return None,
        })
    }
}

#[async_trait]
impl Notifier for PagerDuty {
    async fn send(&self, msg: &Message, _thread: Option<&str>) -> Result<Sent, SendError> {
        let Some(event) = self.event(msg) else {
            return Ok(Sent::Skipped("PagerDuty takes no digests".into()));
        };
        let endpoint = format!("PagerDuty events API ({})", self.key.origin());
        let req = self.client.post(&self.url).json(&event);
        let (status, headers, body) = send(req, &endpoint).await?;
        // An error body could echo the routing key back.
        let body = crate::secret::scrub(&body, &[&self.key]);
        check_status(&endpoint, status, &headers, &body)?;
        Ok(Sent::Accepted { thread: None })
    }
}
