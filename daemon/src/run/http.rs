//! The daemon's HTTP side (axum): `/healthz`, `/readyz`, `/metrics` (Prometheus text),
//! and a read-only JSON API over the store, `/api/v1/findings` (and one finding's
//! timeline, `/api/v1/findings/history`), `/api/v1/scans`, `/api/v1/teams`, plus
//! `POST /api/v1/scans` to scan now. With `daemon.api_token_env`/`_file`, `/api/*` needs
//! `Authorization: Bearer TOKEN`; health and metrics stay open for probes and scrapers.

use super::Daemon;
use crate::store::{self, api, DbError, DbResult, Sql};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

pub fn router(daemon: Arc<Daemon>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/api/v1/findings", get(findings))
        .route("/api/v1/findings/history", get(finding_history))
        .route("/api/v1/scans", get(scans).post(trigger))
        .route("/api/v1/teams", get(teams))
        .with_state(daemon.clone())
        .merge(super::dashboard::router(daemon))
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// Ready when every target's last successful scan is within two intervals (plus jitter).
/// With a shared store, by any replica: the store says when each target last succeeded.
async fn readyz(State(d): State<Arc<Daemon>>) -> Response {
    let mut status = d.status.read().unwrap().clone();
    let loaded = d.loaded.read().unwrap().clone();
    if loaded.shared {
        let figures = match store::blocking(&loaded.alerts.store, |s| store::findings::scope_figures(&s.db)).await {
            Ok(f) => f,
            Err(e) => return store_error(e),
        };
        let now = jiff::Timestamp::now();
        for s in status.values_mut() {
            let Some(f) = figures.iter().find(|f| f.scope == s.name) else { continue };
            let last_ok = f.last_ok_at.as_deref().and_then(|a| a.parse::<jiff::Timestamp>().ok());
            s.last_success_at = f.last_ok_at.clone();
            s.last_success = last_ok.and_then(|at| {
                let ago = std::time::Duration::try_from(now.duration_since(at)).unwrap_or_default();
                std::time::Instant::now().checked_sub(ago)
            });
            s.consecutive_failures = f.failures_since_ok as u32;
        }
    }
    let not_ready: Vec<_> =
        status.values().filter(|s| s.last_success.is_none_or(|t| t.elapsed() > s.ready_within)).cloned().collect();
    let body = json!({"ready": not_ready.is_empty(), "targets": status.values().collect::<Vec<_>>()});
    let code = if not_ready.is_empty() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, Json(body)).into_response()
}

async fn metrics(State(d): State<Arc<Daemon>>) -> Response {
    let loaded = d.loaded.read().unwrap().clone();
    if loaded.shared {
        return shared_metrics(&d, &loaded).await;
    }
    let pending = {
        let store = loaded.alerts.store.lock().unwrap_or_else(|p| p.into_inner());
        store.pending_count().unwrap_or(0)
    };
    metrics::gauge!("driftd_outbox_pending").set(pending as f64);
    ([("content-type", "text/plain; version=0.0.4")], d.metrics.render()).into_response()
}

/// With a shared store: this replica's own series, and the fleet's when it holds the
/// `metrics` lease (claimed, or renewed, at each scrape; another replica's scrape takes
/// it over when this one stops being scraped for a lease time).
async fn shared_metrics(d: &Daemon, loaded: &super::Loaded) -> Response {
    let targets: Vec<String> = loaded.targets.iter().map(|t| t.name.clone()).collect();
    let ttl = loaded.alerts.lease_time.as_millis() as i64;
    let fleet = store::blocking(&loaded.alerts.store, move |s| {
        if !s.claim("metrics", store::leases::replica_id(), crate::notify::outbox::now_ms(), ttl)? {
            return Ok(String::new());
        }
        let figures = store::findings::scope_figures(&s.db)?;
        Ok(super::series::fleet(&figures, &targets, s.pending_count()?))
    })
    .await;
    let fleet = match fleet {
        Ok(f) => f,
        Err(e) => return store_error(e),
    };
    let text = format!("{}{fleet}", d.metrics.render());
    ([("content-type", "text/plain; version=0.0.4")], text).into_response()
}

pub(super) fn unauthorized(d: &Daemon, headers: &HeaderMap) -> Option<Response> {
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

/// A page read from the store: `{KEY: [...], "next": cursor|null}`.
/// Read off the async workers: with a shared store a read waits on the network.
async fn page(d: &Daemon, key: &str, read: impl FnOnce(&dyn Sql) -> DbResult<api::Page> + Send + 'static) -> Response {
    let store = d.loaded.read().unwrap().alerts.store.clone();
    match store::blocking(&store, move |s| read(&s.db)).await {
        Ok(page) => Json(json!({key: page.items, "next": page.next})).into_response(),
        Err(e) => store_error(e),
    }
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

fn store_error(e: DbError) -> Response {
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
    /// Comma-separated Terraform types, accounts or subscriptions, regions, teams, causes.
    r#type: Option<String>,
    account: Option<String>,
    region: Option<String>,
    team: Option<String>,
    cause: Option<String>,
    /// `open` (default), `resolved` or `all`.
    status: Option<String>,
    limit: Option<usize>,
    /// The `next` of the previous page.
    after: Option<i64>,
}

/// Comma-separated values as written, trimmed, empty ones dropped.
pub(super) fn list(s: &Option<String>) -> Vec<String> {
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
    let status = match api::Status::parse(q.status.as_deref().unwrap_or("open")) {
        Ok(s) => s,
        Err(e) => return bad_request(e),
    };
    let filter = api::FindingFilter {
        severities,
        kinds,
        scopes: list(&q.target),
        types: list(&q.r#type),
        accounts: list(&q.account),
        regions: list(&q.region),
        teams: list(&q.team),
        causes: list(&q.cause),
        status,
        after: q.after.unwrap_or(0),
        limit,
    };
    page(&d, "findings", move |conn| api::findings(conn, &filter)).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryQuery {
    target: String,
    id: String,
}

/// One finding's timeline, oldest first: found, changed, who made it, resolved; each row
/// with what the finding was then. 404 for a finding the store does not hold.
async fn finding_history(
    State(d): State<Arc<Daemon>>,
    headers: HeaderMap,
    q: Result<Query<HistoryQuery>, QueryRejection>,
) -> Response {
    let q = match api(&d, &headers, q) {
        Ok(q) => q,
        Err(r) => return *r,
    };
    let store = d.loaded.read().unwrap().alerts.store.clone();
    let (target, id) = (q.target.clone(), q.id.clone());
    let read = store::blocking(&store, move |s| store::timeline::of_finding(&s.db, &target, &id)).await;
    match read {
        Ok(Some((seen, events))) => Json(json!({
            "target": q.target, "id": q.id, "first_seen": seen.first_seen, "last_seen": seen.last_seen,
            "resolved_at": seen.resolved_at, "events": events,
        }))
        .into_response(),
        Ok(None) => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": format!("no finding {:?} in target {:?}", driftd_core::error::cut(&q.id, 200), driftd_core::error::cut(&q.target, 100))})),
        )
            .into_response(),
        Err(e) => store_error(e),
    }
}

/// Paging of scans, newest first: the page size (default 50) and the cursor (`before`
/// a scan id; none: from the newest).
fn newest_first(limit: Option<usize>, before: Option<i64>) -> Result<(usize, i64), String> {
    let limit = page_size(limit, 50)?;
    if before.is_some_and(|b| b < 1) {
        return Err("before must be a `next` cursor from a previous page (1 or more)".into());
    }
    Ok((limit, before.unwrap_or(i64::MAX)))
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
    let (limit, before) = match newest_first(q.limit, q.before) {
        Ok(p) => p,
        Err(e) => return bad_request(e),
    };
    let outcomes = match one_of("outcome", &q.outcome, &["ok", "partial", "failed", "event"]) {
        Ok(v) => v,
        Err(e) => return bad_request(e),
    };
    let filter = api::ScanFilter { scopes: list(&q.target), outcomes, before, limit };
    page(&d, "scans", move |conn| api::scans(conn, &filter)).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TeamsQuery {
    target: Option<String>,
    /// Comma-separated team names (`untagged` for the untagged share).
    team: Option<String>,
    /// Scans per page.
    limit: Option<usize>,
    /// The `next` of the previous page (newest first).
    before: Option<i64>,
}

/// Each complete scan's costs per team, newest first: the roll-up over time.
async fn teams(
    State(d): State<Arc<Daemon>>,
    headers: HeaderMap,
    q: Result<Query<TeamsQuery>, QueryRejection>,
) -> Response {
    let q = match api(&d, &headers, q) {
        Ok(q) => q,
        Err(r) => return *r,
    };
    let (limit, before) = match newest_first(q.limit, q.before) {
        Ok(p) => p,
        Err(e) => return bad_request(e),
    };
    let filter = api::TeamFilter { scopes: list(&q.target), teams: list(&q.team), before, limit };
    page(&d, "scans", move |conn| api::teams(conn, &filter)).await
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
