//! Command-line flags, as `docs/contract.md` names them. Heavy objects are built later,
//! in the command that needs them.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "driftd",
    version,
    about = "Finds configuration drift in GPU fleets: live AWS/Azure vs Terraform and policy."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compare live resources with Terraform state, report drift; the exit code decides the build.
    Check(Box<CheckArgs>),
    /// Read live resources and write them as a snapshot file (replay with --provider snapshot:FILE).
    Snapshot(SnapshotArgs),
    /// List the covered resource types with their compared attributes and severities.
    Types(TypesArgs),
    /// Evaluate Terraform code and print what driftd declares from it (JSON): each resource
    /// instance with its block and unknown attributes, blocks with no instances, what could
    /// not be expanded, and why values are unknown.
    Code(CodeArgs),
    /// Policies: list them, or run their tests.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// The notification outbox: list messages, re-queue dead letters.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// The store itself: copy one into another (`store migrate`).
    #[command(subcommand)]
    Store(StoreCommand),
    /// Run as a service: scan each [[target]] on its schedule, keep history, notify, and
    /// serve /healthz, /readyz, /metrics and the API.
    Run(RunArgs),
    /// Configuration: check a file without running anything.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Configuration file (TOML). Default: ./driftd.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// This replica's share of the targets, INDEX/COUNT (from 0). Default: DRIFTD_SHARD,
    /// or DRIFTD_SHARD_COUNT with the StatefulSet ordinal in HOSTNAME, or all targets.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Log lines as text (default) or JSON (one object per line).
    #[arg(long, value_name = "FORMAT", value_parser = ["text", "json"])]
    pub log_format: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate a configuration file: every problem with its key and line; exit 2 if any.
    Check(ConfigCheckArgs),
}

#[derive(Debug, Args)]
pub struct ConfigCheckArgs {
    /// The configuration file to check (TOML).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Also read every secret it names (environment variables, files).
    #[arg(long)]
    pub secrets: bool,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// List policies: id, severity, title, source file.
    List(PolicyListArgs),
    /// Run every `test_*` rule (OPA style); exit 1 on any failure.
    Test(PolicyTestArgs),
}

/// Which policies a run uses; shared by `check` and `policy list`.
#[derive(Debug, Args, Default, Clone)]
pub struct PolicyArgs {
    /// Extra Rego policy directories (repeatable).
    #[arg(long = "policies", value_name = "DIR")]
    pub policies: Vec<PathBuf>,
    /// Drop the built-in GPU policy pack.
    #[arg(long)]
    pub no_builtin_policies: bool,
}

#[derive(Debug, Args)]
pub struct PolicyListArgs {
    /// Configuration file (TOML): its `[policy]` table (time limit, `[policy.config]`). Default: ./driftd.toml when present.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// text | markdown (the reference in docs/policies.md)
    #[arg(long, default_value = "text", value_parser = ["text", "markdown"])]
    pub format: String,
    #[command(flatten)]
    pub policy: PolicyArgs,
}

#[derive(Debug, Args)]
pub struct PolicyTestArgs {
    /// Directories of policies and their `*_test.rego` files; default: the built-in pack.
    #[arg(value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Configuration file (TOML): its `[policy]` table (time limit, `[policy.config]`). Default: ./driftd.toml when present.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Where live resources come from; shared by `check` and `snapshot`.
#[derive(Debug, Args, Default, Clone)]
pub struct LiveArgs {
    /// aws | azure | snapshot:FILE (a file written by `driftd snapshot`) | none (declarations
    /// only); repeatable. Default: the clouds the declared state uses that this build scans.
    #[arg(long = "provider", value_name = "NAME")]
    pub providers: Vec<String>,
    /// AWS regions (repeatable or comma-separated; default: from the AWS config).
    #[arg(long = "region", value_name = "R", value_delimiter = ',')]
    pub regions: Vec<String>,
    /// Every region enabled in the account (ec2:DescribeRegions).
    #[arg(long, conflicts_with = "regions")]
    pub all_regions: bool,
    /// Azure subscriptions (repeatable or comma-separated).
    #[arg(long = "subscription", value_name = "ID", value_delimiter = ',')]
    pub subscriptions: Vec<String>,
    /// ARM endpoint (sovereign clouds, tests).
    #[arg(long, value_name = "URL", env = "DRIFTD_AZURE_ENDPOINT")]
    pub azure_endpoint: Option<String>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Configuration file (TOML); flags given here override it. Default: ./driftd.toml when present.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Terraform state: local path or glob, s3://bucket/key, azurerm://account/container/blob,
    /// http(s)://... (Terraform's http backend), remote://HOST/ORG/WORKSPACE (HCP Terraform,
    /// Terraform Enterprise); raw state (version 4), `terraform show -json` state or plan JSON.
    #[arg(long = "state", value_name = "SRC")]
    pub states: Vec<String>,
    /// Terraform sources (declarations, file:line, patches).
    #[arg(long = "tf", value_name = "DIR")]
    pub tf: Vec<PathBuf>,
    /// Find every root module under DIR (a `backend` or `cloud` block, or a Terragrunt unit
    /// with `remote_state`), read each one's state from its backend and compare them all
    /// against one live scan (repeatable). `--tf` on a directory with no .tf of its own does the same.
    #[arg(long = "discover", value_name = "DIR")]
    pub discover: Vec<PathBuf>,
    /// A tfvars file for the code given with --tf (repeatable; after terraform.tfvars and
    /// *.auto.tfvars, as Terraform's -var-file).
    #[arg(long = "var-file", value_name = "FILE", requires = "tf")]
    pub var_files: Vec<PathBuf>,
    /// A variable for the code given with --tf, NAME=VALUE (repeatable; last wins, as
    /// Terraform's -var).
    #[arg(long = "var", value_name = "NAME=VALUE", requires = "tf")]
    pub vars: Vec<String>,
    #[command(flatten)]
    pub live: LiveArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Ignore file; default: ./.driftignore when present.
    #[arg(long, value_name = "FILE")]
    pub driftignore: Option<PathBuf>,
    /// Report format [default: text].
    #[arg(long, value_name = "FORMAT", value_parser = format_names())]
    pub format: Option<String>,
    /// Write the report here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Text and Markdown: list at most N findings in full, most severe first, after the
    /// summary and counts per kind and type (0: all). Default: 200 for text; for Markdown,
    /// as many as keep the comment under GitHub's 65,536 characters. JSON, SARIF and
    /// JUnit always carry every finding.
    #[arg(long, value_name = "N")]
    pub max_findings: Option<usize>,
    /// Write every patch of the report (code edits that accept live values, import blocks
    /// for unmanaged resources) to FILE as one patch for `git apply` (needs --tf).
    #[arg(long, value_name = "FILE", requires = "tf")]
    pub patch_out: Option<PathBuf>,
    /// Lowest severity that fails the check (exit 1) [default: low].
    #[arg(long, value_name = "SEVERITY", value_parser = ["critical", "high", "medium", "low", "never"])]
    pub fail_on: Option<String>,
    /// Record this check in the store and send what changed since the last one to the
    /// config's `[[notify]]` notifiers (new, changed, resolved, reminders).
    #[arg(long)]
    pub notify: bool,
    /// With --notify: the name this check's history is kept under (overrides `[store]
    /// scope`). Default: what was compared (the states' lineages or backend keys, the
    /// clouds, accounts and regions scanned), never how a path was spelled.
    #[arg(long, value_name = "NAME", requires = "notify")]
    pub scope: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Copy a store into an empty one (SQLite to PostgreSQL when moving to several
    /// replicas): history, notification state, threads and the outbox, so that nothing is
    /// announced again.
    Migrate(StoreMigrateArgs),
}

#[derive(Debug, Args)]
pub struct StoreMigrateArgs {
    /// The store to copy: a SQLite file, or a postgres:// URL.
    #[arg(long, value_name = "FILE|URL")]
    pub from: String,
    /// The empty store to copy into: a postgres:// URL or a SQLite file. A URL holds a
    /// password: prefer --to-env.
    #[arg(long, value_name = "FILE|URL", required_unless_present = "to_env", conflicts_with = "to_env")]
    pub to: Option<String>,
    /// An environment variable that holds the destination (a postgres:// URL).
    #[arg(long, value_name = "VAR")]
    pub to_env: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Messages in the outbox, with their state (default: the undelivered: pending and dead).
    List(OutboxListArgs),
    /// Put dead letters (all, or the ids given) back in the queue and deliver them now.
    Retry(OutboxRetryArgs),
}

#[derive(Debug, Args)]
pub struct OutboxListArgs {
    /// Configuration file (TOML): its `[store] path` is the outbox. Default: ./driftd.toml when present.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Which messages: undelivered (pending and dead), pending (queued or waiting for a
    /// retry), dead (given up; `driftd outbox retry`), sent, skipped, or all.
    #[arg(long, default_value = "undelivered", value_parser = ["undelivered", "pending", "dead", "sent", "skipped", "all"])]
    pub status: String,
}

#[derive(Debug, Args)]
pub struct OutboxRetryArgs {
    /// Configuration file (TOML): its `[store]` and `[[notify]]` tables. Default: ./driftd.toml when present.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Outbox ids (from `driftd outbox list`); none: every dead letter.
    #[arg(value_name = "ID")]
    pub ids: Vec<i64>,
}

#[derive(Debug, Args)]
#[command(mut_arg("providers", |a| a.help(
    "aws | azure | snapshot:FILE (merge earlier snapshots); repeatable, at least one"
)))]
pub struct SnapshotArgs {
    /// Configuration file (TOML): `[aws]` and `[azure]` settings. Default: ./driftd.toml when present.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub live: LiveArgs,
    /// Write the snapshot here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct TypesArgs {
    /// text, markdown (docs/types.md) or json (one object per type, for scripts).
    #[arg(long, default_value = "text", value_parser = ["text", "markdown", "json"])]
    pub format: String,
}

#[derive(Debug, Args)]
pub struct CodeArgs {
    /// The module's folder (a root module, a child module or an example).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// A tfvars file (repeatable; after terraform.tfvars and *.auto.tfvars).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// A variable, NAME=VALUE (repeatable; last wins).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
}

fn format_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(driftd_core::report::FORMATS.iter().map(|f| f.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn regions_are_repeatable_and_comma_separated() {
        let cli = Cli::parse_from(["driftd", "check", "--region", "us-east-1,us-west-2", "--region", "eu-west-1"]);
        let Command::Check(args) = cli.command else { panic!("not check") };
        assert_eq!(args.live.regions, ["us-east-1", "us-west-2", "eu-west-1"]);
    }

    #[test]
    fn every_report_format_is_a_format_value() {
        for f in driftd_core::report::FORMATS {
            let cli = Cli::try_parse_from(["driftd", "check", "--format", f.name]);
            assert!(cli.is_ok(), "{}", f.name);
        }
        assert!(Cli::try_parse_from(["driftd", "check", "--format", "yaml"]).is_err());
    }

    /// Every flag and argument of every command has a help line, and `snapshot` does not
    /// describe `--provider` as `check` does (it has no declared state to default to).
    #[test]
    fn every_argument_has_help_of_its_own_command() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                if arg.get_help().is_none_or(|h| h.to_string().trim().is_empty()) {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        let cli = Cli::command();
        walk(&cli, "driftd", &mut missing);
        assert!(missing.is_empty(), "no help: {missing:?}");
        let snapshot = cli.find_subcommand("snapshot").unwrap();
        let provider = snapshot.get_arguments().find(|a| a.get_id() == "providers").unwrap();
        let help = provider.get_help().unwrap().to_string();
        assert!(!help.contains("declared") && !help.contains("none"), "{help}");
    }
}
