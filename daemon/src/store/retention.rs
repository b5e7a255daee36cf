//! Retention: scans, resolved findings and delivered messages removed once they are
//! older than `[store] keep_*` says.

use super::db::{args, DbResult, Sql};
use super::Store;

/// How long the store keeps what it no longer needs (`[store] keep_*`).
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub scans: std::time::Duration,
    pub resolved: std::time::Duration,
    pub delivered: std::time::Duration,
}

impl Retention {
    /// How often pruning is worth running: hourly, or more often for short periods.
    pub fn every(&self) -> std::time::Duration {
        let shortest = self.scans.min(self.resolved).min(self.delivered);
        (shortest / 4).clamp(std::time::Duration::from_secs(1), std::time::Duration::from_secs(3600))
    }
}

/// What one pruning removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub scans: usize,
    pub findings: usize,
    pub messages: usize,
}

impl Store {
    /// Removes scans, resolved findings and delivered messages older than `keep` says, in
    /// one transaction: the latest scan of each scope, open findings, pending messages and
    /// dead letters always stay. Freed pages are reused, so the file stops growing.
    pub fn prune(&mut self, now: jiff::Timestamp, keep: &Retention) -> DbResult<Pruned> {
        let before = |d: std::time::Duration| {
            let at = now.checked_sub(jiff::SignedDuration::try_from(d).unwrap_or(jiff::SignedDuration::MAX));
            let at = at.unwrap_or(jiff::Timestamp::MIN);
            at.round(jiff::Unit::Second).unwrap_or(at)
        };
        // Times are stored as RFC 3339 in UTC, so text order is time order.
        let scans_before = before(keep.scans).to_string();
        let resolved_before = before(keep.resolved).to_string();
        let delivered_before_ms = before(keep.delivered).as_millisecond();
        let tx = self.db.transaction()?;
        tx.execute(
            "DELETE FROM threads WHERE thread_key IN (
                SELECT 'scan:' || id FROM scans WHERE finished_at < ?1
                AND id NOT IN (SELECT max(id) FROM scans GROUP BY scope))",
            args![&scans_before],
        )?;
        let scans = tx.execute(
            "DELETE FROM scans WHERE finished_at < ?1 AND id NOT IN (SELECT max(id) FROM scans GROUP BY scope)",
            args![&scans_before],
        )?;
        // A scan's costs per team go with it.
        tx.execute("DELETE FROM scan_teams WHERE scan_id NOT IN (SELECT id FROM scans)", &[])?;
        // What hangs off a finding goes with it: its thread, notifier state and body.
        for (table, id) in [
            ("threads", "thread_key"),
            ("notify_state", "finding_id"),
            ("finding_bodies", "id"),
            ("finding_events", "finding_id"),
        ] {
            tx.execute(
                &format!(
                    "DELETE FROM {table} WHERE (scope, {id}) IN (
                        SELECT scope, id FROM findings WHERE resolved_at IS NOT NULL AND resolved_at < ?1)"
                ),
                args![&resolved_before],
            )?;
        }
        let findings = tx.execute(
            "DELETE FROM findings WHERE resolved_at IS NOT NULL AND resolved_at < ?1",
            args![&resolved_before],
        )?;
        // A long-open finding's timeline keeps the row that opened it and what is as recent
        // as the scans kept: a finding that flaps for months stays a bounded number of rows.
        tx.execute(
            "DELETE FROM finding_events WHERE at < ?1
                AND seq NOT IN (SELECT min(seq) FROM finding_events GROUP BY scope, finding_id)",
            args![&scans_before],
        )?;
        let messages = tx.execute(
            "DELETE FROM outbox WHERE status IN ('sent', 'skipped') AND coalesce(sent_ms, created_ms) < ?1",
            args![delivered_before_ms],
        )?;
        tx.commit()?;
        Ok(Pruned { scans, findings, messages })
    }
}
