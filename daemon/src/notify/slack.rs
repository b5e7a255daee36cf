//! Slack, by incoming webhook (`url*`) or by Web API with a bot token (`token*` and
//! `channel`). Block Kit messages within Slack's limits: at most 50 blocks, 3,000
//! characters per section text, 2,000 per field and 10 fields per section, 150 for a
//! header; text is cut at a word, never mid-word.
//!
//! With the Web API each finding has a thread: its first message starts it, updates and
//! the resolution are replies, and the resolution also rewrites the first message
//! (`chat.update`) so the channel shows it resolved. A digest longer than one message
//! continues in its thread. An incoming webhook cannot thread: updates are new messages
//! and a long digest ends with a count and the report link.

use super::http::{check_status, excerpt, send};
use super::render::{self, fit};
use super::{Body, BuildCx, Capabilities, FindingEvent, Message, Notifier, NotifierConfig, Retry, SendError, Sent};
use crate::secret::{Secret, SecretRef};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{json, Value};
use std::path::PathBuf;

pub const MAX_BLOCKS: usize = 50;
pub const MAX_SECTION_TEXT: usize = 3000;
pub const MAX_FIELD_TEXT: usize = 2000;
pub const MAX_FIELDS: usize = 10;
pub const MAX_HEADER: usize = 150;
/// Slack truncates a message's `text` past 40,000 characters; stay well below.
pub const MAX_TEXT: usize = 3000;
/// Digest lines per message: one section holds many lines, so this bounds length, not blocks.
const DIGEST_ITEMS: usize = 40;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackConfig {
    /// Incoming webhook URL (a secret: prefer `url_env` or `url_file`).
    url: Option<String>,
    url_env: Option<String>,
    url_file: Option<PathBuf>,
    /// Bot token (`xoxb-…`) for the Web API, with `channel`.
    token: Option<String>,
    token_env: Option<String>,
    token_file: Option<PathBuf>,
    /// Channel id (`C0123ABCD`) or name, for the Web API.
    channel: Option<String>,
    /// Web API base; default `https://slack.com/api` (tests point it at a local server).
    api_url: Option<String>,
}

impl SlackConfig {
    fn webhook(&self) -> SecretRef {
        super::secret_ref(&self.url, &self.url_env, &self.url_file)
    }
    fn token(&self) -> SecretRef {
        super::secret_ref(&self.token, &self.token_env, &self.token_file)
    }
}

impl NotifierConfig for SlackConfig {
    fn validate(&self) -> Vec<String> {
        let mut p = Vec::new();
        match (self.webhook().is_set(), self.token().is_set()) {
            (true, true) => p.push("give an incoming webhook (url*) or a bot token (token*), not both".into()),
            (false, false) => p.push("needs url_env (incoming webhook) or token_env with channel (Web API)".into()),
            (true, false) => self.webhook().validate("url", true, &mut p),
            (false, true) => {
                self.token().validate("token", true, &mut p);
                if self.channel.as_deref().is_none_or(str::is_empty) {
                    p.push("channel is required with a bot token".into());
                }
            }
        }
        if self.webhook().is_set() && self.channel.is_some() {
            p.push("channel is for the Web API; an incoming webhook posts to its own channel".into());
        }
        p.extend(self.api_url.as_deref().and_then(|u| super::url_problem("api_url", u)));
        p
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { digest: true, items_per_message: DIGEST_ITEMS, per_resource: false, scan_health: true }
    }

    fn build(&self, cx: &BuildCx) -> Result<Box<dyn Notifier>, String> {
        let mode = match self.token().resolve("token")? {
            Some(token) => Mode::Api {
                token,
                channel: self.channel.clone().unwrap_or_default(),
                base: self
                    .api_url
                    .clone()
                    .unwrap_or_else(|| "https://slack.com/api".into())
                    .trim_end_matches('/')
                    .into(),
            },
            None => {
                let url = self.webhook().resolve_url("url")?.ok_or("url is not set")?;
                Mode::Webhook { url }
            }
        };
        Ok(Box::new(Slack { client: cx.client.clone(), mode }))
    }
}

enum Mode {
    Webhook { url: Secret },
    Api { token: Secret, channel: String, base: String },
}

struct Slack {
    client: reqwest::Client,
    mode: Mode,
}

#[async_trait]
impl Notifier for Slack {
    async fn send(&self, msg: &Message, thread: Option<&str>) -> Result<Sent, SendError> {
        let payload = payload(msg);
        match &self.mode {
            Mode::Webhook { url } => {
                let endpoint = format!("Slack webhook ({})", url.origin());
                let req = self.client.post(url.expose()).json(&payload);
                let (status, headers, body) = send(req, &endpoint).await?;
                check_status(&endpoint, status, &headers, &body)?;
                Ok(Sent::Accepted { thread: None })
            }
            Mode::Api { channel, .. } => {
                let parent = thread.and_then(|t| t.split_once(':'));
                let is_reply = match &msg.body {
                    Body::Finding(e) => parent.is_some() && e.event != super::EventKind::New,
                    Body::Digest { part, .. } => *part > 1 && parent.is_some(),
                    Body::Scan(_) => false,
                };
                if let (Body::Finding(e), Some((ch, ts)), true) = (&msg.body, parent, is_reply) {
                    if e.event == super::EventKind::Resolved {
                        // The first message now says resolved; idempotent, so it goes first.
                        let mut update = payload_for_finding(msg, e, true);
                        update["channel"] = json!(ch);
                        update["ts"] = json!(ts);
                        match self.call("chat.update", &update).await {
                            Err(err) if err.message.contains("message_not_found") => {}
                            other => {
                                other?;
                            }
                        }
                    }
                }
                let mut post = payload;
                match (parent, is_reply) {
                    (Some((ch, ts)), true) => {
                        post["channel"] = json!(ch);
                        post["thread_ts"] = json!(ts);
                    }
                    _ => post["channel"] = json!(channel),
                }
                let answer = self.call("chat.postMessage", &post).await?;
                let started = match (&msg.body, is_reply) {
                    (_, true) => None,
                    (Body::Scan(_), _) => None,
                    _ => {
                        let ch = answer.get("channel").and_then(Value::as_str).unwrap_or(channel);
                        answer.get("ts").and_then(Value::as_str).map(|ts| format!("{ch}:{ts}"))
                    }
                };
                Ok(Sent::Accepted { thread: started })
            }
        }
    }
}

impl Slack {
    /// One Web API call. Slack answers 200 with `ok: false` for most errors; which of
    /// them are worth retrying is Slack's documented list.
    async fn call(&self, method: &str, body: &Value) -> Result<Value, SendError> {
        let Mode::Api { token, base, .. } = &self.mode else { unreachable!("web API call on a webhook") };
        let endpoint = format!("Slack {method} ({})", token.origin());
        let req = self.client.post(format!("{base}/{method}")).bearer_auth(token.expose()).json(body);
        let (status, headers, text) = send(req, &endpoint).await?;
        check_status(&endpoint, status, &headers, &text)?;
        let answer: Value = serde_json::from_str(&text)
            .map_err(|_| SendError::later(format!("{endpoint}: answer is not JSON{}", excerpt(&text))))?;
        if answer.get("ok").and_then(Value::as_bool) == Some(true) {
            return Ok(answer);
        }
        let error = answer.get("error").and_then(Value::as_str).unwrap_or("unknown error");
        let retry = match error {
            "ratelimited" | "internal_error" | "fatal_error" | "service_unavailable" | "request_timeout" => {
                Retry::Later(super::http::retry_after(&headers))
            }
            _ => Retry::Never,
        };
        Err(SendError { retry, message: format!("{endpoint}: {error}") })
    }
}

/// `&`, `<` and `>` are Slack's control characters in text.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn header(text: &str) -> Value {
    json!({"type": "header", "text": {"type": "plain_text", "text": fit(text, MAX_HEADER), "emoji": true}})
}

fn section(markdown: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": fit(markdown, MAX_SECTION_TEXT)}})
}

fn fields(pairs: &[(&str, String)]) -> Value {
    let fields: Vec<Value> = pairs
        .iter()
        .take(MAX_FIELDS)
        .map(|(k, v)| json!({"type": "mrkdwn", "text": fit(&format!("*{k}*\n{}", esc(v)), MAX_FIELD_TEXT)}))
        .collect();
    json!({"type": "section", "fields": fields})
}

fn context(text: &str) -> Value {
    json!({"type": "context", "elements": [{"type": "mrkdwn", "text": fit(text, MAX_SECTION_TEXT)}]})
}

/// Lines packed into as few sections as fit, each within the section limit.
fn sections_of(lines: &[String], max_blocks: usize) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for l in lines {
        let l = fit(l, MAX_SECTION_TEXT / 4);
        if !cur.is_empty() && cur.len() + l.len() + 1 > MAX_SECTION_TEXT {
            out.push(section(&cur));
            cur.clear();
        }
        if !cur.is_empty() {
            cur.push('\n');
        }
        cur.push_str(&l);
    }
    if !cur.is_empty() {
        out.push(section(&cur));
    }
    out.truncate(max_blocks);
    out
}

fn severity_icon(s: driftd_core::model::Severity) -> &'static str {
    use driftd_core::model::Severity::*;
    match s {
        Critical => ":red_circle:",
        High => ":large_orange_circle:",
        Medium => ":large_yellow_circle:",
        Low => ":white_circle:",
    }
}

fn payload(msg: &Message) -> Value {
    match &msg.body {
        Body::Finding(e) => payload_for_finding(msg, e, false),
        Body::Digest { events, overflow, total, part, parts } => {
            let mut blocks = Vec::new();
            let title = render::digest_title(&msg.scope, *total, *overflow);
            if *part == 1 {
                blocks.push(header(&title));
            }
            let lines: Vec<String> = events
                .iter()
                .map(|e| format!("{} {}", severity_icon(e.finding.severity), esc(&render::brief(e))))
                .collect();
            blocks.extend(sections_of(&lines, MAX_BLOCKS - 3));
            let shown_before = (*part - 1) * DIGEST_ITEMS;
            let rest = total.saturating_sub(shown_before + events.len());
            let mut note = format!("scope {} · scan {}", esc(&msg.scope), msg.scan_id);
            if *parts > 1 {
                note.push_str(&format!(" · part {part} of {parts}"));
            }
            if rest > 0 && *parts == 1 {
                // Unreachable while every event has a part; said rather than hidden.
                note.push_str(&format!(" · and {rest} more"));
            }
            if let Some(url) = &msg.report_url {
                note.push_str(&format!(" · <{}|full report>", esc(url)));
            }
            blocks.push(context(&note));
            json!({"text": fit(&render::plain(msg), MAX_TEXT), "blocks": blocks})
        }
        Body::Scan(s) => {
            let mut blocks = vec![header(&render::scan_title(&msg.scope, s))];
            if let Some(err) = &s.error {
                blocks.push(section(&format!("```{}```", esc(err))));
            }
            let mut note = format!("scope {} · scan {}", esc(&msg.scope), msg.scan_id);
            if let Some(since) = &s.failing_since {
                note.push_str(&format!(" · failing since {since}"));
            }
            blocks.push(context(&note));
            json!({"text": fit(&render::plain(msg), MAX_TEXT), "blocks": blocks})
        }
    }
}

/// A finding's message; `resolved_header`: the first message rewritten when it resolves.
fn payload_for_finding(msg: &Message, e: &FindingEvent, resolved_header: bool) -> Value {
    let f = &e.finding;
    let title =
        if resolved_header { format!("Resolved: {} {}", f.kind, render::resource_label(f)) } else { render::title(e) };
    let mut blocks = vec![header(&title)];
    let mut text = format!("{} *{}*", severity_icon(f.severity), esc(&f.message));
    if let Some(by) = render::changed_by_line(f) {
        text.push_str(&format!("\n*Changed by* {}", esc(&by)));
    }
    let changes = render::change_lines(f);
    if !changes.is_empty() && !resolved_header {
        text.push_str("\n*What changed* (declared → live)");
        for c in &changes {
            text.push_str(&format!("\n• {}", esc(c)));
        }
    }
    let delta = render::delta_lines(e);
    if !delta.is_empty() {
        text.push_str("\n*Since last message*");
        for d in &delta {
            text.push_str(&format!("\n• {}", esc(d)));
        }
    }
    blocks.push(section(&text));
    let mut facts: Vec<(&str, String)> = vec![("Severity", f.severity.to_string()), ("Kind", f.kind.to_string())];
    if let Some(c) = render::cost_line(f) {
        facts.push(("Cost", c));
    }
    if let Some(a) = &f.resource.address {
        facts.push(("Address", a.clone()));
    }
    facts.push(("Resource", format!("{} {}", f.resource.tf_type, f.resource.id)));
    let place = [f.resource.account.as_deref(), f.resource.region.as_deref()].into_iter().flatten().collect::<Vec<_>>();
    if !place.is_empty() {
        facts.push(("Where", place.join(" / ")));
    }
    if let Some(loc) = render::location_line(f) {
        facts.push(("Declared at", loc));
    }
    if let Some(p) = &f.policy {
        facts.push(("Policy", format!("{} {}", p.id, p.title)));
    }
    facts.push(("First seen", e.first_seen.clone()));
    blocks.push(fields(&facts));
    let commands = render::fix_commands(f);
    if e.event != super::EventKind::Resolved && !resolved_header && !commands.is_empty() {
        // Code blocks are not escaped by Slack's rules but `<`/`>` still are.
        let body = fit(&esc(&commands.join("\n")), MAX_SECTION_TEXT - 40);
        blocks.push(section(&format!("*Fix:* {}\n```{body}```", esc(&f.remediation.summary))));
    }
    blocks.push(context(&format!("finding {} · scope {} · scan {}", f.id, esc(&msg.scope), msg.scan_id)));
    json!({"text": fit(&format!("{title}: {}", f.message), MAX_TEXT), "blocks": blocks})
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Slack's limits, as its API enforces them: what a test receiver checks too.
    pub fn within_limits(payload: &Value) -> Result<(), String> {
        let blocks = payload["blocks"].as_array().ok_or("no blocks")?;
        if blocks.len() > MAX_BLOCKS {
            return Err(format!("{} blocks", blocks.len()));
        }
        for b in blocks {
            let n = |v: &Value| v.as_str().map(|s| s.chars().count()).unwrap_or(0);
            match b["type"].as_str() {
                Some("header") if n(&b["text"]["text"]) > MAX_HEADER => return Err("header too long".into()),
                Some("section") => {
                    if n(&b["text"]["text"]) > MAX_SECTION_TEXT {
                        return Err("section too long".into());
                    }
                    let fields = b["fields"].as_array().map(Vec::len).unwrap_or(0);
                    if fields > MAX_FIELDS {
                        return Err("too many fields".into());
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    #[test]
    fn a_huge_finding_stays_within_limits() {
        use driftd_core::model::*;
        let f = Finding {
            changed_by: None,
            id: "changed-1".into(),
            kind: FindingKind::Changed,
            severity: Severity::High,
            resource: FindingResource {
                root_module: None,
                tf_type: "aws_instance".into(),
                id: "i-1".into(),
                address: Some(format!("module.{}.aws_instance.a", "m".repeat(300))),
                provider: Cloud::Aws,
                account: None,
                region: None,
                name: None,
                team: None,
                cost_allocation: Default::default(),
                tags: Default::default(),
            },
            changes: Some(
                (0..500)
                    .map(|i| Change { path: format!("tags.k{i}"), declared: json!("a ".repeat(20)), live: json!("b") })
                    .collect(),
            ),
            policy: None,
            declared_at: None,
            cost: None,
            message: "word ".repeat(2000),
            remediation: Remediation {
                summary: "x".into(),
                commands: vec!["terraform apply ".repeat(500)],
                patch: None,
            },
        };
        let msg = Message {
            id: "m".into(),
            scope: "prod".into(),
            scan_id: 1,
            at: "t".into(),
            report_url: None,
            body: Body::Finding(Box::new(FindingEvent {
                event: super::super::EventKind::New,
                finding: f,
                previous: None,
                first_seen: "t".into(),
                others_open_on_resource: 0,
            })),
        };
        within_limits(&payload(&msg)).unwrap();
    }
}
