//! `driftd store migrate --from A --to B`: copies one store into another, empty one (SQLite
//! to PostgreSQL when a team moves from one replica to many, or back): scans, findings
//! with their bodies, scope health, each scan's costs per team, what each notifier was
//! told, threads, each finding's timeline and the outbox, with their ids. Cached prices are not copied: the next
//! scan asks the price APIs again. In one transaction on the destination: it has everything or nothing.
//! Leases are not copied; they belong to running replicas.

use super::db::{Arg, DbError, DbResult, Dialect, Sql, Value};
use super::Store;

/// Each table and the columns copied, in an order that keeps references whole.
const TABLES: &[(&str, &str)] = &[
    (
        "scans",
        "id, scope, started_at, finished_at, outcome, findings, new, changed, resolved, error, replica, api_calls,
         coverage_pct, drift_cost_per_hour_usd, unmanaged_cost_per_hour_usd, orchestrated_cost_per_hour_usd,
         idle_capacity_cost_per_hour_usd",
    ),
    (
        "findings",
        "rowid, scope, id, kind, severity, type, resource_id, account, region, first_seen, last_seen, resolved_at,
         signature, cost_per_hour_usd, team, cause",
    ),
    ("finding_bodies", "scope, id, finding, tags"),
    (
        "scopes",
        "scope, last_outcome, failing_since, last_ok_at, inputs, changed_cost_per_hour_usd, unmanaged_cost_per_hour_usd",
    ),
    ("notify_state", "notifier, scope, finding_id, last_event, last_notified_ms"),
    ("threads", "notifier, scope, thread_key, thread_ref"),
    (
        "scan_teams",
        "scan_id, scope, team, findings, drift_cost_per_hour_usd, unmanaged_cost_per_hour_usd, orchestrated_cost_per_hour_usd,
         idle_capacity_cost_per_hour_usd",
    ),
    ("finding_events", "seq, scope, finding_id, at, scan_id, event, detail"),
    (
        "outbox",
        "id, notifier, scope, scan_id, event, finding_id, thread_key, message, status, attempts, created_ms,
         next_attempt_ms, sent_ms, last_error",
    ),
];

/// Identity columns whose next value must follow the copied ids (PostgreSQL).
const IDENTITIES: &[(&str, &str)] =
    &[("scans", "id"), ("findings", "rowid"), ("finding_events", "seq"), ("outbox", "id")];

/// How many rows of each table were copied.
pub type Copied = Vec<(&'static str, usize)>;

pub fn copy(from: &Store, to: &mut Store) -> DbResult<Copied> {
    for table in ["scans", "findings", "outbox"] {
        let n: i64 = to.db.query_one(&format!("SELECT count(*) FROM {table}"), &[])?.get(0)?;
        if n > 0 {
            return Err(DbError(format!(
                "{} already holds {n} rows in {table}: migrate into an empty store",
                to.location
            )));
        }
    }
    let tx = to.transaction()?;
    let mut copied = Vec::new();
    for (table, columns) in TABLES {
        let rows = from.db.query(&format!("SELECT {columns} FROM {table}"), &[])?;
        let n_columns = columns.split(',').count();
        let marks: Vec<String> = (1..=n_columns).map(|i| format!("?{i}")).collect();
        let insert = format!("INSERT INTO {table} ({columns}) VALUES ({})", marks.join(", "));
        for row in &rows {
            let values: Vec<Arg<'_>> = row
                .0
                .iter()
                .map(|v| match v {
                    Value::Null => Arg::Null,
                    Value::Int(i) => Arg::Int(*i),
                    Value::Real(r) => Arg::Real(*r),
                    Value::Text(t) => Arg::Text(t),
                })
                .collect();
            tx.execute(&insert, &values)?;
        }
        copied.push((*table, rows.len()));
    }
    if tx.dialect() == Dialect::Postgres {
        for (table, column) in IDENTITIES {
            tx.query(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', '{column}'),
                        (SELECT COALESCE(max({column}), 0) + 1 FROM {table}), false)"
                ),
                &[],
            )?;
        }
    }
    tx.commit()?;
    Ok(copied)
}
