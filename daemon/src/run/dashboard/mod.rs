//! The dashboard: server-rendered pages on the daemon's own listener, read-only, from the
//! store. Plain HTML and inline CSS and SVG (the page's Content-Security-Policy allows
//! nothing else), so every page works with JavaScript off: filters are forms, paging is
//! links. With an API token, the pages need the same `Authorization: Bearer` header as
//! the API. Pages: `/` (open findings, costs now, findings over the last scans, scan
//! health per target, costs and coverage over 7/30/90 days), `/teams` (costs per team
//! over time), `/findings` (filtered, paged by the API's cursor), `/finding` (one
//! finding: declared against live, cost, timeline, who, the fix), `/scans` (history).

mod charts;

use super::http::list as values;
use super::Daemon;
use crate::store::{self, api, findings as rows, DbResult, Sql};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use driftd_core::allocation::{sort_teams, TeamCost};
use driftd_core::report::{html_escape as esc, show_value, usd, PAGE_STYLE};
use serde::Deserialize;
use serde_json::Value;
use std::fmt::Write as _;
use std::sync::Arc;

pub fn router(daemon: Arc<Daemon>) -> Router {
    Router::new()
        .route("/", get(overview))
        .route("/findings", get(findings))
        .route("/finding", get(finding))
        .route("/teams", get(teams))
        .route("/scans", get(scans))
        .route("/assets/copy.js", get(copy_js))
        .with_state(daemon)
}

/// The dashboard's one script, served from the binary: copy buttons, which it shows
/// (without script they stay hidden, and commands select whole with one click).
const COPY_JS: &str = "document.querySelectorAll('button.copy').forEach(function (b) {\n\
  b.hidden = false;\n\
  b.addEventListener('click', function () {\n\
    var text = document.getElementById(b.dataset.copy).textContent;\n\
    navigator.clipboard.writeText(text).then(function () { b.textContent = 'Copied'; });\n\
  });\n\
});\n";

async fn copy_js() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")], COPY_JS)
        .into_response()
}

/// Scans shown in the overview's chart.
const CHART_SCANS: i64 = 200;

fn page(title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src data:; form-action 'self'\">\
         <title>{} · driftd</title><style>{PAGE_STYLE} nav a {{ margin-right: 1rem; }} form {{ margin: .5rem 0; }}\
         .skip {{ position: absolute; left: -999px; }} .skip:focus {{ left: 1rem; }} button.copy {{ margin: 0 0 .75rem; }}{}</style>\
         <script src=\"/assets/copy.js\" defer></script></head>\
         <body><a class=\"skip\" href=\"#main\">Skip to content</a><nav aria-label=\"driftd\"><a href=\"/\">Overview</a><a href=\"/teams\">Teams</a><a href=\"/findings\">Findings</a><a href=\"/scans\">Scans</a></nav><main id=\"main\" tabindex=\"-1\">\n{body}</main></body></html>\n",
        esc(title),
        charts::STYLE
    );
    ([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

fn error_page(status: StatusCode, message: &str) -> Response {
    let mut r = page("error", &format!("<h1>{}</h1><p>{}</p>", status.as_u16(), esc(message)));
    *r.status_mut() = status;
    r
}

/// The store read off the async workers, or the error page.
async fn read<T: Send + 'static>(
    d: &Daemon,
    headers: &HeaderMap,
    f: impl FnOnce(&dyn Sql) -> DbResult<T> + Send + 'static,
) -> Result<T, Response> {
    if super::http::unauthorized(d, headers).is_some() {
        return Err(error_page(StatusCode::UNAUTHORIZED, "a bearer token is required"));
    }
    let store = d.loaded.read().unwrap().alerts.store.clone();
    store::blocking(&store, move |s| f(&s.db))
        .await
        .map_err(|e| error_page(StatusCode::INTERNAL_SERVER_ERROR, &format!("store: {e}")))
}

/// What the overview shows.
struct Overview {
    scopes: Vec<rows::ScopeFigures>,
    /// (scan id, target, finished at, findings) of the latest complete scans, oldest first.
    history: Vec<(i64, String, String, i64)>,
    figures: Vec<api::ScanFigures>,
    /// Orchestrated and idle capacity per hour at each target's last complete scan, summed.
    now: (f64, f64),
    /// Per target: its partial and failed scans over the period.
    outcomes: std::collections::BTreeMap<String, (i64, i64)>,
}

#[derive(Debug, Deserialize, Default)]
struct PeriodQuery {
    /// 7 (default), 30 or 90.
    days: Option<i64>,
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Links to the same page over 7, 30 and 90 days, the current one marked.
fn period_links(path: &str, period: charts::Period) -> String {
    let links: Vec<String> = [7, 30, 90]
        .iter()
        .map(|d| match *d == period.days {
            true => format!("<strong aria-current=\"page\">{d} days</strong>"),
            false => format!("<a href=\"{path}?days={d}\">{d} days</a>"),
        })
        .collect();
    format!("<p>{}</p>", links.join(" · "))
}

async fn overview(
    State(d): State<Arc<Daemon>>,
    headers: HeaderMap,
    q: Result<Query<PeriodQuery>, QueryRejection>,
) -> Response {
    let period = charts::Period::of(q.ok().and_then(|Query(q)| q.days));
    let now = now();
    let since = period.since(now);
    let data = read(&d, &headers, move |conn| {
        let scopes = rows::scope_figures(conn)?;
        let mut history: Vec<(i64, String, String, i64)> = conn
            .query(
                &format!(
                    "SELECT id, scope, finished_at, findings FROM scans WHERE outcome = 'ok' ORDER BY finished_at DESC, id DESC LIMIT {CHART_SCANS}"
                ),
                &[],
            )?
            .iter()
            .map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .collect::<DbResult<_>>()?;
        history.reverse();
        let figures = api::figures_since(conn, &since)?;
        let row = conn.query_one(
            "SELECT COALESCE(sum(orchestrated_cost_per_hour_usd), 0), COALESCE(sum(idle_capacity_cost_per_hour_usd), 0)
             FROM scans WHERE id IN (SELECT max(id) FROM scans WHERE outcome = 'ok' GROUP BY scope)",
            &[],
        )?;
        let mut outcomes = std::collections::BTreeMap::new();
        for r in conn.query(
            "SELECT scope, sum(CASE WHEN outcome = 'partial' THEN 1 ELSE 0 END),
                sum(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END) FROM scans WHERE finished_at >= ?1 GROUP BY scope",
            crate::store::db::args![since.as_str()],
        )? {
            outcomes.insert(r.get::<String>(0)?, (r.get::<i64>(1)?, r.get::<i64>(2)?));
        }
        Ok(Overview { scopes, history, figures, now: (row.get(0)?, row.get(1)?), outcomes })
    })
    .await;
    let data = match data {
        Ok(d) => d,
        Err(r) => return r,
    };
    let mut body = String::from("<h1>driftd</h1>");
    let open: i64 = data.scopes.iter().flat_map(|s| &s.open).map(|(_, _, n)| n).sum();
    let by = |pick: &dyn Fn(&(String, String, i64)) -> &str, name: &str| -> i64 {
        data.scopes.iter().flat_map(|s| &s.open).filter(|o| pick(o) == name).map(|(_, _, n)| n).sum()
    };
    let _ = write!(
        body,
        "<section aria-labelledby=\"open\"><h2 id=\"open\">Open findings</h2><table><thead><tr><th>open</th>"
    );
    for sev in ["critical", "high", "medium", "low"] {
        let _ = write!(body, "<th class=\"num\">{sev}</th>");
    }
    for kind in ["changed", "missing", "unmanaged", "violation"] {
        let _ = write!(body, "<th class=\"num\">{kind}</th>");
    }
    let _ = write!(
        body,
        "</tr></thead><tbody><tr><td data-total=\"open\" data-value=\"{open}\"><a href=\"/findings\">{open}</a></td>"
    );
    for sev in ["critical", "high", "medium", "low"] {
        let n = by(&|o| o.1.as_str(), sev);
        let _ = write!(
            body,
            "<td class=\"num\" data-total=\"{sev}\" data-value=\"{n}\"><a href=\"/findings?severity={sev}\">{n}</a></td>"
        );
    }
    for kind in ["changed", "missing", "unmanaged", "violation"] {
        let n = by(&|o| o.0.as_str(), kind);
        let _ = write!(
            body,
            "<td class=\"num\" data-total=\"{kind}\" data-value=\"{n}\"><a href=\"/findings?kind={kind}\">{n}</a></td>"
        );
    }
    let drift: f64 = data.scopes.iter().map(|s| s.changed_cost).sum();
    let shadow: f64 = data.scopes.iter().map(|s| s.unmanaged_cost).sum();
    let _ = write!(
        body,
        "</tr></tbody></table><table><thead><tr><th class=\"num\">drift cost now</th><th class=\"num\">unmanaged capacity now</th>\
         <th class=\"num\">orchestrated now</th><th class=\"num\">idle capacity now</th></tr></thead>\
         <tbody><tr><td class=\"num\" data-total=\"drift_cost_per_hour_usd\" data-value=\"{drift:.2}\">${drift:.2}/h</td>\
         <td class=\"num\" data-total=\"unmanaged_cost_per_hour_usd\" data-value=\"{shadow:.2}\">${shadow:.2}/h</td>\
         <td class=\"num\" data-total=\"orchestrated_cost_per_hour_usd\" data-value=\"{orchestrated:.2}\">${orchestrated:.2}/h</td>\
         <td class=\"num\" data-total=\"idle_capacity_cost_per_hour_usd\" data-value=\"{idle:.2}\">${idle:.2}/h</td></tr></tbody></table></section>",
        orchestrated = data.now.0,
        idle = data.now.1
    );
    body.push_str(&findings_chart(&data.history));
    let _ = write!(
        body,
        "<section aria-labelledby=\"costs\"><h2 id=\"costs\">Costs over time</h2>{}",
        period_links("/", period)
    );
    let points = |value: &dyn Fn(&api::ScanFigures) -> Option<f64>| -> Vec<(String, i64, f64)> {
        data.figures
            .iter()
            .filter_map(|f| Some((f.scope.clone(), charts::seconds(&f.finished_at), value(f)?)))
            .collect()
    };
    let series: Vec<(String, Vec<(i64, f64)>)> = [
        ("drift", &(|f: &api::ScanFigures| Some(f.drift)) as &dyn Fn(&api::ScanFigures) -> Option<f64>),
        ("unmanaged", &|f| Some(f.unmanaged)),
        ("orchestrated", &|f| Some(f.orchestrated)),
        ("idle capacity", &|f| Some(f.idle)),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_string(), charts::buckets(&points(value), period, now, charts::Combine::Sum)))
    .collect();
    body.push_str(&charts::line_chart("Costs per hour over time, all targets", &series, " $/h"));
    body.push_str("</section><section aria-labelledby=\"coverage\"><h2 id=\"coverage\">IaC coverage over time</h2>");
    let coverage = vec![(
        "coverage".to_string(),
        charts::buckets(&points(&|f| f.coverage_pct), period, now, charts::Combine::Mean),
    )];
    body.push_str(&charts::line_chart("Managed share of live resources, mean over targets", &coverage, "%"));
    body.push_str("</section>");
    let _ = write!(
        body,
        "<section aria-labelledby=\"health\"><h2 id=\"health\">Scan health</h2><table><thead><tr><th>target</th>\
         <th>last scan</th><th>last success</th><th class=\"num\">failures since</th><th class=\"num\">partial scans, {0} days</th>\
         <th class=\"num\">failed scans, {0} days</th><th class=\"num\">open findings</th></tr></thead><tbody>",
        period.days
    );
    for s in &data.scopes {
        let n: i64 = s.open.iter().map(|(_, _, n)| n).sum();
        let (partial, failed) = data.outcomes.get(&s.scope).copied().unwrap_or_default();
        let _ = write!(
            body,
            "<tr data-target=\"{0}\"><td><a href=\"/findings?target={1}\">{0}</a></td><td>{2}</td><td>{3}</td><td class=\"num\">{4}</td>\
             <td class=\"num\" data-partial=\"{partial}\">{partial}</td><td class=\"num\" data-failed=\"{failed}\">{failed}</td><td class=\"num\">{n}</td></tr>",
            esc(&s.scope),
            query_escape(&s.scope),
            esc(&s.last_outcome),
            esc(s.last_ok_at.as_deref().unwrap_or("never")),
            s.failures_since_ok
        );
    }
    body.push_str("</tbody></table></section>");
    page("Overview", &body)
}

/// Findings at each of the latest complete scans (all targets), as an SVG line, with each
/// point's number for machines (`data-findings`).
fn findings_chart(history: &[(i64, String, String, i64)]) -> String {
    let mut out = String::from("<section aria-labelledby=\"trend\"><h2 id=\"trend\">Findings per scan</h2>");
    if history.is_empty() {
        out.push_str("<p class=\"muted\">No complete scan yet.</p></section>");
        return out;
    }
    let (w, h, pad) = (720.0, 160.0, 24.0);
    let top = history.iter().map(|p| p.3).max().unwrap_or(0).max(1) as f64;
    let step = if history.len() > 1 { (w - 2.0 * pad) / (history.len() - 1) as f64 } else { 0.0 };
    let points: Vec<(f64, f64)> = history
        .iter()
        .enumerate()
        .map(|(i, p)| (pad + step * i as f64, h - pad - (h - 2.0 * pad) * p.3 as f64 / top))
        .collect();
    let line: Vec<String> = points.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
    let _ = write!(
        out,
        "<svg role=\"img\" aria-label=\"Open findings at each of the last {} complete scans\" width=\"100%\" viewBox=\"0 0 {w} {h}\">\
         <polyline points=\"{}\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"2\"/>",
        history.len(),
        line.join(" ")
    );
    for ((x, y), p) in points.iter().zip(history) {
        let _ = write!(
            out,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" data-scan=\"{}\" data-findings=\"{}\"><title>{} {}: {} findings</title></circle>",
            p.0,
            p.3,
            esc(&p.1),
            esc(&p.2),
            p.3
        );
    }
    let _ = write!(out, "<text x=\"0\" y=\"14\">{top}</text><text x=\"0\" y=\"{}\">0</text></svg></section>", h - 8.0);
    out
}

#[derive(Debug, Deserialize, Default)]
struct FindingsQuery {
    severity: Option<String>,
    kind: Option<String>,
    target: Option<String>,
    r#type: Option<String>,
    account: Option<String>,
    region: Option<String>,
    team: Option<String>,
    cause: Option<String>,
    status: Option<String>,
    /// `severity` (most severe first), `cost` (costliest first), `first_seen` (newest first).
    sort: Option<String>,
    /// The `next` cursor of the previous page.
    after: Option<String>,
    limit: Option<usize>,
}

/// A query value, percent-encoded (RFC 3986's unreserved characters stay).
fn query_escape(s: &str) -> String {
    const VALUE: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
    percent_encoding::utf8_percent_encode(s, VALUE).to_string()
}

/// Comma-separated values, lowercase (severities, kinds, causes); team names and types
/// keep their case (`values`).
fn list(s: &Option<String>) -> Vec<String> {
    values(s).into_iter().map(|v| v.to_ascii_lowercase()).collect()
}

async fn findings(
    State(d): State<Arc<Daemon>>,
    headers: HeaderMap,
    q: Result<Query<FindingsQuery>, QueryRejection>,
) -> Response {
    let q = match q {
        Ok(Query(q)) => q,
        Err(e) => return error_page(StatusCode::BAD_REQUEST, &e.body_text()),
    };
    // A form's "any" sends an empty value.
    let status = match api::Status::parse(q.status.as_deref().filter(|s| !s.is_empty()).unwrap_or("open")) {
        Ok(s) => s,
        Err(e) => return error_page(StatusCode::BAD_REQUEST, &e),
    };
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let Some(order) = api::FindingOrder::parse(q.sort.as_deref()) else {
        return error_page(StatusCode::BAD_REQUEST, "sort is severity, cost or first_seen");
    };
    let filter = api::FindingFilter {
        severities: list(&q.severity),
        kinds: list(&q.kind),
        scopes: values(&q.target),
        types: values(&q.r#type),
        accounts: values(&q.account),
        regions: values(&q.region),
        teams: values(&q.team),
        causes: list(&q.cause),
        status,
        after: 0,
        limit,
    };
    let cursor = q.after.clone();
    let (items, next) =
        match read(&d, &headers, move |conn| api::findings_ordered(conn, &filter, order, cursor.as_deref())).await {
            Ok(p) => p,
            Err(r) => return r,
        };
    let cost = |f: &Value| {
        let c = &f["finding"]["cost"];
        c["live_per_hour_usd"].as_f64().or(c["declared_per_hour_usd"].as_f64()).unwrap_or(0.0)
    };
    let selected = |v: &Option<String>, option: &str| if v.as_deref() == Some(option) { " selected" } else { "" };
    let mut body = String::from("<h1>Findings</h1><form method=\"get\" action=\"/findings\">");
    let select = |name: &str, current: &Option<String>, options: &[&str]| {
        let mut s = format!("<label>{name} <select name=\"{name}\"><option value=\"\">any</option>");
        for o in options {
            let _ = write!(s, "<option{}>{o}</option>", selected(current, o));
        }
        s.push_str("</select></label> ");
        s
    };
    body.push_str(&select("severity", &q.severity, &["critical", "high", "medium", "low"]));
    body.push_str(&select("kind", &q.kind, &["changed", "missing", "unmanaged", "violation"]));
    body.push_str(&select("status", &q.status, &["open", "resolved", "all"]));
    body.push_str(&select("sort", &q.sort, &["severity", "cost", "first_seen"]));
    body.push_str(&select("cause", &q.cause, &["manual", "automation", "terraform", "service"]));
    for (name, value) in
        [("target", &q.target), ("type", &q.r#type), ("account", &q.account), ("region", &q.region), ("team", &q.team)]
    {
        let _ = write!(
            body,
            "<label>{name} <input name=\"{name}\" value=\"{}\" size=\"14\"></label> ",
            esc(value.as_deref().unwrap_or(""))
        );
    }
    body.push_str("<button type=\"submit\">Show</button></form>");
    // The sortable columns' headers are links to the same filters in that order.
    let sorted_by = q.sort.as_deref().filter(|s| !s.is_empty()).unwrap_or("severity");
    let header = |label: &str, sort: &str, class: &str| {
        let aria = match sorted_by == sort {
            true => " aria-sort=\"descending\"",
            false => "",
        };
        format!("<th{class}{aria}><a href=\"{}\">{label}</a></th>", findings_link(&q, Some(sort), None))
    };
    let _ = write!(
        body,
        "<table><thead><tr>{}<th>kind</th><th>resource</th><th>type</th><th>where</th><th>team</th><th>cause</th>{}<th>age</th>{}<th>status</th></tr></thead><tbody>",
        header("severity", "severity", ""),
        header("$/h", "cost", " class=\"num\""),
        header("first seen", "first_seen", ""),
    );
    for item in &items {
        let f = &item["finding"];
        let r = &f["resource"];
        let text = |v: &Value| v.as_str().unwrap_or("").to_string();
        let label = r["address"].as_str().or(r["id"].as_str()).unwrap_or("");
        let place = [text(&r["provider"]), text(&r["account"]), text(&r["region"])].join(" ");
        let status = if item["resolved_at"].is_null() { "open" } else { "resolved" };
        let _ = write!(
            body,
            "<tr class=\"finding\" data-id=\"{id}\" data-severity=\"{sev}\"><td class=\"sev {sev}\">{sev}</td><td>{kind}</td>\
             <td><a href=\"/finding?target={target_q}&amp;id={id_q}\"><code>{label}</code></a></td><td><code>{tf_type}</code></td>\
             <td>{place}</td><td>{team}</td><td>{cause}</td><td class=\"num\">{cost:.2}</td><td>{age}</td><td><time datetime=\"{first}\">{first}</time></td><td>{status}</td></tr>",
            id = esc(&text(&f["id"])),
            sev = esc(&text(&f["severity"])),
            kind = esc(&text(&f["kind"])),
            target_q = query_escape(&text(&item["target"])),
            id_q = query_escape(&text(&f["id"])),
            label = esc(label),
            tf_type = esc(&text(&r["type"])),
            place = esc(&place),
            team = esc(&text(&r["team"])),
            cause = esc(&text(&f["changed_by"]["cause"])),
            cost = cost(item),
            first = esc(&text(&item["first_seen"])),
            age = age(item["first_seen"].as_str().unwrap_or(""), None),
        );
    }
    body.push_str("</tbody></table>");
    if let Some(next) = next {
        let _ = write!(body, "<p><a rel=\"next\" href=\"{}\">Next page</a></p>", findings_link(&q, None, Some(&next)));
    }
    page("Findings", &body)
}

/// `/findings` with the same filters and page size, in `sort` order (or the current one),
/// from the page after `after` (or the first): HTML-escaped, for an `href`.
fn findings_link(q: &FindingsQuery, sort: Option<&str>, after: Option<&str>) -> String {
    let mut link = String::from("/findings?");
    let sort = sort.map(str::to_string).or_else(|| q.sort.clone());
    let limit = q.limit.map(|l| l.to_string());
    let after = after.map(str::to_string);
    for (k, v) in [
        ("severity", &q.severity),
        ("kind", &q.kind),
        ("status", &q.status),
        ("sort", &sort),
        ("cause", &q.cause),
        ("target", &q.target),
        ("type", &q.r#type),
        ("account", &q.account),
        ("region", &q.region),
        ("team", &q.team),
        ("limit", &limit),
        ("after", &after),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            let _ = write!(link, "{k}={}&amp;", query_escape(v));
        }
    }
    link.trim_end_matches("&amp;").trim_end_matches('?').to_string()
}

/// How long from `from` to `to` (RFC 3339; `to` none: now), in its largest unit: `45s`,
/// `12m`, `5h`, `3d`.
fn age(from: &str, to: Option<&str>) -> String {
    let Ok(from) = from.parse::<jiff::Timestamp>() else { return String::new() };
    let to = to.map_or_else(now, charts::seconds);
    match to.saturating_sub(from.as_second()).max(0) {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

#[derive(Debug, Deserialize)]
struct FindingQuery {
    target: String,
    id: String,
}

async fn finding(
    State(d): State<Arc<Daemon>>,
    headers: HeaderMap,
    q: Result<Query<FindingQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(q)) = q else {
        return error_page(StatusCode::BAD_REQUEST, "give target and id (/finding?target=NAME&id=ID)");
    };
    let (target, id) = (q.target.clone(), q.id.clone());
    let row = read(&d, &headers, move |conn| {
        let Some((seen, events)) = store::timeline::of_finding(conn, &target, &id)? else { return Ok(None) };
        let body = conn.query_opt(
            "SELECT finding FROM finding_bodies WHERE scope = ?1 AND id = ?2",
            crate::store::db::args![target.as_str(), id.as_str()],
        )?;
        match body {
            Some(b) => Ok(Some((seen, b.get::<String>(0)?, events))),
            None => Ok(None),
        }
    })
    .await;
    let (seen, body, events) = match row {
        Ok(Some(r)) => r,
        Ok(None) => return error_page(StatusCode::NOT_FOUND, &format!("no finding {} in target {}", q.id, q.target)),
        Err(r) => return r,
    };
    let f: driftd_core::model::Finding = match serde_json::from_str(&body) {
        Ok(f) => f,
        Err(e) => return error_page(StatusCode::INTERNAL_SERVER_ERROR, &format!("finding body unreadable: {e}")),
    };
    let label = f.resource.address.clone().unwrap_or_else(|| f.resource.id.clone());
    let mut out = format!(
        "<h1><span class=\"sev {0}\">{0}</span> {1} <code>{2}</code></h1><p>{3}</p><p class=\"muted\"><code>{4}</code> · {5} · target {6} · <span class=\"status\">{7}</span></p>",
        f.severity,
        f.kind,
        esc(&label),
        esc(&f.message),
        esc(&f.resource.id),
        f.resource.provider,
        esc(&q.target),
        match &seen.resolved_at {
            Some(at) => format!(
                "resolved <time datetime=\"{0}\">{0}</time> after {1}",
                esc(at),
                age(&seen.first_seen, Some(at))
            ),
            None => format!("open for {}", age(&seen.first_seen, None)),
        }
    );
    if let Some(changes) = f.changes.as_ref().filter(|c| !c.is_empty()) {
        out.push_str("<h2>Declared and live</h2><table class=\"diff\"><thead><tr><th>attribute</th><th>declared</th><th>live</th></tr></thead><tbody>");
        for c in changes {
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td><del><code>{}</code></del></td><td><ins><code>{}</code></ins></td></tr>",
                esc(&c.path),
                esc(&show_value(&c.declared)),
                esc(&show_value(&c.live))
            );
        }
        out.push_str("</tbody></table>");
    }
    if let Some(cost) = &f.cost {
        let price = cost.price.as_ref().map(|b| format!(" · price: {}", b.line())).unwrap_or_default();
        let _ = write!(
            out,
            "<h2>Cost</h2><p>{}/h declared, {}/h live{}</p>",
            usd(cost.declared_per_hour_usd),
            usd(cost.live_per_hour_usd),
            esc(&price)
        );
    }
    out.push_str(&timeline(&seen, &events));
    if let Some(by) = &f.changed_by {
        let _ = write!(out, "<h2>Who changed it</h2><p>{}</p>", esc(&by.line()));
    }
    if let Some(at) = &f.declared_at {
        let place = format!("<code>{}:{}</code>", esc(&at.file), at.line);
        match d.loaded.read().unwrap().config.daemon.repository_url.as_deref() {
            Some(repo) => {
                let href = format!("{}/{}#L{}", repo.trim_end_matches('/'), at.file.trim_start_matches("./"), at.line);
                let _ = write!(out, "<p>Declared at <a class=\"declared-at\" href=\"{}\">{place}</a></p>", esc(&href));
            }
            None => {
                let _ = write!(out, "<p>Declared at {place}</p>");
            }
        }
    }
    let _ = write!(out, "<h2>Fix</h2><p>{}</p>", esc(&f.remediation.summary));
    for (i, cmd) in f.remediation.commands.iter().enumerate() {
        // Selecting the whole command is one click (`user-select: all`): no script needed.
        let _ = write!(
            out,
            "<pre class=\"command\" id=\"command-{i}\" style=\"user-select: all\" aria-label=\"command, select to copy\">{}</pre>\
             <button type=\"button\" class=\"copy\" data-copy=\"command-{i}\" hidden>Copy</button>",
            esc(cmd)
        );
    }
    if let Some(patch) = &f.remediation.patch {
        let _ = write!(
            out,
            "<h3>Patch</h3><pre class=\"patch\" id=\"patch\" style=\"user-select: all\">{}</pre>\
             <button type=\"button\" class=\"copy\" data-copy=\"patch\" hidden>Copy</button>",
            esc(patch)
        );
    }
    page(&label, &out)
}

/// A finding's timeline as an ordered list, one item per event (`data-event`, `data-at`):
/// what it was when found, what moved at each change, who made it, when it was resolved;
/// then when it was last seen. A finding older than its timeline rows gets its first
/// seen and resolved times alone.
fn timeline(seen: &store::timeline::Seen, events: &[store::timeline::Event]) -> String {
    use store::timeline::{moved, EventKind, FindingThen};
    let mut out = String::from("<h2>Timeline</h2><ol class=\"timeline\">");
    let item = |out: &mut String, kind: &str, at: &str, text: &str| {
        let _ = write!(
            out,
            "<li data-event=\"{kind}\" data-at=\"{0}\"><time datetime=\"{0}\">{0}</time> {text}</li>",
            esc(at)
        );
    };
    if events.is_empty() {
        item(&mut out, "new", &seen.first_seen, "found");
        if let Some(at) = &seen.resolved_at {
            item(&mut out, "resolved", at, "resolved");
        }
    }
    let mut then: Option<&FindingThen> = None;
    let mut was_resolved = false;
    for e in events {
        let text = match e.event {
            EventKind::New => {
                let mut parts = vec![if was_resolved { "found again" } else { "found" }.to_string()];
                parts.extend(e.then.severity.iter().map(|s| format!("severity {s}")));
                if !e.then.changes.is_empty() {
                    let paths: Vec<String> =
                        e.then.changes.iter().map(|c| format!("<code>{}</code>", esc(&c.path))).collect();
                    parts.push(format!("differs in {}", paths.join(", ")));
                }
                parts.extend(e.then.cost_per_hour_usd.map(|c| format!("{}/h", usd(Some(c)))));
                parts.extend(e.then.changed_by.iter().map(|b| format!("by {}", esc(b))));
                parts.join(" · ")
            }
            EventKind::Changed => {
                let what = then.map(|t| moved(t, &e.then)).unwrap_or_default();
                let what: Vec<String> = what.iter().map(|w| esc(w)).collect();
                match what.is_empty() {
                    true => "changed".to_string(),
                    false => format!("changed: {}", what.join("; ")),
                }
            }
            EventKind::Attributed => format!("made by {}", esc(e.then.changed_by.as_deref().unwrap_or("?"))),
            EventKind::Resolved => "resolved".to_string(),
        };
        item(&mut out, e.event.as_str(), &e.at, &text);
        match e.event {
            EventKind::New | EventKind::Changed => then = Some(&e.then),
            EventKind::Resolved => was_resolved = true,
            EventKind::Attributed => {}
        }
    }
    let _ =
        write!(out, "</ol><p class=\"muted\">last seen <time datetime=\"{0}\">{0}</time></p>", esc(&seen.last_seen));
    out
}

async fn teams(
    State(d): State<Arc<Daemon>>,
    headers: HeaderMap,
    q: Result<Query<PeriodQuery>, QueryRejection>,
) -> Response {
    let period = charts::Period::of(q.ok().and_then(|Query(q)| q.days));
    let now = now();
    let since = period.since(now);
    let rows = match read(&d, &headers, move |conn| api::team_figures_since(conn, &since)).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    // Per team: its (target, time, value) points of capacity cost.
    let mut by_team: std::collections::BTreeMap<&str, charts::Points> = Default::default();
    for p in &rows {
        let at = charts::seconds(&p.finished_at);
        by_team.entry(p.team.name.as_str()).or_default().push((p.scope.clone(), at, p.team.capacity_per_hour_usd()));
    }
    let mut body = format!("<h1>Teams</h1>{}", period_links("/teams", period));
    let series: Vec<(String, Vec<(i64, f64)>)> = by_team
        .iter()
        .map(|(team, spend)| (team.to_string(), charts::buckets(spend, period, now, charts::Combine::Sum)))
        .collect();
    body.push_str("<h2>Unmanaged, orchestrated and idle capacity per team</h2>");
    body.push_str(&charts::line_chart("Capacity cost per team per hour over time", &series, " $/h"));
    // Now: each target's last complete scan in the period, its teams summed over targets.
    let mut last_scan: std::collections::BTreeMap<&str, i64> = Default::default();
    for p in &rows {
        last_scan.insert(p.scope.as_str(), p.scan_id);
    }
    let mut now_by_team: std::collections::BTreeMap<&str, TeamCost> = Default::default();
    for p in rows.iter().filter(|p| last_scan.get(p.scope.as_str()) == Some(&p.scan_id)) {
        now_by_team.entry(p.team.name.as_str()).or_insert_with(|| TeamCost::named(&p.team.name)).add(&p.team);
    }
    let mut teams: Vec<TeamCost> = now_by_team.into_values().collect();
    sort_teams(&mut teams);
    let capacity: f64 = teams.iter().map(TeamCost::capacity_per_hour_usd).sum();
    body.push_str(
        "<h2>Now</h2><p class=\"muted\">Each target's last complete scan in the period.</p><table><thead><tr><th>team</th>\
         <th class=\"num\">findings</th><th class=\"num\">drift $/h</th><th class=\"num\">unmanaged $/h</th>\
         <th class=\"num\">orchestrated $/h</th><th class=\"num\">idle capacity $/h</th><th class=\"num\">share of capacity</th></tr></thead><tbody>",
    );
    for t in &teams {
        let share = match capacity > 0.0 {
            true => format!("{:.1}%", 100.0 * t.capacity_per_hour_usd() / capacity),
            false => "-".to_string(),
        };
        let _ = write!(
            body,
            "<tr data-team=\"{0}\"><td>{0}</td><td class=\"num\" data-findings=\"{1}\">{1}</td>",
            esc(&t.name),
            t.findings
        );
        for (name, v) in [
            ("drift", t.drift_cost_per_hour_usd),
            ("unmanaged", t.unmanaged_cost_per_hour_usd),
            ("orchestrated", t.orchestrated_cost_per_hour_usd),
            ("idle_capacity", t.idle_capacity_cost_per_hour_usd),
        ] {
            let _ = write!(body, "<td class=\"num\" data-{name}=\"{v:.2}\">{v:.2}</td>");
        }
        let _ = write!(body, "<td class=\"num\">{share}</td></tr>");
    }
    body.push_str("</tbody></table>");
    page("Teams", &body)
}

#[derive(Debug, Deserialize, Default)]
struct ScansQuery {
    target: Option<String>,
    before: Option<i64>,
}

async fn scans(
    State(d): State<Arc<Daemon>>,
    headers: HeaderMap,
    q: Result<Query<ScansQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let filter = api::ScanFilter {
        scopes: q.target.iter().filter(|t| !t.is_empty()).cloned().collect(),
        outcomes: vec![],
        before: q.before.filter(|b| *b > 0).unwrap_or(i64::MAX),
        limit: 100,
    };
    let page_of = match read(&d, &headers, move |conn| api::scans(conn, &filter)).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut body = String::from(
        "<h1>Scans</h1><table><thead><tr><th>scan</th><th>target</th><th>finished</th><th class=\"num\">seconds</th>\
         <th class=\"num\">API calls</th><th>outcome</th><th class=\"num\">findings</th><th class=\"num\">new</th>\
         <th class=\"num\">changed</th><th class=\"num\">resolved</th><th>replica</th><th>error</th></tr></thead><tbody>",
    );
    for s in &page_of.items {
        let text = |k: &str| s[k].as_str().unwrap_or("").to_string();
        let seconds = charts::seconds(&text("finished_at")) - charts::seconds(&text("started_at"));
        let calls = s["api_calls"].as_i64().map(|n| n.to_string()).unwrap_or_default();
        let _ = write!(
            body,
            "<tr class=\"scan\" data-scan=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{seconds}</td><td class=\"num\">{calls}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
            s["id"],
            s["id"],
            esc(&text("target")),
            esc(&text("finished_at")),
            esc(&text("outcome")),
            s["findings"],
            s["new"],
            s["changed"],
            s["resolved"],
            esc(&text("replica")),
            esc(&text("error"))
        );
    }
    body.push_str("</tbody></table>");
    if let Some(next) = page_of.next {
        let target = q.target.as_deref().map(|t| format!("&amp;target={}", query_escape(t))).unwrap_or_default();
        let _ = write!(body, "<p><a rel=\"next\" href=\"/scans?before={next}{target}\">Older scans</a></p>");
    }
    page("Scans", &body)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_chart_carries_each_scans_number_and_scales_to_the_highest() {
        let history = vec![
            (1, "gpu".to_string(), "2026-12-05T10:00:00Z".to_string(), 4),
            (2, "gpu".into(), "2026-12-05T10:01:00Z".into(), 8),
        ];
        let svg = super::findings_chart(&history);
        assert!(
            svg.contains("data-scan=\"1\" data-findings=\"4\"") && svg.contains("data-scan=\"2\" data-findings=\"8\"")
        );
        assert!(svg.contains("cy=\"24.0\""), "the highest point is at the top: {svg}");
        assert!(super::findings_chart(&[]).contains("No complete scan yet"));
    }
}
