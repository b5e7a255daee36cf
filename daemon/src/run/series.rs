//! Every Prometheus series the daemon exports, described once (HELP text) and, where an
//! alert takes `increase()` of it, present at 0 from the start: a counter that appears
//! only at its first increment hides that increment from `increase()`.

/// HELP text of every metric; called once, after the recorder is installed.
pub fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_gauge!("driftd_build_info", "Always 1; the label version is driftd's version.");
    describe_gauge!("driftd_targets", "[[target]] tables this replica scans (its shard's).");
    describe_histogram!(
        "driftd_scan_duration_seconds",
        Unit::Seconds,
        "Time one scan of a target took: reading, comparing, policies and recording."
    );
    describe_counter!("driftd_scans_total", "Scans, by target and outcome (ok, partial, failed).");
    describe_gauge!(
        "driftd_last_successful_scan_timestamp_seconds",
        Unit::Seconds,
        "Unix time of the target's last scan that read everything."
    );
    describe_gauge!(
        "driftd_target_consecutive_failures",
        "Failed or partial scans of the target since its last success."
    );
    describe_gauge!("driftd_findings", "Findings of the target's last scan, by kind and severity.");
    describe_gauge!(
        "driftd_drift_cost_per_hour_usd",
        "USD per hour of the target's last scan: kind changed is the cost drift, unmanaged the capacity nobody declares."
    );
    describe_counter!(
        "driftd_provider_api_calls_total",
        "Cloud API calls made by scans, by provider (retries included)."
    );
    describe_gauge!("driftd_outbox_pending", "Messages waiting in the outbox (queued or waiting for a retry).");
    describe_counter!(
        "driftd_cloud_events_total",
        "Events read from the event queues, by cloud, call name and outcome (reread, changed_nothing, ignored, no_target, unreadable)."
    );
    describe_counter!("driftd_event_rereads_total", "Re-reads of a target's resources after events, by outcome.");
    describe_counter!("driftd_cloud_event_queue_errors_total", "Failed reads of an event queue (retried).");
    describe_counter!("driftd_notifications_sent_total", "Messages the notifier's receiver accepted.");
    describe_counter!(
        "driftd_notifications_skipped_total",
        "Messages not sent on purpose (GitHub's max_open_issues reached, say)."
    );
    describe_counter!("driftd_notifications_failed_total", "Delivery attempts that failed, retried or not.");
    describe_counter!(
        "driftd_notifications_dead_lettered_total",
        "Messages given up after their last attempt (driftd outbox list; driftd outbox retry)."
    );
}

/// The notifier's delivery counters, at 0 until something happens.
pub fn init_notifier(name: &str) {
    for metric in [
        "driftd_notifications_sent_total",
        "driftd_notifications_skipped_total",
        "driftd_notifications_failed_total",
        "driftd_notifications_dead_lettered_total",
    ] {
        metrics::counter!(metric, "notifier" => name.to_string()).increment(0);
    }
}

/// A target's counters and failure gauge, present before its first scan ends (a reload
/// keeps the failures counted so far). With a shared store the gauge is the fleet's
/// (`fleet`).
pub fn init_target(name: &str, consecutive_failures: u32, shared: bool) {
    for outcome in ["ok", "partial", "failed"] {
        metrics::counter!("driftd_scans_total", "target" => name.to_string(), "outcome" => outcome).increment(0);
    }
    if !shared {
        metrics::gauge!("driftd_target_consecutive_failures", "target" => name.to_string())
            .set(consecutive_failures as f64);
    }
}

/// The fleet's series with a shared store, read from it, for the replica that holds the
/// `metrics` lease to export (the others export none, so sums over replicas are not
/// multiplied): per target its findings, drift cost, last success and failures, and the
/// outbox. Every kind and severity is present for every configured target, at 0 when none.
pub fn fleet(figures: &[crate::store::findings::ScopeFigures], targets: &[String], pending: i64) -> String {
    use driftd_core::model::{FindingKind, Severity};
    use std::fmt::Write;
    let escape = |v: &str| v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    let mut out = String::new();
    let head = |out: &mut String, name: &str, help: &str| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
    };
    let of = |t: &str| figures.iter().find(|f| f.scope == t);
    head(&mut out, "driftd_findings", "Open findings of the target, by kind and severity (from the shared store).");
    for t in targets {
        for kind in [FindingKind::Changed, FindingKind::Missing, FindingKind::Unmanaged, FindingKind::Violation] {
            for sev in Severity::ALL {
                let n = of(t)
                    .and_then(|f| f.open.iter().find(|(k, s, _)| k == kind.as_str() && s == sev.as_str()))
                    .map_or(0, |(_, _, n)| *n);
                let _ = writeln!(
                    out,
                    "driftd_findings{{target=\"{}\",kind=\"{}\",severity=\"{}\"}} {n}",
                    escape(t),
                    kind.as_str(),
                    sev.as_str()
                );
            }
        }
    }
    head(
        &mut out,
        "driftd_drift_cost_per_hour_usd",
        "USD per hour of the target's last complete scan: kind changed is the cost drift, unmanaged the capacity nobody declares.",
    );
    for t in targets {
        let (changed, unmanaged) = of(t).map_or((0.0, 0.0), |f| (f.changed_cost, f.unmanaged_cost));
        let _ = writeln!(out, "driftd_drift_cost_per_hour_usd{{target=\"{}\",kind=\"changed\"}} {changed}", escape(t));
        let _ =
            writeln!(out, "driftd_drift_cost_per_hour_usd{{target=\"{}\",kind=\"unmanaged\"}} {unmanaged}", escape(t));
    }
    head(
        &mut out,
        "driftd_last_successful_scan_timestamp_seconds",
        "Unix time of the target's last scan that read everything, by any replica.",
    );
    for t in targets {
        let at = of(t).and_then(|f| f.last_ok_at.as_deref()).and_then(|a| a.parse::<jiff::Timestamp>().ok());
        if let Some(at) = at {
            let _ = writeln!(
                out,
                "driftd_last_successful_scan_timestamp_seconds{{target=\"{}\"}} {}",
                escape(t),
                at.as_second()
            );
        }
    }
    head(
        &mut out,
        "driftd_target_consecutive_failures",
        "Failed or partial scans of the target since its last success.",
    );
    for t in targets {
        let n = of(t).map_or(0, |f| f.failures_since_ok);
        let _ = writeln!(out, "driftd_target_consecutive_failures{{target=\"{}\"}} {n}", escape(t));
    }
    head(&mut out, "driftd_outbox_pending", "Messages waiting in the shared outbox (queued or waiting for a retry).");
    let _ = writeln!(out, "driftd_outbox_pending {pending}");
    out
}
