//! driftd as a library: the modules the `driftd` binary runs, open to the tests and the
//! fuzz targets (`bench/fuzz`) so that they read the same registries and parsers as the
//! binary instead of keeping copies of them.

pub mod alerts;
pub mod check;
pub mod cli;
pub mod code;
pub mod config;
pub mod events;
pub mod history;
pub mod live;
pub mod notify;
pub mod outbox_cmd;
pub mod plan;
pub mod policy;
pub mod prices;
pub mod run;
pub mod secret;
pub mod snapshot;
pub mod store;
pub mod store_cmd;
pub mod types;

use std::process::ExitCode;

/// Report timestamps: RFC 3339, whole seconds, UTC.
pub fn now() -> String {
    jiff::Timestamp::now().round(jiff::Unit::Second).map(|t| t.to_string()).unwrap_or_default()
}

/// Today in UTC, for `# until` expiries in `.driftignore`.
pub fn today() -> jiff::civil::Date {
    jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date()
}

/// Logs go to stderr. `RUST_LOG` sets the filter (`RUST_LOG=driftd=debug`, `trace`);
/// by default only driftd's own warnings (a notification that failed) are shown.
/// `DRIFTD_LOG_FORMAT=json` writes one JSON object per line.
pub fn init_logging(default: &str, json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if json || std::env::var("DRIFTD_LOG_FORMAT").is_ok_and(|v| v == "json") {
        builder.json().try_init()
    } else {
        builder.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).try_init()
    };
}

/// Runs one parsed command line and returns its exit code: 0 clean, 1 findings at or
/// above `--fail-on`, 2 an input error, 3 something that could not be read. An error
/// prints once, as `driftd: {where}: {what}`.
pub fn dispatch(cli: cli::Cli) -> ExitCode {
    // The daemon says what it does (info); a one-shot command only warns.
    match &cli.command {
        cli::Command::Run(args) => init_logging("driftd=info", args.log_format.as_deref() == Some("json")),
        _ => init_logging("driftd=warn", false),
    }
    let result = match cli.command {
        cli::Command::Check(args) => check::run(*args),
        cli::Command::Snapshot(args) => snapshot::run(args),
        cli::Command::Types(args) => Ok(types::run(args)),
        cli::Command::Code(args) => code::run(args),
        cli::Command::Policy(cli::PolicyCommand::List(args)) => policy::list(args),
        cli::Command::Policy(cli::PolicyCommand::Test(args)) => policy::test(args),
        cli::Command::Outbox(cli::OutboxCommand::List(args)) => outbox_cmd::list(args),
        cli::Command::Outbox(cli::OutboxCommand::Retry(args)) => outbox_cmd::retry(args),
        cli::Command::Store(cli::StoreCommand::Migrate(args)) => store_cmd::migrate(args),
        cli::Command::Run(args) => run::run(args),
        cli::Command::Config(cli::ConfigCommand::Check(args)) => config::check_command(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("driftd: {err}");
            ExitCode::from(err.exit_code() as u8)
        }
    }
}
