//! Text that every notifier shows, in one place: titles, what changed (declared → live),
//! cost, where the code is, how to fix it. Formats (Block Kit, Adaptive Cards, Markdown
//! issues) wrap these lines; none re-derives them.

use super::{Body, EventKind, FindingEvent, Message, ScanEvent};
use driftd_core::model::{Finding, FindingKind};
use serde_json::Value;

/// Cuts `text` to at most `max` characters at a word boundary, ending in `…`; never
/// mid-word (a single word longer than `max` is the one exception: it is cut).
pub fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let budget = max.saturating_sub(1);
    let head: String = text.chars().take(budget).collect();
    let cut = match head.rfind(char::is_whitespace) {
        Some(i) if i > 0 => head[..i].trim_end().to_string(),
        _ => head,
    };
    format!("{cut}…")
}

pub fn event_label(event: EventKind) -> &'static str {
    match event {
        EventKind::New => "New drift",
        EventKind::Changed => "Drift changed",
        EventKind::Reminder => "Still drifted",
        EventKind::Resolved => "Resolved",
        EventKind::ScanFailed => "Scan failing",
        EventKind::ScanRecovered => "Scan recovered",
    }
}

/// `aws_instance.trainer (i-0abc)` or the id alone.
pub fn resource_label(f: &Finding) -> String {
    match &f.resource.address {
        Some(a) => format!("{a} ({})", f.resource.id),
        None => format!("{} {}", f.resource.tf_type, f.resource.id),
    }
}

/// `New drift: changed aws_instance.trainer (i-0abc)`.
pub fn title(e: &FindingEvent) -> String {
    format!("{}: {} {}", event_label(e.event), e.finding.kind, resource_label(&e.finding))
}

pub fn scan_title(scope: &str, s: &ScanEvent) -> String {
    format!("{}: {scope}", event_label(s.event))
}

fn value_text(v: &Value) -> String {
    match v {
        Value::Null => "(none)".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One line per changed attribute: `instance_type: p4d.24xlarge → p5.48xlarge`.
pub fn change_lines(f: &Finding) -> Vec<String> {
    f.changes
        .iter()
        .flatten()
        .map(|c| format!("{}: {} → {}", c.path, value_text(&c.declared), value_text(&c.live)))
        .collect()
}

/// `$98.32/h (+$65.54/h)` or `None` when the cost is unknown.
pub fn cost_line(f: &Finding) -> Option<String> {
    let c = f.cost.as_ref()?;
    let live = c.live_per_hour_usd.or(c.declared_per_hour_usd)?;
    Some(match c.delta_per_hour_usd {
        Some(d) if d != 0.0 && f.kind == FindingKind::Changed => {
            let sign = if d < 0.0 { "-" } else { "+" };
            format!("${live:.2}/h ({sign}${:.2}/h)", d.abs())
        }
        _ => format!("${live:.2}/h"),
    })
}

/// Who made the change, where an audit record names them: `alice (manual, RunInstances at …)`.
pub fn changed_by_line(f: &Finding) -> Option<String> {
    f.changed_by.as_ref().map(|c| c.line())
}

pub fn location_line(f: &Finding) -> Option<String> {
    f.declared_at.as_ref().map(|l| format!("{}:{}", l.file, l.line))
}

/// The remediation: its summary, then its commands.
pub fn fix_commands(f: &Finding) -> Vec<String> {
    f.remediation.commands.clone()
}

/// What moved since the last message (for `changed`): attributes added or gone, and cost.
pub fn delta_lines(e: &FindingEvent) -> Vec<String> {
    let Some(prev) = &e.previous else { return Vec::new() };
    let mut out = Vec::new();
    let before = change_lines(prev);
    let now = change_lines(&e.finding);
    for l in &now {
        if !before.contains(l) {
            out.push(format!("now {l}"));
        }
    }
    for l in &before {
        if !now.contains(l) {
            out.push(format!("was {l}"));
        }
    }
    if prev.severity != e.finding.severity {
        out.push(format!("severity {} → {}", prev.severity, e.finding.severity));
    }
    if let (Some(a), Some(b)) = (prev.cost_per_hour(), e.finding.cost_per_hour()) {
        if (a - b).abs() >= 0.005 {
            out.push(format!("cost ${a:.2}/h → ${b:.2}/h"));
        }
    }
    out
}

/// A one-line summary of an event, for digests: `high changed aws_instance.x (i-1) $98.32/h by alice`.
pub fn brief(e: &FindingEvent) -> String {
    let cost = cost_line(&e.finding).map(|c| format!(" {c}")).unwrap_or_default();
    let by = e.finding.changed_by.as_ref().map(|c| format!(" by {}", c.who())).unwrap_or_default();
    format!("{} {} {} {}{cost}{by}", e.event.as_str(), e.finding.severity, e.finding.kind, resource_label(&e.finding))
}

/// The headline of a digest message.
pub fn digest_title(scope: &str, events: usize, overflow: bool) -> String {
    if overflow {
        format!("{events} more drift events in {scope}")
    } else {
        format!("Drift in {scope}: {events} events")
    }
}

/// Plain-text fallback of any message (Slack's `text`, logs in tests).
pub fn plain(msg: &Message) -> String {
    match &msg.body {
        Body::Finding(e) => {
            let mut lines = vec![title(e), e.finding.message.clone()];
            lines.extend(change_lines(&e.finding));
            lines.join("\n")
        }
        Body::Digest { events, overflow, total, .. } => {
            let mut lines = vec![digest_title(&msg.scope, *total, *overflow)];
            lines.extend(events.iter().map(brief));
            lines.join("\n")
        }
        Body::Scan(s) => {
            let mut line = scan_title(&msg.scope, s);
            if let Some(e) = &s.error {
                line.push_str(": ");
                line.push_str(e);
            }
            line
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_cuts_at_a_word() {
        assert_eq!(fit("hello brave new world", 14), "hello brave…");
        assert_eq!(fit("short", 10), "short");
        assert!(fit(&"x".repeat(50), 10).chars().count() <= 10);
        let long = "word ".repeat(1000);
        let f = fit(&long, 3000);
        assert!(f.chars().count() <= 3000 && f.ends_with("word…"), "{}", &f[f.len() - 20..]);
    }
}
