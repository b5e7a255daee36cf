//! What each notifier was told of each open finding, and its outbox writes.

use super::db::{args, DbResult, Sql};

/// When a notifier last told of a finding (ms since the epoch); `None`: never, or it
/// forgot.
pub fn last_notified(conn: &dyn Sql, notifier: &str, scope: &str, finding_id: &str) -> DbResult<Option<i64>> {
    match conn.query_opt(
        "SELECT last_notified_ms FROM notify_state WHERE notifier = ?1 AND scope = ?2 AND finding_id = ?3",
        args![notifier, scope, finding_id],
    )? {
        Some(r) => Ok(Some(r.get(0)?)),
        None => Ok(None),
    }
}

pub fn notified(
    conn: &dyn Sql,
    notifier: &str,
    scope: &str,
    finding_id: &str,
    event: &str,
    at_ms: i64,
) -> DbResult<()> {
    conn.execute(
        "INSERT INTO notify_state (notifier, scope, finding_id, last_event, last_notified_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (notifier, scope, finding_id) DO UPDATE SET last_event = excluded.last_event,
            last_notified_ms = excluded.last_notified_ms",
        args![notifier, scope, finding_id, event, at_ms],
    )?;
    Ok(())
}

/// A notifier no longer tracks a finding: the next scan that sees it offers it as `new`.
pub fn forget(conn: &dyn Sql, notifier: &str, scope: &str, finding_id: &str) -> DbResult<()> {
    conn.execute(
        "DELETE FROM notify_state WHERE notifier = ?1 AND scope = ?2 AND finding_id = ?3",
        args![notifier, scope, finding_id],
    )?;
    Ok(())
}

/// Other open findings of the same resource this notifier was told of.
pub fn others_open_on_resource(
    conn: &dyn Sql,
    notifier: &str,
    scope: &str,
    tf_type: &str,
    resource_id: &str,
    except: &str,
) -> DbResult<usize> {
    let n: i64 = conn
        .query_one(
            "SELECT count(*) FROM notify_state n JOIN findings f ON f.scope = n.scope AND f.id = n.finding_id
             WHERE n.notifier = ?1 AND n.scope = ?2 AND f.type = ?3 AND f.resource_id = ?4
               AND f.resolved_at IS NULL AND f.id != ?5",
            args![notifier, scope, tf_type, resource_id, except],
        )?
        .get(0)?;
    Ok(n as usize)
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

pub fn enqueue(conn: &dyn Sql, q: &Queued<'_>, now_ms: i64) -> DbResult<()> {
    conn.execute(
        "INSERT INTO outbox (notifier, scope, scan_id, event, finding_id, thread_key, message, status,
            attempts, created_ms, next_attempt_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', 0, ?8, ?8)",
        args![q.notifier, q.scope, q.scan_id, q.event, q.finding_id, q.thread_key, q.message, now_ms],
    )?;
    Ok(())
}
