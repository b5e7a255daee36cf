//! GitHub issues: one issue per finding (or per resource: `issue_per = "resource"`),
//! labelled, commented on when the drift changes or is still open, closed when it is
//! resolved and reopened if it comes back. Never a duplicate: an issue is found again by
//! a hidden marker in its body (`<!-- driftd:finding:ID -->`), so a lost store or a
//! crash between "created" and "recorded" finds the issue it made. At most
//! `max_open_issues` open issues with driftd's label: past that, new findings are not
//! filed and are offered again on the next scan. `api_url` serves GitHub Enterprise
//! (`https://HOST/api/v3`) and tests.

use super::http::{check_status, excerpt, send};
use super::render::{self, fit};
use super::{
    Body, BuildCx, Capabilities, EventKind, FindingEvent, Message, Notifier, NotifierConfig, Retry, SendError, Sent,
};
use crate::secret::Secret;
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{json, Value};
use std::path::PathBuf;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GithubConfig {
    /// `owner/name`.
    repo: String,
    token: Option<String>,
    token_env: Option<String>,
    token_file: Option<PathBuf>,
    /// Default `https://api.github.com`.
    api_url: Option<String>,
    /// Labels of every issue; the first one also finds driftd's issues. Default `["driftd"]`.
    #[serde(default)]
    labels: Vec<String>,
    /// `finding` (default) or `resource`.
    issue_per: Option<String>,
    #[serde(default = "default_max_open")]
    max_open_issues: usize,
}

fn default_max_open() -> usize {
    50
}

impl GithubConfig {
    fn per_resource(&self) -> bool {
        self.issue_per.as_deref() == Some("resource")
    }
}

impl NotifierConfig for GithubConfig {
    fn validate(&self) -> Vec<String> {
        let mut p = Vec::new();
        super::secret_ref(&self.token, &self.token_env, &self.token_file).validate("token", true, &mut p);
        let parts: Vec<&str> = self.repo.split('/').collect();
        if parts.len() != 2 || parts.iter().any(|s| s.is_empty()) {
            p.push(format!("repo {:?} is not owner/name", self.repo));
        }
        if let Some(per) = &self.issue_per {
            if per != "finding" && per != "resource" {
                p.push(format!("issue_per {per:?} is not finding or resource"));
            }
        }
        if self.max_open_issues == 0 {
            p.push("max_open_issues must be at least 1".into());
        }
        p.extend(self.api_url.as_deref().and_then(|u| super::url_problem("api_url", u)));
        p
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { digest: false, items_per_message: 1, per_resource: self.per_resource(), scan_health: false }
    }

    fn build(&self, cx: &BuildCx) -> Result<Box<dyn Notifier>, String> {
        let token = super::secret_ref(&self.token, &self.token_env, &self.token_file)
            .resolve("token")?
            .ok_or("token is not set")?;
        let labels = if self.labels.is_empty() { vec!["driftd".to_string()] } else { self.labels.clone() };
        Ok(Box::new(Github {
            client: cx.client.clone(),
            token,
            base: format!(
                "{}/repos/{}",
                self.api_url.as_deref().unwrap_or("https://api.github.com").trim_end_matches('/'),
                self.repo
            ),
            labels,
            per_resource: self.per_resource(),
            max_open: self.max_open_issues,
        }))
    }
}

struct Github {
    client: reqwest::Client,
    token: Secret,
    /// `https://api.github.com/repos/OWNER/NAME`
    base: String,
    labels: Vec<String>,
    per_resource: bool,
    max_open: usize,
}

struct Issue {
    number: u64,
    open: bool,
}

impl Github {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Result<Value, SendError> {
        let endpoint = format!("GitHub {method} {path} ({})", self.token.origin());
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(self.token.expose())
            .header("accept", "application/vnd.github+json")
            .header("x-github-api-version", "2022-11-28");
        if let Some(b) = body {
            req = req.json(b);
        }
        let (status, headers, text) = send(req, &endpoint).await?;
        // GitHub's rate limits answer 403 or 429 with x-ratelimit-remaining: 0.
        let limited = headers.get("x-ratelimit-remaining").and_then(|v| v.to_str().ok()) == Some("0");
        if (status.as_u16() == 403 || status.as_u16() == 429) && limited {
            let reset = headers
                .get("x-ratelimit-reset")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<i64>().ok())
                .map(|t| std::time::Duration::from_secs((t - super::outbox::now_ms() / 1000).max(1) as u64));
            return Err(SendError {
                retry: Retry::Later(reset.or(super::http::retry_after(&headers))),
                message: format!("{endpoint}: rate limited{}", excerpt(&text)),
            });
        }
        check_status(&endpoint, status, &headers, &text)?;
        serde_json::from_str(&text).map_err(|_| SendError::later(format!("{endpoint}: answer is not JSON")))
    }

    fn marker(&self, f: &driftd_core::model::Finding) -> String {
        if self.per_resource {
            format!("<!-- driftd:resource:{}:{} -->", f.resource.tf_type, f.resource.id)
        } else {
            format!("<!-- driftd:finding:{} -->", f.id)
        }
    }

    /// Every issue with driftd's first label: the one with `marker`, and how many are open.
    async fn scan_issues(&self, marker: &str) -> Result<(Option<Issue>, usize), SendError> {
        let mut found = None;
        let mut open = 0;
        for page in 1..=100 {
            let label: String = self.labels[0]
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                    _ => format!("%{b:02X}"),
                })
                .collect();
            let path = format!("/issues?state=all&labels={label}&per_page=100&page={page}");
            let list = self.call(reqwest::Method::GET, &path, None).await?;
            let items = list.as_array().cloned().unwrap_or_default();
            for i in &items {
                if i.get("pull_request").is_some() {
                    continue;
                }
                let is_open = i["state"] == "open";
                open += usize::from(is_open);
                if found.is_none() && i["body"].as_str().is_some_and(|b| b.contains(marker)) {
                    found = Some(Issue { number: i["number"].as_u64().unwrap_or(0), open: is_open });
                }
            }
            if items.len() < 100 {
                break;
            }
        }
        Ok((found, open))
    }

    async fn comment(&self, number: u64, body: &str) -> Result<(), SendError> {
        self.call(
            reqwest::Method::POST,
            &format!("/issues/{number}/comments"),
            Some(&json!({"body": fit(body, 60_000)})),
        )
        .await
        .map(|_| ())
    }

    async fn set_state(&self, number: u64, open: bool) -> Result<(), SendError> {
        let body =
            if open { json!({"state": "open"}) } else { json!({"state": "closed", "state_reason": "completed"}) };
        self.call(reqwest::Method::PATCH, &format!("/issues/{number}"), Some(&body)).await.map(|_| ())
    }

    async fn on_finding(&self, e: &FindingEvent, thread: Option<&str>) -> Result<Sent, SendError> {
        let marker = self.marker(&e.finding);
        // The issue remembered is checked by its marker; without one, every issue with
        // driftd's label is searched (that also counts the open ones, for the cap).
        let remembered = match thread.and_then(|t| t.parse::<u64>().ok()) {
            Some(number) => {
                let issue = self.call(reqwest::Method::GET, &format!("/issues/{number}"), None).await;
                match issue {
                    Ok(i) if i["body"].as_str().is_some_and(|b| b.contains(&marker)) => {
                        Some(Issue { number, open: i["state"] == "open" })
                    }
                    Ok(_) => None,
                    Err(err) if err.message.contains("HTTP 404") || err.message.contains("HTTP 410") => None,
                    Err(err) => return Err(err),
                }
            }
            None => None,
        };
        let (issue, open_count) = match remembered {
            Some(issue) => (Some(issue), 0),
            None => self.scan_issues(&marker).await?,
        };
        match (e.event, issue) {
            (EventKind::Resolved, None) => Ok(Sent::Accepted { thread: None }),
            (EventKind::Resolved, Some(issue)) => {
                self.comment(issue.number, &comment_body(e)).await?;
                if issue.open && e.others_open_on_resource == 0 {
                    self.set_state(issue.number, false).await?;
                }
                Ok(Sent::Accepted { thread: Some(issue.number.to_string()) })
            }
            (_, Some(issue)) => {
                if !issue.open {
                    self.set_state(issue.number, true).await?;
                }
                let body = if self.per_resource && issue.open && e.event == EventKind::New {
                    format!("Another drift on this resource:\n\n{}", details(&e.finding))
                } else {
                    comment_body(e)
                };
                self.comment(issue.number, &body).await?;
                Ok(Sent::Accepted { thread: Some(issue.number.to_string()) })
            }
            (_, None) if open_count >= self.max_open => {
                Ok(Sent::Skipped(format!("max_open_issues ({}) reached: {} not filed", self.max_open, e.finding.id)))
            }
            (_, None) => {
                let body = format!("{}\n\n{marker}\n", issue_body(e));
                let created = self
                    .call(
                        reqwest::Method::POST,
                        "/issues",
                        Some(&json!({"title": issue_title(e, self.per_resource), "body": fit(&body, 60_000), "labels": self.labels})),
                    )
                    .await?;
                Ok(Sent::Accepted { thread: created["number"].as_u64().map(|n| n.to_string()) })
            }
        }
    }
}

fn issue_title(e: &FindingEvent, per_resource: bool) -> String {
    let f = &e.finding;
    let what = if per_resource {
        format!("drift on {}", render::resource_label(f))
    } else {
        format!("{} {}", f.kind, render::resource_label(f))
    };
    fit(&format!("[driftd] {what}: {}", f.message), 256)
}

fn details(f: &driftd_core::model::Finding) -> String {
    let mut out = String::new();
    out.push_str(&format!("**{}**\n\n", f.message));
    out.push_str("| | |\n|---|---|\n");
    out.push_str(&format!("| Severity | {} |\n| Kind | {} |\n", f.severity, f.kind));
    out.push_str(&format!("| Resource | `{} {}` |\n", f.resource.tf_type, f.resource.id));
    if let Some(a) = &f.resource.address {
        out.push_str(&format!("| Address | `{a}` |\n"));
    }
    if let Some(c) = render::cost_line(f) {
        out.push_str(&format!("| Cost | {c} |\n"));
    }
    if let Some(l) = render::location_line(f) {
        out.push_str(&format!("| Declared at | `{l}` |\n"));
    }
    if let Some(by) = render::changed_by_line(f) {
        out.push_str(&format!("| Changed by | {} |\n", by.replace('|', "\\|")));
    }
    out.push_str(&format!("| Finding | `{}` |\n", f.id));
    let changes = render::change_lines(f);
    if !changes.is_empty() {
        out.push_str("\n**What changed** (declared → live)\n\n");
        for c in changes {
            out.push_str(&format!("- `{c}`\n"));
        }
    }
    let commands = render::fix_commands(f);
    if !commands.is_empty() {
        out.push_str(&format!("\n**Fix:** {}\n\n```sh\n{}\n```\n", f.remediation.summary, commands.join("\n")));
    }
    out
}

fn issue_body(e: &FindingEvent) -> String {
    format!(
        "{}\nFirst seen {}. Opened by driftd; it closes this issue when the drift is resolved.",
        details(&e.finding),
        e.first_seen
    )
}

fn comment_body(e: &FindingEvent) -> String {
    match e.event {
        EventKind::Resolved => format!("Resolved: {} is no longer seen by a successful scan.", e.finding.id),
        EventKind::Changed => {
            let delta = render::delta_lines(e);
            format!(
                "Drift changed:\n\n{}\n{}",
                delta.iter().map(|d| format!("- {d}\n")).collect::<String>(),
                details(&e.finding)
            )
        }
        EventKind::Reminder => format!("Still drifted (first seen {}).", e.first_seen),
        _ => format!("Drift seen again:\n\n{}", details(&e.finding)),
    }
}

#[async_trait]
impl Notifier for Github {
    async fn send(&self, msg: &Message, thread: Option<&str>) -> Result<Sent, SendError> {
        match &msg.body {
            Body::Finding(e) => self.on_finding(e, thread).await,
            // Scan health is not an issue of the fleet's code.
            Body::Scan(_) => Ok(Sent::Skipped("GitHub issues track drift, not scan health".into())),
            Body::Digest { .. } => Ok(Sent::Skipped("GitHub takes no digests".into())),
        }
    }
}
