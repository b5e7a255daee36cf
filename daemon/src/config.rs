//! `driftd.toml`. Unknown keys are errors (a typo must not silently turn a check off);
//! every problem names the file, line and column.

use driftd_core::cost::PriceTable;
use driftd_core::model::Cloud;
use driftd_core::Error;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub check: CheckConfig,
    /// Hourly on-demand prices that override or extend the built-in table.
    #[serde(default)]
    pub prices: Prices,
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
    pub retry_after_failure: String,
    /// SIGTERM: how long a scan in flight may take to finish before the process exits.
    #[serde(default = "default_shutdown")]
    pub shutdown_timeout: String,
    /// HTTP: a connection that sends nothing for this long (a half-sent request, an idle
    /// keep-alive) is closed; so is one that takes nothing of an answer for as long.
    #[serde(default = "default_http_timeout")]
    pub http_timeout: String,
}

fn default_listen() -> String {
    "127.0.0.1:9464".into()
}
fn default_concurrency() -> usize {
    2
}
fn default_retry() -> String {
    "30s".into()
}
fn default_shutdown() -> String {
    "20s".into()
}
fn default_http_timeout() -> String {
    "30s".into()
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
    pub interval: String,
    /// Each wait is lengthened by a random part of this, so that targets drift apart.
    #[serde(default)]
    pub jitter: Option<String>,
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
        crate::notify::parse_duration(&self.interval).unwrap_or(std::time::Duration::from_secs(900))
    }

    pub fn jitter(&self) -> std::time::Duration {
        self.jitter.as_deref().and_then(|j| crate::notify::parse_duration(j).ok()).unwrap_or_default()
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
        crate::notify::parse_duration(&self.retry_after_failure).unwrap_or(std::time::Duration::from_secs(30))
    }

    pub fn shutdown_timeout(&self) -> std::time::Duration {
        crate::notify::parse_duration(&self.shutdown_timeout).unwrap_or(std::time::Duration::from_secs(20))
    }

    pub fn http_timeout(&self) -> std::time::Duration {
        crate::notify::parse_duration(&self.http_timeout).unwrap_or(std::time::Duration::from_secs(30))
    }
}

/// `[store]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// SQLite file; created with its directories on first use.
    #[serde(default = "default_store_path")]
    pub path: PathBuf,
    /// Names what a check covers, so that its findings resolve only against checks of
    /// the same scope. Default: what was compared (see `alerts::scope_of`).
    pub scope: Option<String>,
    /// How long scan rows are kept (the latest scan of each scope always is).
    #[serde(default = "default_keep_scans")]
    pub keep_scans: String,
    /// How long a resolved finding's history is kept after it resolved.
    #[serde(default = "default_keep_resolved")]
    pub keep_resolved: String,
    /// How long delivered (sent or skipped) outbox messages are kept; dead letters stay
    /// until retried.
    #[serde(default = "default_keep_delivered")]
    pub keep_delivered: String,
}

fn default_keep_scans() -> String {
    "90d".into()
}
fn default_keep_resolved() -> String {
    "90d".into()
}
fn default_keep_delivered() -> String {
    "30d".into()
}

impl StoreConfig {
    /// The retention periods, checked by `Config::validate`.
    pub fn retention(&self) -> Result<crate::store::Retention, String> {
        let d = |key: &str, v: &str| crate::notify::parse_duration(v).map_err(|e| format!("store.{key}: {e}"));
        Ok(crate::store::Retention {
            scans: d("keep_scans", &self.keep_scans)?,
            resolved: d("keep_resolved", &self.keep_resolved)?,
            delivered: d("keep_delivered", &self.keep_delivered)?,
        })
    }
}

fn default_store_path() -> PathBuf {
    PathBuf::from("driftd.db")
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            path: default_store_path(),
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
    pub initial_backoff: String,
    #[serde(default = "default_max_backoff")]
    pub max_backoff: String,
    /// Time limit of one HTTP request to a receiver.
    #[serde(default = "default_request_timeout")]
    pub request_timeout: String,
    /// `check --notify`: how long to keep delivering (and waiting for retries) before
    /// leaving the rest queued for the next run.
    #[serde(default = "default_deliver_for")]
    pub deliver_for: String,
}

fn default_attempts() -> u32 {
    10
}
fn default_initial_backoff() -> String {
    "2s".into()
}
fn default_max_backoff() -> String {
    "10m".into()
}
fn default_request_timeout() -> String {
    "10s".into()
}
fn default_deliver_for() -> String {
    // A CI job waits for it: long enough for a few retries, short of a stalled pipeline.
    "20s".into()
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
    fn durations(&self) -> Result<[std::time::Duration; 4], String> {
        let d = |key: &str, v: &str| crate::notify::parse_duration(v).map_err(|e| format!("outbox.{key}: {e}"));
        Ok([
            d("initial_backoff", &self.initial_backoff)?,
            d("max_backoff", &self.max_backoff)?,
            d("request_timeout", &self.request_timeout)?,
            d("deliver_for", &self.deliver_for)?,
        ])
    }

    pub fn retry_policy(&self) -> crate::notify::outbox::RetryPolicy {
        let [initial, max, _, _] = self.durations().unwrap_or_default();
        crate::notify::outbox::RetryPolicy {
            max_attempts: self.max_attempts,
            initial_backoff: initial,
            max_backoff: max,
        }
    }

    pub fn request_timeout(&self) -> std::time::Duration {
        self.durations().map(|d| d[2]).unwrap_or(std::time::Duration::from_secs(10))
    }

    pub fn deliver_for(&self) -> std::time::Duration {
        self.durations().map(|d| d[3]).unwrap_or(std::time::Duration::from_secs(20))
    }
}

/// `[azure]`: what the Azure provider reads.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AzureConfig {
    /// Terraform types not to read (no permission, or not wanted); they are not covered.
    #[serde(default)]
    pub skip_types: Vec<String>,
    /// Subscriptions to scan when the command line names none; none: every subscription
    /// the identity can read.
    #[serde(default)]
    pub subscriptions: Vec<String>,
}

/// `[aws]`: what the AWS provider reads.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsConfig {
    /// Terraform types not to read (no permission, or not wanted); they are not covered.
    #[serde(default)]
    pub skip_types: Vec<String>,
    /// More accounts, through sts:AssumeRole (`[[aws.accounts]]`); none: the credentials' own.
    #[serde(default)]
    pub accounts: Vec<AwsAccount>,
}

#[derive(Debug, Default, Deserialize)]
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
    pub format: Option<String>,
    pub output: Option<PathBuf>,
    pub fail_on: Option<String>,
    #[serde(default)]
    pub policies: Vec<PathBuf>,
    #[serde(default)]
    pub no_builtin_policies: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prices {
    #[serde(default)]
    pub aws: BTreeMap<String, f64>,
    #[serde(default)]
    pub azure: BTreeMap<String, f64>,
}

/// The 1-based line of a byte offset.
fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
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
        let mut config: Config = toml::from_str(text).map_err(|e| {
            let at = match e.span() {
                Some(span) => {
                    let before = &text[..span.start.min(text.len())];
                    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                    format!("{location}:{}:{col}", line_at(text, span.start))
                }
                None => location.to_string(),
            };
            Error::input(at, e.message().to_string())
        })?;
        config.validate(location)?;
        config.validate_targets(location, text)?;
        config.notifiers = crate::notify::parse(&config.notify.iter().map(|t| t.get_ref().clone()).collect::<Vec<_>>())
            .map_err(|problems| {
                let line_of = |i: usize| line_at(text, config.notify[i].span().start);
                let first = problems.first().map(|(i, _)| line_of(*i)).unwrap_or(1);
                let all: Vec<String> = problems
                    .iter()
                    .map(|(i, m)| format!("[[notify]] #{} (line {}): {m}", i + 1, line_of(*i)))
                    .collect();
                Error::input(format!("{location}:{first}"), all.join("; "))
            })?;
        Ok(config)
    }

    /// Pure checks, all reported at once.
    fn validate(&self, location: &str) -> Result<(), Error> {
        let mut problems = Vec::new();
        if let Some(f) = &self.check.format {
            if driftd_core::report::format(f).is_none() {
                let names: Vec<&str> = driftd_core::report::FORMATS.iter().map(|f| f.name).collect();
                problems.push(format!("check.format {f:?} is not one of {}", names.join(", ")));
            }
        }
        if let Some(s) = &self.check.fail_on {
            if s != "never" && driftd_core::model::Severity::parse(s).is_none() {
                problems.push(format!("check.fail_on {s:?} is not one of critical, high, medium, low, never"));
            }
        }
        for (cloud, table) in [("aws", &self.prices.aws), ("azure", &self.prices.azure)] {
            for (size, price) in table {
                if !price.is_finite() || *price < 0.0 {
                    problems.push(format!("prices.{cloud}.{size:?} must be a non-negative number of USD per hour"));
                }
            }
        }
        for arn in self.aws.accounts.iter().filter_map(|a| a.role_arn.as_ref()) {
            let parts: Vec<&str> = arn.split(':').collect();
            if parts.len() < 6 || parts[0] != "arn" || parts[2] != "iam" || !parts[5].starts_with("role/") {
                problems.push(format!(
                    "aws.accounts role_arn {arn:?} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)"
                ));
            }
        }
        if !self.policy.config.is_object() {
            problems.push("policy.config must be a table".to_string());
        }
        if let Err(e) = self.outbox.durations() {
            problems.push(e);
        }
        if let Err(e) = self.store.retention() {
            problems.push(e);
        }
        if self.outbox.max_attempts == 0 {
            problems.push("outbox.max_attempts must be at least 1".into());
        }
        if !(self.alerts.cost_change_share.is_finite() && self.alerts.cost_change_share >= 0.0) {
            problems.push("alerts.cost_change_share must be a non-negative share (0.1 = 10%)".into());
        }
        if self.policy.time_limit_ms == 0 {
            problems.push("policy.time_limit_ms must be at least 1".to_string());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::input(location, problems.join("; ")))
        }
    }

    /// `[daemon]` and `[[target]]`: every problem, each with its line.
    fn validate_targets(&self, location: &str, text: &str) -> Result<(), Error> {
        let line_of = |offset: usize| line_at(text, offset);
        // The line of `key = ...` in the table that starts at `from`, else the table's line.
        let key_line = |from: usize, key: &str| {
            let mut offset = from;
            for (i, l) in text[from.min(text.len())..].split_inclusive('\n').enumerate() {
                let t = l.trim_start();
                if i > 0 && t.starts_with('[') {
                    break;
                }
                if t.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('=')) {
                    return line_of(offset);
                }
                offset += l.len();
            }
            line_of(from)
        };
        let mut problems: Vec<(usize, String)> = Vec::new();
        let d = &self.daemon;
        let daemon_at = text.find("[daemon]").unwrap_or(0);
        if d.listen.parse::<std::net::SocketAddr>().is_err() {
            problems.push((
                key_line(daemon_at, "listen"),
                format!("daemon.listen {:?} is not an address like 127.0.0.1:9464", d.listen),
            ));
        }
        if d.max_concurrent_scans == 0 {
            problems.push((
                key_line(daemon_at, "max_concurrent_scans"),
                "daemon.max_concurrent_scans must be at least 1".into(),
            ));
        }
        if d.api_token_env.is_some() && d.api_token_file.is_some() {
            problems.push((
                key_line(daemon_at, "api_token_file"),
                "give daemon.api_token_env or daemon.api_token_file, not both".into(),
            ));
        }
        for (key, v) in [
            ("retry_after_failure", &d.retry_after_failure),
            ("shutdown_timeout", &d.shutdown_timeout),
            ("http_timeout", &d.http_timeout),
        ] {
            if let Err(e) = crate::notify::parse_duration(v) {
                problems.push((key_line(daemon_at, key), format!("daemon.{key}: {e}")));
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for t in &self.target {
            let at = t.span().start;
            let line = line_of(at);
            let t = t.get_ref();
            if t.name.trim().is_empty() {
                problems.push((line, "target.name must not be empty".into()));
            }
            if !names.insert(t.name.clone()) {
                problems.push((key_line(at, "name"), format!("target.name {:?} is used twice", t.name)));
            }
            match crate::notify::parse_duration(&t.interval) {
                Ok(i) if i < std::time::Duration::from_secs(1) => problems
                    .push((key_line(at, "interval"), format!("target {:?}: interval must be at least 1s", t.name))),
                Ok(_) => {}
                Err(e) => problems.push((key_line(at, "interval"), format!("target {:?}: interval: {e}", t.name))),
            }
            if let Some(j) = &t.jitter {
                if let Err(e) = crate::notify::parse_duration(j) {
                    problems.push((key_line(at, "jitter"), format!("target {:?}: jitter: {e}", t.name)));
                }
            }
            if t.state.is_empty() && t.provider.is_empty() {
                problems.push((line, format!("target {:?}: give state and/or provider", t.name)));
            }
        }
        if problems.is_empty() {
            return Ok(());
        }
        let first = problems[0].0;
        let all: Vec<String> = problems.iter().map(|(l, m)| format!("line {l}: {m}")).collect();
        Err(Error::input(format!("{location}:{first}"), all.join("; ")))
    }

    pub fn price_table(&self) -> PriceTable {
        let mut table = PriceTable::builtin();
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
        crate::notify::build_all(&config.notifiers, config.outbox.request_timeout())
            .map_err(|e| Error::input(&location, e))?;
        config.daemon.api_token().map_err(|e| Error::input(&location, e))?;
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

    #[test]
    fn prices_override_builtin() {
        let c = Config::parse("c.toml", "[prices.aws]\n\"p5en.48xlarge\" = 63.3\n").unwrap();
        assert_eq!(c.price_table().price(Cloud::Aws, "p5en.48xlarge"), Some(63.3));
    }
}
