//! Alerts end to end, for `check --notify` (and the daemon's scans): record a scan in the
//! store, write each notifier's messages to the outbox in the same transaction, deliver.

use crate::config::Config;
use crate::history::{self, Outcome, ScanRecord, Transition};
use crate::notify::outbox::{self, Delivery, RetryPolicy};
use crate::notify::route::{self, Target};
use crate::notify::Built;
use crate::store::{findings, leases, DbError, Retention, Store};
use driftd_core::report::Report;
use driftd_core::Error;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Alerts {
    pub store: Arc<Mutex<Store>>,
    pub notifiers: Vec<Arc<Built>>,
    pub policy: RetryPolicy,
    pub cost_change_share: f64,
    pub deliver_for: Duration,
    pub retention: Retention,
    /// With a shared store: how long a claim on a target or a queue lasts unless renewed.
    pub lease_time: Duration,
    /// When the store was last pruned (ms since the epoch; 0: not yet in this process).
    last_prune_ms: AtomicI64,
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
            .map_err(|problems| Error::input_all(location, &problems))?;
        let at = config.store.location().map_err(|e| Error::input(location, e))?;
        let store = Store::open(&at)?;
        Alerts::assemble(config, notifiers, Arc::new(Mutex::new(store)))
    }

    /// A reloaded config keeps the store it has (its path or URL takes effect at restart).
    pub fn with_store(config: &Config, location: &str, store: Arc<Mutex<Store>>) -> Result<Alerts, Error> {
        let notifiers = crate::notify::build_all(&config.notifiers, config.outbox.request_timeout())
            .map_err(|problems| Error::input_all(location, &problems))?;
        Alerts::assemble(config, notifiers, store)
    }

    fn assemble(config: &Config, notifiers: Vec<Built>, store: Arc<Mutex<Store>>) -> Result<Alerts, Error> {
        Ok(Alerts {
            store,
            notifiers: notifiers.into_iter().map(Arc::new).collect(),
            policy: config.outbox.retry_policy(),
            cost_change_share: config.alerts.cost_change_share,
            deliver_for: config.outbox.deliver_for(),
            retention: config.store.retention(),
            lease_time: config.store.lease_time(),
            last_prune_ms: AtomicI64::new(0),
        })
    }

    /// Records a scan's outcome: its report, or the error that ended it. `lease`: the
    /// target's lease (name, owner) this replica holds (shared store); the record is
    /// written only if it still does, in the same transaction, so a replica whose lease
    /// lapsed mid-scan (and whose target another replica took) writes and announces nothing.
    pub fn record(
        &self,
        scope: &str,
        started_at: &str,
        result: Result<&Report, &Error>,
        lease: Option<(&str, &str)>,
    ) -> Result<Recorded, Error> {
        let (outcome, findings, error) = match result {
            Ok(report) if report.incomplete() => {
                (Outcome::Partial, report.findings.as_slice(), Some(report.scan_errors()))
            }
            Ok(report) => (Outcome::Ok, report.findings.as_slice(), None),
            Err(e) => (Outcome::Failed, &[][..], Some(e.to_string())),
        };
        let complete = match (result, outcome) {
            (Ok(report), Outcome::Ok) => Some(report),
            _ => None,
        };
        self.record_as(scope, started_at, outcome, findings, error, &[], complete, lease)
    }

    /// Records a re-read of `reread` (type, id) after cloud events: the findings of those
    /// resources only (see `history`).
    pub fn record_reread(
        &self,
        scope: &str,
        started_at: &str,
        findings: &[driftd_core::model::Finding],
        reread: &[(String, String)],
        lease: Option<(&str, &str)>,
    ) -> Result<Recorded, Error> {
        self.record_as(scope, started_at, Outcome::Event, findings, None, reread, None, lease)
    }

    #[allow(clippy::too_many_arguments)]
    fn record_as(
        &self,
        scope: &str,
        started_at: &str,
        outcome: Outcome,
        findings: &[driftd_core::model::Finding],
        error: Option<String>,
        reread: &[(String, String)],
        complete: Option<&Report>,
        lease: Option<(&str, &str)>,
    ) -> Result<Recorded, Error> {
        let finished_at = crate::now();
        let mut store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        let location = store.location.clone();
        let at = |e: DbError| Error::input(&location, format!("store: {e}"));
        let tx = store.transaction().map_err(at)?;
        if let Some((lease, owner)) = lease {
            let ttl = self.lease_time.as_millis() as i64;
            if !leases::renew(&tx, lease, owner, outbox::now_ms(), ttl).map_err(at)? {
                return Err(Error::input(
                    &location,
                    format!("{lease}: this replica's lease lapsed during the scan; another replica scans it"),
                ));
            }
        }
        let scan = ScanRecord { scope, started_at, finished_at: &finished_at, outcome, findings, error, reread };
        let recorded = history::record(&tx, &scan, self.cost_change_share).map_err(at)?;
        if let Some(report) = complete {
            let s = &report.summary;
            findings::set_scope_costs(&tx, scope, s.cost_delta_per_hour_usd, s.unmanaged_cost_per_hour_usd)
                .map_err(at)?;
            findings::set_scan_teams(&tx, recorded.scan_id, scope, &s.teams).map_err(at)?;
            let api_calls: u64 = report.sources.live.iter().map(|l| l.api_calls).sum();
            findings::set_scan_figures(&tx, recorded.scan_id, api_calls, s).map_err(at)?;
        }
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
        drop(store);
        self.prune_if_due();
        Ok(out)
    }

    /// Prunes the store by `[store] keep_*` when it was not pruned within
    /// `Retention::every` by this process. A failure is logged, never the scan's.
    fn prune_if_due(&self) {
        let now = outbox::now_ms();
        let last = self.last_prune_ms.load(Ordering::Relaxed);
        if last != 0 && now - last < self.retention.every().as_millis() as i64 {
            return;
        }
        self.last_prune_ms.store(now, Ordering::Relaxed);
        let mut store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        match store.prune(jiff::Timestamp::now(), &self.retention) {
            Ok(pruned) => {
                crate::events::StorePruned { scans: pruned.scans, findings: pruned.findings, messages: pruned.messages }
                    .emit()
            }
            Err(e) => tracing::warn!(error = %e, "pruning the store failed; it is tried again later"),
        }
    }

    /// The ids of a scope's open findings.
    pub fn open_finding_ids(&self, scope: &str) -> Result<std::collections::HashSet<String>, Error> {
        let store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        Ok(findings::open(&store.db, scope).map_err(|e| store.error(e))?.into_keys().collect())
    }

    /// The scope a check with these arguments was last recorded under, if any.
    pub fn scope_of_inputs(&self, inputs: &str) -> Result<Option<String>, Error> {
        let store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        history::scope_of_inputs(&store.db, inputs).map_err(|e| store.error(e))
    }

    /// Remembers the arguments a scope was checked with (see [`inputs_key`]).
    pub fn remember_inputs(&self, scope: &str, inputs: &str) -> Result<(), Error> {
        let store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        history::remember_inputs(&store.db, scope, inputs).map_err(|e| store.error(e))
    }

    /// Delivers what is queued, for at most `deliver_for`; the rest stays queued.
    pub fn deliver_now(&self) -> Result<(Delivery, i64), Error> {
        let path = self.store.lock().unwrap_or_else(|p| p.into_inner()).location.clone();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| Error::input("tokio", e.to_string()))?;
        let until = outbox::now_ms() + self.deliver_for.as_millis() as i64;
        let done = runtime
            .block_on(outbox::deliver(
                self.store.clone(),
                self.notifiers.clone(),
                self.policy,
                self.lease_time,
                Some(until),
            ))
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

/// The default scope of a check: what was compared, whatever the paths' spelling or the
/// snapshot files' names. Declared: each raw state's lineage, a remote state's URL (its
/// backend key), else the input's canonical path (plans, `terraform show -json`, code).
/// Live: each cloud, account and region or subscription scanned.
pub fn scope_of(report: &Report) -> String {
    let mut declared: Vec<String> = report
        .sources
        .declared
        .iter()
        .map(|d| match (&d.lineage, &d.root_module) {
            (Some(lineage), _) => format!("lineage {lineage}"),
            (None, Some(root)) if d.location.contains("://") => format!("{root} {}", d.location),
            (None, _) => canonical(&d.location),
        })
        .collect();
    declared.sort();
    declared.dedup();
    let mut live: Vec<String> = report
        .sources
        .live
        .iter()
        .map(|l| {
            let at = [l.account.as_deref(), l.region.as_deref()].into_iter().flatten().collect::<Vec<_>>().join("/");
            format!("{} {at}", l.provider.as_str())
        })
        .collect();
    live.sort();
    live.dedup();
    let none = |v: &[String]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
    format!("declared: {}; live: {}", none(&declared), none(&live))
}

/// What the check's plan compares, with paths made canonical: a check that fails before it has
/// compared anything records its failure under the scope the same arguments had last.
pub fn inputs_key(plan: &crate::plan::RunPlan) -> String {
    let args = &plan.declared;
    let mut parts: Vec<String> = Vec::new();
    parts.extend(args.states.iter().map(|s| format!("state {}", canonical(s))));
    parts.extend(args.tf.iter().map(|d| format!("tf {}", canonical(&d.display().to_string()))));
    parts.extend(args.discover.iter().map(|d| format!("discover {}", canonical(&d.display().to_string()))));
    parts.extend(plan.live.providers.iter().map(|p| match p.strip_prefix("snapshot:") {
        Some(file) => format!("provider snapshot:{}", canonical(file)),
        None => format!("provider {p}"),
    }));
    parts.extend(plan.live.regions.iter().map(|r| format!("region {r}")));
    parts.extend(plan.live.subscriptions.iter().map(|s| format!("subscription {s}")));
    parts.sort();
    parts.dedup();
    parts.join("; ")
}

/// A local path made absolute with links resolved; a URL or a path that does not exist
/// as given.
fn canonical(location: &str) -> String {
    if location.contains("://") {
        return location.to_string();
    }
    std::fs::canonicalize(location).map(|p| p.display().to_string()).unwrap_or_else(|_| location.to_string())
}
