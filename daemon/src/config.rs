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
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, &e))?;
        Config::parse(&path.display().to_string(), &text)
    }

    pub fn parse(location: &str, text: &str) -> Result<Config, Error> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let at = match e.span() {
                Some(span) => {
                    let before = &text[..span.start.min(text.len())];
                    let line = before.matches('\n').count() + 1;
                    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                    format!("{location}:{line}:{col}")
                }
                None => location.to_string(),
            };
            Error::input(at, e.message().to_string())
        })?;
        config.validate(location)?;
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
        if self.policy.time_limit_ms == 0 {
            problems.push("policy.time_limit_ms must be at least 1".to_string());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::input(location, problems.join("; ")))
        }
    }

    pub fn price_table(&self) -> PriceTable {
        let mut table = PriceTable::builtin();
        for (size, price) in &self.prices.aws {
            table.set(Cloud::Aws, size, *price);
        }
        for (size, price) in &self.prices.azure {
            table.set(Cloud::Azure, size, *price);
        }
        table
    }
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
