//! Alerts end to end, for `check --notify` (and the daemon's scans): record a scan in the
//! store, write each notifier's messages to the outbox in the same transaction, deliver.

use crate::config::Config;
use crate::history::{self, Outcome, ScanRecord, Transition};
use crate::notify::outbox::{self, Delivery, RetryPolicy};
use crate::notify::route::{self, Target};
use crate::notify::Built;
use crate::store::Store;
use driftd_core::model::WarningKind;
use driftd_core::report::Report;
use driftd_core::Error;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Alerts {
    pub store: Arc<Mutex<Store>>,
    pub notifiers: Vec<Arc<Built>>,
    pub policy: RetryPolicy,
    pub cost_change_share: f64,
    pub deliver_for: Duration,
}

/// What one recorded scan changed.
#[derive(Debug, Default)]
pub struct Recorded {
    pub new: usize,
    pub changed: usize,
    pub resolved: usize,
    pub queued: usize,
}

impl Alerts {
    /// Reads every notifier's secrets and opens the store: before any scan, so that a
    /// missing token fails the run at once (exit 2), naming the variable.
    pub fn open(config: &Config, location: &str) -> Result<Alerts, Error> {
        if config.notifiers.is_empty() {
            return Err(Error::input(location, "--notify: the config has no [[notify]] table"));
        }
        Alerts::open_for_daemon(config, location)
    }

    /// The daemon keeps history with or without notifiers.
    pub fn open_for_daemon(config: &Config, location: &str) -> Result<Alerts, Error> {
        let notifiers = crate::notify::build_all(&config.notifiers, config.outbox.request_timeout())
            .map_err(|e| Error::input(location, e))?;
        let store = Store::open(&config.store.path)?;
        Alerts::assemble(config, notifiers, Arc::new(Mutex::new(store)))
    }

    /// A reloaded config keeps the store it has (its path takes effect at restart).
    pub fn with_store(config: &Config, location: &str, store: Arc<Mutex<Store>>) -> Result<Alerts, Error> {
        let notifiers = crate::notify::build_all(&config.notifiers, config.outbox.request_timeout())
            .map_err(|e| Error::input(location, e))?;
        Alerts::assemble(config, notifiers, store)
    }

    fn assemble(config: &Config, notifiers: Vec<Built>, store: Arc<Mutex<Store>>) -> Result<Alerts, Error> {
        Ok(Alerts {
            store,
            notifiers: notifiers.into_iter().map(Arc::new).collect(),
            policy: config.outbox.retry_policy(),
            cost_change_share: config.alerts.cost_change_share,
            deliver_for: config.outbox.deliver_for(),
        })
    }

    /// Records a scan's outcome: its report, or the error that ended it.
    pub fn record(&self, scope: &str, started_at: &str, result: Result<&Report, &Error>) -> Result<Recorded, Error> {
        let finished_at = crate::now();
        let (outcome, findings, error) = match result {
            Ok(report) if report.incomplete() => {
                let errors: Vec<&str> = report
                    .warnings
                    .iter()
                    .filter(|w| w.kind == WarningKind::ScanError)
                    .map(|w| w.message.as_str())
                    .collect();
                (Outcome::Partial, report.findings.as_slice(), Some(errors.join("; ")))
            }
            Ok(report) => (Outcome::Ok, report.findings.as_slice(), None),
            Err(e) => (Outcome::Failed, &[][..], Some(e.to_string())),
        };
        let mut store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        let path = store.path.clone();
        let at = |e: rusqlite::Error| Error::input(path.display().to_string(), format!("store: {e}"));
        let tx = store.conn.transaction().map_err(at)?;
        let scan = ScanRecord { scope, started_at, finished_at: &finished_at, outcome, findings, error };
        let recorded = history::record(&tx, &scan, self.cost_change_share).map_err(at)?;
        let now = outbox::now_ms();
        let mut queued = 0;
        for n in &self.notifiers {
            let target = Target { name: &n.name, route: &n.route, capabilities: n.capabilities };
            queued += route::enqueue(&tx, &target, &recorded, now).map_err(at)?;
        }
        tx.commit().map_err(at)?;
        let out = Recorded {
            new: recorded.count(|t| matches!(t, Transition::New)),
            changed: recorded.count(|t| matches!(t, Transition::Changed { .. })),
            resolved: recorded.count(|t| matches!(t, Transition::Resolved)),
            queued,
        };
        crate::events::ScanRecorded {
            scope,
            scan_id: recorded.scan_id,
            outcome: outcome.as_str(),
            new: out.new,
            changed: out.changed,
            resolved: out.resolved,
            queued,
        }
        .emit();
        Ok(out)
    }

    /// Delivers what is queued, for at most `deliver_for`; the rest stays queued.
    pub fn deliver_now(&self) -> Result<(Delivery, i64), Error> {
        let path = self.store.lock().unwrap_or_else(|p| p.into_inner()).path.display().to_string();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| Error::input("tokio", e.to_string()))?;
        let until = outbox::now_ms() + self.deliver_for.as_millis() as i64;
        let done = runtime
            .block_on(outbox::deliver(self.store.clone(), self.notifiers.clone(), self.policy, Some(until)))
            .map_err(|e| Error::input(&path, e))?;
        let pending = self
            .store
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pending_count()
            .map_err(|e| Error::input(&path, format!("store: {e}")))?;
        Ok((done, pending))
    }
}

/// The default scope of a check: what it read, as given.
pub fn default_scope(states: &[String], providers: &[String]) -> String {
    let mut s: Vec<&str> = states.iter().map(String::as_str).collect();
    s.sort();
    let mut p: Vec<&str> = providers.iter().map(String::as_str).collect();
    p.sort();
    let providers = if p.is_empty() { "auto".to_string() } else { p.join(", ") };
    format!("{} | {providers}", s.join(", "))
}
