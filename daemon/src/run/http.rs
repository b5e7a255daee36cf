//! The daemon's HTTP side (axum): `/healthz`, `/readyz`, `/metrics` (Prometheus text),
//! and a read-only JSON API over the store, `/api/v1/findings` and `/api/v1/scans`, plus
//! `POST /api/v1/scans` to scan now. With `daemon.api_token_env`/`_file`, `/api/*` needs
//! `Authorization: Bearer TOKEN`; health and metrics stay open for probes and scrapers.

use super::Daemon;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use rusqlite::params_from_iter;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

pub fn router(daemon: Arc<Daemon>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/api/v1/findings", get(findings))
        .route("/api/v1/scans", get(scans).post(trigger))
        .with_state(daemon)
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// Ready when every target's last successful scan is within two intervals (plus jitter).
async fn readyz(State(d): State<Arc<Daemon>>) -> Response {
    let status = d.status.read().unwrap().clone();
    let not_ready: Vec<_> =
        status.values().filter(|s| s.last_success.is_none_or(|t| t.elapsed() > s.ready_within)).cloned().collect();
    let body = json!({"ready": not_ready.is_empty(), "targets": status.values().collect::<Vec<_>>()});
    let code = if not_ready.is_empty() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, Json(body)).into_response()
}

async fn metrics(State(d): State<Arc<Daemon>>) -> Response {
    let pending = {
        let loaded = d.loaded.read().unwrap().clone();
        let store = loaded.alerts.store.lock().unwrap_or_else(|p| p.into_inner());
        store.pending_count().unwrap_or(0)
    };
    metrics::gauge!("driftd_outbox_pending").set(pending as f64);
    ([("content-type", "text/plain; version=0.0.4")], d.metrics.render()).into_response()
}

fn unauthorized(d: &Daemon, headers: &HeaderMap) -> Option<Response> {
    let token = d.api_token.read().unwrap().clone()?;
    // RFC 7235: the scheme is case-insensitive (`bearer`, `BEARER`), one or more spaces.
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim_start());
    // Constant time: the comparison does not tell how much of a guess was right.
    let ok = given.is_some_and(|g| {
        let (a, b) = (g.as_bytes(), token.expose().as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    });
    (!ok).then(|| (StatusCode::UNAUTHORIZED, Json(json!({"error": "a bearer token is required"}))).into_response())
}

/// One page of a query that selects `limit + 1` rows: `{KEY: [...], "next": cursor|null}`,
/// the cursor being the key (first column) of the last row shown.
fn page(
    d: &Daemon,
    sql: &str,
    args: &[String],
    limit: usize,
    key: &str,
    row: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<(i64, Value)>,
) -> Response {
    let loaded = d.loaded.read().unwrap().clone();
    let store = loaded.alerts.store.lock().unwrap_or_else(|p| p.into_inner());
    let rows: Result<Vec<(i64, Value)>, rusqlite::Error> =
        store.conn.prepare(sql).and_then(|mut stmt| stmt.query_map(params_from_iter(args.iter()), &row)?.collect());
    let mut rows = match rows {
        Ok(r) => r,
        Err(e) => return store_error(e),
    };
    let next = (rows.len() > limit).then(|| rows[limit - 1].0);
    rows.truncate(limit);
    let items: Vec<Value> = rows.into_iter().map(|(_, v)| v).collect();
    Json(json!({key: items, "next": next})).into_response()
}

/// What every `/api/*` handler checks first: the token, then the query.
fn api<Q>(d: &Daemon, headers: &HeaderMap, q: Result<Query<Q>, QueryRejection>) -> Result<Q, Box<Response>> {
    if let Some(r) = unauthorized(d, headers) {
        return Err(Box::new(r));
    }
    q.map(|Query(q)| q).map_err(|e| Box::new(bad_request(e.body_text())))
}

fn bad_request(msg: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": msg}))).into_response()
}

fn store_error(e: rusqlite::Error) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"error": format!("store: {e}")}))).into_response()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FindingsQuery {
    /// Comma-separated severities (`high,critical`).
    severity: Option<String>,
    /// Comma-separated kinds.
    kind: Option<String>,
    target: Option<String>,
    /// `open` (default), `resolved` or `all`.
    status: Option<String>,
    limit: Option<usize>,
    /// The `next` of the previous page.
    after: Option<i64>,
}

fn list(s: &Option<String>) -> Vec<String> {
    s.iter().flat_map(|v| v.split(',')).map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect()
}

/// `limit`: 1 to 1,000, else 400 (0 is not "one").
fn page_size(limit: Option<usize>, default: usize) -> Result<usize, String> {
    match limit.unwrap_or(default) {
        n @ 1..=1000 => Ok(n),
        n => Err(format!("limit {n} is not from 1 to 1000")),
    }
}

/// A comma-separated filter whose values must be among `allowed` (any case), lower-cased;
/// an unknown value is 400, never an empty page.
fn one_of(key: &str, given: &Option<String>, allowed: &[&str]) -> Result<Vec<String>, String> {
    list(given)
        .into_iter()
        .map(|v| {
            let lower = v.to_ascii_lowercase();
            match allowed.contains(&lower.as_str()) {
                true => Ok(lower),
                false => {
                    Err(format!("{key} {:?} is not one of {}", driftd_core::error::cut(&v, 100), allowed.join(", ")))
                }
            }
        })
        .collect()
}

fn in_clause(column: &str, values: &[String], args: &mut Vec<String>, clauses: &mut Vec<String>) {
    if values.is_empty() {
        return;
    }
    let marks: Vec<String> = values
        .iter()
        .map(|v| {
            args.push(v.clone());
            format!("?{}", args.len())
        })
        .collect();
    clauses.push(format!("{column} IN ({})", marks.join(", ")));
}

async fn findings(
    State(d): State<Arc<Daemon>>,
    headers: HeaderMap,
    q: Result<Query<FindingsQuery>, QueryRejection>,
) -> Response {
    let q = match api(&d, &headers, q) {
        Ok(q) => q,
        Err(r) => return *r,
    };
    let limit = match page_size(q.limit, 100) {
        Ok(l) => l,
        Err(e) => return bad_request(e),
    };
    let mut args: Vec<String> = Vec::new();
    let mut clauses: Vec<String> = Vec::new();
    let severities = match one_of("severity", &q.severity, &["critical", "high", "medium", "low"]) {
        Ok(v) => v,
        Err(e) => return bad_request(e),
    };
    let kinds = match one_of("kind", &q.kind, &["changed", "missing", "unmanaged", "violation"]) {
        Ok(v) => v,
        Err(e) => return bad_request(e),
    };
    if q.after.is_some_and(|a| a < 0) {
        return bad_request("after must be a `next` cursor from a previous page (0 or more)".into());
    }
    in_clause("f.severity", &severities, &mut args, &mut clauses);
    in_clause("f.kind", &kinds, &mut args, &mut clauses);
    in_clause("f.scope", &list(&q.target), &mut args, &mut clauses);
    match q.status.as_deref().unwrap_or("open") {
        "open" => clauses.push("f.resolved_at IS NULL".into()),
        "resolved" => clauses.push("f.resolved_at IS NOT NULL".into()),
        "all" => {}
        other => {
            return bad_request(format!(
                "status {:?} is not open, resolved or all",
                driftd_core::error::cut(other, 100)
            ))
        }
    }
    args.push(q.after.unwrap_or(0).to_string());
    clauses.push(format!("f.rowid > CAST(?{} AS INTEGER)", args.len()));
    let sql = format!(
        "SELECT f.rowid, f.scope, f.first_seen, f.last_seen, f.resolved_at, b.finding
         FROM findings f JOIN finding_bodies b ON b.scope = f.scope AND b.id = f.id
         WHERE {} ORDER BY f.rowid LIMIT {}",
        clauses.join(" AND "),
        limit + 1
    );
    page(&d, &sql, &args, limit, "findings", |r| {
        let finding: String = r.get(5)?;
        Ok((
            r.get::<_, i64>(0)?,
            json!({
                "target": r.get::<_, String>(1)?,
                "first_seen": r.get::<_, String>(2)?,
                "last_seen": r.get::<_, String>(3)?,
                "resolved_at": r.get::<_, Option<String>>(4)?,
                "finding": serde_json::from_str::<Value>(&finding).unwrap_or(Value::Null),
            }),
        ))
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScansQuery {
    target: Option<String>,
    /// `ok`, `partial`, `failed` (comma-separated).
    outcome: Option<String>,
    limit: Option<usize>,
    /// The `next` of the previous page (newest first).
    before: Option<i64>,
}

async fn scans(
    State(d): State<Arc<Daemon>>,
    headers: HeaderMap,
    q: Result<Query<ScansQuery>, QueryRejection>,
) -> Response {
    let q = match api(&d, &headers, q) {
        Ok(q) => q,
        Err(r) => return *r,
    };
    let limit = match page_size(q.limit, 50) {
        Ok(l) => l,
        Err(e) => return bad_request(e),
    };
    let outcomes = match one_of("outcome", &q.outcome, &["ok", "partial", "failed"]) {
        Ok(v) => v,
        Err(e) => return bad_request(e),
    };
    if q.before.is_some_and(|b| b < 1) {
        return bad_request("before must be a `next` cursor from a previous page (1 or more)".into());
    }
    let mut args = Vec::new();
    let mut clauses = vec!["1 = 1".to_string()];
    in_clause("scope", &list(&q.target), &mut args, &mut clauses);
    in_clause("outcome", &outcomes, &mut args, &mut clauses);
    args.push(q.before.unwrap_or(i64::MAX).to_string());
    clauses.push(format!("id < CAST(?{} AS INTEGER)", args.len()));
    let sql = format!(
        "SELECT id, scope, started_at, finished_at, outcome, findings, new, changed, resolved, error FROM scans
         WHERE {} ORDER BY id DESC LIMIT {}",
        clauses.join(" AND "),
        limit + 1
    );
    page(&d, &sql, &args, limit, "scans", |r| {
        Ok((
            r.get::<_, i64>(0)?,
            json!({
                "id": r.get::<_, i64>(0)?,
                "target": r.get::<_, String>(1)?,
                "started_at": r.get::<_, String>(2)?,
                "finished_at": r.get::<_, String>(3)?,
                "outcome": r.get::<_, String>(4)?,
                "findings": r.get::<_, i64>(5)?,
                "new": r.get::<_, i64>(6)?,
                "changed": r.get::<_, i64>(7)?,
                "resolved": r.get::<_, i64>(8)?,
                "error": r.get::<_, Option<String>>(9)?,
            }),
        ))
    })
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TriggerQuery {
    /// One target; none: every target of this replica.
    target: Option<String>,
}

/// Starts a scan now (after the one in flight, if any). 202 with the targets queued.
async fn trigger(
    State(d): State<Arc<Daemon>>,
    headers: HeaderMap,
    q: Result<Query<TriggerQuery>, QueryRejection>,
) -> Response {
    let q = match api(&d, &headers, q) {
        Ok(q) => q,
        Err(r) => return *r,
    };
    let triggers = d.triggers.read().unwrap().clone();
    let chosen: Vec<(&String, &tokio::sync::mpsc::Sender<()>)> = match &q.target {
        Some(t) => match triggers.get_key_value(t) {
            Some(kv) => vec![kv],
            None => {
                return (StatusCode::NOT_FOUND, Json(json!({"error": format!("no target {t:?} on this replica")})))
                    .into_response()
            }
        },
        None => triggers.iter().collect(),
    };
    // A full channel means a scan is already queued: the same outcome.
    for (_, tx) in &chosen {
        let _ = tx.try_send(());
    }
    let names: Vec<&String> = chosen.iter().map(|(n, _)| *n).collect();
    (StatusCode::ACCEPTED, Json(json!({"queued": names}))).into_response()
}
