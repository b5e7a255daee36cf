//! `DRIFTD_TRACE_API_CALLS=FILE`: append the permission every cloud call needs (an IAM
//! action, an Azure RBAC operation) to FILE, one line per attempt, to see exactly which
//! permissions a run used and to check `deploy/aws/` and `deploy/azure/` against the code.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

fn trace_file() -> Option<&'static Path> {
    static FILE: OnceLock<Option<PathBuf>> = OnceLock::new();
    FILE.get_or_init(|| std::env::var_os("DRIFTD_TRACE_API_CALLS").map(Into::into)).as_deref()
}

/// Is tracing on? (Callers skip working out the action name when it is not.)
pub(crate) fn enabled() -> bool {
    trace_file().is_some()
}

pub(crate) fn record(action: &str) {
    use std::io::Write;
    let Some(path) = trace_file() else { return };
    // Listers run in parallel: one whole line per write, one writer at a time.
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        let _ = f.write_all(format!("{action}\n").as_bytes());
    }
}
