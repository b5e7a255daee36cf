//! The embedded store: one SQLite file (rusqlite, SQLite bundled) holding scan history,
//! finding history, each notifier's view of each finding, and the outbox. Created and
//! migrated on open; `PRAGMA user_version` is the schema version. WAL keeps a reader
//! (`driftd outbox list`) from blocking a writer, and a commit survives the process being
//! killed (SIGKILL) at any point, which the outbox relies on.
//!
//! Secrets are never stored: notifiers are named, never addressed by URL or token.

pub mod api;
pub mod findings;
pub mod notify_state;

use driftd_core::Error;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::{Path, PathBuf};

/// Each entry upgrades the schema by one version; never edit a shipped entry, add one.
const MIGRATIONS: &[&str] = &[
    // 1: history and outbox.
    "CREATE TABLE scans (
        id INTEGER PRIMARY KEY,
        scope TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        outcome TEXT NOT NULL,            -- ok | partial | failed
        findings INTEGER NOT NULL,
        new INTEGER NOT NULL,
        changed INTEGER NOT NULL,
        resolved INTEGER NOT NULL,
        error TEXT
    );
    CREATE INDEX scans_scope ON scans (scope, id);
    CREATE TABLE findings (
        scope TEXT NOT NULL,
        id TEXT NOT NULL,                 -- the report's stable finding id
        kind TEXT NOT NULL,
        severity TEXT NOT NULL,
        type TEXT NOT NULL,
        resource_id TEXT NOT NULL,
        account TEXT,
        region TEXT,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        resolved_at TEXT,                 -- NULL while open
        signature TEXT NOT NULL,          -- what changed, live values, severity: moves mean `changed`
        cost_per_hour_usd REAL,
        PRIMARY KEY (scope, id)
    );
    -- Apart from `findings`, whose narrow rows every scan touches (last_seen): a body is
    -- written only when its finding is new or changed.
    CREATE TABLE finding_bodies (
        scope TEXT NOT NULL,
        id TEXT NOT NULL,
        finding TEXT NOT NULL,            -- the finding as the JSON report has it, as last notified
        tags TEXT NOT NULL,               -- the resource's tags (notifier filters)
        PRIMARY KEY (scope, id)
    );
    CREATE INDEX findings_open ON findings (scope, resolved_at);
    CREATE TABLE scopes (
        scope TEXT PRIMARY KEY,
        last_outcome TEXT NOT NULL,
        failing_since TEXT,
        last_ok_at TEXT
    );
    CREATE TABLE notify_state (           -- the open findings each notifier was told of
        notifier TEXT NOT NULL,
        scope TEXT NOT NULL,
        finding_id TEXT NOT NULL,
        last_event TEXT NOT NULL,
        last_notified_ms INTEGER NOT NULL,
        PRIMARY KEY (notifier, scope, finding_id)
    );
    CREATE TABLE threads (                -- where later messages of a thread go
        notifier TEXT NOT NULL,
        scope TEXT NOT NULL,
        thread_key TEXT NOT NULL,         -- finding id, `resource:TYPE:ID`, or `scan:N`
        thread_ref TEXT NOT NULL,         -- Slack channel:ts, GitHub issue number
        PRIMARY KEY (notifier, scope, thread_key)
    );
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        notifier TEXT NOT NULL,
        scope TEXT NOT NULL,
        scan_id INTEGER,
        event TEXT NOT NULL,
        finding_id TEXT,
        thread_key TEXT,
        message TEXT NOT NULL,            -- notify::Message as JSON
        status TEXT NOT NULL,             -- pending | sent | dead | skipped
        attempts INTEGER NOT NULL DEFAULT 0,
        created_ms INTEGER NOT NULL,
        next_attempt_ms INTEGER NOT NULL,
        sent_ms INTEGER,
        last_error TEXT
    );
    CREATE INDEX outbox_queue ON outbox (notifier, status, id);",
    // 2: the arguments each `check --notify` scope was last checked with,
    // and the index that finds what holds up a pending message (same finding, earlier).
    "ALTER TABLE scopes ADD COLUMN inputs TEXT;
    CREATE INDEX scopes_inputs ON scopes (inputs);
    CREATE INDEX outbox_pending ON outbox (notifier, scope, thread_key, id) WHERE status = 'pending';",
];

pub struct Store {
    pub conn: Connection,
    pub path: PathBuf,
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, Error> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, &e))?;
        }
        let at = |e: rusqlite::Error| Error::input(path.display().to_string(), format!("store: {e}"));
        let conn = Connection::open(path).map_err(at)?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(at)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(at)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(at)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(at)?;
        let mut store = Store { conn, path: path.to_path_buf() };
        store.migrate().map_err(at)?;
        Ok(store)
    }

    fn migrate(&mut self) -> rusqlite::Result<()> {
        let version: i64 = self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let version = version.max(0) as usize;
        if version > MIGRATIONS.len() {
            return Err(rusqlite::Error::InvalidParameterName(format!(
                "schema version {version} is newer than this driftd knows ({}); upgrade driftd",
                MIGRATIONS.len()
            )));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// Folds the write-ahead log into the file (at shutdown): one file to back up.
    pub fn checkpoint(&self) -> rusqlite::Result<()> {
        self.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
    }

    pub fn error(&self, e: rusqlite::Error) -> Error {
        Error::input(self.path.display().to_string(), format!("store: {e}"))
    }
}

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
    fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRow> {
        Ok(OutboxRow {
            id: r.get("id")?,
            notifier: r.get("notifier")?,
            scope: r.get("scope")?,
            event: r.get("event")?,
            finding_id: r.get("finding_id")?,
            thread_key: r.get("thread_key")?,
            message: r.get("message")?,
            status: r.get("status")?,
            attempts: r.get("attempts")?,
            created_ms: r.get("created_ms")?,
            next_attempt_ms: r.get("next_attempt_ms")?,
            last_error: r.get("last_error")?,
        })
    }
}

/// Outbox reads and writes that delivery needs.
impl Store {
    /// The oldest undelivered row of one notifier: delivery is in order, per notifier.
    /// The notifier's next message to try: the oldest pending one that is due and waits
    /// for no earlier pending message of its own. Order holds per finding (or resource, for
    /// notifiers that thread per resource), not across findings, so that one finding's
    /// failing message does not hold up the others; a digest or a scan event waits for
    /// every earlier message of its scope, and every later one of its scope waits for it.
    pub fn outbox_next(&self, notifier: &str, now_ms: i64) -> rusqlite::Result<OutboxNext> {
        // Per row: is it held up by an earlier pending message it must follow?
        const FREE: &str = "NOT EXISTS (SELECT 1 FROM outbox e
                WHERE e.notifier = o.notifier AND e.status = 'pending' AND e.id < o.id AND e.scope = o.scope
                AND (e.thread_key IS o.thread_key
                     OR e.thread_key IS NULL OR e.thread_key LIKE 'scan:%'
                     OR o.thread_key IS NULL OR o.thread_key LIKE 'scan:%'))";
        let due = self
            .conn
            .query_row(
                &format!(
                    "SELECT * FROM outbox o WHERE notifier = ?1 AND status = 'pending' AND next_attempt_ms <= ?2
                     AND {FREE} ORDER BY id LIMIT 1"
                ),
                params![notifier, now_ms],
                OutboxRow::from_row,
            )
            .optional()?;
        if let Some(row) = due {
            return Ok(OutboxNext::Due(Box::new(row)));
        }
        let next: Option<i64> = self.conn.query_row(
            &format!("SELECT min(next_attempt_ms) FROM outbox o WHERE notifier = ?1 AND status = 'pending' AND {FREE}"),
            params![notifier],
            |r| r.get(0),
        )?;
        Ok(next.map_or(OutboxNext::Empty, OutboxNext::WaitUntil))
    }

    /// Messages whose status is one of `statuses` (every message when empty), oldest first.
    pub fn outbox_rows(&self, statuses: &[&str]) -> rusqlite::Result<Vec<OutboxRow>> {
        let list = serde_json::to_string(statuses).unwrap_or_else(|_| "[]".into());
        let mut stmt = self.conn.prepare(
            "SELECT * FROM outbox WHERE ?1 = '[]' OR status IN (SELECT value FROM json_each(?1)) ORDER BY id",
        )?;
        let rows = stmt.query_map(params![list], OutboxRow::from_row)?;
        rows.collect()
    }

    pub fn pending_count(&self) -> rusqlite::Result<i64> {
        self.conn.query_row("SELECT count(*) FROM outbox WHERE status = 'pending'", [], |r| r.get(0))
    }

    /// Accepted by the receiver: never sent again. Remembers the thread it started: a
    /// `new` message starts a fresh thread, anything else keeps the one it has.
    pub fn mark_sent(&mut self, row: &OutboxRow, now_ms: i64, thread_ref: Option<&str>) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE outbox SET status = 'sent', sent_ms = ?2, attempts = attempts + 1, last_error = NULL WHERE id = ?1",
            params![row.id, now_ms],
        )?;
        if let (Some(key), Some(thread)) = (&row.thread_key, thread_ref) {
            let verb = if row.event == "new" { "INSERT OR REPLACE" } else { "INSERT OR IGNORE" };
            tx.execute(
                &format!("{verb} INTO threads (notifier, scope, thread_key, thread_ref) VALUES (?1, ?2, ?3, ?4)"),
                params![row.notifier, row.scope, key, thread],
            )?;
        }
        tx.commit()
    }

    /// The receiver refused for good (GitHub's `max_open_issues`): not sent, and the
    /// notifier forgets the finding, so that a later scan offers it again.
    pub fn mark_skipped(&mut self, row: &OutboxRow, reason: &str) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE outbox SET status = 'skipped', attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
            params![row.id, reason],
        )?;
        if let Some(id) = &row.finding_id {
            forget(&tx, &row.notifier, &row.scope, id)?;
        }
        tx.commit()
    }

    pub fn mark_retry(&self, id: i64, next_ms: i64, error: &str) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_ms = ?2, last_error = ?3 WHERE id = ?1",
            params![id, next_ms, error],
        )?;
        Ok(())
    }

    /// Given up: and the notifier forgets the findings the message told of (`forgotten`),
    /// so that the next scan that sees them offers them again instead of counting them
    /// as told. One transaction.
    pub fn mark_dead(&mut self, row: &OutboxRow, error: &str, forgotten: &[String]) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
            params![row.id, error],
        )?;
        for id in forgotten {
            forget(&tx, &row.notifier, &row.scope, id)?;
        }
        tx.commit()
    }

    /// Removes scans, resolved findings and delivered messages older than `keep` says, in
    /// one transaction: the latest scan of each scope, open findings, pending messages and
    /// dead letters always stay. Freed pages are reused, so the file stops growing.
    pub fn prune(&mut self, now: jiff::Timestamp, keep: &Retention) -> rusqlite::Result<Pruned> {
        let before = |d: std::time::Duration| {
            let at = now.checked_sub(jiff::SignedDuration::try_from(d).unwrap_or(jiff::SignedDuration::MAX));
            let at = at.unwrap_or(jiff::Timestamp::MIN);
            at.round(jiff::Unit::Second).unwrap_or(at)
        };
        // Times are stored as RFC 3339 in UTC, so text order is time order.
        let scans_before = before(keep.scans).to_string();
        let resolved_before = before(keep.resolved).to_string();
        let delivered_before_ms = before(keep.delivered).as_millisecond();
        let tx = self.conn.transaction()?;
        tx.execute(
            "DELETE FROM threads WHERE thread_key IN (
                SELECT 'scan:' || id FROM scans WHERE finished_at < ?1
                AND id NOT IN (SELECT max(id) FROM scans GROUP BY scope))",
            params![scans_before],
        )?;
        let scans = tx.execute(
            "DELETE FROM scans WHERE finished_at < ?1 AND id NOT IN (SELECT max(id) FROM scans GROUP BY scope)",
            params![scans_before],
        )?;
        // What hangs off a finding goes with it: its thread, notifier state and body.
        for (table, id) in [("threads", "thread_key"), ("notify_state", "finding_id"), ("finding_bodies", "id")] {
            tx.execute(
                &format!(
                    "DELETE FROM {table} WHERE (scope, {id}) IN (
                        SELECT scope, id FROM findings WHERE resolved_at IS NOT NULL AND resolved_at < ?1)"
                ),
                params![resolved_before],
            )?;
        }
        let findings = tx.execute(
            "DELETE FROM findings WHERE resolved_at IS NOT NULL AND resolved_at < ?1",
            params![resolved_before],
        )?;
        let messages = tx.execute(
            "DELETE FROM outbox WHERE status IN ('sent', 'skipped') AND coalesce(sent_ms, created_ms) < ?1",
            params![delivered_before_ms],
        )?;
        tx.commit()?;
        Ok(Pruned { scans, findings, messages })
    }

    /// No message of `notifier` is tried before `until_ms` (a receiver's `Retry-After`).
    pub fn hold_notifier(&self, notifier: &str, until_ms: i64) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE outbox SET next_attempt_ms = max(next_attempt_ms, ?2) WHERE notifier = ?1 AND status = 'pending'",
            params![notifier, until_ms],
        )?;
        Ok(())
    }

    /// `driftd outbox retry`: dead letters (all, or the ids given) go back in the queue.
    pub fn requeue_dead(&self, ids: &[i64], now_ms: i64) -> rusqlite::Result<usize> {
        if ids.is_empty() {
            return self.conn.execute(
                "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_ms = ?1 WHERE status = 'dead'",
                params![now_ms],
            );
        }
        let mut n = 0;
        for id in ids {
            n += self.conn.execute(
                "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_ms = ?2 WHERE status = 'dead' AND id = ?1",
                params![id, now_ms],
            )?;
        }
        Ok(n)
    }

    pub fn thread_ref(&self, notifier: &str, scope: &str, key: &str) -> rusqlite::Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT thread_ref FROM threads WHERE notifier = ?1 AND scope = ?2 AND thread_key = ?3",
                params![notifier, scope, key],
                |r| r.get::<_, String>(0),
            )
            .optional()
    }
}

pub use notify_state::forget;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_migrates_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/driftd.db");
        let store = Store::open(&path).unwrap();
        let v: i64 = store.conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(v as usize, MIGRATIONS.len());
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.pending_count().unwrap(), 0);
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("driftd.db");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = Store::open(&path).err().unwrap();
        assert!(err.to_string().contains("newer"), "{err}");
    }
}
