//! `driftd.toml`. Unknown keys are errors (a typo must not silently turn a check off);
//! every problem names the file, line and column.

use driftd_core::cost::PriceTable;
use driftd_core::model::Cloud;
use driftd_core::Error;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod document;
pub mod values;
use document::Document;
use values::Duration;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub check: CheckConfig,
    /// Hourly on-demand prices that override or extend the built-in table.
    #[serde(default)]
    pub prices: Prices,
    /// `[cost_allocation]`: the tags costs are rolled up by, team first.
    #[serde(default)]
    pub cost_allocation: CostAllocationConfig,
    #[serde(default)]
    pub policy: PolicyConfig,
    #[serde(default)]
    pub aws: AwsConfig,
    #[serde(default)]
    pub azure: AzureConfig,
    /// `[store]`: the finding history and the outbox.
    #[serde(default)]
    pub store: StoreConfig,
    #[serde(default)]
    pub alerts: AlertsConfig,
    #[serde(default)]
    pub outbox: OutboxConfig,
    /// `[[notify]]` tables, as written; parsed into [`Config::notifiers`] by `validate`.
    #[serde(default)]
    notify: Vec<toml::Spanned<toml::Table>>,
    #[serde(skip)]
    pub notifiers: Vec<crate::notify::NotifySpec>,
    /// `[daemon]`: `driftd run`.
    #[serde(default)]
    pub daemon: DaemonConfig,
    /// `[[target]]`: what `driftd run` scans, each on its own schedule.
    #[serde(default)]
    pub target: Vec<toml::Spanned<TargetConfig>>,
}

/// `[daemon]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DaemonConfig {
    /// HTTP listener: health, metrics and the API. Loopback unless you say otherwise.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Scans running at once, over all targets.
    #[serde(default = "default_concurrency")]
    pub max_concurrent_scans: usize,
    /// Bearer token for `/api/*` (`/healthz`, `/readyz`, `/metrics` stay open).
    pub api_token_env: Option<String>,
    pub api_token_file: Option<PathBuf>,
    /// First retry after a failed scan; doubles up to the target's interval.
    #[serde(default = "default_retry")]
    pub retry_after_failure: Duration,
    /// SIGTERM: how long a scan in flight may take to finish before the process exits.
    #[serde(default = "default_shutdown")]
    pub shutdown_timeout: Duration,
    /// HTTP: a connection that sends nothing for this long (a half-sent request, an idle
    /// keep-alive) is closed; so is one that takes nothing of an answer for as long.
    #[serde(default = "default_http_timeout")]
    pub http_timeout: Duration,
    /// The dashboard links a finding's `declared_at` to `{repository_url}/{file}#L{line}`
    /// (`https://github.com/acme/infra/blob/main`).
    pub repository_url: Option<String>,
}

fn default_listen() -> String {
    "127.0.0.1:9464".into()
}
fn default_concurrency() -> usize {
    2
}
fn default_retry() -> Duration {
    Duration::secs(30)
}
fn default_shutdown() -> Duration {
    Duration::secs(20)
}
fn default_http_timeout() -> Duration {
    Duration::secs(30)
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            listen: default_listen(),
            max_concurrent_scans: default_concurrency(),
            api_token_env: None,
            api_token_file: None,
            retry_after_failure: default_retry(),
            shutdown_timeout: default_shutdown(),
            http_timeout: default_http_timeout(),
            repository_url: None,
        }
    }
}

/// `[[target]]`: one thing the daemon scans (an account's regions against its states,
/// a subscription, a snapshot file), with the same keys as `[check]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetConfig {
    /// Unique; it is the scope of the target's findings in the store, so keep it stable.
    pub name: String,
    /// Time between scans (`"15m"`).
    pub interval: Duration,
    /// Each wait is lengthened by a random part of this, so that targets drift apart.
    #[serde(default)]
    pub jitter: Option<Duration>,
    #[serde(default)]
    pub state: Vec<String>,
    #[serde(default)]
    pub tf: Vec<PathBuf>,
    #[serde(default)]
    pub provider: Vec<String>,
    #[serde(default)]
    pub region: Vec<String>,
    #[serde(default)]
    pub subscription: Vec<String>,
    pub azure_endpoint: Option<String>,
    pub driftignore: Option<PathBuf>,
    #[serde(default)]
    pub policies: Vec<PathBuf>,
    #[serde(default)]
    pub no_builtin_policies: bool,
}

impl TargetConfig {
    pub fn interval(&self) -> std::time::Duration {
        self.interval.get()
    }

    pub fn jitter(&self) -> std::time::Duration {
        self.jitter.unwrap_or_default().get()
    }
}

impl DaemonConfig {
    /// The API's bearer token, when configured. Errors name the variable or file.
    pub fn api_token(&self) -> Result<Option<crate::secret::Secret>, String> {
        let r = crate::secret::SecretRef {
            inline: None,
            env: self.api_token_env.clone(),
            file: self.api_token_file.clone(),
        };
        r.resolve("daemon.api_token")
    }

    pub fn retry_after_failure(&self) -> std::time::Duration {
        self.retry_after_failure.get()
    }

    pub fn shutdown_timeout(&self) -> std::time::Duration {
        self.shutdown_timeout.get()
    }

    pub fn http_timeout(&self) -> std::time::Duration {
        self.http_timeout.get()
    }
}

/// `[store]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// SQLite file (the default store, `driftd.db`); created with its directories on
    /// first use. One replica.
    pub path: Option<PathBuf>,
    /// PostgreSQL, shared by many replicas: `postgres://USER:PASSWORD@HOST:PORT/DB?sslmode=verify-full`.
    /// It holds a password: prefer `url_env` or `url_file`.
    pub url: Option<String>,
    pub url_env: Option<String>,
    pub url_file: Option<PathBuf>,
    /// With a shared store: how long a replica's claim on a target or a notifier's queue
    /// lasts unless renewed; a replica that dies hands its work over after this.
    #[serde(default = "default_lease_time")]
    pub lease_time: Duration,
    /// Names what a check covers, so that its findings resolve only against checks of
    /// the same scope. Default: what was compared (see `alerts::scope_of`).
    pub scope: Option<String>,
    /// How long scan rows are kept (the latest scan of each scope always is).
    #[serde(default = "default_keep_scans")]
    pub keep_scans: Duration,
    /// How long a resolved finding's history is kept after it resolved.
    #[serde(default = "default_keep_resolved")]
    pub keep_resolved: Duration,
    /// How long delivered (sent or skipped) outbox messages are kept; dead letters stay
    /// until retried.
    #[serde(default = "default_keep_delivered")]
    pub keep_delivered: Duration,
}

fn default_lease_time() -> Duration {
    Duration::secs(60)
}
fn default_keep_scans() -> Duration {
    Duration::days(90)
}
fn default_keep_resolved() -> Duration {
    Duration::days(90)
}
fn default_keep_delivered() -> Duration {
    Duration::days(30)
}

impl StoreConfig {
    fn url(&self) -> crate::secret::SecretRef {
        crate::secret::SecretRef { inline: self.url.clone(), env: self.url_env.clone(), file: self.url_file.clone() }
    }

    /// Where the store is; reads the URL's secret. Errors name the variable or file.
    pub fn location(&self) -> Result<crate::store::Location, String> {
        match self.url().resolve("store.url")? {
            Some(url) => Ok(crate::store::Location::Postgres(url)),
            None => Ok(crate::store::Location::Sqlite(self.path.clone().unwrap_or_else(default_store_path))),
        }
    }

    pub fn lease_time(&self) -> std::time::Duration {
        self.lease_time.get()
    }

    pub fn retention(&self) -> crate::store::Retention {
        crate::store::Retention {
            scans: self.keep_scans.get(),
            resolved: self.keep_resolved.get(),
            delivered: self.keep_delivered.get(),
        }
    }
}

fn default_store_path() -> PathBuf {
    PathBuf::from("driftd.db")
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            path: None,
            url: None,
            url_env: None,
            url_file: None,
            lease_time: default_lease_time(),
            scope: None,
            keep_scans: default_keep_scans(),
            keep_resolved: default_keep_resolved(),
            keep_delivered: default_keep_delivered(),
        }
    }
}

/// `[alerts]`: what counts as a change worth a message.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsConfig {
    /// A finding whose cost moved by more than this share (0.1 = 10%) since it was last
    /// notified is `changed`.
    #[serde(default = "default_cost_share")]
    pub cost_change_share: f64,
}

fn default_cost_share() -> f64 {
    0.1
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig { cost_change_share: default_cost_share() }
    }
}

/// `[outbox]`: delivery and retries.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxConfig {
    /// Tries before a message is dead-lettered.
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    #[serde(default = "default_initial_backoff")]
    pub initial_backoff: Duration,
    #[serde(default = "default_max_backoff")]
    pub max_backoff: Duration,
    /// Time limit of one HTTP request to a receiver.
    #[serde(default = "default_request_timeout")]
    pub request_timeout: Duration,
    /// `check --notify`: how long to keep delivering (and waiting for retries) before
    /// leaving the rest queued for the next run.
    #[serde(default = "default_deliver_for")]
    pub deliver_for: Duration,
}

fn default_attempts() -> u32 {
    10
}
fn default_initial_backoff() -> Duration {
    Duration::secs(2)
}
fn default_max_backoff() -> Duration {
    Duration::secs(600)
}
fn default_request_timeout() -> Duration {
    Duration::secs(10)
}
fn default_deliver_for() -> Duration {
    // A CI job waits for it: long enough for a few retries, short of a stalled pipeline.
    Duration::secs(20)
}

impl Default for OutboxConfig {
    fn default() -> Self {
        OutboxConfig {
            max_attempts: default_attempts(),
            initial_backoff: default_initial_backoff(),
            max_backoff: default_max_backoff(),
            request_timeout: default_request_timeout(),
            deliver_for: default_deliver_for(),
        }
    }
}

impl OutboxConfig {
    pub fn retry_policy(&self) -> crate::notify::outbox::RetryPolicy {
        crate::notify::outbox::RetryPolicy {
            max_attempts: self.max_attempts,
            initial_backoff: self.initial_backoff.get(),
            max_backoff: self.max_backoff.get(),
        }
    }

    pub fn request_timeout(&self) -> std::time::Duration {
        self.request_timeout.get()
    }

    pub fn deliver_for(&self) -> std::time::Duration {
        self.deliver_for.get()
    }
}

/// `[azure]`: what the Azure provider reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AzureConfig {
    /// Terraform types not to read (no permission, or not wanted); they are not covered.
    #[serde(default)]
    pub skip_types: Vec<String>,
    /// Subscriptions to scan when the command line names none; none: every subscription
    /// the identity can read.
    #[serde(default)]
    pub subscriptions: Vec<String>,
    /// `[azure.events]`: changes as they happen, from a Storage queue an Event Grid
    /// subscription fills (`driftd run` only).
    pub events: Option<EventQueues>,
    /// `driftd run`: look up who made each new finding's change in the Activity Log when
    /// no event said.
    #[serde(default = "yes")]
    pub lookup_events: bool,
    /// At most this many new findings are looked up per scan.
    #[serde(default = "default_lookup_events_max")]
    pub lookup_events_max: usize,
}

impl Default for AzureConfig {
    fn default() -> Self {
        AzureConfig {
            skip_types: Vec::new(),
            subscriptions: Vec::new(),
            events: None,
            lookup_events: true,
            lookup_events_max: default_lookup_events_max(),
        }
    }
}

/// `[aws]`: what the AWS provider reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsConfig {
    /// Terraform types not to read (no permission, or not wanted); they are not covered.
    #[serde(default)]
    pub skip_types: Vec<String>,
    /// More accounts, through sts:AssumeRole (`[[aws.accounts]]`); none: the credentials' own.
    #[serde(default)]
    pub accounts: Vec<AwsAccount>,
    /// `[aws.events]`: changes as they happen, from an SQS queue (`driftd run` only).
    pub events: Option<EventQueues>,
    /// `driftd run`: look up who made each new finding's change in CloudTrail
    /// (`LookupEvents`) when no event said.
    #[serde(default = "yes")]
    pub lookup_events: bool,
    /// At most this many new findings are looked up per scan (LookupEvents answers two
    /// requests a second).
    #[serde(default = "default_lookup_events_max")]
    pub lookup_events_max: usize,
}

fn yes() -> bool {
    true
}
fn default_lookup_events_max() -> usize {
    20
}

/// `[aws.events]` and `[azure.events]`: the queue(s) a cloud's change events arrive in: on
/// AWS an SQS queue an EventBridge rule fills with CloudTrail API calls and EC2 state
/// changes (`deploy/aws/events.tf`), on Azure a Storage queue an Event Grid subscription
/// fills with the subscription's resource events (`deploy/azure/events.tf`). Every
/// `[[target]]` that scans the cloud takes the events of its accounts, regions or
/// subscriptions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventQueues {
    /// One queue URL, or a list of them.
    pub queue_url: QueueUrls,
    /// How long events are gathered after the first before what they touched is read
    /// again, in one batch per target.
    #[serde(default = "default_coalesce")]
    pub coalesce: Duration,
    /// How long a received message stays hidden from other readers while it is handled;
    /// one that is not deleted by then (the daemon died) is delivered again.
    #[serde(default = "default_visibility_timeout")]
    pub visibility_timeout: Duration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum QueueUrls {
    One(String),
    Many(Vec<String>),
}

impl EventQueues {
    pub fn queue_urls(&self) -> Vec<String> {
        match &self.queue_url {
            QueueUrls::One(u) => vec![u.clone()],
            QueueUrls::Many(us) => us.clone(),
        }
    }
}

fn default_coalesce() -> Duration {
    Duration::secs(1)
}
fn default_visibility_timeout() -> Duration {
    Duration::secs(300)
}

impl AwsConfig {
    /// The accounts to read, as the AWS provider takes them.
    pub fn assume_roles(&self) -> Vec<driftd_providers::aws::AssumeRole> {
        self.accounts
            .iter()
            .map(|a| driftd_providers::aws::AssumeRole {
                role_arn: a.role_arn.clone(),
                external_id: a.external_id.clone(),
                session_name: a.session_name.clone(),
            })
            .collect()
    }
}

impl Default for AwsConfig {
    fn default() -> Self {
        AwsConfig {
            skip_types: Vec::new(),
            accounts: Vec::new(),
            events: None,
            lookup_events: true,
            lookup_events_max: default_lookup_events_max(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsAccount {
    /// The role to assume; none: the credentials' own account.
    pub role_arn: Option<String>,
    pub external_id: Option<String>,
    pub session_name: Option<String>,
}

/// `[policy]`: evaluation limits, and `[policy.config]`, which policies read as
/// `data.driftd.config` (free-form: each policy documents its keys).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// Time limit of one evaluation (one policy on one resource), in milliseconds.
    #[serde(default = "default_time_limit_ms")]
    pub time_limit_ms: u64,
    #[serde(default = "empty_object")]
    pub config: serde_json::Value,
}

fn default_time_limit_ms() -> u64 {
    1000
}

fn empty_object() -> serde_json::Value {
    serde_json::json!({})
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig { time_limit_ms: default_time_limit_ms(), config: empty_object() }
    }
}

/// Defaults for `driftd check`; flags override them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckConfig {
    #[serde(default)]
    pub state: Vec<String>,
    #[serde(default)]
    pub tf: Vec<PathBuf>,
    #[serde(default)]
    pub provider: Vec<String>,
    #[serde(default)]
    pub region: Vec<String>,
    #[serde(default)]
    pub subscription: Vec<String>,
    pub azure_endpoint: Option<String>,
    pub driftignore: Option<PathBuf>,
    pub format: Option<values::Format>,
    pub output: Option<PathBuf>,
    pub fail_on: Option<values::FailOn>,
    #[serde(default)]
    pub policies: Vec<PathBuf>,
    #[serde(default)]
    pub no_builtin_policies: bool,
}

/// `[cost_allocation]`: `tags` (default `["team"]`; the first is the team reports roll
/// costs up by) and `aliases`, the other keys the fleet spells each tag with.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostAllocationConfig {
    #[serde(default = "default_allocation_tags")]
    pub tags: Vec<String>,
    #[serde(default)]
    pub aliases: BTreeMap<String, Vec<String>>,
}

impl Default for CostAllocationConfig {
    fn default() -> Self {
        CostAllocationConfig { tags: default_allocation_tags(), aliases: BTreeMap::new() }
    }
}

fn default_allocation_tags() -> Vec<String> {
    vec!["team".into()]
}

/// `[prices]`: where prices come from and how old they may be; `[prices.aws]` and
/// `[prices.azure]` set sizes' prices (the user's own, in every region).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prices {
    #[serde(default)]
    pub aws: BTreeMap<String, f64>,
    #[serde(default)]
    pub azure: BTreeMap<String, f64>,
    /// Ask the clouds' price APIs for the regions and sizes a scan found (default true);
    /// false: the bundled table only, nothing leaves the machine for prices.
    #[serde(default = "yes")]
    pub fetch: bool,
    /// A price older than this is flagged in reports (default 30d).
    #[serde(default = "default_max_age")]
    pub max_age: Duration,
    /// The daemon asks the APIs again for a price cached longer than this (default 24h).
    #[serde(default = "default_refresh")]
    pub refresh: Duration,
    /// The Azure Retail Prices API (default `https://prices.azure.com/api/retail/prices`).
    #[serde(default)]
    pub azure_retail_url: Option<String>,
}

impl Default for Prices {
    fn default() -> Self {
        Prices {
            aws: BTreeMap::new(),
            azure: BTreeMap::new(),
            fetch: true,
            max_age: default_max_age(),
            refresh: default_refresh(),
            azure_retail_url: None,
        }
    }
}

fn default_max_age() -> Duration {
    Duration::days(driftd_core::cost::DEFAULT_MAX_AGE_DAYS as u64)
}

fn default_refresh() -> Duration {
    Duration::secs(86_400)
}

/// One problem in a config file: the byte offset it is about, and what is wrong.
type Problem = (usize, String);

/// How many keys or sections `Config::parse` sets aside before it stops.
const MAX_PASSES: usize = 50;

/// Every problem at once: the first's `file:line:col`, then one line per problem.
fn problems_error(location: &str, text: &str, mut problems: Vec<Problem>) -> Error {
    problems.sort_by_key(|(at, _)| *at);
    let (line, col) = document::line_col(text, problems.first().map_or(0, |(at, _)| *at));
    let lines: Vec<String> =
        problems.iter().map(|(at, m)| format!("line {}: {m}", document::line_col(text, *at).0)).collect();
    Error::input_all(format!("{location}:{line}:{col}"), &lines)
}

/// Read when no `--config` is given and it exists, as `./.driftignore` is.
pub const DEFAULT_FILE: &str = "driftd.toml";

impl Config {
    /// `--config FILE`, else `./driftd.toml` when present, else the defaults.
    pub fn load(path: Option<&Path>) -> Result<Config, Error> {
        match path {
            Some(path) => Config::read(path),
            None if Path::new(DEFAULT_FILE).is_file() => Config::read(Path::new(DEFAULT_FILE)),
            None => Ok(Config::default()),
        }
    }

    pub fn read(path: &Path) -> Result<Config, Error> {
        let text = driftd_core::error::read_utf8(path, "TOML files are UTF-8")?;
        // Values a problem echoes are cut: a huge one does not flood the terminal.
        Config::parse(&path.display().to_string(), &text).map_err(Error::with_values_cut)
    }

    pub fn parse(location: &str, text: &str) -> Result<Config, Error> {
        let mut doc = Document::parse(text).map_err(|e| {
            let (line, col) = document::line_col(text, e.span().map_or(0, |s| s.start));
            Error::input(format!("{location}:{line}:{col}"), e.message().to_string())
        })?;
        let mut problems: Vec<Problem> = Vec::new();
        // Before anything is set aside: a target with a bad value still holds its name.
        let mut names = std::collections::BTreeSet::new();
        for (name, at) in doc.names_in("target") {
            if !names.insert(name.clone()) {
                problems.push((at, format!("target.name {name:?} is used twice")));
            }
        }
        // A key or section that does not deserialize is set aside and the rest read
        // again, so one run names every problem; each pass removes something. A required
        // key that is then missing says nothing new when it was set aside, or when its
        // table had an unknown key (most likely its misspelling).
        let mut set_aside: Vec<(String, String)> = Vec::new();
        let mut config = loop {
            // Each pass reads the whole file again: a file of thousands of mistakes is told
            // its first ones, in bounded time.
            if set_aside.len() >= MAX_PASSES {
                problems.push((text.len(), format!("stopped after {MAX_PASSES} problems; fix these first")));
                break None;
            }
            match Config::deserialize(toml::de::Deserializer::from(doc.root.clone())) {
                Ok(config) => break Some(config),
                Err(e) => {
                    let span = e.span().unwrap_or(0..0);
                    let message = e.message().trim_end();
                    let path = doc.path_at(span.start);
                    let missing = message.strip_prefix("missing field `").and_then(|m| m.split('`').next());
                    let explained = missing.is_some_and(|field| {
                        set_aside.iter().any(|(table, key)| *table == path && (key == field || key.is_empty()))
                    });
                    if !explained {
                        problems.push((
                            span.start,
                            if path.is_empty() { message.into() } else { format!("{path}: {message}") },
                        ));
                    }
                    match doc.set_aside(&span) {
                        // An unknown key is remembered by its table with no name: it may
                        // be the misspelling of any key found missing there.
                        Some((table, _)) if message.starts_with("unknown field") => {
                            set_aside.push((table, String::new()))
                        }
                        Some(table_and_key) => set_aside.push(table_and_key),
                        None => break None,
                    }
                }
            }
        };
        if let Some(config) = &mut config {
            config.validate(&doc, &mut problems);
            config.validate_targets(&doc, &mut problems);
            match crate::notify::parse(&config.notify.iter().map(|t| t.get_ref().clone()).collect::<Vec<_>>()) {
                Ok(notifiers) => config.notifiers = notifiers,
                Err(found) => problems.extend(
                    found
                        .into_iter()
                        .map(|(i, m)| (config.notify[i].span().start, format!("[[notify]] #{}: {m}", i + 1))),
                ),
            }
        }
        match (config, problems.is_empty()) {
            (Some(config), true) => Ok(config),
            (_, _) => Err(problems_error(location, text, problems)),
        }
    }

    /// Pure checks, all reported at once.
    fn validate(&self, doc: &Document, problems: &mut Vec<Problem>) {
        // Each problem at its key, else at its table, else at the top.
        let at = |path: &[&str]| doc.key_span(path).map_or(0, |s| s.start);
        for (cloud, table) in [("aws", &self.prices.aws), ("azure", &self.prices.azure)] {
            for (size, price) in table {
                if !price.is_finite() || *price < 0.0 {
                    problems.push((
                        at(&["prices", cloud, size]),
                        format!("prices.{cloud}.{size:?} must be a non-negative number of USD per hour"),
                    ));
                }
            }
        }
        if let Some(url) = &self.daemon.repository_url {
            if !(url.starts_with("https://") || url.starts_with("http://")) || url.contains('@') {
                problems.push((
                    at(&["daemon", "repository_url"]),
                    format!("daemon.repository_url {url:?} is not a web URL without credentials (https://github.com/ORG/REPO/blob/BRANCH)"),
                ));
            }
        }
        if let Some(url) = &self.prices.azure_retail_url {
            let plain = url.starts_with("https://") || url.starts_with("http://");
            if !plain || url.contains('?') || url.contains('@') {
                problems.push((
                    at(&["prices", "azure_retail_url"]),
                    format!(
                        "prices.azure_retail_url {url:?} is not the API's URL without a query ({})",
                        driftd_providers::azure::prices::PUBLIC_RETAIL_PRICES
                    ),
                ));
            }
        }
        let allocation = &self.cost_allocation;
        if allocation.tags.is_empty() || allocation.tags.iter().any(|t| t.trim().is_empty()) {
            problems.push((
                at(&["cost_allocation", "tags"]),
                "cost_allocation.tags: give one or more tag names, the team's first".into(),
            ));
        }
        for tag in allocation.aliases.keys().filter(|k| !allocation.tags.contains(k)) {
            problems.push((
                at(&["cost_allocation", "aliases", tag]),
                format!(
                    "cost_allocation.aliases.{tag:?} is not one of cost_allocation.tags ({})",
                    allocation.tags.join(", ")
                ),
            ));
        }
        if self.prices.max_age.get() < std::time::Duration::from_secs(86_400) {
            problems.push((at(&["prices", "max_age"]), "prices.max_age must be at least 1d".into()));
        }
        for arn in self.aws.accounts.iter().filter_map(|a| a.role_arn.as_ref()) {
            let parts: Vec<&str> = arn.split(':').collect();
            if parts.len() < 6 || parts[0] != "arn" || parts[2] != "iam" || !parts[5].starts_with("role/") {
                problems.push((
                    at(&["aws", "accounts"]),
                    format!("aws.accounts role_arn {arn:?} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)"),
                ));
            }
        }
        for (cloud, events, example) in [
            ("aws", &self.aws.events, "https://sqs.REGION.amazonaws.com/ACCOUNT/NAME"),
            ("azure", &self.azure.events, "https://ACCOUNT.queue.core.windows.net/NAME"),
        ] {
            let Some(events) = events else { continue };
            let at = at(&[cloud, "events"]);
            let urls = events.queue_urls();
            if urls.is_empty() {
                problems.push((at, format!("{cloud}.events.queue_url: give the queue's URL")));
            }
            for url in &urls {
                // Not echoed: a URL with a query may carry a SAS, which is a secret.
                if url.contains('?') || url.contains('@') {
                    problems.push((
                        at,
                        format!("{cloud}.events.queue_url must carry no credential or query (give a SAS as AZURE_STORAGE_SAS_TOKEN): {example}"),
                    ));
                } else if !(url.starts_with("https://") || url.starts_with("http://")) {
                    problems.push((at, format!("{cloud}.events.queue_url {url:?} is not a queue URL ({example})")));
                }
            }
            if events.coalesce.get() > std::time::Duration::from_secs(60) {
                problems.push((at, format!("{cloud}.events.coalesce must be at most 60s")));
            }
            if events.visibility_timeout.get() < std::time::Duration::from_secs(10) {
                problems.push((at, format!("{cloud}.events.visibility_timeout must be at least 10s")));
            }
        }
        if !self.policy.config.is_object() {
            problems.push((at(&["policy", "config"]), "policy.config must be a table".to_string()));
        }
        if self.outbox.max_attempts == 0 {
            problems.push((at(&["outbox", "max_attempts"]), "outbox.max_attempts must be at least 1".into()));
        }
        if !(self.alerts.cost_change_share.is_finite() && self.alerts.cost_change_share >= 0.0) {
            problems.push((
                at(&["alerts", "cost_change_share"]),
                "alerts.cost_change_share must be a non-negative share (0.1 = 10%)".into(),
            ));
        }
        if self.policy.time_limit_ms == 0 {
            problems.push((at(&["policy", "time_limit_ms"]), "policy.time_limit_ms must be at least 1".to_string()));
        }
        let mut store = Vec::new();
        self.store.url().validate("store.url", false, &mut store);
        if self.store.path.is_some() && self.store.url().is_set() {
            store.push("give store.path (SQLite, one replica) or store.url (PostgreSQL, shared), not both".into());
        }
        if let Some(url) = &self.store.url {
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                // The value is not echoed: it may hold a password.
                store.push("store.url must start with postgres:// or postgresql://".into());
            }
        }
        if self.store.lease_time.get() < std::time::Duration::from_secs(3) {
            store.push("store.lease_time must be at least 3s".into());
        }
        problems.extend(store.into_iter().map(|p| (at(&["store"]), p)));
    }

    /// `[daemon]` and `[[target]]`: every problem, each with its line.
    fn validate_targets(&self, doc: &Document, problems: &mut Vec<Problem>) {
        let daemon = |key: &str| doc.key_span(&["daemon", key]).map_or(0, |s| s.start);
        let in_target = |target: &toml::Spanned<TargetConfig>, key: &str| doc.key_in_table(target.span(), key).start;
        let d = &self.daemon;
        if d.listen.parse::<std::net::SocketAddr>().is_err() {
            problems.push((
                daemon("listen"),
                format!("daemon.listen {:?} is not an address like 127.0.0.1:9464", d.listen),
            ));
        }
        if d.max_concurrent_scans == 0 {
            problems.push((daemon("max_concurrent_scans"), "daemon.max_concurrent_scans must be at least 1".into()));
        }
        if d.api_token_env.is_some() && d.api_token_file.is_some() {
            problems.push((
                daemon("api_token_file"),
                "give daemon.api_token_env or daemon.api_token_file, not both".into(),
            ));
        }
        for spanned in &self.target {
            let line = spanned.span().start;
            let t = spanned.get_ref();
            if t.name.trim().is_empty() {
                problems.push((line, "target.name must not be empty".into()));
            }
            if t.interval.get() < std::time::Duration::from_secs(1) {
                problems.push((
                    in_target(spanned, "interval"),
                    format!("target {:?}: interval must be at least 1s", t.name),
                ));
            }
            if t.state.is_empty() && t.provider.is_empty() {
                problems.push((line, format!("target {:?}: give state and/or provider", t.name)));
            }
        }
    }

    pub fn cost_allocation(&self) -> driftd_core::allocation::CostAllocation {
        driftd_core::allocation::CostAllocation::new(&self.cost_allocation.tags, &self.cost_allocation.aliases)
    }

    pub fn price_apis(&self) -> crate::prices::PriceApis {
        let defaults = crate::prices::PriceApis::default();
        crate::prices::PriceApis {
            fetch: self.prices.fetch,
            refresh: self.prices.refresh.get(),
            // As `DRIFTD_AZURE_ENDPOINT` for ARM: where a sovereign or test setup points it.
            azure_retail_url: self
                .prices
                .azure_retail_url
                .clone()
                .or_else(|| std::env::var("DRIFTD_AZURE_PRICES_URL").ok().filter(|u| !u.is_empty()))
                .unwrap_or(defaults.azure_retail_url),
        }
    }

    pub fn price_table(&self) -> PriceTable {
        let mut table = PriceTable::builtin();
        table.set_max_age_days((self.prices.max_age.get().as_secs() / 86_400) as u32);
        for (size, price) in &self.prices.aws {
            table.set_from_config(Cloud::Aws, size, *price);
        }
        for (size, price) in &self.prices.azure {
            table.set_from_config(Cloud::Azure, size, *price);
        }
        table
    }
}

/// `driftd config check FILE`: every problem at once (exit 2), or a one-line summary.
pub fn check_command(args: crate::cli::ConfigCheckArgs) -> Result<u8, Error> {
    let config = Config::read(&args.file)?;
    let location = args.file.display().to_string();
    if args.secrets {
        // Every secret that cannot be read, not the first.
        let mut problems =
            crate::notify::build_all(&config.notifiers, config.outbox.request_timeout()).err().unwrap_or_default();
        problems.extend(config.daemon.api_token().err());
        if !problems.is_empty() {
            return Err(Error::input_all(&location, &problems));
        }
    }
    println!(
        "{location}: ok ({} targets, {} notifiers{})",
        config.target.len(),
        config.notifiers.len(),
        if args.secrets { ", secrets readable" } else { "" }
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_names_line_and_column() {
        let err = Config::parse("driftd.toml", "[check]\nfail_on = \"high\"\nfial_on = 1\n").unwrap_err();
        assert!(err.location.starts_with("driftd.toml:3:"), "{err}");
        assert!(err.message.contains("fial_on"), "{err}");
    }

    #[test]
    fn bad_values_are_all_reported() {
        let err = Config::parse(
            "c.toml",
            "[check]\nformat = \"yaml\"\nfail_on = \"sometimes\"\n[prices.aws]\n\"p5.48xlarge\" = -1\n",
        )
        .unwrap_err();
        assert!(
            err.message.contains("yaml") && err.message.contains("sometimes") && err.message.contains("p5.48xlarge"),
            "{err}"
        );
    }

    /// `[aws.events]`/`[azure.events]`: a queue URL that carries a query (a SAS) or a
    /// user is refused without echoing it; bounds on coalescing and visibility.
    #[test]
    fn event_queue_urls_carry_no_secret_and_are_never_echoed() {
        let err = Config::parse(
            "c.toml",
            "[azure.events]\nqueue_url = \"https://acct.queue.core.windows.net/q?sv=2021&sig=s3cr3tSig\"\n\
             [aws.events]\nqueue_url = \"sqs/queue\"\ncoalesce = \"2m\"\nvisibility_timeout = \"5s\"\n",
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("azure.events.queue_url must carry no credential or query"), "{text}");
        assert!(!text.contains("s3cr3tSig"), "the SAS is not echoed: {text}");
        assert!(text.contains("aws.events.queue_url \"sqs/queue\" is not a queue URL"), "{text}");
        assert!(text.contains("aws.events.coalesce must be at most 60s"), "{text}");
        assert!(text.contains("aws.events.visibility_timeout must be at least 10s"), "{text}");
        let ok = Config::parse(
            "c.toml",
            "[aws.events]\nqueue_url = [\"https://sqs.us-east-1.amazonaws.com/1/a\", \"https://sqs.eu-west-1.amazonaws.com/1/b\"]\n",
        )
        .unwrap();
        assert_eq!(ok.aws.events.unwrap().queue_urls().len(), 2);
    }

    /// `[store]`: SQLite or PostgreSQL, not both; a URL that is not PostgreSQL's is refused
    /// without echoing it (it may hold a password); leases of at least 3 s.
    #[test]
    fn store_is_sqlite_or_postgres_and_a_url_is_never_echoed() {
        let err = Config::parse(
            "c.toml",
            "[store]\npath = \"d.db\"\nurl = \"mysql://u:hunter22@db/x\"\nlease_time = \"1s\"\n",
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("not both"), "{text}");
        assert!(text.contains("must start with postgres://"), "{text}");
        assert!(text.contains("lease_time must be at least 3s"), "{text}");
        assert!(!text.contains("hunter22"), "the URL is not echoed: {text}");
        let c = Config::parse("c.toml", "[store]\nurl_env = \"DRIFTD_STORE_URL\"\n").unwrap();
        assert!(c.store.location().unwrap_err().contains("DRIFTD_STORE_URL"));
        let c = Config::parse("c.toml", "").unwrap();
        assert!(
            matches!(c.store.location(), Ok(crate::store::Location::Sqlite(p)) if p == std::path::Path::new("driftd.db"))
        );
    }

    #[test]
    fn prices_override_builtin() {
        let c = Config::parse("c.toml", "[prices.aws]\n\"p5en.48xlarge\" = 63.3\n").unwrap();
        assert_eq!(c.price_table().price(Cloud::Aws, "p5en.48xlarge"), Some(63.3));
    }
}
