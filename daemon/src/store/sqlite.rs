//! The embedded backend: one SQLite file (rusqlite, SQLite bundled). WAL keeps a reader
//! (`driftd outbox list`) from blocking a writer, and a commit survives the process being
//! killed (SIGKILL) at any point, which the outbox relies on. `PRAGMA user_version` is
//! the schema version.

use super::db::{Arg, DbError, DbResult, Row, Value};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::Connection;
use std::path::Path;

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match *self {
            Arg::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Arg::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(i)),
            Arg::Real(r) => ToSqlOutput::Borrowed(ValueRef::Real(r)),
            Arg::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

pub fn open(path: &Path) -> DbResult<Connection> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| DbError(format!("cannot create {}: {e}", dir.display())))?;
    }
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

pub fn execute(conn: &Connection, sql: &str, args: &[Arg<'_>]) -> DbResult<usize> {
    Ok(conn.prepare_cached(sql)?.execute(rusqlite::params_from_iter(args.iter()))?)
}

pub fn query(conn: &Connection, sql: &str, args: &[Arg<'_>]) -> DbResult<Vec<Row>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let columns = stmt.column_count();
    let mut rows = stmt.query(rusqlite::params_from_iter(args.iter()))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut values = Vec::with_capacity(columns);
        for i in 0..columns {
            values.push(match r.get_ref(i)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(i) => Value::Int(i),
                ValueRef::Real(f) => Value::Real(f),
                ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Value::Text(String::from_utf8_lossy(b).into_owned()),
            });
        }
        out.push(Row(values));
    }
    Ok(out)
}

/// The schema version (`PRAGMA user_version`).
pub fn version(conn: &Connection) -> DbResult<usize> {
    let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    Ok(v.max(0) as usize)
}

/// Applies `migrations[from..]`, each in its own transaction with its version.
pub fn migrate(conn: &mut Connection, migrations: &[super::Migration]) -> DbResult<()> {
    // BEGIN IMMEDIATE: two processes opening one file migrate one after the other.
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let from = version(&tx)?;
    super::refuse_newer(from, migrations.len())?;
    for (i, m) in migrations.iter().enumerate().skip(from) {
        tx.execute_batch(m.sqlite)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
    }
    Ok(tx.commit()?)
}
