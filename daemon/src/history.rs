//! Finding history: what a scan means compared with what the store already knew.
//!
//! A finding is `new` the first time a scope sees it (or again after it was resolved),
//! `changed` when another attribute drifted, a live value moved, its severity moved or
//! its cost moved by more than `cost_change_share`, and `resolved` when a *successful*
//! scan of its scope no longer sees it. A partial scan (some type or region unread) and a
//! failed scan resolve nothing. Scan failures are their own events (`scan_failed` once
//! when a scope starts failing, `scan_recovered` once when it succeeds again), never
//! mixed with drift.
//!
//! A re-read after cloud events (`Outcome::Event`) speaks for the resources it read
//! only: their findings are new, changed or resolved as above, every other finding and
//! the scope's health stay as they are. Transitions follow what the store holds, so an
//! event handled twice, or an event and a scheduled scan that see the same drift, tell
//! people once.

use crate::store::{findings, timeline};
use crate::store::{DbResult, Sql};
use driftd_core::model::Finding;
use serde::{Deserialize, Serialize};

/// What happened to a finding, or to the scans of a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    New,
    Changed,
    Reminder,
    Resolved,
    ScanFailed,
    ScanRecovered,
}

impl EventKind {
    pub const ALL: [EventKind; 6] = [
        EventKind::New,
        EventKind::Changed,
        EventKind::Reminder,
        EventKind::Resolved,
        EventKind::ScanFailed,
        EventKind::ScanRecovered,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::New => "new",
            EventKind::Changed => "changed",
            EventKind::Reminder => "reminder",
            EventKind::Resolved => "resolved",
            EventKind::ScanFailed => "scan_failed",
            EventKind::ScanRecovered => "scan_recovered",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

/// A scope's scans started failing, or recovered.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanEvent {
    pub event: EventKind,
    /// Why the scan failed (for `scan_failed`): no secrets, ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every source was read.
    Ok,
    /// Some types or regions could not be read: findings are recorded, none resolved.
    Partial,
    /// Nothing usable: no findings recorded, none resolved.
    Failed,
    /// A re-read of some resources after cloud events: their findings recorded, theirs
    /// alone resolved; the scope's health untouched.
    Event,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Partial => "partial",
            Outcome::Failed => "failed",
            Outcome::Event => "event",
        }
    }
}

/// One scan, as it ended.
pub struct ScanRecord<'a, 'f> {
    pub scope: &'a str,
    pub started_at: &'a str,
    pub finished_at: &'a str,
    pub outcome: Outcome,
    pub findings: &'f [Finding],
    /// Why it failed or was partial (no secrets).
    pub error: Option<String>,
    /// `Outcome::Event`: the (type, id) of each resource read again.
    pub reread: &'a [(String, String)],
}

#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    New,
    Changed {
        before: Box<Finding>,
    },
    /// Still open and unchanged: a reminder, if a notifier's interval has passed.
    Open,
    Resolved,
}

#[derive(Debug, Clone)]
pub struct Tracked<'a> {
    pub transition: Transition,
    /// Borrowed from the scan's report; owned for a resolved finding (from the store).
    pub finding: std::borrow::Cow<'a, Finding>,
    pub first_seen: String,
}

/// What a scan changed, for the notifiers.
#[derive(Debug)]
pub struct Recorded<'a> {
    pub scan_id: i64,
    pub scope: String,
    pub at: String,
    pub scan_event: Option<ScanEvent>,
    pub findings: Vec<Tracked<'a>>,
}

impl Recorded<'_> {
    pub fn count(&self, f: fn(&Transition) -> bool) -> usize {
        self.findings.iter().filter(|t| f(&t.transition)).count()
    }
}

/// What makes a finding "the same" between scans: kind, severity, and every changed
/// attribute with its declared and live value (a violation: its message). Cost is
/// compared apart, with a tolerance.
pub fn signature(f: &Finding) -> String {
    use sha2::{Digest, Sha256};
    let changes: Vec<_> = f.changes.iter().flatten().map(|c| (&c.path, &c.declared, &c.live)).collect();
    let message = if f.policy.is_some() { f.message.as_str() } else { "" };
    // The bytes of `[kind, severity, changes, message]`, without building a JSON tree.
    let key = serde_json::to_vec(&(f.kind, f.severity, changes, message)).unwrap_or_default();
    let digest = Sha256::digest(&key);
    digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

fn cost_moved(before: Option<f64>, now: Option<f64>, share: f64) -> bool {
    match (before, now) {
        (Some(a), Some(b)) if a > 0.0 => (b - a).abs() / a > share,
        (Some(a), Some(b)) => b > a,
        (None, Some(b)) => b > 0.0,
        (Some(a), None) => a > 0.0,
        (None, None) => false,
    }
}

/// Records one scan and returns its transitions. Call inside a transaction, with the
/// outbox writes of the same scan, so that a crash leaves both or neither.
pub fn record<'f>(tx: &dyn Sql, scan: &ScanRecord<'_, 'f>, cost_change_share: f64) -> DbResult<Recorded<'f>> {
    let open = findings::open(tx, scan.scope)?;

    let mut tracked = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut still_open: Vec<&str> = Vec::new();
    // Each finding's timeline rows, written once the scan has its id.
    let mut events: Vec<(String, timeline::EventKind, timeline::FindingThen)> = Vec::new();
    if scan.outcome != Outcome::Failed {
        for f in scan.findings {
            if !seen.insert(f.id.clone()) {
                continue;
            }
            let sig = signature(f);
            let cost = f.cost_per_hour();
            let (transition, first_seen) = match open.get(&f.id) {
                None => (Transition::New, scan.finished_at.to_string()),
                Some(k) if k.signature != sig || cost_moved(k.cost, cost, cost_change_share) => {
                    match findings::body(tx, scan.scope, &f.id)? {
                        Some(before) => (Transition::Changed { before: Box::new(before) }, k.first_seen.clone()),
                        // A row this version cannot read: told again as new.
                        None => (Transition::New, scan.finished_at.to_string()),
                    }
                }
                Some(k) => (Transition::Open, k.first_seen.clone()),
            };
            let event = match &transition {
                Transition::New => Some(timeline::EventKind::New),
                Transition::Changed { .. } => Some(timeline::EventKind::Changed),
                _ => None,
            };
            if let Some(event) = event {
                events.push((f.id.clone(), event, timeline::FindingThen::of(f)));
            }
            if transition == Transition::Open {
                // Signature, cost and the finding stay as last notified, so that many
                // small cost steps still add up to one `changed`, and `previous` shows
                // what people were last told. `last_seen` moves below.
                still_open.push(f.id.as_str());
                // Who made it, learnt after the drift was first seen (a scan found it
                // before the event came): kept with the finding, told nobody again.
                if let Some(by) = &f.changed_by {
                    if findings::attribute(tx, scan.scope, &f.id, by)? {
                        let then = timeline::FindingThen { changed_by: Some(by.line()), ..Default::default() };
                        events.push((f.id.clone(), timeline::EventKind::Attributed, then));
                    }
                }
            } else {
                findings::write(
                    tx,
                    &findings::Written {
                        scope: scan.scope,
                        finding: f,
                        first_seen: &first_seen,
                        seen_at: scan.finished_at,
                        signature: &sig,
                        cost,
                    },
                )?;
            }
            tracked.push(Tracked { transition, finding: std::borrow::Cow::Borrowed(f), first_seen });
        }
    }
    // A complete scan saw every finding it leaves open: their `last_seen` is the scope's
    // last complete scan (`last_ok_at`, set below), so their rows are not rewritten. A
    // partial scan moves the `last_seen` of the ones it saw.
    if matches!(scan.outcome, Outcome::Partial | Outcome::Event) {
        findings::seen_again(tx, scan.scope, &still_open, scan.finished_at)?;
    }
    if matches!(scan.outcome, Outcome::Ok | Outcome::Event) {
        let seen_complete = findings::last_ok_at(tx, scan.scope)?;
        // An event's re-read speaks for the resources it read, and only for them.
        let reread: std::collections::HashSet<(&str, String)> =
            scan.reread.iter().map(|(t, id)| (t.as_str(), resource_key(t, id))).collect();
        let spoken_for = |k: &findings::OpenFinding| {
            scan.outcome == Outcome::Ok
                || reread.contains(&(k.tf_type.as_str(), resource_key(&k.tf_type, &k.resource_id)))
        };
        let mut gone: Vec<(String, findings::OpenFinding)> =
            open.into_iter().filter(|(id, k)| !seen.contains(id) && spoken_for(k)).collect();
        gone.sort_by(|a, b| a.0.cmp(&b.0));
        for (id, k) in gone {
            findings::resolve(tx, scan.scope, &id, scan.finished_at, seen_complete.as_deref())?;
            events.push((id.clone(), timeline::EventKind::Resolved, timeline::FindingThen::default()));
            // A row this version cannot read is resolved without a message.
            if let Some(finding) = findings::body(tx, scan.scope, &id)? {
                tracked.push(Tracked {
                    transition: Transition::Resolved,
                    finding: std::borrow::Cow::Owned(finding),
                    first_seen: k.first_seen,
                });
            }
        }
    }

    let scan_event = match scan.outcome {
        Outcome::Event => None,
        _ => scope_transition(tx, scan)?,
    };
    let count = |f: fn(&Transition) -> bool| tracked.iter().filter(|t| f(&t.transition)).count() as i64;
    let scan_id = findings::add_scan(
        tx,
        &findings::ScanRow {
            scope: scan.scope,
            started_at: scan.started_at,
            finished_at: scan.finished_at,
            outcome: scan.outcome.as_str(),
            findings: seen.len() as i64,
            new: count(|t| matches!(t, Transition::New)),
            changed: count(|t| matches!(t, Transition::Changed { .. })),
            resolved: count(|t| matches!(t, Transition::Resolved)),
            error: scan.error.as_deref(),
            replica: crate::store::leases::replica_id(),
        },
    )?;
    for (id, event, then) in &events {
        timeline::add(tx, scan.scope, id, scan.finished_at, scan_id, *event, then)?;
    }
    Ok(Recorded {
        scan_id,
        scope: scan.scope.to_string(),
        at: scan.finished_at.to_string(),
        scan_event,
        findings: tracked,
    })
}

pub use findings::{remember_inputs, scope_of_inputs};

/// A resource id as findings match it (Azure's ARM ids in any case).
fn resource_key(tf_type: &str, id: &str) -> String {
    driftd_core::model::Cloud::of_type(tf_type).match_key(id)
}

/// `scan_failed` once when a scope starts failing, `scan_recovered` once when it is back.
fn scope_transition(tx: &dyn Sql, scan: &ScanRecord<'_, '_>) -> DbResult<Option<ScanEvent>> {
    let before = findings::scope_health(tx, scan.scope)?;
    let was_failing = before.as_ref().is_some_and(|(o, _)| o != "ok");
    let failing_since = before.and_then(|(_, since)| since);
    let (event, since) = match (scan.outcome, was_failing) {
        (Outcome::Ok, true) => (
            Some(ScanEvent { event: EventKind::ScanRecovered, error: None, failing_since: failing_since.clone() }),
            None,
        ),
        (Outcome::Ok, false) => (None, None),
        (_, false) => {
            let since = scan.finished_at.to_string();
            (
                Some(ScanEvent {
                    event: EventKind::ScanFailed,
                    error: scan.error.clone(),
                    failing_since: Some(since.clone()),
                }),
                Some(since),
            )
        }
        (_, true) => (None, failing_since),
    };
    let last_ok = (scan.outcome == Outcome::Ok).then_some(scan.finished_at);
    findings::set_scope_health(tx, scan.scope, scan.outcome.as_str(), since.as_deref(), last_ok)?;
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::on_each_backend;
    use crate::store::{Pruned, Retention, Sql, Store};
    use driftd_core::model::*;
    use serde_json::json;
    use std::time::Duration;

    fn finding(id: &str, live: &str, cost: f64) -> Finding {
        Finding {
            changed_by: None,
            id: id.into(),
            kind: FindingKind::Changed,
            severity: Severity::High,
            resource: FindingResource {
                root_module: None,
                tf_type: "aws_instance".into(),
                id: "i-1".into(),
                address: Some("aws_instance.a".into()),
                provider: Cloud::Aws,
                account: Some("123456789012".into()),
                region: Some("us-east-1".into()),
                name: None,
                team: None,
                cost_allocation: Default::default(),
                tags: [("team".to_string(), "ml".to_string())].into(),
            },
            changes: Some(vec![Change {
                path: "instance_type".into(),
                declared: json!("p4d.24xlarge"),
                live: json!(live),
            }]),
            policy: None,
            declared_at: None,
            cost: Some(Cost {
                declared_per_hour_usd: Some(32.77),
                live_per_hour_usd: Some(cost),
                delta_per_hour_usd: None,
                price: None,
            }),
            message: "changed".into(),
            remediation: Remediation { summary: "apply".into(), commands: vec![], patch: None },
        }
    }

    fn scan<'a>(store: &mut Store, n: u32, outcome: Outcome, findings: &'a [Finding]) -> Recorded<'a> {
        let at = format!("2026-11-23T00:{n:02}:00Z");
        let tx = store.transaction().unwrap();
        let rec = ScanRecord {
            scope: "prod",
            started_at: &at,
            finished_at: &at,
            outcome,
            findings,
            error: None,
            reread: &[],
        };
        let r = record(&tx, &rec, 0.1).unwrap();
        tx.commit().unwrap();
        r
    }

    fn kinds(r: &Recorded) -> Vec<&'static str> {
        r.findings
            .iter()
            .map(|t| match t.transition {
                Transition::New => "new",
                Transition::Changed { .. } => "changed",
                Transition::Open => "open",
                Transition::Resolved => "resolved",
            })
            .collect()
    }

    #[test]
    fn new_open_changed_resolved_on_both_backends() {
        on_each_backend(new_open_changed_resolved);
    }

    fn new_open_changed_resolved(store: &mut Store) {
        assert_eq!(kinds(&scan(store, 1, Outcome::Ok, &[finding("a", "p5.48xlarge", 98.32)])), ["new"]);
        assert_eq!(kinds(&scan(store, 2, Outcome::Ok, &[finding("a", "p5.48xlarge", 98.32)])), ["open"]);
        // Live value moved.
        let moved = [finding("a", "p5en.48xlarge", 98.32)];
        let r = scan(store, 3, Outcome::Ok, &moved);
        assert_eq!(kinds(&r), ["changed"]);
        // Cost within 10%: not a change; the third small step passes 10% from the last notified value.
        assert_eq!(kinds(&scan(store, 4, Outcome::Ok, &[finding("a", "p5en.48xlarge", 102.0)])), ["open"]);
        assert_eq!(kinds(&scan(store, 5, Outcome::Ok, &[finding("a", "p5en.48xlarge", 106.0)])), ["open"]);
        assert_eq!(kinds(&scan(store, 6, Outcome::Ok, &[finding("a", "p5en.48xlarge", 110.0)])), ["changed"]);
        // A partial or failed scan resolves nothing.
        assert_eq!(kinds(&scan(store, 7, Outcome::Partial, &[])), Vec::<&str>::new());
        assert_eq!(kinds(&scan(store, 8, Outcome::Failed, &[])), Vec::<&str>::new());
        let r = scan(store, 9, Outcome::Ok, &[]);
        assert_eq!(kinds(&r), ["resolved"]);
        assert_eq!(r.findings[0].finding.resource.tags["team"], "ml", "tags survive the store");
        assert_eq!(kinds(&scan(store, 10, Outcome::Ok, &[finding("a", "p5.48xlarge", 98.32)])), ["new"]);
        // Who made it, learnt later: one `attributed` row, however often it is seen again.
        let mut by = finding("a", "p5.48xlarge", 98.32);
        by.changed_by = Some(ChangedBy {
            principal: "arn:aws:iam::123456789012:user/ana".into(),
            principal_type: "IAMUser".into(),
            display_name: Some("ana".into()),
            source_ip: None,
            user_agent: None,
            event_time: "2026-11-23T00:09:30Z".into(),
            event_id: "e-1".into(),
            event_name: "ModifyInstanceAttribute".into(),
            invoked_by: None,
            cause: Cause::Manual,
        });
        assert_eq!(kinds(&scan(store, 11, Outcome::Ok, std::slice::from_ref(&by))), ["open"]);
        assert_eq!(kinds(&scan(store, 12, Outcome::Ok, std::slice::from_ref(&by))), ["open"]);

        // The timeline: one row per transition, each with what the finding was then.
        let events = crate::store::timeline::of(&store.db, "prod", "a").unwrap();
        let rows: Vec<(&str, &str, Option<String>, Option<f64>)> = events
            .iter()
            .map(|e| {
                let live = e.then.changes.first().map(|c| c.live.clone());
                (&e.at[14..16], e.event.as_str(), live, e.then.cost_per_hour_usd)
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("01", "new", Some("p5.48xlarge".into()), Some(98.32)),
                ("03", "changed", Some("p5en.48xlarge".into()), Some(98.32)),
                ("06", "changed", Some("p5en.48xlarge".into()), Some(110.0)),
                ("09", "resolved", None, None),
                ("10", "new", Some("p5.48xlarge".into()), Some(98.32)),
                ("11", "attributed", None, None),
            ]
        );
        assert_eq!(
            events[5].then.changed_by.as_deref(),
            Some("ana (manual, ModifyInstanceAttribute at 2026-11-23T00:09:30Z)")
        );
        let scan_ids: Vec<i64> = store
            .db
            .query("SELECT id FROM scans WHERE finished_at IN ('2026-11-23T00:01:00Z', '2026-11-23T00:11:00Z') ORDER BY id", &[])
            .unwrap()
            .iter()
            .map(|r| r.get(0).unwrap())
            .collect();
        assert_eq!(
            (events[0].scan_id, events[5].scan_id),
            (Some(scan_ids[0]), Some(scan_ids[1])),
            "each row names its scan"
        );
        assert_eq!(
            crate::store::timeline::moved(&events[0].then, &events[1].then),
            ["instance_type live p5.48xlarge → p5en.48xlarge"]
        );
    }

    /// A re-read after events speaks for what it read: a finding of another resource
    /// stays open, the re-read resource's finding resolves, a new one is new once (a
    /// second delivery of the same event and the next scheduled scan are `open`), who
    /// made it is added to an open finding's body without a transition, and the scope's
    /// health is left alone.
    #[test]
    fn event_rereads_speak_only_for_what_they_read_on_both_backends() {
        on_each_backend(event_rereads);
    }

    fn event_rereads(store: &mut Store) {
        let event = |store: &mut Store, n: u32, findings: &[Finding], reread: &[(String, String)]| {
            let at = format!("2026-11-23T01:{n:02}:00Z");
            let tx = store.transaction().unwrap();
            let rec = ScanRecord {
                scope: "prod",
                started_at: &at,
                finished_at: &at,
                outcome: Outcome::Event,
                findings,
                error: None,
                reread,
            };
            let r = record(&tx, &rec, 0.1).unwrap();
            let kinds: Vec<&str> = kinds(&r);
            let event = r.scan_event.map(|e| e.event);
            tx.commit().unwrap();
            (kinds, event)
        };
        let a = finding("a", "p5.48xlarge", 98.32);
        let mut b = finding("b", "p5.48xlarge", 98.32);
        b.resource.id = "i-2".into();
        assert_eq!(kinds(&scan(store, 1, Outcome::Ok, &[a.clone(), b.clone()])), ["new", "new"]);
        let i1 = [("aws_instance".to_string(), "i-1".to_string())];
        let i2 = [("aws_instance".to_string(), "i-2".to_string())];
        // i-1 re-read and fixed: a resolves, b (not read) stays open.
        assert_eq!(event(store, 1, &[], &i1), (vec!["resolved"], None));
        // i-1 drifts again, found by an event with who did it; the same event again.
        let mut by = a.clone();
        by.changed_by = Some(ChangedBy {
            principal: "arn:aws:iam::123456789012:user/ana".into(),
            principal_type: "IAMUser".into(),
            display_name: Some("ana".into()),
            source_ip: None,
            user_agent: Some("aws-cli/2.15.0".into()),
            event_time: "2026-11-23T01:01:30Z".into(),
            event_id: "e-1".into(),
            event_name: "ModifyInstanceAttribute".into(),
            invoked_by: None,
            cause: Cause::Manual,
        });
        assert_eq!(event(store, 2, std::slice::from_ref(&by), &i1), (vec!["new"], None));
        assert_eq!(event(store, 3, std::slice::from_ref(&by), &i1), (vec!["open"], None));
        // The next scheduled scan sees both, without who: nothing new; who stays.
        assert_eq!(kinds(&scan(store, 4, Outcome::Ok, &[a.clone(), b.clone()])), ["open", "open"]);
        let body = crate::store::findings::body(&store.db, "prod", "a").unwrap().unwrap();
        assert_eq!(body.changed_by.as_ref().map(|c| c.who()), Some("ana"));
        // b was found by a scan; an event says who later: kept, told nobody.
        let mut b_by = b.clone();
        b_by.changed_by = by.changed_by.clone();
        assert_eq!(event(store, 5, &[b_by], &i2), (vec!["open"], None));
        let body = crate::store::findings::body(&store.db, "prod", "b").unwrap().unwrap();
        assert_eq!(body.changed_by.map(|c| c.event_id), Some("e-1".to_string()));
        // A failing scope stays failing through events; they neither fail nor recover it.
        assert_eq!(scan(store, 6, Outcome::Failed, &[]).scan_event.map(|e| e.event), Some(EventKind::ScanFailed));
        assert_eq!(event(store, 7, std::slice::from_ref(&a), &i1).1, None);
        assert_eq!(scan(store, 8, Outcome::Ok, &[a, b]).scan_event.map(|e| e.event), Some(EventKind::ScanRecovered));
    }

    #[test]
    fn scan_failed_once_then_recovered_once_on_both_backends() {
        on_each_backend(scan_failed_once_then_recovered_once);
    }

    fn scan_failed_once_then_recovered_once(store: &mut Store) {
        let ev = |r: Recorded| r.scan_event.map(|e| e.event);
        assert_eq!(ev(scan(store, 1, Outcome::Ok, &[])), None);
        assert_eq!(ev(scan(store, 2, Outcome::Failed, &[])), Some(EventKind::ScanFailed));
        assert_eq!(ev(scan(store, 3, Outcome::Partial, &[])), None);
        assert_eq!(ev(scan(store, 4, Outcome::Ok, &[])), Some(EventKind::ScanRecovered));
        assert_eq!(ev(scan(store, 5, Outcome::Ok, &[])), None);
    }

    /// `last_seen` (as the API reads it) is the last scan that saw the finding: complete
    /// scans move it without rewriting the finding's row, a partial scan moves it for the
    /// findings it saw, a failed scan not at all, and a resolved finding keeps the last
    /// scan that saw it.
    #[test]
    fn last_seen_is_the_last_scan_that_saw_the_finding_on_both_backends() {
        on_each_backend(last_seen);
    }

    fn last_seen(store: &mut Store) {
        // Every reader says the same: the findings list, the ordered pages, the timeline.
        let seen = |store: &Store, status: crate::store::api::Status| -> String {
            let filter = crate::store::api::FindingFilter { status, after: 0, limit: 10, ..Default::default() };
            let page = crate::store::api::findings(&store.db, &filter).unwrap();
            let listed = page.items[0]["last_seen"].as_str().unwrap().to_string();
            let order = crate::store::api::FindingOrder::Severity;
            let (ordered, _) = crate::store::api::findings_ordered(&store.db, &filter, order, None).unwrap();
            assert_eq!(ordered[0]["last_seen"], listed.as_str(), "the ordered pages");
            let (times, _) = crate::store::timeline::of_finding(&store.db, "prod", "a").unwrap().unwrap();
            assert_eq!(times.last_seen, listed, "the timeline");
            listed
        };
        let a = [finding("a", "p5.48xlarge", 98.32)];
        let open = crate::store::api::Status::Open;
        scan(store, 1, Outcome::Ok, &a);
        assert_eq!(seen(store, open), "2026-11-23T00:01:00Z");
        scan(store, 2, Outcome::Ok, &a);
        scan(store, 3, Outcome::Ok, &a);
        assert_eq!(seen(store, open), "2026-11-23T00:03:00Z");
        let rewritten: i64 = store
            .db
            .query_one("SELECT count(*) FROM findings WHERE last_seen = '2026-11-23T00:03:00Z'", &[])
            .unwrap()
            .get(0)
            .unwrap();
        assert_eq!(rewritten, 0, "a complete scan does not rewrite an unchanged finding's row");
        scan(store, 4, Outcome::Partial, &a);
        assert_eq!(seen(store, open), "2026-11-23T00:04:00Z", "a partial scan that saw it");
        scan(store, 5, Outcome::Partial, &[]);
        scan(store, 6, Outcome::Failed, &[]);
        assert_eq!(seen(store, open), "2026-11-23T00:04:00Z", "neither saw it");
        scan(store, 7, Outcome::Ok, &a);
        assert_eq!(seen(store, open), "2026-11-23T00:07:00Z");
        scan(store, 8, Outcome::Ok, &[]);
        assert_eq!(
            seen(store, crate::store::api::Status::Resolved),
            "2026-11-23T00:07:00Z",
            "resolved at 8, seen at 7"
        );
    }

    /// `[store] keep_*`: old scans (but each scope's latest), findings resolved long ago
    /// with their bodies, and delivered messages go; open findings, pending messages and
    /// dead letters stay whatever their age.
    #[test]
    fn pruning_removes_what_is_past_retention_and_keeps_the_rest() {
        on_each_backend(pruning);
    }

    fn pruning(store: &mut Store) {
        let a = [finding("a", "p5.48xlarge", 98.32)];
        let mut b = finding("b", "p5.48xlarge", 98.32);
        b.resource.id = "i-2".into();
        let mut b_moved = b.clone();
        b_moved.changes.as_mut().unwrap()[0].live = json!("p5en.48xlarge");
        let (b, b_moved) = ([b], [b_moved]);
        assert_eq!(kinds(&scan(store, 1, Outcome::Ok, &a)), ["new"]);
        assert_eq!(kinds(&scan(store, 2, Outcome::Ok, &[])), ["resolved"]);
        assert_eq!(kinds(&scan(store, 3, Outcome::Ok, &b)), ["new"]);
        assert_eq!(kinds(&scan(store, 4, Outcome::Ok, &b_moved)), ["changed"]);
        assert_eq!(kinds(&scan(store, 9, Outcome::Ok, &b_moved)), ["open"]);
        // Another scope whose only scan is old.
        let tx = store.transaction().unwrap();
        let at = "2026-11-23T00:00:30Z";
        let rec = ScanRecord {
            reread: &[],
            scope: "staging",
            started_at: at,
            finished_at: at,
            outcome: Outcome::Ok,
            findings: &[],
            error: None,
        };
        record(&tx, &rec, 0.1).unwrap();
        tx.commit().unwrap();
        let old_ms = "2026-11-23T00:00:00Z".parse::<jiff::Timestamp>().unwrap().as_millisecond();
        for status in ["sent", "skipped", "dead", "pending"] {
            store
                .db
                .execute(
                    "INSERT INTO outbox (notifier, scope, scan_id, event, finding_id, thread_key, message, status,
                        attempts, created_ms, next_attempt_ms) VALUES ('hook', 'prod', 1, 'new', 'a', 'a', '{}', ?1, 1, ?2, ?2)",
                    crate::store::db::args![status, old_ms],
                )
                .unwrap();
        }
        let keep = Retention {
            scans: Duration::from_secs(300),
            resolved: Duration::from_secs(300),
            delivered: Duration::from_secs(300),
        };
        let now: jiff::Timestamp = "2026-11-23T00:10:00Z".parse().unwrap();
        let pruned = store.prune(now, &keep).unwrap();
        assert_eq!(pruned, Pruned { scans: 4, findings: 1, messages: 2 });
        let ids = |sql: &str| -> Vec<String> {
            store.db.query(sql, &[]).unwrap().iter().map(|r| r.get::<String>(0).unwrap()).collect()
        };
        assert_eq!(
            ids("SELECT scope || ' ' || finished_at FROM scans ORDER BY id"),
            ["prod 2026-11-23T00:09:00Z", "staging 2026-11-23T00:00:30Z"]
        );
        assert_eq!(ids("SELECT id FROM findings"), ["b"]);
        assert_eq!(ids("SELECT id FROM finding_bodies"), ["b"]);
        assert_eq!(ids("SELECT status FROM outbox ORDER BY id"), ["dead", "pending"]);
        // The resolved finding's timeline went with it; of the open one's, the row that
        // opened it stays and its change before the scans kept goes.
        assert_eq!(
            ids("SELECT finding_id || ' ' || event || ' ' || at FROM finding_events ORDER BY seq"),
            ["b new 2026-11-23T00:03:00Z"]
        );
        // Nothing more to do a second time.
        assert_eq!(store.prune(now, &keep).unwrap(), Pruned::default());
    }
}
