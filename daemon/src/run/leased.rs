//! When each target is scanned with a shared store: instead of a static shard, every
//! replica runs a loop per target and scans it only while it holds the target's lease
//! (`target:NAME`). A loop looks every `poll` whether the target is due and free, claims it,
//! renews the lease a few times per lease time while scanning, and releases it with the
//! time the target is next due (the interval plus jitter, or the failure backoff). A
//! replica that dies loses its leases when they lapse; the next replica that looks takes
//! the target over, so a target waits at most one lease time plus `poll` beyond its due
//! time while any replica is alive.

use super::schedule::{ScanFn, Schedule};
use crate::store::{self, leases, Store};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch, Semaphore};
use tracing::warn;

/// A target's lease in the shared store.
#[derive(Clone)]
pub struct TargetLease {
    pub store: Arc<Mutex<Store>>,
    /// `target:NAME`
    pub name: String,
    pub lease_time: Duration,
}

impl TargetLease {
    /// How often a loop looks whether its target is due: often enough that a lapsed lease
    /// is taken over soon after it lapses, at most every 5 s.
    pub fn poll(&self, schedule: &Schedule) -> Duration {
        (self.lease_time / 4).min(schedule.interval / 2).min(Duration::from_secs(5)).max(Duration::from_millis(200))
    }
}

fn now_ms() -> i64 {
    crate::notify::outbox::now_ms()
}

/// The loop of one target on one replica, until `stop` turns true.
pub async fn target_loop(
    schedule: Schedule,
    lease: TargetLease,
    scan: ScanFn,
    limit: Arc<Semaphore>,
    mut trigger: mpsc::Receiver<()>,
    mut stop: watch::Receiver<bool>,
) {
    let owner = leases::replica_id();
    let ttl = lease.lease_time.as_millis() as i64;
    let poll = lease.poll(&schedule);
    let mut failures = 0u32;
    let mut wait = schedule.first_wait().min(poll);
    loop {
        let triggered = tokio::select! {
            _ = tokio::time::sleep(wait) => false,
            Some(()) = trigger.recv() => true,
            _ = stop.wait_for(|s| *s) => return,
        };
        if triggered {
            let name = lease.name.clone();
            if let Err(e) = store::blocking(&lease.store, move |s| s.make_due(&name, now_ms())).await {
                warn!(lease = %lease.name, error = %e, "cannot mark the target due");
            }
        }
        wait = poll;
        // The permit first: a lease is not held while waiting for a scan slot.
        let permit = tokio::select! {
            p = limit.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
            _ = stop.wait_for(|s| *s) => return,
        };
        let name = lease.name.clone();
        match store::blocking(&lease.store, move |s| s.claim(&name, owner, now_ms(), ttl)).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                warn!(lease = %lease.name, error = %e, "cannot claim the target");
                continue;
            }
        }
        let renewing = {
            let lease = lease.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(lease.lease_time / 3).await;
                    let name = lease.name.clone();
                    match store::blocking(&lease.store, move |s| s.renew(&name, owner, now_ms(), ttl)).await {
                        Ok(true) => {}
                        Ok(false) => {
                            warn!(lease = %lease.name, "the lease lapsed during the scan; its result will not be recorded");
                            return;
                        }
                        Err(e) => warn!(lease = %lease.name, error = %e, "cannot renew the lease"),
                    }
                }
            })
        };
        let ok = scan().await;
        renewing.abort();
        drop(permit);
        failures = if ok { 0 } else { failures.saturating_add(1) };
        let next_due = now_ms() + schedule.next_wait(failures).as_millis() as i64;
        let name = lease.name.clone();
        if let Err(e) = store::blocking(&lease.store, move |s| s.release(&name, owner, Some(next_due))).await {
            warn!(lease = %lease.name, error = %e, "cannot release the target; it is free again when the lease lapses");
        }
        if *stop.borrow() {
            return;
        }
    }
}
