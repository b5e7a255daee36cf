//! From a scan's transitions to each notifier's messages, written to the outbox in the
//! scan's own transaction.
//!
//! Per notifier: its filters (severity, kinds, types, accounts, tags, events) pick the
//! findings it hears about; a finding it was never told of arrives as `new` (a notifier
//! added later, a severity that rose past its minimum); `reminder` goes out when
//! `remind_after` has passed since it was last told; `resolved` only for findings it was
//! told of. Then packing: `digest = true` puts every finding event in one message; more
//! than `max_messages_per_scan` messages keep the most severe and summarise the rest in
//! one digest (PagerDuty and GitHub, which have no digest, open at most that many new
//! incidents or issues per scan and leave the rest for the next one). A digest longer
//! than a message can hold is split into parts, each its own message ("part 2 of 4"),
//! threaded under the first where the receiver threads (Slack Web API).

use super::{Body, Capabilities, EventKind, FindingEvent, Message, Route, ScanEvent};
use crate::history::{Recorded, Transition};
use crate::store::notify_state;
use crate::store::{DbResult, Sql};
use std::cmp::Reverse;

/// The parts of a notifier that routing needs.
pub struct Target<'a> {
    pub name: &'a str,
    pub route: &'a Route,
    pub capabilities: Capabilities,
}

fn message_id() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

/// The thread a finding's messages go to.
pub fn thread_key(cap: &Capabilities, f: &driftd_core::model::Finding) -> String {
    if cap.per_resource {
        format!("resource:{}:{}", f.resource.tf_type, f.resource.id)
    } else {
        f.id.clone()
    }
}

/// Writes one notifier's messages for one scan; returns how many.
pub fn enqueue(tx: &dyn Sql, target: &Target<'_>, scan: &Recorded<'_>, now_ms: i64) -> DbResult<usize> {
    let route = target.route;
    let mut events: Vec<FindingEvent> = Vec::new();
    for t in &scan.findings {
        let f = &t.finding;
        let known = notify_state::last_notified(tx, target.name, &scan.scope, &f.id)?;
        let event = match (&t.transition, known) {
            (Transition::Resolved, None) => continue,
            (Transition::Resolved, Some(_)) => {
                notify_state::forget(tx, target.name, &scan.scope, &f.id)?;
                EventKind::Resolved
            }
            _ if !route.matches(f) => continue,
            (_, None) | (Transition::New, Some(_)) => EventKind::New,
            (Transition::Changed { .. }, Some(_)) => EventKind::Changed,
            (Transition::Open, Some(last)) => match route.remind_after {
                Some(every) if now_ms - last >= every.as_millis() as i64 => EventKind::Reminder,
                _ => continue,
            },
        };
        if event != EventKind::Resolved {
            notify_state::notified(tx, target.name, &scan.scope, &f.id, event.as_str(), now_ms)?;
        }
        if !route.hears(event) {
            continue;
        }
        let previous = match &t.transition {
            Transition::Changed { before } if event == EventKind::Changed => Some((**before).clone()),
            _ => None,
        };
        let others_open_on_resource = if target.capabilities.per_resource {
            notify_state::others_open_on_resource(
                tx,
                target.name,
                &scan.scope,
                &f.resource.tf_type,
                &f.resource.id,
                &f.id,
            )?
        } else {
            0
        };
        events.push(FindingEvent {
            event,
            finding: f.as_ref().clone(),
            previous,
            first_seen: t.first_seen.clone(),
            others_open_on_resource,
        });
    }
    // Most severe and most expensive first, resolutions after; stable by id.
    events.sort_by(|a, b| {
        let cost = |e: &FindingEvent| e.finding.cost_per_hour().unwrap_or(0.0);
        (a.event == EventKind::Resolved, Reverse(a.finding.severity))
            .cmp(&(b.event == EventKind::Resolved, Reverse(b.finding.severity)))
            .then(cost(b).total_cmp(&cost(a)))
            .then(a.finding.id.cmp(&b.finding.id))
    });

    let mut out: Vec<(Message, Option<String>, Option<String>)> = Vec::new();
    let message = |body: Body| Message {
        id: message_id(),
        scope: scan.scope.clone(),
        scan_id: scan.scan_id,
        at: scan.at.clone(),
        report_url: route.report_url.clone(),
        body,
    };
    if let Some(s) = &scan.scan_event {
        if route.hears(s.event) && target.capabilities.scan_health {
            out.push((message(Body::Scan(ScanEvent { ..s.clone() })), None, None));
        }
    }
    let cap = route.max_messages_per_scan;
    let cap_left = cap.saturating_sub(out.len()).max(1);
    let (singles, digest, overflow) = if route.digest && target.capabilities.digest {
        (Vec::new(), events, false)
    } else if events.len() <= cap_left {
        (events, Vec::new(), false)
    } else if target.capabilities.digest {
        let rest = events.split_off(cap_left - 1);
        (events, rest, true)
    } else {
        // No digest: every change and resolution goes; new ones up to the cap, the rest
        // are forgotten by this notifier so that the next scan offers them again.
        let mut room = cap_left;
        let mut keep = Vec::new();
        for e in events {
            if e.event != EventKind::New {
                keep.push(e);
            } else if room > 0 {
                room -= 1;
                keep.push(e);
            } else {
                notify_state::forget(tx, target.name, &scan.scope, &e.finding.id)?;
            }
        }
        (keep, Vec::new(), false)
    };
    for e in singles {
        let key = thread_key(&target.capabilities, &e.finding);
        let id = e.finding.id.clone();
        out.push((message(Body::Finding(Box::new(e))), Some(id), Some(key)));
    }
    if !digest.is_empty() {
        let per = target.capabilities.items_per_message.max(1);
        let total = digest.len();
        // Every event is in a part, each part its own outbox message: a digest larger than
        // one message is never cut short (threaded receivers reply in the first part's thread).
        let chunks: Vec<Vec<FindingEvent>> = digest.chunks(per).map(|c| c.to_vec()).collect();
        let parts = chunks.len();
        let key = format!("scan:{}", scan.scan_id);
        for (i, events) in chunks.into_iter().enumerate() {
            let body = Body::Digest { events, overflow, total, part: i + 1, parts };
            out.push((message(body), None, Some(key.clone())));
        }
    }

    for (msg, finding_id, thread_key) in &out {
        let message = serde_json::to_string(msg).unwrap_or_default();
        let queued = notify_state::Queued {
            notifier: target.name,
            scope: &scan.scope,
            scan_id: scan.scan_id,
            event: msg.event_name(),
            finding_id: finding_id.as_deref(),
            thread_key: thread_key.as_deref(),
            message: &message,
        };
        notify_state::enqueue(tx, &queued, now_ms)?;
    }
    Ok(out.len())
}
