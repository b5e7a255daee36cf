//! One SQL surface over both backends: statements are written once, with `?1`-style
//! parameters, in the SQL that SQLite and PostgreSQL share (upserts with `ON CONFLICT`,
//! `IS NOT DISTINCT FROM`, row values, `RETURNING`). The few places where they differ
//! ask [`Dialect`]. Values cross as [`Arg`] and come back as [`Row`]s of [`Value`]s, so
//! nothing above this file names rusqlite or tokio-postgres.

use std::fmt;

/// A statement failed, or a row did not hold what was asked of it.
#[derive(Debug, Clone)]
pub struct DbError(pub String);

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DbError {}

pub type DbResult<T> = Result<T, DbError>;

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        DbError(e.to_string())
    }
}

impl From<tokio_postgres::Error> for DbError {
    fn from(e: tokio_postgres::Error) -> Self {
        // The server's own message (constraint, syntax) is more use than "db error".
        if let Some(db) = e.as_db_error() {
            return DbError(format!("{}: {}", db.severity(), db.message()));
        }
        // And why: "error performing TLS handshake: invalid peer certificate: …".
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            text = format!("{text}: {s}");
            source = s.source();
        }
        DbError(text)
    }
}

/// A parameter.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a str),
}

impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}
impl From<u32> for Arg<'_> {
    fn from(v: u32) -> Self {
        Arg::Int(v as i64)
    }
}
impl From<f64> for Arg<'_> {
    fn from(v: f64) -> Self {
        Arg::Real(v)
    }
}
impl<'a> From<&'a str> for Arg<'a> {
    fn from(v: &'a str) -> Self {
        Arg::Text(v)
    }
}
impl<'a> From<&'a String> for Arg<'a> {
    fn from(v: &'a String) -> Self {
        Arg::Text(v)
    }
}
impl<'a, T: Into<Arg<'a>>> From<Option<T>> for Arg<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Arg::Null, Into::into)
    }
}

/// `args![a, b]`: the parameters of a statement, `?1` first.
#[macro_export]
macro_rules! args {
    ($($v:expr),* $(,)?) => { &[$($crate::store::db::Arg::from($v)),*][..] };
}
pub use args;

/// A column's value as read.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

/// One row of a result.
#[derive(Debug, Clone)]
pub struct Row(pub Vec<Value>);

/// What a column may be read as.
pub trait FromValue: Sized {
    fn from_value(v: &Value) -> Option<Self>;
}

impl FromValue for i64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
}
impl FromValue for u32 {
    fn from_value(v: &Value) -> Option<Self> {
        i64::from_value(v).and_then(|i| u32::try_from(i).ok())
    }
}
impl FromValue for f64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Real(r) => Some(*r),
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }
}
impl FromValue for String {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Null => Some(None),
            v => T::from_value(v).map(Some),
        }
    }
}

impl Row {
    /// Column `i` as `T`; a NULL or another type where `T` cannot hold it is an error.
    pub fn get<T: FromValue>(&self, i: usize) -> DbResult<T> {
        let v = self.0.get(i).ok_or_else(|| DbError(format!("no column {i} in the row")))?;
        T::from_value(v).ok_or_else(|| DbError(format!("column {i} holds {v:?}, not {}", std::any::type_name::<T>())))
    }
}

/// Where the two backends' SQL differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// A subquery over the texts of a JSON array given as parameter `param` (`?3`).
    pub fn json_texts(self, param: &str) -> String {
        match self {
            Dialect::Sqlite => format!("SELECT value FROM json_each({param})"),
            Dialect::Postgres => format!("SELECT jsonb_array_elements_text(CAST(CAST({param} AS text) AS jsonb))"),
        }
    }
}

/// A connection or a transaction, of either backend.
pub trait Sql {
    fn dialect(&self) -> Dialect;
    /// Runs one statement; returns how many rows it changed.
    fn execute(&self, sql: &str, args: &[Arg<'_>]) -> DbResult<usize>;
    fn query(&self, sql: &str, args: &[Arg<'_>]) -> DbResult<Vec<Row>>;
    /// Statements without parameters, separated by `;` (schema migrations).
    fn batch(&self, sql: &str) -> DbResult<()>;

    fn query_opt(&self, sql: &str, args: &[Arg<'_>]) -> DbResult<Option<Row>> {
        Ok(self.query(sql, args)?.into_iter().next())
    }

    fn query_one(&self, sql: &str, args: &[Arg<'_>]) -> DbResult<Row> {
        self.query_opt(sql, args)?.ok_or_else(|| DbError("the query returned no row".into()))
    }
}

/// The store's connection.
pub enum Db {
    Sqlite(rusqlite::Connection),
    Postgres(Box<super::postgres::Pg>),
}

/// A transaction: committed by [`Tx::commit`], rolled back when dropped without it.
pub enum Tx<'a> {
    Sqlite(rusqlite::Transaction<'a>),
    Postgres(super::postgres::PgTx<'a>),
}

impl Db {
    pub fn transaction(&mut self) -> DbResult<Tx<'_>> {
        Ok(match self {
            Db::Sqlite(c) => Tx::Sqlite(c.transaction()?),
            Db::Postgres(p) => Tx::Postgres(p.begin()?),
        })
    }
}

impl Tx<'_> {
    pub fn commit(self) -> DbResult<()> {
        match self {
            Tx::Sqlite(t) => Ok(t.commit()?),
            Tx::Postgres(t) => t.commit(),
        }
    }
}

impl Sql for Db {
    fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }
    fn execute(&self, sql: &str, args: &[Arg<'_>]) -> DbResult<usize> {
        match self {
            Db::Sqlite(c) => super::sqlite::execute(c, sql, args),
            Db::Postgres(p) => p.execute(sql, args),
        }
    }
    fn query(&self, sql: &str, args: &[Arg<'_>]) -> DbResult<Vec<Row>> {
        match self {
            Db::Sqlite(c) => super::sqlite::query(c, sql, args),
            Db::Postgres(p) => p.query(sql, args),
        }
    }
    fn batch(&self, sql: &str) -> DbResult<()> {
        match self {
            Db::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Db::Postgres(p) => p.batch(sql),
        }
    }
}

impl Sql for Tx<'_> {
    fn dialect(&self) -> Dialect {
        match self {
            Tx::Sqlite(_) => Dialect::Sqlite,
            Tx::Postgres(_) => Dialect::Postgres,
        }
    }
    fn execute(&self, sql: &str, args: &[Arg<'_>]) -> DbResult<usize> {
        match self {
            Tx::Sqlite(c) => super::sqlite::execute(c, sql, args),
            Tx::Postgres(p) => p.execute(sql, args),
        }
    }
    fn query(&self, sql: &str, args: &[Arg<'_>]) -> DbResult<Vec<Row>> {
        match self {
            Tx::Sqlite(c) => super::sqlite::query(c, sql, args),
            Tx::Postgres(p) => p.query(sql, args),
        }
    }
    fn batch(&self, sql: &str) -> DbResult<()> {
        match self {
            Tx::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Tx::Postgres(p) => p.batch(sql),
        }
    }
}
