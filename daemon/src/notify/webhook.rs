//! A generic webhook: one JSON event per message (`driftd.event/v1`, documented in
//! `docs/notifications.md`) carrying the report's finding. With a secret, each request is
//! signed like Slack's and Stripe's: `X-Driftd-Signature: v1=HEX` where HEX is
//! HMAC-SHA256(secret, "v1:" + X-Driftd-Timestamp + ":" + body). The event id
//! (`X-Driftd-Event-Id`, also in the body) lets a receiver drop the rare redelivery.

use super::http::{check_status, send};
use super::{Body, BuildCx, Capabilities, Message, Notifier, NotifierConfig, SendError, Sent};
use crate::secret::Secret;
use async_trait::async_trait;
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::Sha256;
use std::path::PathBuf;

pub const SCHEMA: &str = "driftd.event/v1";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    url: Option<String>,
    url_env: Option<String>,
    url_file: Option<PathBuf>,
    /// HMAC-SHA256 signing key.
    secret: Option<String>,
    secret_env: Option<String>,
    secret_file: Option<PathBuf>,
}

impl NotifierConfig for WebhookConfig {
    fn validate(&self) -> Vec<String> {
        let mut p = Vec::new();
        super::secret_ref(&self.url, &self.url_env, &self.url_file).validate("url", true, &mut p);
        super::secret_ref(&self.secret, &self.secret_env, &self.secret_file).validate("secret", false, &mut p);
        if let Some(u) = &self.url {
            if !(u.starts_with("https://") || u.starts_with("http://")) {
                p.push("url is not an http(s) URL".into());
            }
        }
        p
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { digest: true, items_per_message: 1000, per_resource: false, scan_health: true }
    }

    fn build(&self, cx: &BuildCx) -> Result<Box<dyn Notifier>, String> {
        let url =
            super::secret_ref(&self.url, &self.url_env, &self.url_file).resolve_url("url")?.ok_or("url is not set")?;
        let secret = super::secret_ref(&self.secret, &self.secret_env, &self.secret_file).resolve("secret")?;
        Ok(Box::new(Webhook { client: cx.client.clone(), url, secret }))
    }
}

struct Webhook {
    client: reqwest::Client,
    url: Secret,
    secret: Option<Secret>,
}

/// The event a receiver gets.
pub fn event(msg: &Message) -> Value {
    let mut ev = json!({
        "schema": SCHEMA,
        "id": msg.id,
        "event": msg.event_name(),
        "scope": msg.scope,
        "scan_id": msg.scan_id,
        "occurred_at": msg.at,
    });
    if let Some(url) = &msg.report_url {
        ev["report_url"] = json!(url);
    }
    let finding_event = |e: &super::FindingEvent| {
        let mut v = json!({"event": e.event.as_str(), "finding": e.finding, "first_seen": e.first_seen});
        if let Some(p) = &e.previous {
            v["previous"] = json!(p);
        }
        v
    };
    match &msg.body {
        Body::Finding(e) => {
            if let (Some(a), Some(b)) = (ev.as_object_mut(), finding_event(e).as_object()) {
                for (k, v) in b {
                    if k != "event" {
                        a.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        Body::Digest { events, overflow, total, part, parts } => {
            ev["overflow"] = json!(overflow);
            ev["total"] = json!(total);
            ev["part"] = json!(part);
            ev["parts"] = json!(parts);
            ev["events"] = Value::Array(events.iter().map(finding_event).collect());
        }
        Body::Scan(s) => {
            ev["error"] = json!(s.error);
            ev["failing_since"] = json!(s.failing_since);
        }
    }
    ev
}

/// `v1=HEX`: HMAC-SHA256 over `v1:TIMESTAMP:BODY`.
pub fn signature(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(b"v1:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    let out = mac.finalize().into_bytes();
    format!("v1={}", out.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

#[async_trait]
impl Notifier for Webhook {
    async fn send(&self, msg: &Message, _thread: Option<&str>) -> Result<Sent, SendError> {
        let endpoint = format!("webhook ({})", self.url.origin());
        let body = serde_json::to_vec(&event(msg)).unwrap_or_default();
        let timestamp = (super::outbox::now_ms() / 1000).to_string();
        let mut req = self
            .client
            .post(self.url.expose())
            .header("content-type", "application/json")
            .header("x-driftd-event", msg.event_name())
            .header("x-driftd-event-id", &msg.id)
            .header("x-driftd-timestamp", &timestamp);
        if let Some(secret) = &self.secret {
            req = req.header("x-driftd-signature", signature(secret.expose().as_bytes(), &timestamp, &body));
        }
        let (status, headers, text) = send(req.body(body), &endpoint).await?;
        check_status(&endpoint, status, &headers, &text)?;
        Ok(Sent::Accepted { thread: None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_a_known_vector() {
        // python3 -c 'import hmac,hashlib;print(hmac.new(b"key",b"v1:1700000000:{}",hashlib.sha256).hexdigest())'
        assert_eq!(
            signature(b"key", "1700000000", b"{}"),
            "v1=584e59c409146d134b9c5f3551be5110dcd1cf3262710509ae10c5cc17a991cb"
        );
    }
}
