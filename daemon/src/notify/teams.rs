//! Microsoft Teams, through an incoming webhook of a Workflows flow ("Post to a channel
//! when a webhook request is received"): an Adaptive Card (1.4) carrying what Slack
//! shows. Teams refuses cards over about 28 KB, so text is cut (at a word) to stay well
//! inside, and a digest holds at most 30 lines and then says how many more.

use super::http::{check_status, send};
use super::render::{self, fit};
use super::{Body, BuildCx, Capabilities, Message, Notifier, NotifierConfig, SendError, Sent};
use crate::secret::Secret;
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{json, Value};
use std::path::PathBuf;

const DIGEST_ITEMS: usize = 30;
const MAX_TEXT: usize = 2000;
/// The card's JSON stays under this (Teams' limit is about 28 KB).
pub const MAX_CARD_BYTES: usize = 24_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamsConfig {
    /// The workflow's webhook URL (a secret: prefer `url_env` or `url_file`).
    url: Option<String>,
    url_env: Option<String>,
    url_file: Option<PathBuf>,
}

impl NotifierConfig for TeamsConfig {
    fn validate(&self) -> Vec<String> {
        let mut p = Vec::new();
        super::secret_ref(&self.url, &self.url_env, &self.url_file).validate("url", true, &mut p);
        p
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { digest: true, items_per_message: DIGEST_ITEMS, per_resource: false, scan_health: true }
    }

    fn build(&self, cx: &BuildCx) -> Result<Box<dyn Notifier>, String> {
        let url =
            super::secret_ref(&self.url, &self.url_env, &self.url_file).resolve_url("url")?.ok_or("url is not set")?;
        Ok(Box::new(Teams { client: cx.client.clone(), url }))
    }
}

struct Teams {
    client: reqwest::Client,
    url: Secret,
}

#[async_trait]
impl Notifier for Teams {
    async fn send(&self, msg: &Message, _thread: Option<&str>) -> Result<Sent, SendError> {
        let endpoint = format!("Teams webhook ({})", self.url.origin());
        let req = self.client.post(self.url.expose()).json(&payload(msg));
        let (status, headers, body) = send(req, &endpoint).await?;
        check_status(&endpoint, status, &headers, &body)?;
        Ok(Sent::Accepted { thread: None })
    }
}

fn text(t: &str) -> Value {
    json!({"type": "TextBlock", "text": fit(t, MAX_TEXT), "wrap": true})
}

fn facts(pairs: Vec<(&str, String)>) -> Value {
    let facts: Vec<Value> = pairs.into_iter().map(|(k, v)| json!({"title": k, "value": fit(&v, 500)})).collect();
    json!({"type": "FactSet", "facts": facts})
}

pub fn card(msg: &Message) -> Value {
    let mut body = Vec::new();
    match &msg.body {
        Body::Finding(e) => {
            let f = &e.finding;
            body.push(json!({"type": "TextBlock", "text": fit(&render::title(e), 200), "weight": "Bolder", "size": "Medium", "wrap": true}));
            body.push(text(&f.message));
            let mut pairs = vec![("Severity", f.severity.to_string()), ("Kind", f.kind.to_string())];
            if let Some(by) = render::changed_by_line(f) {
                pairs.push(("Changed by", by));
            }
            if let Some(c) = render::cost_line(f) {
                pairs.push(("Cost", c));
            }
            if let Some(a) = &f.resource.address {
                pairs.push(("Address", a.clone()));
            }
            pairs.push(("Resource", format!("{} {}", f.resource.tf_type, f.resource.id)));
            if let Some(loc) = render::location_line(f) {
                pairs.push(("Declared at", loc));
            }
            pairs.push(("First seen", e.first_seen.clone()));
            pairs.push(("Finding", f.id.clone()));
            body.push(facts(pairs));
            let changes = render::change_lines(f);
            if !changes.is_empty() {
                body.push(json!({"type": "TextBlock", "text": "What changed (declared → live)", "weight": "Bolder", "wrap": true}));
                body.push(text(&changes.iter().take(30).map(|c| format!("- {c}")).collect::<Vec<_>>().join("\n")));
            }
            let delta = render::delta_lines(e);
            if !delta.is_empty() {
                body.push(text(&format!("Since last message: {}", delta.join("; "))));
            }
            let commands = render::fix_commands(f);
            if e.event != super::EventKind::Resolved && !commands.is_empty() {
                body.push(text(&format!("Fix: {}", f.remediation.summary)));
                body.push(json!({"type": "TextBlock", "text": fit(&commands.join("\n"), MAX_TEXT), "fontType": "Monospace", "wrap": true}));
            }
        }
        Body::Digest { events, overflow, total, part, parts } => {
            body.push(json!({"type": "TextBlock", "text": render::digest_title(&msg.scope, *total, *overflow), "weight": "Bolder", "size": "Medium", "wrap": true}));
            body.push(text(&events.iter().map(|e| format!("- {}", render::brief(e))).collect::<Vec<_>>().join("\n")));
            if *parts > 1 {
                body.push(text(&format!("part {part} of {parts}")));
            }
        }
        Body::Scan(s) => {
            body.push(json!({"type": "TextBlock", "text": render::scan_title(&msg.scope, s), "weight": "Bolder", "size": "Medium", "wrap": true}));
            if let Some(err) = &s.error {
                body.push(text(err));
            }
        }
    }
    body.push(json!({"type": "TextBlock", "text": format!("scope {} · scan {}", msg.scope, msg.scan_id), "isSubtle": true, "size": "Small", "wrap": true}));
    let mut card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    });
    if let Some(url) = &msg.report_url {
        card["actions"] = json!([{"type": "Action.OpenUrl", "title": "Full report", "url": url}]);
    }
    // Last resort for a card that is still too big: keep the title and the footer.
    if card.to_string().len() > MAX_CARD_BYTES {
        if let Some(body) = card["body"].as_array_mut() {
            let footer = body.pop();
            body.truncate(2);
            body.push(text("(shortened: see the full report)"));
            body.extend(footer);
        }
    }
    card
}

fn payload(msg: &Message) -> Value {
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": card(msg),
        }]
    })
}
