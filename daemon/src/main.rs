//! driftd: finds configuration drift in GPU fleets.
//!
//! `main` parses the command line and exits with what `driftd::dispatch` returns: an
//! error prints once as `driftd: {where}: {what}` and maps to 2 (input) or 3
//! (unreachable); findings map to 1; a panic prints one line and never exits 0.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use std::process::ExitCode;

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
    let cli = match driftd::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(e.exit_code() as u8);
        }
    };
    driftd::dispatch(cli)
}
