//! The shared backend: PostgreSQL through tokio-postgres, for several replicas over one
//! store. The store's callers are synchronous (a scan records from its own thread, under
//! the store's mutex, as with SQLite), so this file keeps the asynchronous driver inside:
//! the connection's I/O task runs on a runtime thread of its own, and each statement is a
//! future that only talks to that task over channels, so it is awaited from any thread,
//! inside a tokio worker or not. One connection per process; it is opened again when it
//! drops (the server restarted, a failover). Statements are prepared once per connection.
//!
//! `sslmode` means what it means to libpq: `disable`; `prefer` (the default) and
//! `require` encrypt without checking the server's certificate; `verify-ca` checks it
//! against the system's roots or `sslrootcert=FILE`; `verify-full` also checks the host
//! name. The password is never logged: the store is named by host, port and database.

use super::db::{Arg, DbError, DbResult, Row, Value};
use bytes::BytesMut;
use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;
use tokio_postgres::types::{IsNull, ToSql, Type};
use tokio_postgres::{Client, Statement};

/// How long a statement may take before the server cancels it (a lock held by a dead
/// peer, a server that stopped answering).
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(60);

impl ToSql for Arg<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match (*self, ty) {
            (Arg::Null, _) => Ok(IsNull::Yes),
            (Arg::Int(i), &Type::INT8) => i.to_sql(ty, out),
            (Arg::Int(i), &Type::INT4) => i32::try_from(i)?.to_sql(ty, out),
            (Arg::Int(i), &Type::INT2) => i16::try_from(i)?.to_sql(ty, out),
            (Arg::Int(i), &Type::FLOAT8) => (i as f64).to_sql(ty, out),
            (Arg::Int(i), _) if is_text(ty) => i.to_string().as_str().to_sql(ty, out),
            (Arg::Real(r), &Type::FLOAT8) => r.to_sql(ty, out),
            (Arg::Real(r), &Type::FLOAT4) => (r as f32).to_sql(ty, out),
            (Arg::Text(s), _) if is_text(ty) => s.to_sql(ty, out),
            (arg, ty) => Err(format!("cannot pass {arg:?} as {ty}").into()),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    tokio_postgres::types::to_sql_checked!();
}

fn is_text(ty: &Type) -> bool {
    matches!(*ty, Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN)
}

fn value(row: &tokio_postgres::Row, i: usize) -> DbResult<Value> {
    let ty = row.columns()[i].type_();
    let v = match *ty {
        Type::INT8 => row.try_get::<_, Option<i64>>(i)?.map(Value::Int),
        Type::INT4 => row.try_get::<_, Option<i32>>(i)?.map(|v| Value::Int(v.into())),
        Type::INT2 => row.try_get::<_, Option<i16>>(i)?.map(|v| Value::Int(v.into())),
        Type::BOOL => row.try_get::<_, Option<bool>>(i)?.map(|v| Value::Int(v.into())),
        Type::FLOAT8 => row.try_get::<_, Option<f64>>(i)?.map(Value::Real),
        Type::FLOAT4 => row.try_get::<_, Option<f32>>(i)?.map(|v| Value::Real(v.into())),
        _ if is_text(ty) => row.try_get::<_, Option<String>>(i)?.map(Value::Text),
        _ => {
            return Err(DbError(format!(
                "column {} has type {ty}, which the store does not read",
                row.columns()[i].name()
            )))
        }
    };
    Ok(v.unwrap_or(Value::Null))
}

/// `?1` → `$1`: the statements are written once, in SQLite's spelling of parameters.
fn dollar_params(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(|n| n.is_ascii_digit()) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

/// An open connection and what was prepared on it.
struct Conn {
    client: Client,
    statements: HashMap<String, Statement>,
}

pub struct Pg {
    config: tokio_postgres::Config,
    tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
    /// Where the connection's I/O runs; `None` only while dropping.
    runtime: Option<tokio::runtime::Runtime>,
    conn: RefCell<Option<Conn>>,
    /// `host:port/database`, for errors and logs: never the password.
    pub location: String,
}

/// Awaits a driver future from synchronous code (see the module comment).
fn wait<F: std::future::Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}

impl Pg {
    /// Connects and checks the server answers. `url` is a `postgres://` URL, a secret.
    pub fn connect(url: &str) -> DbResult<Pg> {
        let (rest, sslmode, rootcert) = split_tls_params(url)?;
        let mut config: tokio_postgres::Config =
            rest.parse().map_err(|e| DbError(format!("the PostgreSQL URL is not valid: {e}")))?;
        let location = location(&config);
        config
            .connect_timeout(Duration::from_secs(10))
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(30))
            .tcp_user_timeout(Duration::from_secs(60))
            .options(format!("-c statement_timeout={}", STATEMENT_TIMEOUT.as_millis()))
            .application_name("driftd");
        if config.get_user().is_none() {
            config.user("driftd");
        }
        let tls = match sslmode.as_str() {
            "disable" => {
                config.ssl_mode(tokio_postgres::config::SslMode::Disable);
                None
            }
            "prefer" | "require" | "verify-ca" | "verify-full" => {
                config.ssl_mode(if sslmode == "prefer" {
                    tokio_postgres::config::SslMode::Prefer
                } else {
                    tokio_postgres::config::SslMode::Require
                });
                Some(super::postgres_tls::connector(&sslmode, rootcert.as_deref())?)
            }
            other => {
                return Err(DbError(format!(
                    "sslmode={other} is not one of disable, prefer, require, verify-ca, verify-full"
                )))
            }
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("driftd-postgres")
            .enable_all()
            .build()
            .map_err(|e| DbError(format!("cannot start the PostgreSQL I/O thread: {e}")))?;
        let pg = Pg { config, tls, runtime: Some(runtime), conn: RefCell::new(None), location };
        pg.ensure_connected()?;
        Ok(pg)
    }

    fn ensure_connected(&self) -> DbResult<()> {
        let mut conn = self.conn.borrow_mut();
        if conn.as_ref().is_some_and(|c| !c.client.is_closed()) {
            return Ok(());
        }
        let config = self.config.clone();
        let tls = self.tls.clone();
        let location = self.location.clone();
        let runtime = self.runtime.as_ref().ok_or_else(|| DbError("the store is closing".into()))?;
        let connecting = runtime.spawn(async move {
            let connected = match tls {
                Some(tls) => config.connect(tls).await.map(|(client, c)| {
                    tokio::spawn(async move {
                        if let Err(e) = c.await {
                            tracing::warn!(store = %location, error = %e, "the PostgreSQL connection ended");
                        }
                    });
                    client
                }),
                None => config.connect(tokio_postgres::NoTls).await.map(|(client, c)| {
                    tokio::spawn(async move {
                        if let Err(e) = c.await {
                            tracing::warn!(store = %location, error = %e, "the PostgreSQL connection ended");
                        }
                    });
                    client
                }),
            };
            connected
        });
        let client = wait(connecting)
            .map_err(|e| DbError(format!("connecting to {}: {e}", self.location)))?
            .map_err(|e| DbError(format!("cannot connect to {}: {}", self.location, DbError::from(e))))?;
        *conn = Some(Conn { client, statements: HashMap::new() });
        Ok(())
    }

    /// Runs `f` with the connection and `sql`'s prepared statement.
    fn with_statement<T>(
        &self,
        sql: &str,
        f: impl FnOnce(&Client, &Statement) -> Result<T, tokio_postgres::Error>,
    ) -> DbResult<T> {
        let mut conn = self.conn.borrow_mut();
        let conn = conn.as_mut().ok_or_else(|| DbError(format!("not connected to {}", self.location)))?;
        let statement = match conn.statements.get(sql) {
            Some(s) => s.clone(),
            None => {
                let s = wait(conn.client.prepare(&dollar_params(sql)))?;
                conn.statements.insert(sql.to_string(), s.clone());
                s
            }
        };
        Ok(f(&conn.client, &statement)?)
    }

    fn params<'a>(args: &'a [Arg<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
        args.iter().map(|a| a as &(dyn ToSql + Sync)).collect()
    }

    fn run_execute(&self, sql: &str, args: &[Arg<'_>]) -> DbResult<usize> {
        let params = Pg::params(args);
        self.with_statement(sql, |c, s| wait(c.execute(s, &params)).map(|n| n as usize))
    }

    fn run_query(&self, sql: &str, args: &[Arg<'_>]) -> DbResult<Vec<Row>> {
        let params = Pg::params(args);
        let rows = self.with_statement(sql, |c, s| wait(c.query(s, &params)))?;
        rows.iter().map(|r| (0..r.len()).map(|i| value(r, i)).collect::<DbResult<Vec<_>>>().map(Row)).collect()
    }

    fn run_batch(&self, sql: &str) -> DbResult<()> {
        let conn = self.conn.borrow();
        let conn = conn.as_ref().ok_or_else(|| DbError(format!("not connected to {}", self.location)))?;
        Ok(wait(conn.client.batch_execute(sql))?)
    }

    pub fn execute(&self, sql: &str, args: &[Arg<'_>]) -> DbResult<usize> {
        self.ensure_connected()?;
        self.run_execute(sql, args)
    }

    pub fn query(&self, sql: &str, args: &[Arg<'_>]) -> DbResult<Vec<Row>> {
        self.ensure_connected()?;
        self.run_query(sql, args)
    }

    pub fn batch(&self, sql: &str) -> DbResult<()> {
        self.ensure_connected()?;
        self.run_batch(sql)
    }

    pub fn begin(&mut self) -> DbResult<PgTx<'_>> {
        self.ensure_connected()?;
        self.run_batch("BEGIN")?;
        Ok(PgTx { pg: self, done: false })
    }

    /// Applies `migrations[from..]` in one transaction under an advisory lock, so that
    /// replicas starting together migrate once: the others wait, then find it done.
    pub fn migrate(&mut self, migrations: &[super::Migration]) -> DbResult<()> {
        let tx = self.begin()?;
        tx.execute("SELECT pg_advisory_xact_lock(?1)", &[Arg::Int(MIGRATION_LOCK)])?;
        tx.batch("CREATE TABLE IF NOT EXISTS driftd_schema (version BIGINT NOT NULL)")?;
        let from: i64 = match tx.query_opt("SELECT version FROM driftd_schema", &[])? {
            Some(r) => r.get(0)?,
            None => {
                tx.execute("INSERT INTO driftd_schema (version) VALUES (0)", &[])?;
                0
            }
        };
        super::refuse_newer(from.max(0) as usize, migrations.len())?;
        for (i, m) in migrations.iter().enumerate().skip(from.max(0) as usize) {
            tx.batch(m.postgres)?;
            tx.execute("UPDATE driftd_schema SET version = ?1", &[Arg::Int(i as i64 + 1)])?;
        }
        tx.commit()
    }
}

impl Drop for Pg {
    /// The store may go last inside the daemon's async shutdown, where dropping a runtime
    /// the ordinary way panics: its I/O thread is told to stop instead.
    fn drop(&mut self) {
        self.conn.borrow_mut().take();
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The advisory lock key migrations hold ("driftd" in ASCII).
const MIGRATION_LOCK: i64 = 0x6472_6966_7464;

/// A transaction on the connection: `COMMIT` by [`PgTx::commit`], `ROLLBACK` when dropped.
pub struct PgTx<'a> {
    pg: &'a mut Pg,
    done: bool,
}

impl PgTx<'_> {
    pub fn execute(&self, sql: &str, args: &[Arg<'_>]) -> DbResult<usize> {
        self.pg.run_execute(sql, args)
    }

    pub fn query(&self, sql: &str, args: &[Arg<'_>]) -> DbResult<Vec<Row>> {
        self.pg.run_query(sql, args)
    }

    pub fn query_opt(&self, sql: &str, args: &[Arg<'_>]) -> DbResult<Option<Row>> {
        Ok(self.query(sql, args)?.into_iter().next())
    }

    pub fn batch(&self, sql: &str) -> DbResult<()> {
        self.pg.run_batch(sql)
    }

    pub fn commit(mut self) -> DbResult<()> {
        self.done = true;
        self.pg.run_batch("COMMIT")
    }
}

impl Drop for PgTx<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.pg.run_batch("ROLLBACK");
        }
    }
}

/// Takes libpq's TLS parameters out of the URL (tokio-postgres knows only some of them):
/// the rest of the URL, `sslmode` (default `prefer`) and `sslrootcert`.
fn split_tls_params(url: &str) -> DbResult<(String, String, Option<String>)> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(DbError("the store URL must start with postgres:// or postgresql://".into()));
    }
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut sslmode = "prefer".to_string();
    let mut rootcert = None;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("sslmode", v)) => sslmode = v.to_string(),
            Some(("sslrootcert", v)) => {
                rootcert = Some(percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned())
            }
            _ => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) };
    Ok((rest, sslmode, rootcert))
}

fn location(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!("postgres://{host}:{port}/{}", config.get_dbname().unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::server::Postgres;

    /// Whether the store's own connection is encrypted (`pg_stat_ssl`), or why it failed.
    fn connect_tls(url: &str) -> Result<bool, String> {
        let pg = Pg::connect(url).map_err(|e| e.to_string())?;
        let rows = pg.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[]).unwrap();
        Ok(rows[0].get::<i64>(0).unwrap() == 1)
    }

    /// `sslmode` as libpq means it, against a server whose certificate names `db.internal`
    /// (signed by the test CA), reached at 127.0.0.1 under several host names.
    #[test]
    fn sslmode_is_honoured_against_a_tls_server() {
        let server = Postgres::shared();
        let ca = server.ca.display().to_string();
        let at = |host: &str, query: &str| {
            format!("postgres://driftd@{host}:{}/postgres?hostaddr=127.0.0.1&{query}", server.port)
        };
        assert_eq!(connect_tls(&at("127.0.0.1", "sslmode=disable")), Ok(false), "disable: plain");
        assert_eq!(connect_tls(&at("127.0.0.1", "sslmode=require")), Ok(true), "require: encrypted, any certificate");
        assert_eq!(
            connect_tls(&at("elsewhere", &format!("sslmode=verify-ca&sslrootcert={ca}"))),
            Ok(true),
            "verify-ca: any name"
        );
        assert_eq!(connect_tls(&at("db.internal", &format!("sslmode=verify-full&sslrootcert={ca}"))), Ok(true));
        let wrong_name = connect_tls(&at("elsewhere", &format!("sslmode=verify-full&sslrootcert={ca}"))).unwrap_err();
        assert!(wrong_name.contains("cannot connect") && wrong_name.contains("certificate"), "{wrong_name}");
        let unknown_ca = connect_tls(&at("db.internal", "sslmode=verify-ca")).unwrap_err();
        assert!(unknown_ca.contains("certificate"), "the system's roots do not know the test CA: {unknown_ca}");
        let bad = connect_tls(&at("db.internal", "sslmode=verify-everything")).unwrap_err();
        assert!(bad.contains("sslmode=verify-everything is not one of"), "{bad}");
    }

    #[test]
    fn parameters_are_renumbered_in_postgres_spelling() {
        assert_eq!(
            dollar_params("SELECT a FROM t WHERE b = ?1 AND c IN (?2, ?10)"),
            "SELECT a FROM t WHERE b = $1 AND c IN ($2, $10)"
        );
    }

    #[test]
    fn tls_parameters_are_taken_out_and_the_password_never_named() {
        let (rest, mode, root) = split_tls_params(
            "postgres://u:hunter22@db:5433/driftd?sslmode=verify-full&sslrootcert=%2Fca.pem&connect_timeout=5",
        )
        .unwrap();
        assert_eq!((mode.as_str(), root.as_deref()), ("verify-full", Some("/ca.pem")));
        assert_eq!(rest, "postgres://u:hunter22@db:5433/driftd?connect_timeout=5");
        let config: tokio_postgres::Config = rest.parse().unwrap();
        assert_eq!(location(&config), "postgres://db:5433/driftd");
        assert!(split_tls_params("mysql://x").is_err());
    }
}
