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
mod outbox;
mod retention;

pub use outbox::{OutboxNext, OutboxRow};
pub use retention::{Pruned, Retention};

use driftd_core::Error;
use rusqlite::Connection;
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
