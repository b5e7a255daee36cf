//! `driftd snapshot`: read live resources and write them as a `driftd.snapshot/v1` file.

use crate::cli::SnapshotArgs;
use crate::live;
use driftd_core::Error;
use std::io::Write;

pub fn run(args: SnapshotArgs) -> Result<u8, Error> {
    if args.live.providers.is_empty() {
        return Err(Error::input("driftd snapshot", "give at least one --provider (aws, azure or snapshot:FILE)"));
    }
    let config = crate::config::Config::load(args.config.as_deref())?;
    let plan = crate::plan::LivePlan::new(&args.live, &config);
    let snapshot = live::read_all(live::live_inputs(&plan, &live::Declared::default())?.0, &crate::now())?;
    let mut text = snapshot.to_json_pretty();
    text.push('\n');
    match &args.output {
        Some(path) => std::fs::write(path, text).map_err(|e| Error::io(path, &e))?,
        None => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
        }
    }
    // The snapshot keeps what could be read; what could not is said once on stderr.
    let mut failed = false;
    for message in snapshot.scans.iter().flat_map(|s| s.failures()) {
        eprintln!("driftd: {message}");
        failed = true;
    }
    Ok(if failed { 3 } else { 0 })
}
