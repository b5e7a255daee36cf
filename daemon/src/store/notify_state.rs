//! What each notifier was told of each open finding, and its outbox writes.

use rusqlite::{params, Connection, OptionalExtension};

/// When a notifier last told of a finding (ms since the epoch); `None`: never, or it
/// forgot.
pub fn last_notified(
    conn: &Connection,
    notifier: &str,
    scope: &str,
    finding_id: &str,
) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached(
        "SELECT last_notified_ms FROM notify_state WHERE notifier = ?1 AND scope = ?2 AND finding_id = ?3",
    )?
    .query_row(params![notifier, scope, finding_id], |r| r.get(0))
    .optional()
}

pub fn notified(
    conn: &Connection,
    notifier: &str,
    scope: &str,
    finding_id: &str,
    event: &str,
    at_ms: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO notify_state (notifier, scope, finding_id, last_event, last_notified_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (notifier, scope, finding_id) DO UPDATE SET last_event = ?4, last_notified_ms = ?5",
    )?
    .execute(params![notifier, scope, finding_id, event, at_ms])?;
    Ok(())
}

/// A notifier no longer tracks a finding: the next scan that sees it offers it as `new`.
pub fn forget(conn: &Connection, notifier: &str, scope: &str, finding_id: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM notify_state WHERE notifier = ?1 AND scope = ?2 AND finding_id = ?3")?
        .execute(params![notifier, scope, finding_id])?;
    Ok(())
}

/// Other open findings of the same resource this notifier was told of.
pub fn others_open_on_resource(
    conn: &Connection,
    notifier: &str,
    scope: &str,
    tf_type: &str,
    resource_id: &str,
    except: &str,
) -> rusqlite::Result<usize> {
    conn.query_row(
        "SELECT count(*) FROM notify_state n JOIN findings f ON f.scope = n.scope AND f.id = n.finding_id
         WHERE n.notifier = ?1 AND n.scope = ?2 AND f.type = ?3 AND f.resource_id = ?4
           AND f.resolved_at IS NULL AND f.id != ?5",
        params![notifier, scope, tf_type, resource_id, except],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n as usize)
}

/// A message queued for a notifier.
pub struct Queued<'a> {
    pub notifier: &'a str,
    pub scope: &'a str,
    pub scan_id: i64,
    pub event: &'a str,
    pub finding_id: Option<&'a str>,
    pub thread_key: Option<&'a str>,
    /// `notify::Message` as JSON.
    pub message: &'a str,
}

pub fn enqueue(conn: &Connection, q: &Queued<'_>, now_ms: i64) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO outbox (notifier, scope, scan_id, event, finding_id, thread_key, message, status,
            attempts, created_ms, next_attempt_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', 0, ?8, ?8)",
        params![q.notifier, q.scope, q.scan_id, q.event, q.finding_id, q.thread_key, q.message, now_ms],
    )?;
    Ok(())
}
