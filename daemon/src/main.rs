//! driftd: finds configuration drift in GPU fleets.
//!
//! `main` owns exit codes: an error prints once as `driftd: {where}: {what}` and
//! maps to 2 (input) or 3 (unreachable); findings map to 1.

mod check;
mod cli;
mod config;
mod live;
mod policy;
mod snapshot;
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
    let result = match cli.command {
        cli::Command::Check(args) => check::run(args),
        cli::Command::Snapshot(args) => snapshot::run(args),
        cli::Command::Types(args) => Ok(types::run(args)),
        cli::Command::Policy(cli::PolicyCommand::List(args)) => policy::list(args),
        cli::Command::Policy(cli::PolicyCommand::Test(args)) => policy::test(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("driftd: {err}");
            ExitCode::from(err.exit_code() as u8)
        }
    }
}
