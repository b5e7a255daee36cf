//! Notifiers: who hears about drift, and how. Each notifier is one file here holding its
//! config (`deny_unknown_fields`), a pure `validate`, `build` (which reads its secrets)
//! and its sender; it is registered with one line in [`notifiers!`].
//!
//! What to send is decided elsewhere, once for all notifiers: `crate::history` turns a
//! scan into transitions, [`route`] picks each notifier's messages (filters, reminders,
//! digest, cap) and writes them to the outbox, and [`outbox`] delivers them.

pub mod http;
pub mod outbox;
pub mod render;
pub mod route;

mod github;
mod pagerduty;
mod slack;
mod teams;
mod webhook;

pub use crate::history::{EventKind, ScanEvent};
use crate::secret::SecretRef;
use async_trait::async_trait;
use driftd_core::model::{Finding, FindingKind, Severity};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// One event about one finding.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FindingEvent {
    pub event: EventKind,
    /// The finding now (for `resolved`: as it was last seen).
    pub finding: Finding,
    /// For `changed`: the finding as it was last notified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Finding>,
    pub first_seen: String,
    /// Other open findings of the same resource this notifier knows (GitHub issues per
    /// resource close only when this is 0).
    #[serde(default)]
    pub others_open_on_resource: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Body {
    Finding(Box<FindingEvent>),
    /// Several finding events in one message: digest mode, or what is over the cap.
    Digest {
        events: Vec<FindingEvent>,
        /// `true`: these are the events over `max_messages_per_scan`, not a digest by choice.
        overflow: bool,
        /// Events in the whole digest; `events` may be one part of it (a thread reply).
        total: usize,
        /// 1-based part, and parts in all (Slack threads a large digest).
        part: usize,
        parts: usize,
    },
    Scan(ScanEvent),
}

/// One notification, as the outbox stores it (JSON) and a notifier renders it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    /// Unique per message: receivers can de-duplicate on it (the webhook's event id).
    pub id: String,
    pub scope: String,
    pub scan_id: i64,
    /// When the scan that caused it finished (RFC 3339).
    pub at: String,
    /// The notifier's `report_url`: where the whole report is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_url: Option<String>,
    pub body: Body,
}

impl Message {
    pub fn event_name(&self) -> &'static str {
        match &self.body {
            Body::Finding(f) => f.event.as_str(),
            Body::Digest { .. } => "digest",
            Body::Scan(s) => s.event.as_str(),
        }
    }
}

/// The outcome of one delivery attempt that the receiver answered.
#[derive(Debug)]
pub enum Sent {
    /// Accepted. `thread`: a reference later messages of the same thread use (Slack
    /// `channel:ts`, a GitHub issue number).
    Accepted { thread: Option<String> },
    /// Refused on purpose, not an error (GitHub's `max_open_issues` reached).
    Skipped(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Worth trying again; `Some`: the receiver said when (`Retry-After`).
    Later(Option<Duration>),
    /// Trying again cannot help (bad token, unknown channel, payload refused).
    Never,
}

/// A failed attempt. `message` names the endpoint by what it is, never its URL or token.
#[derive(Debug, Clone)]
pub struct SendError {
    pub retry: Retry,
    pub message: String,
}

impl SendError {
    pub fn later(message: impl Into<String>) -> SendError {
        SendError { retry: Retry::Later(None), message: message.into() }
    }
    pub fn never(message: impl Into<String>) -> SendError {
        SendError { retry: Retry::Never, message: message.into() }
    }
}

/// What a notifier can do with several events, which decides how [`route`] packs them.
#[derive(Debug, Clone, Copy)]
pub struct Capabilities {
    /// Several events fit one message (Slack, Teams, webhook). PagerDuty and GitHub track
    /// each finding as its own incident or issue: no digest.
    pub digest: bool,
    /// Events that fit one message within the receiver's limits.
    pub items_per_message: usize,
    /// One thread per resource instead of per finding (GitHub `issue_per = "resource"`).
    pub per_resource: bool,
    /// Hears `scan_failed` / `scan_recovered` (GitHub issues track drift only).
    pub scan_health: bool,
}

#[async_trait]
pub trait Notifier: Send + Sync {
    /// Sends one message. `thread`: what an earlier `Accepted { thread }` of the same
    /// thread key returned.
    async fn send(&self, msg: &Message, thread: Option<&str>) -> Result<Sent, SendError>;
}

/// What `build` may use.
pub struct BuildCx {
    pub client: reqwest::Client,
}

pub trait NotifierConfig: std::fmt::Debug + Send + Sync {
    /// Pure checks (no files, network or environment), every problem at once.
    fn validate(&self) -> Vec<String>;
    fn capabilities(&self) -> Capabilities;
    /// Reads secrets and builds the sender. Errors name the variable or file.
    fn build(&self, cx: &BuildCx) -> Result<Box<dyn Notifier>, String>;
}

/// The registry: one line per notifier kind.
macro_rules! notifiers {
    ($($kind:literal => $config:ty),* $(,)?) => {
        pub const KINDS: &[&str] = &[$($kind),*];

        fn parse_kind(kind: &str, table: toml::Table) -> Result<Box<dyn NotifierConfig>, String> {
            match kind {
                $($kind => <$config>::deserialize(table).map(|c| Box::new(c) as Box<dyn NotifierConfig>).map_err(|e| e.message().to_string()),)*
                other => Err(format!("kind {other:?} is not one of {}", KINDS.join(", "))),
            }
        }
    };
}

notifiers! {
    "slack" => slack::SlackConfig,
    "teams" => teams::TeamsConfig,
    "pagerduty" => pagerduty::PagerDutyConfig,
    "webhook" => webhook::WebhookConfig,
    "github" => github::GithubConfig,
}

/// Keys every `[[notify]]` table may have, whatever its kind: which events it hears and
/// how they are packed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// Names this notifier in the store (its history and outbox). Default: the kind, or
    /// `kind-N` (N from 1, in file order) when several share a kind. Set it to keep the
    /// history when notifiers are reordered.
    pub name: Option<String>,
    #[serde(default = "default_min_severity")]
    pub min_severity: String,
    /// Finding kinds (`changed`, `missing`, `unmanaged`, `violation`); default all.
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Events (`new`, `changed`, `reminder`, `resolved`, `scan_failed`, `scan_recovered`); default all.
    #[serde(default)]
    pub events: Vec<String>,
    /// Terraform types; default all.
    #[serde(default)]
    pub types: Vec<String>,
    /// Why the change was made (`manual`, `automation`, `terraform`, `service`; `unknown`
    /// where nobody is named); default all.
    #[serde(default)]
    pub causes: Vec<String>,
    /// AWS accounts / Azure subscriptions; default all.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// Every tag given must match (`tags = { team = "ml" }`).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// One message per scan with every event in it.
    #[serde(default)]
    pub digest: bool,
    /// At most this many messages per scan; the rest go in one summary.
    #[serde(default = "default_cap")]
    pub max_messages_per_scan: usize,
    /// Remind of what is still open after this long (`"24h"`, `"30m"`); default never.
    pub remind_after: Option<String>,
    /// A link to the full report (a CI job's artifacts, a dashboard), shown in summaries.
    pub report_url: Option<String>,
}

fn default_min_severity() -> String {
    "low".into()
}

fn default_cap() -> usize {
    20
}

/// The keys of `RouteConfig`, from its own fields: a key added there is a route key.
pub fn route_keys() -> &'static [&'static str] {
    serde_aux::serde_introspection::serde_introspect::<RouteConfig>()
}

/// A `[[notify]]` table, checked.
#[derive(Debug)]
pub struct NotifySpec {
    pub name: String,
    pub kind: String,
    pub route: Route,
    pub config: Box<dyn NotifierConfig>,
}

/// The routing part of a notifier, parsed.
#[derive(Debug, Clone)]
pub struct Route {
    pub min_severity: Severity,
    pub kinds: Vec<FindingKind>,
    pub events: Vec<EventKind>,
    pub types: Vec<String>,
    /// `None`: findings nobody is named for.
    pub causes: Vec<Option<driftd_core::model::Cause>>,
    pub accounts: Vec<String>,
    pub tags: BTreeMap<String, String>,
    pub digest: bool,
    pub max_messages_per_scan: usize,
    pub remind_after: Option<Duration>,
    pub report_url: Option<String>,
}

impl Route {
    /// Does this notifier hear about this finding at all?
    pub fn matches(&self, f: &Finding) -> bool {
        f.severity >= self.min_severity
            && (self.kinds.is_empty() || self.kinds.contains(&f.kind))
            && (self.types.is_empty() || self.types.contains(&f.resource.tf_type))
            && (self.causes.is_empty() || self.causes.contains(&f.changed_by.as_ref().map(|c| c.cause)))
            && (self.accounts.is_empty()
                || f.resource.account.as_ref().is_some_and(|a| self.accounts.iter().any(|x| x == a)))
            && self.tags.iter().all(|(k, v)| f.resource.tags.get(k) == Some(v))
    }

    pub fn hears(&self, event: EventKind) -> bool {
        self.events.is_empty() || self.events.contains(&event)
    }
}

/// `"24h"`, `"90m"`, `"1d 12h"`, `"PT30S"`: jiff's friendly or ISO 8601 durations.
/// A problem with an endpoint setting that is not a secret (`api_url`, `events_url`):
/// it must be an http(s) URL with a host.
pub fn url_problem(key: &str, value: &str) -> Option<String> {
    http_url(value).err().map(|why| format!("{key} {value:?} is {why}"))
}

/// An http(s) URL with a host, or why not, without echoing the value (it may be a
/// secret): `not a valid URL (…)`, `not an http(s) URL (scheme "ftp")`.
pub fn http_url(value: &str) -> Result<(), String> {
    match reqwest::Url::parse(value) {
        Ok(u) if (u.scheme() == "https" || u.scheme() == "http") && u.host_str().is_some_and(|h| !h.is_empty()) => {
            Ok(())
        }
        Ok(u) => Err(format!("not an http(s) URL (scheme {:?})", u.scheme())),
        Err(e) => Err(format!("not a valid URL ({e})")),
    }
}

pub fn parse_duration(s: &str) -> Result<Duration, String> {
    // Days as 24 hours (retention periods): jiff's durations stop at hours.
    if let Some(days) = s.trim().strip_suffix('d').and_then(|n| n.trim().parse::<u64>().ok()) {
        return days.checked_mul(86_400).map(Duration::from_secs).ok_or_else(|| format!("{s:?} is too long"));
    }
    let d: jiff::SignedDuration =
        s.parse().map_err(|_| format!("{s:?} is not a duration like \"90s\", \"15m\", \"24h\" or \"90d\""))?;
    Duration::try_from(d).map_err(|_| format!("{s:?} is negative"))
}

/// Parses every `[[notify]]` table; problems come back as `(table index, message)`.
pub fn parse(tables: &[toml::Table]) -> Result<Vec<NotifySpec>, Vec<(usize, String)>> {
    let mut problems = Vec::new();
    let mut specs = Vec::new();
    for (i, table) in tables.iter().enumerate() {
        let mut table = table.clone();
        let kind = match table.remove("kind") {
            Some(toml::Value::String(k)) => k,
            Some(_) => {
                problems.push((i, "kind must be a string".into()));
                continue;
            }
            None => {
                problems.push((i, format!("kind is required: one of {}", KINDS.join(", "))));
                continue;
            }
        };
        let (route_table, rest): (toml::Table, toml::Table) =
            table.into_iter().partition(|(k, _)| route_keys().contains(&k.as_str()));
        let route_cfg = match RouteConfig::deserialize(route_table) {
            Ok(r) => r,
            Err(e) => {
                problems.push((i, e.message().to_string()));
                continue;
            }
        };
        let config = match parse_kind(&kind, rest) {
            Ok(c) => c,
            Err(e) => {
                problems.push((i, format!("{kind}: {e}")));
                continue;
            }
        };
        let mut mine = config.validate();
        let route = route_of(&route_cfg, &mut mine);
        if route.digest && !config.capabilities().digest {
            mine.push(format!("digest: {kind} tracks each finding on its own and has no digest mode"));
        }
        problems.extend(mine.into_iter().map(|m| (i, format!("{kind}: {m}"))));
        specs.push((route_cfg.name.clone(), kind, route, config));
    }
    // Default names: the kind, numbered when kinds repeat.
    let mut out = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for (i, (name, kind, route, config)) in specs.into_iter().enumerate() {
        let name = name.unwrap_or_else(|| {
            let same = tables.iter().filter(|t| t.get("kind").and_then(|k| k.as_str()) == Some(&kind)).count();
            if same > 1 {
                let n = tables[..=i.min(tables.len() - 1)]
                    .iter()
                    .filter(|t| t.get("kind").and_then(|k| k.as_str()) == Some(&kind))
                    .count();
                format!("{kind}-{n}")
            } else {
                kind.clone()
            }
        });
        if !names.insert(name.clone()) {
            problems.push((i, format!("name {name:?} is used by another notifier")));
        }
        out.push(NotifySpec { name, kind, route, config });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

fn route_of(c: &RouteConfig, problems: &mut Vec<String>) -> Route {
    let min_severity = Severity::parse(&c.min_severity).unwrap_or_else(|| {
        problems.push(format!("min_severity {:?} is not one of critical, high, medium, low", c.min_severity));
        Severity::Low
    });
    let kinds = c
        .kinds
        .iter()
        .filter_map(|k| {
            let kind = [FindingKind::Changed, FindingKind::Missing, FindingKind::Unmanaged, FindingKind::Violation]
                .into_iter()
                .find(|x| x.as_str() == k);
            if kind.is_none() {
                problems.push(format!("kinds: {k:?} is not one of changed, missing, unmanaged, violation"));
            }
            kind
        })
        .collect();
    let events = c
        .events
        .iter()
        .filter_map(|e| {
            let ev = EventKind::parse(e);
            if ev.is_none() {
                let all: Vec<&str> = EventKind::ALL.iter().map(|e| e.as_str()).collect();
                problems.push(format!("events: {e:?} is not one of {}", all.join(", ")));
            }
            ev
        })
        .collect();
    let causes = c
        .causes
        .iter()
        .filter_map(|name| match (name.as_str(), driftd_core::model::Cause::parse(name)) {
            ("unknown", _) => Some(None),
            (_, Some(cause)) => Some(Some(cause)),
            _ => {
                problems
                    .push(format!("causes: {name:?} is not one of manual, automation, terraform, service, unknown"));
                None
            }
        })
        .collect();
    let remind_after = c.remind_after.as_deref().and_then(|s| match parse_duration(s) {
        Ok(d) if d.is_zero() => {
            problems.push("remind_after must be longer than 0".into());
            None
        }
        Ok(d) => Some(d),
        Err(e) => {
            problems.push(format!("remind_after: {e}"));
            None
        }
    });
    if c.max_messages_per_scan < 2 {
        problems.push("max_messages_per_scan must be at least 2 (one message, one summary)".into());
    }
    Route {
        min_severity,
        kinds,
        events,
        types: c.types.clone(),
        causes,
        accounts: c.accounts.clone(),
        tags: c.tags.clone(),
        digest: c.digest,
        max_messages_per_scan: c.max_messages_per_scan,
        remind_after,
        report_url: c.report_url.clone(),
    }
}

/// Reads `KEY`, `KEY_env`, `KEY_file` out of a config struct's three fields.
pub fn secret_ref(inline: &Option<String>, env: &Option<String>, file: &Option<std::path::PathBuf>) -> SecretRef {
    SecretRef { inline: inline.clone(), env: env.clone(), file: file.clone() }
}

/// A built notifier with its name and route.
pub struct Built {
    pub name: String,
    pub route: Route,
    pub capabilities: Capabilities,
    pub sender: Box<dyn Notifier>,
}

/// Builds every notifier: reads their secrets. Errors name the notifier and the variable
/// or file, never a value.
/// Builds every notifier; every problem (a secret that cannot be read) comes back.
pub fn build_all(specs: &[NotifySpec], timeout: Duration) -> Result<Vec<Built>, Vec<String>> {
    let cx = BuildCx { client: http::client(timeout) };
    let mut built = Vec::new();
    let mut problems = Vec::new();
    for s in specs {
        match s.config.build(&cx) {
            Ok(sender) => built.push(Built {
                name: s.name.clone(),
                route: s.route.clone(),
                capabilities: s.config.capabilities(),
                sender,
            }),
            Err(e) => problems.push(format!("notify {:?} ({}): {e}", s.name, s.kind)),
        }
    }
    match problems.is_empty() {
        true => Ok(built),
        false => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(text: &str) -> Vec<toml::Table> {
        let t: toml::Table = text.parse().unwrap();
        t["notify"].as_array().unwrap().iter().map(|v| v.as_table().unwrap().clone()).collect()
    }

    #[test]
    fn every_kind_parses_with_its_minimal_config() {
        let specs = parse(&tables(
            r#"
[[notify]]
kind = "webhook"
url = "http://127.0.0.1:9/hook"
[[notify]]
kind = "slack"
url_env = "SLACK_URL"
[[notify]]
kind = "slack"
token_env = "SLACK_TOKEN"
channel = "C123"
[[notify]]
kind = "teams"
url_env = "TEAMS_URL"
[[notify]]
kind = "pagerduty"
routing_key_env = "PD_KEY"
[[notify]]
kind = "github"
repo = "acme/infra"
token_env = "GH_TOKEN"
"#,
        ))
        .unwrap();
        let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["webhook", "slack-1", "slack-2", "teams", "pagerduty", "github"]);
        for kind in KINDS {
            assert!(specs.iter().any(|s| s.kind == *kind), "{kind} has no test config");
        }
    }

    #[test]
    fn problems_name_the_table_and_key() {
        let err = parse(&tables(
            r#"
[[notify]]
kind = "webhook"
url = "http://x"
min_severity = "urgent"
remind_after = "soon"
[[notify]]
kind = "slack"
webhook = "typo"
[[notify]]
kind = "pagerduty"
routing_key_env = "K"
digest = true
"#,
        ))
        .unwrap_err();
        let text = format!("{err:?}");
        assert!(text.contains("urgent") && text.contains("soon"), "{text}");
        assert!(err.iter().any(|(i, m)| *i == 1 && m.contains("webhook")), "{text}");
        assert!(err.iter().any(|(i, m)| *i == 2 && m.contains("digest")), "{text}");
    }

    /// `causes` picks findings by why their change was made; `unknown` picks those nobody
    /// is named for; a cause that does not exist is a problem naming it.
    #[test]
    fn routes_filter_on_the_cause_of_a_change() {
        let specs = parse(&tables(
            "[[notify]]\nkind = \"webhook\"\nurl = \"http://127.0.0.1:9/hook\"\ncauses = [\"manual\", \"unknown\"]\n",
        ))
        .unwrap();
        let route = &specs[0].route;
        let finding = |cause: Option<&str>| -> Finding {
            let mut f = serde_json::json!({
                "id": "changed-1", "kind": "changed", "severity": "high",
                "resource": {"type": "aws_instance", "id": "i-1", "address": null, "provider": "aws", "account": null,
                             "region": null, "name": null, "root_module": null},
                "changes": null, "policy": null, "declared_at": null, "cost": null, "message": "m",
                "remediation": {"summary": "s", "commands": [], "patch": null},
            });
            if let Some(cause) = cause {
                f["changed_by"] = serde_json::json!({
                    "principal": "p", "principal_type": "IAMUser", "display_name": null, "source_ip": null,
                    "user_agent": null, "event_time": "t", "event_id": "e", "event_name": "RunInstances",
                    "invoked_by": null, "cause": cause,
                });
            }
            serde_json::from_value(f).unwrap()
        };
        assert!(route.matches(&finding(Some("manual"))));
        assert!(route.matches(&finding(None)));
        assert!(!route.matches(&finding(Some("service"))));
        assert!(!route.matches(&finding(Some("terraform"))));
        let err =
            parse(&tables("[[notify]]\nkind = \"webhook\"\nurl = \"http://x\"\ncauses = [\"hand\"]\n")).unwrap_err();
        assert!(err.iter().any(|(_, m)| m.contains("causes: \"hand\" is not one of")), "{err:?}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("24h").unwrap(), Duration::from_secs(86400));
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert!(parse_duration("soon").is_err());
    }
}
