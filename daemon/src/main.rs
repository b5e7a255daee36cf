//! driftd: finds configuration drift in GPU fleets.
//!
//! `main` owns exit codes: an error prints once as `driftd: {where}: {what}` and
//! maps to 2 (input) or 3 (unreachable); findings map to 1.

mod alerts;
mod check;
mod cli;
mod code;
mod config;
mod events;
mod history;
mod live;
mod notify;
mod outbox_cmd;
mod policy;
mod run;
mod secret;
mod snapshot;
mod store;
mod types;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use std::process::ExitCode;

/// Report timestamps: RFC 3339, whole seconds, UTC.
pub(crate) fn now() -> String {
    jiff::Timestamp::now().round(jiff::Unit::Second).map(|t| t.to_string()).unwrap_or_default()
}

/// Today in UTC, for `# until` expiries in `.driftignore`.
pub(crate) fn today() -> jiff::civil::Date {
    jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date()
}

/// Logs go to stderr. `RUST_LOG` sets the filter (`RUST_LOG=driftd=debug`, `trace`);
/// by default only driftd's own warnings (a notification that failed) are shown.
/// `DRIFTD_LOG_FORMAT=json` writes one JSON object per line.
fn init_logging(default: &str, json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if json || std::env::var("DRIFTD_LOG_FORMAT").is_ok_and(|v| v == "json") {
        builder.json().try_init()
    } else {
        builder.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).try_init()
    };
}

fn main() -> ExitCode {
    // A bug must still end in one line, not a stack trace, and never exit 0.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        eprintln!(
            "driftd: internal error: {msg} (at {}); please report it",
            info.location().map(|l| l.to_string()).unwrap_or_default()
        );
    }));
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(e.exit_code() as u8);
        }
    };
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
