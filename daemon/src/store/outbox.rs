//! The outbox queue: what each notifier sends next, in order per finding, and each
//! message's fate (sent, retried, skipped, dead), with the threads later messages join.

use super::db::{args, DbResult, Row, Sql};
use super::notify_state::forget;
use super::Store;

/// What a notifier's queue holds next.
pub enum OutboxNext {
    Due(Box<OutboxRow>),
    /// Nothing due: the earliest retry that nothing holds up is at this time (ms).
    WaitUntil(i64),
    Empty,
}

/// One outbox row.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub id: i64,
    pub notifier: String,
    pub scope: String,
    pub event: String,
    pub finding_id: Option<String>,
    pub thread_key: Option<String>,
    pub message: String,
    pub status: String,
    pub attempts: u32,
    pub created_ms: i64,
    pub next_attempt_ms: i64,
    pub last_error: Option<String>,
}

impl OutboxRow {
    /// The columns [`OutboxRow::from_row`] reads, in its order.
    const COLUMNS: &'static str = "id, notifier, scope, event, finding_id, thread_key, message, status, attempts,
        created_ms, next_attempt_ms, last_error";

    fn from_row(r: &Row) -> DbResult<OutboxRow> {
        Ok(OutboxRow {
            id: r.get(0)?,
            notifier: r.get(1)?,
            scope: r.get(2)?,
            event: r.get(3)?,
            finding_id: r.get(4)?,
            thread_key: r.get(5)?,
            message: r.get(6)?,
            status: r.get(7)?,
            attempts: r.get(8)?,
            created_ms: r.get(9)?,
            next_attempt_ms: r.get(10)?,
            last_error: r.get(11)?,
        })
    }
}

/// Outbox reads and writes that delivery needs.
impl Store {
    /// The notifier's next message to try: the oldest pending one that is due and waits
    /// for no earlier pending message of its own. Order holds per finding (or resource, for
    /// notifiers that thread per resource), not across findings, so that one finding's
    /// failing message does not hold up the others; a digest or a scan event waits for
    /// every earlier message of its scope, and every later one of its scope waits for it.
    pub fn outbox_next(&self, notifier: &str, now_ms: i64) -> DbResult<OutboxNext> {
        // Per row: is it held up by an earlier pending message it must follow?
        const FREE: &str = "NOT EXISTS (SELECT 1 FROM outbox e
                WHERE e.notifier = o.notifier AND e.status = 'pending' AND e.id < o.id AND e.scope = o.scope
                AND (e.thread_key IS NOT DISTINCT FROM o.thread_key
                     OR e.thread_key IS NULL OR e.thread_key LIKE 'scan:%'
                     OR o.thread_key IS NULL OR o.thread_key LIKE 'scan:%'))";
        let due = self.db.query_opt(
            &format!(
                "SELECT {} FROM outbox o WHERE notifier = ?1 AND status = 'pending' AND next_attempt_ms <= ?2
                 AND {FREE} ORDER BY id LIMIT 1",
                OutboxRow::COLUMNS
            ),
            args![notifier, now_ms],
        )?;
        if let Some(row) = due {
            return Ok(OutboxNext::Due(Box::new(OutboxRow::from_row(&row)?)));
        }
        let next: Option<i64> = self
            .db
            .query_one(
                &format!(
                    "SELECT min(next_attempt_ms) FROM outbox o WHERE notifier = ?1 AND status = 'pending' AND {FREE}"
                ),
                args![notifier],
            )?
            .get(0)?;
        Ok(next.map_or(OutboxNext::Empty, OutboxNext::WaitUntil))
    }

    /// Messages whose status is one of `statuses` (every message when empty), oldest first.
    pub fn outbox_rows(&self, statuses: &[&str]) -> DbResult<Vec<OutboxRow>> {
        let list = serde_json::to_string(statuses).unwrap_or_else(|_| "[]".into());
        let sql = format!(
            "SELECT {} FROM outbox WHERE ?1 = '[]' OR status IN ({}) ORDER BY id",
            OutboxRow::COLUMNS,
            self.db.dialect().json_texts("?1")
        );
        self.db.query(&sql, args![&list])?.iter().map(OutboxRow::from_row).collect()
    }

    pub fn pending_count(&self) -> DbResult<i64> {
        self.db.query_one("SELECT count(*) FROM outbox WHERE status = 'pending'", &[])?.get(0)
    }

    /// Accepted by the receiver: never sent again. Remembers the thread it started: a
    /// `new` message starts a fresh thread, anything else keeps the one it has.
    pub fn mark_sent(&mut self, row: &OutboxRow, now_ms: i64, thread_ref: Option<&str>) -> DbResult<()> {
        let tx = self.db.transaction()?;
        tx.execute(
            "UPDATE outbox SET status = 'sent', sent_ms = ?2, attempts = attempts + 1, last_error = NULL WHERE id = ?1",
            args![row.id, now_ms],
        )?;
        if let (Some(key), Some(thread)) = (&row.thread_key, thread_ref) {
            let on_conflict =
                if row.event == "new" { "DO UPDATE SET thread_ref = excluded.thread_ref" } else { "DO NOTHING" };
            tx.execute(
                &format!(
                    "INSERT INTO threads (notifier, scope, thread_key, thread_ref) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (notifier, scope, thread_key) {on_conflict}"
                ),
                args![&row.notifier, &row.scope, key, thread],
            )?;
        }
        tx.commit()
    }

    /// The receiver refused for good (GitHub's `max_open_issues`): not sent, and the
    /// notifier forgets the finding, so that a later scan offers it again.
    pub fn mark_skipped(&mut self, row: &OutboxRow, reason: &str) -> DbResult<()> {
        let tx = self.db.transaction()?;
        tx.execute(
            "UPDATE outbox SET status = 'skipped', attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
            args![row.id, reason],
        )?;
        if let Some(id) = &row.finding_id {
            forget(&tx, &row.notifier, &row.scope, id)?;
        }
        tx.commit()
    }

    pub fn mark_retry(&self, id: i64, next_ms: i64, error: &str) -> DbResult<()> {
        self.db.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_ms = ?2, last_error = ?3 WHERE id = ?1",
            args![id, next_ms, error],
        )?;
        Ok(())
    }

    /// Given up: and the notifier forgets the findings the message told of (`forgotten`),
    /// so that the next scan that sees them offers them again instead of counting them
    /// as told. One transaction.
    pub fn mark_dead(&mut self, row: &OutboxRow, error: &str, forgotten: &[String]) -> DbResult<()> {
        let tx = self.db.transaction()?;
        tx.execute(
            "UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
            args![row.id, error],
        )?;
        for id in forgotten {
            forget(&tx, &row.notifier, &row.scope, id)?;
        }
        tx.commit()
    }

    /// No message of `notifier` is tried before `until_ms` (a receiver's `Retry-After`).
    pub fn hold_notifier(&self, notifier: &str, until_ms: i64) -> DbResult<()> {
        self.db.execute(
            "UPDATE outbox SET next_attempt_ms = CASE WHEN next_attempt_ms > ?2 THEN next_attempt_ms ELSE ?2 END
             WHERE notifier = ?1 AND status = 'pending'",
            args![notifier, until_ms],
        )?;
        Ok(())
    }

    /// `driftd outbox retry`: dead letters (all, or the ids given) go back in the queue.
    pub fn requeue_dead(&self, ids: &[i64], now_ms: i64) -> DbResult<usize> {
        if ids.is_empty() {
            return self.db.execute(
                "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_ms = ?1 WHERE status = 'dead'",
                args![now_ms],
            );
        }
        let mut n = 0;
        for id in ids {
            n += self.db.execute(
                "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_ms = ?2 WHERE status = 'dead' AND id = ?1",
                args![*id, now_ms],
            )?;
        }
        Ok(n)
    }

    pub fn thread_ref(&self, notifier: &str, scope: &str, key: &str) -> DbResult<Option<String>> {
        match self.db.query_opt(
            "SELECT thread_ref FROM threads WHERE notifier = ?1 AND scope = ?2 AND thread_key = ?3",
            args![notifier, scope, key],
        )? {
            Some(r) => Ok(Some(r.get(0)?)),
            None => Ok(None),
        }
    }
}
