//! What the API reads: pages of findings and scans, keyset-paged by row id.

use super::db::{Arg, DbResult, Row, Sql};
use driftd_core::allocation::TeamCost;
use serde_json::{json, Value};

/// Which findings: each list empty means any.
#[derive(Debug, Clone, Default)]
pub struct FindingFilter {
    pub severities: Vec<String>,
    pub kinds: Vec<String>,
    pub scopes: Vec<String>,
    /// Terraform types, accounts or subscriptions, regions, teams, causes (`manual`...).
    pub types: Vec<String>,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    pub teams: Vec<String>,
    pub causes: Vec<String>,
    pub status: Status,
    /// After this row (the `next` of the previous page).
    pub after: i64,
    pub limit: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Status {
    #[default]
    Open,
    Resolved,
    All,
}

impl Status {
    /// `open`, `resolved` or `all`; else a message naming what was given (cut short).
    pub fn parse(s: &str) -> Result<Status, String> {
        match s {
            "open" => Ok(Status::Open),
            "resolved" => Ok(Status::Resolved),
            "all" => Ok(Status::All),
            other => Err(format!("status {:?} is not open, resolved or all", driftd_core::error::cut(other, 100))),
        }
    }
}

/// Which scans, newest first.
pub struct ScanFilter {
    pub scopes: Vec<String>,
    pub outcomes: Vec<String>,
    /// Before this scan id (the `next` of the previous page).
    pub before: i64,
    pub limit: usize,
}

/// One page: its items and the cursor of the next page, if there is one.
pub struct Page {
    pub items: Vec<Value>,
    pub next: Option<i64>,
}

fn in_clause<'a>(column: &str, values: &'a [String], args: &mut Vec<Arg<'a>>, clauses: &mut Vec<String>) {
    if values.is_empty() {
        return;
    }
    let marks: Vec<String> = values
        .iter()
        .map(|v| {
            args.push(Arg::Text(v));
            format!("?{}", args.len())
        })
        .collect();
    clauses.push(format!("{column} IN ({})", marks.join(", ")));
}

/// Runs a query that selects `limit + 1` rows; the cursor is the key (first value) of
/// the last row shown.
fn page(
    conn: &dyn Sql,
    sql: &str,
    args: &[Arg<'_>],
    limit: usize,
    row: impl Fn(&Row) -> DbResult<(i64, Value)>,
) -> DbResult<Page> {
    let mut rows: Vec<(i64, Value)> = conn.query(sql, args)?.iter().map(row).collect::<DbResult<_>>()?;
    let next = (rows.len() > limit).then(|| rows[limit - 1].0);
    rows.truncate(limit);
    Ok(Page { items: rows.into_iter().map(|(_, v)| v).collect(), next })
}

/// The filter's conditions on `findings f`, their parameters pushed to `args`.
fn where_clauses<'a>(f: &'a FindingFilter, args: &mut Vec<Arg<'a>>) -> Vec<String> {
    let mut clauses = Vec::new();
    for (column, values) in [
        ("f.severity", &f.severities),
        ("f.kind", &f.kinds),
        ("f.scope", &f.scopes),
        ("f.type", &f.types),
        ("f.account", &f.accounts),
        ("f.region", &f.regions),
        ("f.team", &f.teams),
        ("f.cause", &f.causes),
    ] {
        in_clause(column, values, args, &mut clauses);
    }
    match f.status {
        Status::Open => clauses.push("f.resolved_at IS NULL".into()),
        Status::Resolved => clauses.push("f.resolved_at IS NOT NULL".into()),
        Status::All => {}
    }
    clauses
}

pub fn findings(conn: &dyn Sql, f: &FindingFilter) -> DbResult<Page> {
    let mut args: Vec<Arg<'_>> = Vec::new();
    let mut clauses = where_clauses(f, &mut args);
    args.push(Arg::Int(f.after));
    clauses.push(format!("f.rowid > ?{}", args.len()));
    let sql = format!(
        "SELECT f.rowid, f.scope, f.first_seen, {}, f.resolved_at, b.finding
         FROM findings f JOIN finding_bodies b ON b.scope = f.scope AND b.id = f.id
         LEFT JOIN scopes s ON s.scope = f.scope
         WHERE {} ORDER BY f.rowid LIMIT {}",
        super::findings::last_seen_sql("f"),
        clauses.join(" AND "),
        f.limit + 1
    );
    page(conn, &sql, &args, f.limit, |r| Ok((r.get::<i64>(0)?, finding_item(r)?)))
}

/// A finding as the API lists it, from columns 1 to 5: target, first seen, last seen,
/// resolved at, the body.
fn finding_item(r: &Row) -> DbResult<Value> {
    let finding: String = r.get(5)?;
    Ok(json!({
        "target": r.get::<String>(1)?,
        "first_seen": r.get::<String>(2)?,
        "last_seen": r.get::<String>(3)?,
        "resolved_at": r.get::<Option<String>>(4)?,
        "finding": serde_json::from_str::<Value>(&finding).unwrap_or(Value::Null),
    }))
}

pub fn scans(conn: &dyn Sql, f: &ScanFilter) -> DbResult<Page> {
    let mut args: Vec<Arg<'_>> = Vec::new();
    let mut clauses = vec!["1 = 1".to_string()];
    in_clause("scope", &f.scopes, &mut args, &mut clauses);
    in_clause("outcome", &f.outcomes, &mut args, &mut clauses);
    args.push(Arg::Int(f.before));
    clauses.push(format!("id < ?{}", args.len()));
    let sql = format!(
        "SELECT id, scope, started_at, finished_at, outcome, findings, new, changed, resolved, error, replica, api_calls,
            coverage_pct, drift_cost_per_hour_usd, unmanaged_cost_per_hour_usd, orchestrated_cost_per_hour_usd,
            idle_capacity_cost_per_hour_usd FROM scans
         WHERE {} ORDER BY id DESC LIMIT {}",
        clauses.join(" AND "),
        f.limit + 1
    );
    page(conn, &sql, &args, f.limit, |r| {
        Ok((
            r.get::<i64>(0)?,
            json!({
                "id": r.get::<i64>(0)?,
                "target": r.get::<String>(1)?,
                "started_at": r.get::<String>(2)?,
                "finished_at": r.get::<String>(3)?,
                "outcome": r.get::<String>(4)?,
                "findings": r.get::<i64>(5)?,
                "new": r.get::<i64>(6)?,
                "changed": r.get::<i64>(7)?,
                "resolved": r.get::<i64>(8)?,
                "error": r.get::<Option<String>>(9)?,
                "replica": r.get::<Option<String>>(10)?,
                "api_calls": r.get::<Option<i64>>(11)?,
                "coverage_pct": r.get::<Option<f64>>(12)?,
                "drift_cost_per_hour_usd": r.get::<Option<f64>>(13)?,
                "unmanaged_cost_per_hour_usd": r.get::<Option<f64>>(14)?,
                "orchestrated_cost_per_hour_usd": r.get::<Option<f64>>(15)?,
                "idle_capacity_cost_per_hour_usd": r.get::<Option<f64>>(16)?,
            }),
        ))
    })
}

/// Which scans' costs per team, newest first.
pub struct TeamFilter {
    pub scopes: Vec<String>,
    pub teams: Vec<String>,
    /// Before this scan id (the `next` of the previous page).
    pub before: i64,
    /// Scans per page.
    pub limit: usize,
}

/// Complete scans' costs per team: one item per scan (`scan_id`, `target`, `at`, and its
/// `teams`), newest first, paged by scan so that no scan is split over two pages.
pub fn teams(conn: &dyn Sql, f: &TeamFilter) -> DbResult<Page> {
    let mut args: Vec<Arg<'_>> = Vec::new();
    let mut clauses = vec!["1 = 1".to_string()];
    in_clause("t.scope", &f.scopes, &mut args, &mut clauses);
    in_clause("t.team", &f.teams, &mut args, &mut clauses);
    args.push(Arg::Int(f.before));
    clauses.push(format!("t.scan_id < ?{}", args.len()));
    let sql = format!(
        "SELECT DISTINCT t.scan_id FROM scan_teams t WHERE {} ORDER BY t.scan_id DESC LIMIT {}",
        clauses.join(" AND "),
        f.limit + 1
    );
    let ids: Vec<i64> = conn.query(&sql, &args)?.iter().map(|r| r.get(0)).collect::<DbResult<_>>()?;
    let next = (ids.len() > f.limit).then(|| ids[f.limit - 1]);
    let shown = &ids[..ids.len().min(f.limit)];
    if shown.is_empty() {
        return Ok(Page { items: vec![], next: None });
    }
    let (low, high) = (shown[shown.len() - 1], shown[0]);
    args.pop();
    args.push(Arg::Int(low));
    args.push(Arg::Int(high));
    clauses.pop();
    clauses.push(format!("t.scan_id BETWEEN ?{} AND ?{}", args.len() - 1, args.len()));
    let sql = format!(
        "SELECT {TEAM_COLUMNS} FROM scan_teams t JOIN scans s ON s.id = t.scan_id WHERE {} ORDER BY t.scan_id DESC, t.team",
        clauses.join(" AND ")
    );
    let mut items: Vec<Value> = Vec::new();
    for r in conn.query(&sql, &args)? {
        let p = TeamPoint::of(&r)?;
        let team = serde_json::to_value(&p.team).unwrap_or_default();
        match items.last_mut().filter(|i| i["scan_id"] == p.scan_id) {
            Some(item) => item["teams"].as_array_mut().expect("teams is an array").push(team),
            None => items.push(json!({"scan_id": p.scan_id, "target": p.scope, "at": p.finished_at, "teams": [team]})),
        }
    }
    Ok(Page { items, next })
}

/// One complete scan's figures, for charts over time.
#[derive(Debug, Clone)]
pub struct ScanFigures {
    pub scope: String,
    pub finished_at: String,
    pub coverage_pct: Option<f64>,
    pub drift: f64,
    pub unmanaged: f64,
    pub orchestrated: f64,
    pub idle: f64,
}

/// The complete scans finished at or after `since` (RFC 3339), oldest first.
pub fn figures_since(conn: &dyn Sql, since: &str) -> DbResult<Vec<ScanFigures>> {
    conn.query(
        "SELECT scope, finished_at, coverage_pct, COALESCE(drift_cost_per_hour_usd, 0), COALESCE(unmanaged_cost_per_hour_usd, 0),
            COALESCE(orchestrated_cost_per_hour_usd, 0), COALESCE(idle_capacity_cost_per_hour_usd, 0)
         FROM scans WHERE outcome = 'ok' AND finished_at >= ?1 ORDER BY finished_at, id",
        &[Arg::Text(since)],
    )?
    .iter()
    .map(|r| {
        Ok(ScanFigures {
            scope: r.get(0)?,
            finished_at: r.get(1)?,
            coverage_pct: r.get(2)?,
            drift: r.get(3)?,
            unmanaged: r.get(4)?,
            orchestrated: r.get(5)?,
            idle: r.get(6)?,
        })
    })
    .collect()
}

/// One team at one complete scan.
#[derive(Debug, Clone)]
pub struct TeamPoint {
    pub scan_id: i64,
    pub scope: String,
    pub finished_at: String,
    pub team: TeamCost,
}

/// What `TeamPoint::of` reads, from `scan_teams t JOIN scans s`.
const TEAM_COLUMNS: &str = "t.scan_id, t.scope, s.finished_at, t.team, t.findings, t.drift_cost_per_hour_usd,
    t.unmanaged_cost_per_hour_usd, t.orchestrated_cost_per_hour_usd, t.idle_capacity_cost_per_hour_usd";

impl TeamPoint {
    fn of(r: &Row) -> DbResult<TeamPoint> {
        Ok(TeamPoint {
            scan_id: r.get(0)?,
            scope: r.get(1)?,
            finished_at: r.get(2)?,
            team: TeamCost {
                name: r.get(3)?,
                findings: usize::try_from(r.get::<i64>(4)?).unwrap_or(0),
                drift_cost_per_hour_usd: r.get(5)?,
                unmanaged_cost_per_hour_usd: r.get(6)?,
                orchestrated_cost_per_hour_usd: r.get(7)?,
                idle_capacity_cost_per_hour_usd: r.get(8)?,
            },
        })
    }
}

/// Each complete scan's teams since `since` (RFC 3339), oldest first.
pub fn team_figures_since(conn: &dyn Sql, since: &str) -> DbResult<Vec<TeamPoint>> {
    conn.query(
        &format!(
            "SELECT {TEAM_COLUMNS} FROM scan_teams t JOIN scans s ON s.id = t.scan_id WHERE s.finished_at >= ?1
             ORDER BY s.finished_at, s.id, t.team"
        ),
        &[Arg::Text(since)],
    )?
    .iter()
    .map(TeamPoint::of)
    .collect()
}

/// How the dashboard orders findings, across pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingOrder {
    /// Most severe first, then oldest row.
    Severity,
    /// Costliest first (unpriced last).
    Cost,
    /// Newest first.
    FirstSeen,
}

impl FindingOrder {
    pub fn parse(s: Option<&str>) -> Option<FindingOrder> {
        match s.unwrap_or("severity") {
            "" | "severity" => Some(FindingOrder::Severity),
            "cost" => Some(FindingOrder::Cost),
            "first_seen" => Some(FindingOrder::FirstSeen),
            _ => None,
        }
    }

    /// The sort key as SQL, and whether it ascends.
    fn key(self) -> (&'static str, bool) {
        match self {
            FindingOrder::Severity => {
                ("(CASE f.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END)", true)
            }
            FindingOrder::Cost => ("COALESCE(f.cost_per_hour_usd, -1.0)", false),
            FindingOrder::FirstSeen => ("f.first_seen", false),
        }
    }
}

/// A page of findings in `order`, after `cursor` (the `next` of the previous page:
/// `KEY~ROWID`); the items as [`findings`] gives them.
pub fn findings_ordered(
    conn: &dyn Sql,
    f: &FindingFilter,
    order: FindingOrder,
    cursor: Option<&str>,
) -> DbResult<(Vec<Value>, Option<String>)> {
    let mut args: Vec<Arg<'_>> = Vec::new();
    let mut clauses = where_clauses(f, &mut args);
    let (key, ascending) = order.key();
    let parsed =
        cursor.and_then(|c| c.rsplit_once('~')).and_then(|(k, r)| Some((k.to_string(), r.parse::<i64>().ok()?)));
    if let Some((k, rowid)) = &parsed {
        let value = match order {
            FindingOrder::FirstSeen => Arg::Text(k),
            FindingOrder::Severity => Arg::Int(k.parse().unwrap_or(0)),
            FindingOrder::Cost => Arg::Real(k.parse().unwrap_or(0.0)),
        };
        args.push(value);
        let v = args.len();
        args.push(Arg::Int(*rowid));
        let r = args.len();
        let beyond = if ascending { ">" } else { "<" };
        clauses.push(format!("({key} {beyond} ?{v} OR ({key} = ?{v} AND f.rowid > ?{r}))"));
    }
    // The page is chosen from the narrow rows; only its bodies are read.
    let direction = if ascending { "ASC" } else { "DESC" };
    let sql = format!(
        "SELECT p.rowid, p.scope, p.first_seen, {}, p.resolved_at, b.finding, p.k FROM
           (SELECT f.rowid AS rowid, f.scope AS scope, f.id AS id, f.first_seen AS first_seen, f.last_seen AS last_seen,
                   f.resolved_at AS resolved_at, {key} AS k
            FROM findings f WHERE {} ORDER BY {key} {direction}, f.rowid LIMIT {}) p
         JOIN finding_bodies b ON b.scope = p.scope AND b.id = p.id
         LEFT JOIN scopes s ON s.scope = p.scope
         ORDER BY p.k {direction}, p.rowid",
        super::findings::last_seen_sql("p"),
        if clauses.is_empty() { "1 = 1".to_string() } else { clauses.join(" AND ") },
        f.limit + 1
    );
    let rows = conn.query(&sql, &args)?;
    let mut items = Vec::new();
    let mut next = None;
    for (i, r) in rows.iter().enumerate() {
        if i == f.limit {
            break;
        }
        let key_text = match order {
            FindingOrder::FirstSeen => r.get::<String>(6)?,
            FindingOrder::Severity => r.get::<i64>(6)?.to_string(),
            FindingOrder::Cost => format!("{:?}", r.get::<f64>(6)?),
        };
        if i + 1 == f.limit && rows.len() > f.limit {
            next = Some(format!("{key_text}~{}", r.get::<i64>(0)?));
        }
        items.push(finding_item(r)?);
    }
    Ok((items, next))
}

#[cfg(test)]
mod ordered_tests {
    use super::*;
    use crate::store::db::args;
    use crate::store::testing::on_each_backend;

    #[test]
    fn a_status_is_open_resolved_or_all_and_a_wrong_one_is_named_cut_short() {
        assert_eq!(Status::parse("resolved"), Ok(Status::Resolved));
        let long = "x".repeat(500);
        let err = Status::parse(&long).unwrap_err();
        assert!(
            err.starts_with("status \"xxx") && err.ends_with("is not open, resolved or all") && err.len() < 200,
            "{err}"
        );
    }

    #[test]
    fn findings_page_in_order_across_pages_on_both_backends() {
        on_each_backend(|store| {
            let rows = [
                ("a", "low", Some(1.0), "2026-12-01"),
                ("b", "high", Some(9.0), "2026-12-03"),
                ("c", "high", None, "2026-12-02"),
                ("d", "critical", Some(5.0), "2026-12-04"),
                ("e", "medium", Some(9.0), "2026-12-05"),
            ];
            for (id, severity, cost, first) in rows {
                store.db.execute(
                    "INSERT INTO findings (scope, id, kind, severity, type, resource_id, first_seen, last_seen, signature, cost_per_hour_usd)
                     VALUES ('t', ?1, 'changed', ?2, 'aws_instance', ?1, ?3, ?3, 's', ?4)",
                    args![id, severity, first, cost],
                ).unwrap();
                store
                    .db
                    .execute(
                        "INSERT INTO finding_bodies (scope, id, finding, tags) VALUES ('t', ?1, ?2, '{}')",
                        args![id, serde_json::json!({"id": id}).to_string().as_str()],
                    )
                    .unwrap();
            }
            let all = |order| {
                let mut out = Vec::new();
                let mut cursor: Option<String> = None;
                loop {
                    let f = FindingFilter { status: Status::Open, after: 0, limit: 2, ..FindingFilter::default() };
                    let (items, next) = findings_ordered(&store.db, &f, order, cursor.as_deref()).unwrap();
                    out.extend(items.iter().map(|i| i["finding"]["id"].as_str().unwrap().to_string()));
                    match next {
                        Some(n) => cursor = Some(n),
                        None => break,
                    }
                }
                out
            };
            assert_eq!(all(FindingOrder::Severity), ["d", "b", "c", "e", "a"]);
            assert_eq!(all(FindingOrder::Cost), ["b", "e", "d", "a", "c"]);
            assert_eq!(all(FindingOrder::FirstSeen), ["e", "d", "b", "c", "a"]);
        });
    }
}
