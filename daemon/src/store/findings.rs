//! Finding history's rows: open findings, their bodies, scans and each scope's health.
//! Every function runs on the caller's connection or transaction (`history::record`
//! writes a scan and its outbox messages in one).

use super::db::{args, DbResult, Sql};
use driftd_core::allocation::TeamCost;
use driftd_core::model::Finding;
use std::collections::{BTreeMap, HashMap};

/// An open finding as stored; its body is read only when a transition needs it.
pub struct OpenFinding {
    pub signature: String,
    pub cost: Option<f64>,
    pub first_seen: String,
    pub tf_type: String,
    pub resource_id: String,
}

/// The open findings of a scope, by id.
pub fn open(conn: &dyn Sql, scope: &str) -> DbResult<HashMap<String, OpenFinding>> {
    conn.query(
        "SELECT id, signature, cost_per_hour_usd, first_seen, type, resource_id FROM findings
         WHERE scope = ?1 AND resolved_at IS NULL",
        args![scope],
    )?
    .iter()
    .map(|r| {
        Ok((
            r.get(0)?,
            OpenFinding {
                signature: r.get(1)?,
                cost: r.get(2)?,
                first_seen: r.get(3)?,
                tf_type: r.get(4)?,
                resource_id: r.get(5)?,
            },
        ))
    })
    .collect()
}

/// Who made an open finding's change, learnt after it was told: written into its body
/// unless the body says so already. True when it was written.
pub fn attribute(conn: &dyn Sql, scope: &str, id: &str, by: &driftd_core::model::ChangedBy) -> DbResult<bool> {
    let Some(json) = conn
        .query_opt("SELECT finding FROM finding_bodies WHERE scope = ?1 AND id = ?2", args![scope, id])?
        .map(|r| r.get::<String>(0))
        .transpose()?
    else {
        return Ok(false);
    };
    let Ok(mut body) = serde_json::from_str::<serde_json::Value>(&json) else { return Ok(false) };
    let cause = by.cause;
    let by = serde_json::to_value(by).unwrap_or_default();
    if body.get("changed_by") == Some(&by) {
        return Ok(false);
    }
    body["changed_by"] = by;
    let body = body.to_string();
    conn.execute("UPDATE finding_bodies SET finding = ?3 WHERE scope = ?1 AND id = ?2", args![scope, id, &body])?;
    conn.execute("UPDATE findings SET cause = ?3 WHERE scope = ?1 AND id = ?2", args![scope, id, cause.as_str()])?;
    Ok(true)
}

/// The finding as last notified, with its tags; `None` when this version cannot read it.
pub fn body(conn: &dyn Sql, scope: &str, id: &str) -> DbResult<Option<Finding>> {
    let row: Option<(String, String)> = match conn
        .query_opt("SELECT finding, tags FROM finding_bodies WHERE scope = ?1 AND id = ?2", args![scope, id])?
    {
        Some(r) => Some((r.get(0)?, r.get(1)?)),
        None => None,
    };
    Ok(row.and_then(|(json, tags)| {
        let mut f: Finding = serde_json::from_str(&json).ok()?;
        f.resource.tags = serde_json::from_str::<BTreeMap<String, String>>(&tags).unwrap_or_default();
        Some(f)
    }))
}

/// A finding that is new or changed: its row (open again) and its body.
pub struct Written<'a> {
    pub scope: &'a str,
    pub finding: &'a Finding,
    pub first_seen: &'a str,
    pub seen_at: &'a str,
    pub signature: &'a str,
    pub cost: Option<f64>,
}

pub fn write(conn: &dyn Sql, w: &Written<'_>) -> DbResult<()> {
    let f = w.finding;
    let json = serde_json::to_string(f).unwrap_or_default();
    let tags = serde_json::to_string(&f.resource.tags).unwrap_or_default();
    conn.execute(
        "INSERT INTO finding_bodies (scope, id, finding, tags) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (scope, id) DO UPDATE SET finding = excluded.finding, tags = excluded.tags",
        args![w.scope, &f.id, &json, &tags],
    )?;
    conn.execute(
        "INSERT INTO findings (scope, id, kind, severity, type, resource_id, account, region,
            first_seen, last_seen, resolved_at, signature, cost_per_hour_usd, team, cause)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, NULL, ?11, ?12, ?13, ?14)
         ON CONFLICT (scope, id) DO UPDATE SET
            kind = ?3, severity = ?4, type = ?5, resource_id = ?6, account = ?7, region = ?8,
            first_seen = ?9, last_seen = ?10, resolved_at = NULL, signature = ?11,
            cost_per_hour_usd = ?12, team = ?13, cause = ?14",
        args![
            w.scope,
            &f.id,
            f.kind.as_str(),
            f.severity.as_str(),
            &f.resource.tf_type,
            &f.resource.id,
            f.resource.account.as_deref(),
            f.resource.region.as_deref(),
            w.first_seen,
            w.seen_at,
            w.signature,
            w.cost,
            f.resource.team.as_deref(),
            f.changed_by.as_ref().map(|b| b.cause.as_str())
        ],
    )?;
    Ok(())
}

/// Findings still open and unchanged, seen by a partial scan: only `last_seen` moves, in
/// one statement.
pub fn seen_again(conn: &dyn Sql, scope: &str, ids: &[&str], at: &str) -> DbResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let ids = serde_json::to_string(ids).unwrap_or_default();
    let sql =
        format!("UPDATE findings SET last_seen = ?2 WHERE scope = ?1 AND id IN ({})", conn.dialect().json_texts("?3"));
    conn.execute(&sql, args![scope, at, &ids])?;
    Ok(())
}

/// Resolved `at`; last seen by the scope's last complete scan before (`seen_complete`),
/// unless a partial scan saw it later.
pub fn resolve(conn: &dyn Sql, scope: &str, id: &str, at: &str, seen_complete: Option<&str>) -> DbResult<()> {
    conn.execute(
        "UPDATE findings SET resolved_at = ?3,
            last_seen = CASE WHEN CAST(?4 AS TEXT) > last_seen THEN ?4 ELSE last_seen END
         WHERE scope = ?1 AND id = ?2",
        args![scope, id, at, seen_complete],
    )?;
    Ok(())
}

/// A finding's last seen as SQL, over the `findings` row aliased `f` and its scope's row
/// in `scopes` aliased `s` (a `LEFT JOIN`): an open finding was seen by every complete
/// scan since, whose time is the scope's `last_ok_at` (`history::record` does not rewrite
/// the rows of findings that stay open).
pub fn last_seen_sql(f: &str) -> String {
    format!(
        "CASE WHEN {f}.resolved_at IS NULL AND s.last_ok_at > {f}.last_seen THEN s.last_ok_at ELSE {f}.last_seen END"
    )
}

/// When the scope's last complete scan finished: what an open finding's `last_seen` is
/// at least (see `history::record`).
pub fn last_ok_at(conn: &dyn Sql, scope: &str) -> DbResult<Option<String>> {
    match conn.query_opt("SELECT last_ok_at FROM scopes WHERE scope = ?1", args![scope])? {
        Some(r) => r.get(0),
        None => Ok(None),
    }
}

/// One scan's row, as it ended.
pub struct ScanRow<'a> {
    pub scope: &'a str,
    pub started_at: &'a str,
    pub finished_at: &'a str,
    pub outcome: &'a str,
    pub findings: i64,
    pub new: i64,
    pub changed: i64,
    pub resolved: i64,
    pub error: Option<&'a str>,
    /// The process that scanned (`leases::replica_id`).
    pub replica: &'a str,
}

/// Adds a scan; returns its id.
pub fn add_scan(conn: &dyn Sql, s: &ScanRow<'_>) -> DbResult<i64> {
    conn.query_one(
        "INSERT INTO scans (scope, started_at, finished_at, outcome, findings, new, changed, resolved, error, replica)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
        args![
            s.scope,
            s.started_at,
            s.finished_at,
            s.outcome,
            s.findings,
            s.new,
            s.changed,
            s.resolved,
            s.error,
            s.replica
        ],
    )?
    .get(0)
}

/// How a scope's scans have been going: the last outcome and since when it fails.
pub fn scope_health(conn: &dyn Sql, scope: &str) -> DbResult<Option<(String, Option<String>)>> {
    match conn.query_opt("SELECT last_outcome, failing_since FROM scopes WHERE scope = ?1", args![scope])? {
        Some(r) => Ok(Some((r.get(0)?, r.get(1)?))),
        None => Ok(None),
    }
}

/// Sets a scope's health after a scan; `last_ok_at` moves only with a successful one.
pub fn set_scope_health(
    conn: &dyn Sql,
    scope: &str,
    outcome: &str,
    failing_since: Option<&str>,
    last_ok_at: Option<&str>,
) -> DbResult<()> {
    conn.execute(
        "INSERT INTO scopes (scope, last_outcome, failing_since, last_ok_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (scope) DO UPDATE SET last_outcome = excluded.last_outcome,
            failing_since = excluded.failing_since, last_ok_at = COALESCE(excluded.last_ok_at, scopes.last_ok_at)",
        args![scope, outcome, failing_since, last_ok_at],
    )?;
    Ok(())
}

/// The scope last recorded for a check's arguments (`alerts::inputs_key`).
pub fn scope_of_inputs(conn: &dyn Sql, inputs: &str) -> DbResult<Option<String>> {
    match conn.query_opt(
        "SELECT scope FROM scopes WHERE inputs = ?1 ORDER BY last_ok_at DESC NULLS LAST LIMIT 1",
        args![inputs],
    )? {
        Some(r) => Ok(Some(r.get(0)?)),
        None => Ok(None),
    }
}

/// Remembers the arguments a scope was last checked with; another scope that had them
/// lets them go.
pub fn remember_inputs(conn: &dyn Sql, scope: &str, inputs: &str) -> DbResult<()> {
    conn.execute("UPDATE scopes SET inputs = NULL WHERE inputs = ?1 AND scope <> ?2", args![inputs, scope])?;
    conn.execute("UPDATE scopes SET inputs = ?2 WHERE scope = ?1", args![scope, inputs])?;
    Ok(())
}

/// The drift cost of a scope's last complete scan (the report's summary), for the fleet
/// metrics one replica exports for all.
pub fn set_scope_costs(conn: &dyn Sql, scope: &str, changed: f64, unmanaged: f64) -> DbResult<()> {
    conn.execute(
        "UPDATE scopes SET changed_cost_per_hour_usd = ?2, unmanaged_cost_per_hour_usd = ?3 WHERE scope = ?1",
        args![scope, changed, unmanaged],
    )?;
    Ok(())
}

/// A complete scan's figures: API calls, IaC coverage and costs, to chart them over time.
pub fn set_scan_figures(
    conn: &dyn Sql,
    scan_id: i64,
    api_calls: u64,
    s: &driftd_core::report::Summary,
) -> DbResult<()> {
    let orchestrated: f64 = s.orchestrated.iter().filter_map(|o| o.cost_per_hour_usd).sum();
    conn.execute(
        "UPDATE scans SET api_calls = ?2, coverage_pct = ?3, drift_cost_per_hour_usd = ?4, unmanaged_cost_per_hour_usd = ?5,
            orchestrated_cost_per_hour_usd = ?6, idle_capacity_cost_per_hour_usd = ?7 WHERE id = ?1",
        args![
            scan_id,
            api_calls as i64,
            s.coverage_pct,
            s.cost_delta_per_hour_usd,
            s.unmanaged_cost_per_hour_usd,
            driftd_core::cost::round_cents(orchestrated),
            s.idle_capacity_cost_per_hour_usd
        ],
    )?;
    Ok(())
}

/// A complete scan's costs per team (`summary.teams`), to show them over time.
pub fn set_scan_teams(conn: &dyn Sql, scan_id: i64, scope: &str, teams: &[TeamCost]) -> DbResult<()> {
    for t in teams {
        conn.execute(
            "INSERT INTO scan_teams (scan_id, scope, team, findings, drift_cost_per_hour_usd,
                unmanaged_cost_per_hour_usd, orchestrated_cost_per_hour_usd, idle_capacity_cost_per_hour_usd)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            args![
                scan_id,
                scope,
                t.name.as_str(),
                t.findings as i64,
                t.drift_cost_per_hour_usd,
                t.unmanaged_cost_per_hour_usd,
                t.orchestrated_cost_per_hour_usd,
                t.idle_capacity_cost_per_hour_usd
            ],
        )?;
    }
    Ok(())
}

/// One scope as the fleet metrics show it.
pub struct ScopeFigures {
    pub scope: String,
    /// `ok`, `partial` or `failed`: the last scheduled scan's.
    pub last_outcome: String,
    pub last_ok_at: Option<String>,
    pub failures_since_ok: i64,
    pub changed_cost: f64,
    pub unmanaged_cost: f64,
    /// Open findings by (kind, severity).
    pub open: Vec<(String, String, i64)>,
}

/// Every scope's figures for the fleet metrics.
pub fn scope_figures(conn: &dyn Sql) -> DbResult<Vec<ScopeFigures>> {
    let mut out: Vec<ScopeFigures> = conn
        .query(
            "SELECT s.scope, s.last_ok_at, COALESCE(s.changed_cost_per_hour_usd, 0), COALESCE(s.unmanaged_cost_per_hour_usd, 0),
                (SELECT count(*) FROM scans c WHERE c.scope = s.scope AND c.outcome NOT IN ('ok', 'event') AND c.id >
                    COALESCE((SELECT max(o.id) FROM scans o WHERE o.scope = s.scope AND o.outcome = 'ok'), 0)),
                s.last_outcome
             FROM scopes s ORDER BY s.scope",
            &[],
        )?
        .iter()
        .map(|r| {
            Ok(ScopeFigures {
                scope: r.get(0)?,
                last_ok_at: r.get(1)?,
                changed_cost: r.get(2)?,
                unmanaged_cost: r.get(3)?,
                failures_since_ok: r.get(4)?,
                last_outcome: r.get(5)?,
                open: Vec::new(),
            })
        })
        .collect::<DbResult<_>>()?;
    for r in conn.query(
        "SELECT scope, kind, severity, count(*) FROM findings WHERE resolved_at IS NULL GROUP BY scope, kind, severity",
        &[],
    )? {
        let scope: String = r.get(0)?;
        if let Some(s) = out.iter_mut().find(|s| s.scope == scope) {
            s.open.push((r.get(1)?, r.get(2)?, r.get(3)?));
        }
    }
    Ok(out)
}
