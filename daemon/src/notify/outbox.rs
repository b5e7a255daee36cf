//! The durable outbox: every message is in the store before it is sent (written in the
//! scan's transaction), and marked sent once the receiver accepted it. Each notifier's
//! queue is delivered in order, one message at a time, apart from the others: a Slack
//! outage does not hold up PagerDuty. A failure is retried with exponential backoff and
//! full jitter, or after the receiver's `Retry-After`; after `max_attempts` tries, or at
//! once when retrying cannot help (a bad token), the message is dead-lettered, and
//! `driftd outbox retry` re-queues it. Order is kept per finding (see
//! `Store::outbox_next`): one finding's failing message does not hold up the others.
//!
//! The one duplicate the outbox can make: the receiver accepted a message and the
//! process died before it wrote "sent" (a window of one store write). The message is
//! sent again on restart; webhook receivers can de-duplicate on its id.

use super::{Built, Message, Retry, Sent};
use crate::events;
use crate::store::{OutboxNext, OutboxRow, Store};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_attempts: 10, initial_backoff: Duration::from_secs(1), max_backoff: Duration::from_secs(600) }
    }
}

impl RetryPolicy {
    /// Before try `attempt + 1` (`attempt` failures so far, from 1): exponential, capped,
    /// with full jitter over its upper half so that many senders do not retry in step.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.initial_backoff.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        let ceiling = exp.min(self.max_backoff);
        let half = ceiling / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// How one delivery round ended, summed over notifiers.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    pub sent: usize,
    pub skipped: usize,
    pub retried: usize,
    pub dead: usize,
}

impl Delivery {
    fn add(&mut self, o: Delivery) {
        self.sent += o.sent;
        self.skipped += o.skipped;
        self.retried += o.retried;
        self.dead += o.dead;
    }
}

/// Delivers what is pending, each notifier's queue in order per finding. `until`: the end
/// of a one-shot `check --notify`'s delivery (no retry waited for past it, no request
/// left running past it); what is left stays queued. `lease_time`: a shared store's
/// claim on a notifier's queue.
pub async fn deliver(
    store: Arc<Mutex<Store>>,
    notifiers: Vec<Arc<Built>>,
    policy: RetryPolicy,
    lease_time: Duration,
    until: Option<i64>,
) -> Result<Delivery, String> {
    let mut tasks = tokio::task::JoinSet::new();
    for n in notifiers {
        let store = store.clone();
        tasks.spawn(async move { deliver_one(store, n, policy, lease_time, until, true).await });
    }
    let mut total = Delivery::default();
    let mut first_error = None;
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Ok(d)) => total.add(d),
            Ok(Err(e)) => first_error = first_error.or(Some(e)),
            Err(e) => first_error = first_error.or(Some(format!("delivery task failed: {e}"))),
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(total),
    }
}

/// The daemon's delivery: what is due now for one notifier, in order; returns when its
/// queue is empty or its head waits for a retry.
pub async fn deliver_due(
    store: Arc<Mutex<Store>>,
    n: Arc<Built>,
    policy: RetryPolicy,
    lease_time: Duration,
) -> Result<Delivery, String> {
    deliver_one(store, n, policy, lease_time, Some(now_ms()), false).await
}

fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    // A panic while holding the lock leaves SQLite consistent (transactions roll back).
    store.lock().unwrap_or_else(|p| p.into_inner())
}

/// With a shared store, a notifier's queue is delivered by one replica at a time: the
/// one holding its `notify:NAME` lease. That keeps each message sent once and in order
/// across replicas; the others leave the queue alone until the lease is free or lapses.
async fn deliver_one(
    store: Arc<Mutex<Store>>,
    n: Arc<Built>,
    policy: RetryPolicy,
    lease_time: Duration,
    until: Option<i64>,
    deadline: bool,
) -> Result<Delivery, String> {
    let db_err = |e: crate::store::DbError| format!("store: {e}");
    let lease = format!("notify:{}", n.name);
    let owner = crate::store::leases::replica_id();
    let ttl = {
        let store = lock(&store);
        match store.is_shared() {
            false => None,
            true => {
                let ttl = lease_time.as_millis() as i64;
                if !store.claim(&lease, owner, now_ms(), ttl).map_err(db_err)? {
                    return Ok(Delivery::default());
                }
                Some(ttl)
            }
        }
    };
    let holding = ttl.map(|ttl| (lease.as_str(), owner, ttl));
    let done = deliver_queue(&store, &n, policy, until, deadline, holding).await;
    if ttl.is_some() {
        lock(&store).release(&lease, owner, None).map_err(db_err)?;
    }
    done
}

async fn deliver_queue(
    store: &Arc<Mutex<Store>>,
    n: &Arc<Built>,
    policy: RetryPolicy,
    until: Option<i64>,
    deadline: bool,
    holding: Option<(&str, &str, i64)>,
) -> Result<Delivery, String> {
    let (store, n) = (store.clone(), n.clone());
    let mut done = Delivery::default();
    let db_err = |e: crate::store::DbError| format!("store: {e}");
    loop {
        let now = now_ms();
        if let Some((lease, owner, ttl)) = holding {
            if !lock(&store).renew(lease, owner, now, ttl).map_err(db_err)? {
                tracing::warn!(notifier = %n.name, "the queue's lease lapsed; another replica delivers it");
                break;
            }
        }
        let next = lock(&store).outbox_next(&n.name, now).map_err(db_err)?;
        let row = match next {
            OutboxNext::Empty => break,
            OutboxNext::WaitUntil(at) => {
                if until.is_some_and(|u| at > u) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis((at - now).max(1) as u64)).await;
                continue;
            }
            OutboxNext::Due(row) => row,
        };
        // A one-shot delivery ends at `until`, a request in flight included: what was not
        // confirmed stays queued (if the receiver did accept it, the next run sends it
        // again, the documented duplicate).
        let outcome = match until.filter(|_| deadline) {
            Some(u) => {
                let left = Duration::from_millis((u - now_ms()).max(0) as u64);
                match tokio::time::timeout(left, attempt(&store, &n, &row)).await {
                    Ok(outcome) => outcome,
                    Err(_) => break,
                }
            }
            None => attempt(&store, &n, &row).await,
        }
        .map_err(db_err)?;
        let attempts = row.attempts + 1;
        match outcome {
            Attempt::Sent(thread) => {
                lock(&store).mark_sent(&row, now_ms(), thread.as_deref()).map_err(db_err)?;
                events::NotificationSent { notifier: &n.name, event: &row.event, outbox_id: row.id }.emit();
                done.sent += 1;
            }
            Attempt::Skipped(reason) => {
                lock(&store).mark_skipped(&row, &reason).map_err(db_err)?;
                events::NotificationSkipped { notifier: &n.name, outbox_id: row.id, reason: &reason }.emit();
                done.skipped += 1;
            }
            Attempt::Failed(e) if e.retry == Retry::Never || attempts >= policy.max_attempts => {
                lock(&store).mark_dead(&row, &e.message, &told_of(&row)).map_err(db_err)?;
                events::NotificationDeadLettered { notifier: &n.name, outbox_id: row.id, attempts, error: &e.message }
                    .emit();
                done.dead += 1;
            }
            Attempt::Failed(e) => {
                let wait = match e.retry {
                    // A receiver's own pace wins, within reason.
                    Retry::Later(Some(after)) => after.min(Duration::from_secs(3600)),
                    _ => policy.backoff(attempts),
                };
                let at = now_ms() + wait.as_millis() as i64;
                let store = lock(&store);
                store.mark_retry(row.id, at, &e.message).map_err(db_err)?;
                // Retry-After is about the receiver, not this message: its whole queue waits.
                if let Retry::Later(Some(_)) = e.retry {
                    store.hold_notifier(&n.name, at).map_err(db_err)?;
                }
                drop(store);
                events::NotificationFailedError {
                    notifier: &n.name,
                    outbox_id: row.id,
                    attempt: attempts,
                    retry_in_ms: wait.as_millis() as u64,
                    error: &e.message,
                }
                .emit();
                done.retried += 1;
            }
        }
    }
    Ok(done)
}

/// The findings a message tells its notifier of (not the resolutions): what the notifier
/// must forget if the message is given up, so that they are offered again.
fn told_of(row: &OutboxRow) -> Vec<String> {
    let Ok(msg) = serde_json::from_str::<Message>(&row.message) else { return Vec::new() };
    let ids = |events: &mut dyn Iterator<Item = &super::FindingEvent>| -> Vec<String> {
        events.filter(|e| e.event != super::EventKind::Resolved).map(|e| e.finding.id.clone()).collect()
    };
    match &msg.body {
        super::Body::Finding(e) => ids(&mut std::iter::once(e.as_ref())),
        super::Body::Digest { events, .. } => ids(&mut events.iter()),
        super::Body::Scan(_) => Vec::new(),
    }
}

enum Attempt {
    Sent(Option<String>),
    Skipped(String),
    Failed(super::SendError),
}

async fn attempt(store: &Mutex<Store>, n: &Built, row: &OutboxRow) -> crate::store::DbResult<Attempt> {
    let msg: Message = match serde_json::from_str(&row.message) {
        Ok(m) => m,
        Err(e) => {
            return Ok(Attempt::Failed(super::SendError::never(format!(
                "outbox row {} is not a message this driftd can read: {e}",
                row.id
            ))))
        }
    };
    let thread = match &row.thread_key {
        Some(key) => lock(store).thread_ref(&n.name, &row.scope, key)?,
        None => None,
    };
    Ok(match n.sender.send(&msg, thread.as_deref()).await {
        Ok(Sent::Accepted { thread }) => Attempt::Sent(thread),
        Ok(Sent::Skipped(reason)) => Attempt::Skipped(reason),
        Err(e) => Attempt::Failed(e),
    })
}

/// `driftd outbox list`: one line per message, with its state and, while pending, when
/// it is tried next.
pub fn list(store: &Store, statuses: &[&str], filter: &str, out: &mut dyn std::io::Write) -> Result<(), String> {
    let rows = store.outbox_rows(statuses).map_err(|e| format!("store: {e}"))?;
    let time = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| t.round(jiff::Unit::Second).map(|t| t.to_string()).unwrap_or_default())
            .unwrap_or_default()
    };
    let _ = writeln!(
        out,
        "{:>6}  {:<8}  {:<16}  {:<14}  {:>8}  {:<20}  {:<20}  LAST ERROR",
        "ID", "STATUS", "NOTIFIER", "EVENT", "ATTEMPTS", "CREATED", "NEXT TRY"
    );
    for r in &rows {
        let next = if r.status == "pending" { time(r.next_attempt_ms) } else { "-".into() };
        let _ = writeln!(
            out,
            "{:>6}  {:<8}  {:<16}  {:<14}  {:>8}  {:<20}  {:<20}  {}",
            r.id,
            r.status,
            r.notifier,
            r.event,
            r.attempts,
            time(r.created_ms),
            next,
            r.last_error.as_deref().unwrap_or("")
        );
    }
    if rows.is_empty() {
        let _ = writeln!(out, "(no {}messages)", if filter == "all" { String::new() } else { format!("{filter} ") });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_jitters() {
        let p = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(60),
        };
        for _ in 0..100 {
            let b1 = p.backoff(1);
            assert!(b1 >= Duration::from_secs(1) && b1 <= Duration::from_secs(2), "{b1:?}");
            let b4 = p.backoff(4);
            assert!(b4 >= Duration::from_secs(8) && b4 <= Duration::from_secs(16), "{b4:?}");
            let b30 = p.backoff(30);
            assert!(b30 >= Duration::from_secs(30) && b30 <= Duration::from_secs(60), "{b30:?}");
        }
        let distinct: std::collections::HashSet<_> = (0..20).map(|_| p.backoff(5).as_millis()).collect();
        assert!(distinct.len() > 5, "no jitter: {distinct:?}");
    }
}
