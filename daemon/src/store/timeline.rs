//! A finding's timeline: one row each time a scan found it, saw it change, learnt who made
//! it, or saw it gone. Each row keeps what the finding was then (severity, cost, the
//! changed attributes' values, cut short), so that a page can say what moved between two
//! of them. Written by `history::record` in the scan's transaction; pruned with the
//! finding, and beyond `[store] keep_scans` apart from the row that opened it.

use super::db::{args, DbResult, Sql};
use driftd_core::model::Finding;
use serde::{Deserialize, Serialize};

/// What happened to a finding at one scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Found (again, after it was resolved, when an earlier `resolved` precedes it).
    New,
    /// Its severity, attributes or cost moved.
    Changed,
    /// Who made it, learnt after it was found.
    Attributed,
    /// Gone.
    Resolved,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::New => "new",
            EventKind::Changed => "changed",
            EventKind::Attributed => "attributed",
            EventKind::Resolved => "resolved",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [EventKind::New, EventKind::Changed, EventKind::Attributed, EventKind::Resolved]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// An attribute's declared and live value as shown, cut to `VALUE_CHARS`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeThen {
    pub path: String,
    pub declared: String,
    pub live: String,
}

/// What the finding was at an event; empty for `resolved`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FindingThen {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_per_hour_usd: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<ChangeThen>,
    /// A violation's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Who made the change, as reports say it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_by: Option<String>,
}

/// A value in a timeline row is cut here: rows stay small whatever an attribute holds.
const VALUE_CHARS: usize = 200;

impl FindingThen {
    pub fn of(f: &Finding) -> Self {
        let show = |v: &serde_json::Value| driftd_core::error::cut(&driftd_core::report::show_value(v), VALUE_CHARS);
        FindingThen {
            severity: Some(f.severity.as_str().to_string()),
            cost_per_hour_usd: f.cost_per_hour(),
            changes: f
                .changes
                .iter()
                .flatten()
                .map(|c| ChangeThen { path: c.path.clone(), declared: show(&c.declared), live: show(&c.live) })
                .collect(),
            message: f.policy.is_some().then(|| driftd_core::error::cut(&f.message, VALUE_CHARS)),
            changed_by: f.changed_by.as_ref().map(|b| b.line()),
        }
    }
}

/// One row of a finding's timeline, as `/api/v1/findings/history` returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub at: String,
    pub event: EventKind,
    pub scan_id: Option<i64>,
    #[serde(flatten)]
    pub then: FindingThen,
}

pub fn add(
    conn: &dyn Sql,
    scope: &str,
    finding_id: &str,
    at: &str,
    scan_id: i64,
    event: EventKind,
    then: &FindingThen,
) -> DbResult<()> {
    let detail = serde_json::to_string(then).unwrap_or_default();
    conn.execute(
        "INSERT INTO finding_events (scope, finding_id, at, scan_id, event, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        args![scope, finding_id, at, scan_id, event.as_str(), &detail],
    )?;
    Ok(())
}

/// When a finding was first and last seen (as the findings API says it), and resolved
/// (`None` while open).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Seen {
    pub first_seen: String,
    pub last_seen: String,
    pub resolved_at: Option<String>,
}

/// A finding's times and timeline; `None` when the store does not hold it.
pub fn of_finding(conn: &dyn Sql, scope: &str, finding_id: &str) -> DbResult<Option<(Seen, Vec<Event>)>> {
    let Some(r) = conn.query_opt(
        &format!(
            "SELECT f.first_seen, {}, f.resolved_at FROM findings f LEFT JOIN scopes s ON s.scope = f.scope
             WHERE f.scope = ?1 AND f.id = ?2",
            super::findings::last_seen_sql("f")
        ),
        args![scope, finding_id],
    )?
    else {
        return Ok(None);
    };
    let seen = Seen { first_seen: r.get(0)?, last_seen: r.get(1)?, resolved_at: r.get(2)? };
    Ok(Some((seen, of(conn, scope, finding_id)?)))
}

/// Most rows a timeline shows: its first one and the latest.
pub const SHOWN: usize = 200;

/// A finding's timeline, oldest first: the row that opened it and the latest `SHOWN - 1`.
pub fn of(conn: &dyn Sql, scope: &str, finding_id: &str) -> DbResult<Vec<Event>> {
    let rows = conn.query(
        &format!(
            "SELECT at, event, scan_id, detail FROM (
                SELECT at, event, scan_id, detail, seq FROM finding_events WHERE scope = ?1 AND finding_id = ?2
                ORDER BY seq DESC LIMIT {}) latest ORDER BY seq",
            SHOWN
        ),
        args![scope, finding_id],
    )?;
    let mut events = Vec::with_capacity(rows.len());
    for r in rows.iter() {
        let kind: String = r.get(1)?;
        // A row of a newer driftd's kind is left out, not guessed at.
        let Some(event) = EventKind::parse(&kind) else { continue };
        let detail: String = r.get(3)?;
        events.push(Event {
            at: r.get(0)?,
            event,
            scan_id: r.get(2)?,
            then: serde_json::from_str(&detail).unwrap_or_default(),
        });
    }
    Ok(events)
}

/// What moved from one row to the next, as short phrases: `severity medium → high`,
/// `instance_type p5.48xlarge → p4d.24xlarge (live)`, `cost $1.00/h → $2.00/h`.
pub fn moved(before: &FindingThen, now: &FindingThen) -> Vec<String> {
    let mut out = Vec::new();
    if let (Some(a), Some(b)) = (&before.severity, &now.severity) {
        if a != b {
            out.push(format!("severity {a} → {b}"));
        }
    }
    for c in &now.changes {
        match before.changes.iter().find(|p| p.path == c.path) {
            Some(p) if p.live != c.live => out.push(format!("{} live {} → {}", c.path, p.live, c.live)),
            Some(p) if p.declared != c.declared => {
                out.push(format!("{} declared {} → {}", c.path, p.declared, c.declared))
            }
            Some(_) => {}
            None => out.push(format!("{} now differs: declared {}, live {}", c.path, c.declared, c.live)),
        }
    }
    for p in &before.changes {
        if !now.changes.iter().any(|c| c.path == p.path) {
            out.push(format!("{} in sync again", p.path));
        }
    }
    if before.message != now.message {
        if let Some(m) = &now.message {
            out.push(m.clone());
        }
    }
    if before.cost_per_hour_usd != now.cost_per_hour_usd {
        let show =
            |c: Option<f64>| c.map(|c| format!("{}/h", driftd_core::report::usd(Some(c)))).unwrap_or("none".into());
        out.push(format!("cost {} → {}", show(before.cost_per_hour_usd), show(now.cost_per_hour_usd)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn then(sev: &str, cost: f64, changes: &[(&str, &str, &str)]) -> FindingThen {
        FindingThen {
            severity: Some(sev.into()),
            cost_per_hour_usd: Some(cost),
            changes: changes
                .iter()
                .map(|(p, d, l)| ChangeThen { path: p.to_string(), declared: d.to_string(), live: l.to_string() })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn moved_names_severity_attributes_and_cost_that_moved() {
        let a = then("medium", 1.0, &[("instance_type", "g5.xlarge", "g5.2xlarge"), ("tags.env", "prod", "dev")]);
        let b = then("high", 2.5, &[("instance_type", "g5.xlarge", "g5.4xlarge"), ("ebs_optimized", "true", "false")]);
        assert_eq!(
            moved(&a, &b),
            [
                "severity medium → high",
                "instance_type live g5.2xlarge → g5.4xlarge",
                "ebs_optimized now differs: declared true, live false",
                "tags.env in sync again",
                "cost $1.00/h → $2.50/h",
            ]
        );
        assert!(moved(&b, &b).is_empty());
    }
}
