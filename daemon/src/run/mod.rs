//! `driftd run`: the always-on service. Each `[[target]]` is scanned on its own schedule
//! (`schedule`), each scan is recorded in the store and its notifications queued in the
//! same transaction (`crate::alerts`), one task per notifier delivers the outbox apart
//! from scanning, and `http` serves health, metrics and the API.
//!
//! Signals: SIGHUP reloads the config (a bad one is refused with a log line and the old
//! one keeps running); SIGTERM and SIGINT stop scheduling, let the scan in flight finish
//! within `shutdown_timeout`, let each notifier finish the request in flight, checkpoint
//! the store, and exit 0.

mod attribution;
mod cloud_events;
mod dashboard;
pub mod http;
pub mod leased;
mod listener;
pub mod schedule;
mod series;
pub mod shard;

use crate::alerts::Alerts;
use crate::cli::RunArgs;
use crate::config::{Config, TargetConfig};
use crate::secret::Secret;
use driftd_core::model::{Cloud, FindingKind, Severity};
use driftd_core::Error;
use schedule::{ScanFn, Schedule};
use serde::Serialize;
use shard::Shard;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch, Notify, Semaphore};
use tracing::{error, info, warn, Instrument};

/// What one target's last scans were, for `/readyz`, `/metrics` and logs.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TargetStatus {
    pub name: String,
    pub interval_seconds: u64,
    pub scans: u64,
    pub scanning: bool,
    pub last_scan_at: Option<String>,
    pub last_outcome: Option<String>,
    pub last_error: Option<String>,
    pub last_success_at: Option<String>,
    #[serde(skip)]
    pub last_success: Option<Instant>,
    pub consecutive_failures: u32,
    #[serde(skip)]
    pub ready_within: Duration,
}

/// A config in force: its targets (this shard's, or all of them with a shared store,
/// where they are leased) and its notifiers.
pub struct Loaded {
    pub config: Config,
    pub targets: Vec<TargetConfig>,
    pub alerts: Arc<Alerts>,
    /// The store is shared with other replicas (PostgreSQL).
    pub shared: bool,
}

pub struct Daemon {
    pub config_path: PathBuf,
    pub shard: Shard,
    pub loaded: RwLock<Arc<Loaded>>,
    pub status: RwLock<BTreeMap<String, TargetStatus>>,
    pub triggers: RwLock<BTreeMap<String, mpsc::Sender<()>>>,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    pub api_token: RwLock<Option<Secret>>,
    pub wake_outbox: Arc<Notify>,
    scan_seq: std::sync::atomic::AtomicU64,
    /// One per target name, held while it is scanned: across a reload the old loop's
    /// scan in flight and the new loop's first scan of the same target do not overlap.
    scan_locks: Mutex<BTreeMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

fn load(path: &std::path::Path, shard: Shard, store: Option<Arc<Mutex<crate::store::Store>>>) -> Result<Loaded, Error> {
    let config = Config::read(path)?;
    let location = path.display().to_string();
    let alerts = match store {
        Some(store) => Alerts::with_store(&config, &location, store)?,
        None => Alerts::open_for_daemon(&config, &location)?,
    };
    let shared = alerts.store.lock().unwrap_or_else(|p| p.into_inner()).is_shared();
    if shared && shard != Shard::ALL {
        return Err(Error::input(
            "--shard",
            "a shared store ([store] url) leases targets to replicas; --shard and DRIFTD_SHARD* are for SQLite stores",
        ));
    }
    let targets: Vec<TargetConfig> =
        config.target.iter().map(|t| t.get_ref().clone()).filter(|t| shard.owns(&t.name)).collect();
    Ok(Loaded { config, targets, alerts: Arc::new(alerts), shared })
}

impl Daemon {
    fn new(
        config_path: PathBuf,
        shard: Shard,
        loaded: Loaded,
        api_token: Option<Secret>,
        metrics: metrics_exporter_prometheus::PrometheusHandle,
    ) -> Daemon {
        Daemon {
            config_path,
            shard,
            loaded: RwLock::new(Arc::new(loaded)),
            status: RwLock::new(BTreeMap::new()),
            triggers: RwLock::new(BTreeMap::new()),
            metrics,
            api_token: RwLock::new(api_token),
            wake_outbox: Arc::new(Notify::new()),
            scan_seq: Default::default(),
            scan_locks: Default::default(),
        }
    }

    /// Held while a target is scanned or read again after events: one at a time per
    /// target in this process.
    fn scan_lock(&self, target: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.scan_locks.lock().unwrap().entry(target.to_string()).or_default().clone()
    }

    /// A daemon for a config file that serves its API but schedules nothing: what the
    /// API's fuzz target drives in-process.
    pub fn serving_only(path: &std::path::Path) -> Result<Daemon, Error> {
        let loaded = load(path, Shard::ALL, None)?;
        let token = api_token(&loaded.config, path)?;
        let metrics = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder().handle();
        Ok(Daemon::new(path.to_path_buf(), Shard::ALL, loaded, token, metrics))
    }
}

/// The API token; an error names the config file it was configured in.
fn api_token(config: &Config, path: &std::path::Path) -> Result<Option<Secret>, Error> {
    config.daemon.api_token().map_err(|e| Error::input(path.display().to_string(), e))
}

pub fn run(args: RunArgs) -> Result<u8, Error> {
    let path = args.config.clone().unwrap_or_else(|| PathBuf::from(crate::config::DEFAULT_FILE));
    let shard = Shard::from_env(args.shard.as_deref()).map_err(|e| Error::input("--shard", e))?;
    let loaded = load(&path, shard, None)?;
    if loaded.config.target.is_empty() {
        return Err(Error::input(path.display().to_string(), "no [[target]] to scan"));
    }
    let token = api_token(&loaded.config, &path)?;
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets_for_metric(
            metrics_exporter_prometheus::Matcher::Full("driftd_scan_duration_seconds".into()),
            &[0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0],
        )
        .and_then(|b| b.install_recorder())
        .map_err(|e| Error::input("metrics", e.to_string()))?;
    series::describe();
    metrics::gauge!("driftd_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::input("tokio", e.to_string()))?;
    let listen = loaded.config.daemon.listen.clone();
    let daemon = Arc::new(Daemon::new(path, shard, loaded, token, metrics));
    runtime.block_on(serve(daemon, listen))
}

async fn serve(daemon: Arc<Daemon>, listen: String) -> Result<u8, Error> {
    let timeout = daemon.loaded.read().unwrap().config.daemon.http_timeout();
    let listener = listener::bind(&listen, timeout)
        .await
        .map_err(|e| Error::input(format!("daemon.listen {listen}"), format!("cannot listen: {e}")))?;
    let (http_stop_tx, mut http_stop) = watch::channel(false);
    let app = http::router(daemon.clone());
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = http_stop.wait_for(|s| *s).await;
            })
            .await;
    });
    let mut running = start(&daemon);
    info!(
        listen = %listen,
        targets = daemon.loaded.read().unwrap().targets.len(),
        shard = %format!("{}/{}", daemon.shard.index, daemon.shard.count),
        "driftd running"
    );

    use tokio::signal::unix::{signal, SignalKind};
    let (mut hup, mut term, mut int) =
        match (signal(SignalKind::hangup()), signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            (Ok(h), Ok(t), Ok(i)) => (h, t, i),
            _ => return Err(Error::input("signals", "cannot install signal handlers")),
        };
    loop {
        tokio::select! {
            _ = hup.recv() => {
                match reload(&daemon) {
                    Ok(()) => {
                        let old = std::mem::replace(&mut running, start(&daemon));
                        // The old loops stop after their scan in flight; nobody waits for them.
                        old.stop();
                        info!(targets = daemon.loaded.read().unwrap().targets.len(), "configuration reloaded");
                    }
                    Err(e) => error!(error = %e, "configuration reload refused; the running configuration stays"),
                }
            }
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    let timeout = daemon.loaded.read().unwrap().config.daemon.shutdown_timeout();
    info!(timeout_ms = timeout.as_millis() as u64, "shutting down");
    let finished = tokio::time::timeout(timeout, running.stop_and_wait()).await.is_ok();
    if !finished {
        warn!("a scan or a delivery did not finish in time; it is not recorded and will run again after restart");
    }
    let _ = http_stop_tx.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(2), server).await;
    let loaded = daemon.loaded.read().unwrap().clone();
    let store = loaded.alerts.store.lock().unwrap_or_else(|p| p.into_inner());
    let _ = store.checkpoint();
    info!("stopped");
    Ok(0)
}

/// The tasks of one loaded config.
struct Running {
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    fn stop(&self) {
        let _ = self.stop.send(true);
    }

    async fn stop_and_wait(self) {
        self.stop();
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

fn reload(daemon: &Arc<Daemon>) -> Result<(), Error> {
    let store = daemon.loaded.read().unwrap().alerts.store.clone();
    let loaded = load(&daemon.config_path, daemon.shard, Some(store))?;
    let token = api_token(&loaded.config, &daemon.config_path)?;
    *daemon.loaded.write().unwrap() = Arc::new(loaded);
    *daemon.api_token.write().unwrap() = token;
    Ok(())
}

/// Starts a loop per target and a delivery task per notifier of the loaded config.
fn start(daemon: &Arc<Daemon>) -> Running {
    let loaded = daemon.loaded.read().unwrap().clone();
    let (stop_tx, stop) = watch::channel(false);
    let limit = Arc::new(Semaphore::new(loaded.config.daemon.max_concurrent_scans.max(1)));
    let mut tasks = Vec::new();
    let mut triggers = BTreeMap::new();
    let mut status = daemon.status.write().unwrap();
    let names: Vec<&str> = loaded.targets.iter().map(|t| t.name.as_str()).collect();
    status.retain(|k, _| names.contains(&k.as_str()));
    metrics::gauge!("driftd_targets").set(loaded.targets.len() as f64);
    for target in &loaded.targets {
        let schedule = Schedule {
            interval: target.interval(),
            jitter: target.jitter(),
            retry_after_failure: loaded.config.daemon.retry_after_failure(),
        };
        let entry = status.entry(target.name.clone()).or_default();
        series::init_target(&target.name, entry.consecutive_failures, loaded.shared);
        entry.name = target.name.clone();
        entry.interval_seconds = schedule.interval.as_secs();
        entry.ready_within = schedule.interval * 2 + schedule.jitter;
        let (tx, rx) = mpsc::channel(1);
        triggers.insert(target.name.clone(), tx);
        let lease = loaded.shared.then(|| leased::TargetLease {
            store: loaded.alerts.store.clone(),
            name: format!("target:{}", target.name),
            lease_time: loaded.alerts.lease_time,
        });
        let scan: ScanFn = {
            let daemon = daemon.clone();
            let loaded = loaded.clone();
            let target = target.clone();
            let lease_name = lease.as_ref().map(|l| l.name.clone());
            Arc::new(move || Box::pin(scan_target(daemon.clone(), loaded.clone(), target.clone(), lease_name.clone())))
        };
        match lease {
            Some(lease) => {
                // Ready when its last success (by any replica) is within two intervals
                // plus the jitter and the time a lapsed lease takes to be taken over.
                entry.ready_within += lease.lease_time + lease.poll(&schedule);
                tasks.push(tokio::spawn(leased::target_loop(schedule, lease, scan, limit.clone(), rx, stop.clone())))
            }
            None => tasks.push(tokio::spawn(schedule::target_loop(schedule, scan, limit.clone(), rx, stop.clone()))),
        }
    }
    drop(status);
    *daemon.triggers.write().unwrap() = triggers;
    for (cloud, events) in [(Cloud::Aws, &loaded.config.aws.events), (Cloud::Azure, &loaded.config.azure.events)] {
        let Some(events) = events else { continue };
        for url in events.queue_urls() {
            let (daemon, loaded, events) = (daemon.clone(), loaded.clone(), events.clone());
            tasks.push(tokio::spawn(cloud_events::queue_loop(daemon, loaded, cloud, events, url, stop.clone())));
        }
    }
    for n in &loaded.alerts.notifiers {
        series::init_notifier(&n.name);
        let store = loaded.alerts.store.clone();
        let n = n.clone();
        let (policy, lease_time) = (loaded.alerts.policy, loaded.alerts.lease_time);
        let wake = daemon.wake_outbox.clone();
        let mut stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                if let Err(e) = crate::notify::outbox::deliver_due(store.clone(), n.clone(), policy, lease_time).await {
                    error!(notifier = %n.name, error = %e, "outbox delivery failed");
                }
                tokio::select! {
                    _ = wake.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
            }
        }));
    }
    Running { stop: stop_tx, tasks }
}

/// One scan of one target: the check in a thread of its own (providers run their own
/// runtime), then its record and notifications in the store; `true` when it succeeded.
async fn scan_target(daemon: Arc<Daemon>, loaded: Arc<Loaded>, target: TargetConfig, lease: Option<String>) -> bool {
    let seq = daemon.scan_seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
    let span = tracing::info_span!("scan", target = %target.name, scan = seq);
    async move {
        let lock = daemon.scan_lock(&target.name);
        let _one_at_a_time = lock.lock().await;
        set_status(&daemon, &target.name, |s| s.scanning = true);
        let started = Instant::now();
        let name = target.name.clone();
        let shared = loaded.shared;
        let outcome = on_own_thread(move || {
            let started_at = crate::now();
            let plan = crate::plan::RunPlan::for_target(&target, &loaded.config);
            let mut result = crate::check::check(&plan, Instant::now(), false, Some(&*loaded.alerts.store));
            if let Ok(report) = &mut result {
                attribution::look_up_new(&loaded, &target, &plan, report);
            }
            let recording = Instant::now();
            let recorded = loaded.alerts.record(
                &target.name,
                &started_at,
                result.as_ref(),
                lease.as_deref().map(|l| (l, crate::store::leases::replica_id())),
            );
            (result, recorded, recording.elapsed())
        })
        .await;
        let elapsed = started.elapsed();
        metrics::histogram!("driftd_scan_duration_seconds", "target" => name.clone()).record(elapsed.as_secs_f64());
        let (ok, outcome_label, error) = match &outcome {
            Ok((Ok(report), Ok(rec), record_time)) => {
                record_metrics(&name, report, shared);
                for note in &report.notes {
                    info!(note = %note, "scan note");
                }
                let partial = report.incomplete();
                info!(
                    findings = report.findings.len(),
                    new = rec.new,
                    changed = rec.changed,
                    resolved = rec.resolved,
                    queued = rec.queued,
                    duration_ms = elapsed.as_millis() as u64,
                    check_ms = report.duration_ms,
                    record_ms = record_time.as_millis() as u64,
                    partial,
                    "scan done"
                );
                if partial {
                    (false, "partial", Some("some types or regions could not be read".to_string()))
                } else {
                    (true, "ok", None)
                }
            }
            Ok((Err(e), _, _)) => (false, "failed", Some(e.to_string())),
            Ok((Ok(_), Err(e), _)) => (false, "failed", Some(format!("store: {e}"))),
            Err(_) => (false, "failed", Some("the scan thread ended without a result".to_string())),
        };
        if let Some(e) = &error {
            warn!(error = %e, outcome = outcome_label, "scan failed");
        }
        metrics::counter!("driftd_scans_total", "target" => name.clone(), "outcome" => outcome_label).increment(1);
        // With a shared store the target's state is the fleet's, exported from the store
        // by one replica (`series::fleet`); this replica's own view would double it.
        if ok && !shared {
            let now = jiff::Timestamp::now().as_second() as f64;
            metrics::gauge!("driftd_last_successful_scan_timestamp_seconds", "target" => name.clone()).set(now);
        }
        set_status(&daemon, &name, |s| {
            s.scanning = false;
            s.scans += 1;
            s.last_scan_at = Some(crate::now());
            s.last_outcome = Some(outcome_label.to_string());
            s.last_error = error.clone();
            if ok {
                s.consecutive_failures = 0;
                s.last_success = Some(Instant::now());
                s.last_success_at = s.last_scan_at.clone();
            } else {
                s.consecutive_failures += 1;
            }
        });
        if !shared {
            metrics::gauge!("driftd_target_consecutive_failures", "target" => name.clone())
                .set(daemon.status.read().unwrap().get(&name).map(|s| s.consecutive_failures).unwrap_or(0) as f64);
        }
        daemon.wake_outbox.notify_waiters();
        ok
    }
    .instrument(span)
    .await
}

/// Runs `f` on a thread of its own, in the current span: a check, whose providers start
/// their own runtime (which a runtime's blocking pool may not). `Err` when it panicked.
async fn on_own_thread<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, tokio::sync::oneshot::error::RecvError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let span = tracing::Span::current();
    std::thread::spawn(move || {
        let _enter = span.enter();
        let _ = tx.send(f());
    });
    rx.await
}

fn set_status(daemon: &Daemon, name: &str, f: impl FnOnce(&mut TargetStatus)) {
    if let Some(s) = daemon.status.write().unwrap().get_mut(name) {
        f(s);
    }
}

fn record_metrics(target: &str, report: &driftd_core::report::Report, shared: bool) {
    for live in &report.sources.live {
        metrics::counter!("driftd_provider_api_calls_total", "provider" => live.provider.as_str())
            .increment(live.api_calls);
    }
    if shared {
        return;
    }
    for kind in [FindingKind::Changed, FindingKind::Missing, FindingKind::Unmanaged, FindingKind::Violation] {
        for sev in Severity::ALL {
            let n = report.findings.iter().filter(|f| f.kind == kind && f.severity == sev).count();
            metrics::gauge!("driftd_findings", "target" => target.to_string(), "kind" => kind.as_str(), "severity" => sev.as_str())
                .set(n as f64);
        }
    }
    let s = &report.summary;
    metrics::gauge!("driftd_drift_cost_per_hour_usd", "target" => target.to_string(), "kind" => "changed")
        .set(s.cost_delta_per_hour_usd);
    metrics::gauge!("driftd_drift_cost_per_hour_usd", "target" => target.to_string(), "kind" => "unmanaged")
        .set(s.unmanaged_cost_per_hour_usd);
}
