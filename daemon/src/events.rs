//! Telemetry: one struct per thing that happens, whose `emit` logs it (and, with the
//! daemon, counts it). Names: `<Noun><Verb>[Error]`. Fields are bounded values
//! (notifier names, event kinds); error texts never carry a secret.

use tracing::{debug, info, warn};

pub struct NotificationSent<'a> {
    pub notifier: &'a str,
    pub event: &'a str,
    pub outbox_id: i64,
}

impl NotificationSent<'_> {
    pub fn emit(self) {
        info!(notifier = self.notifier, event = self.event, outbox_id = self.outbox_id, "notification sent");
        metrics::counter!("driftd_notifications_sent_total", "notifier" => self.notifier.to_string()).increment(1);
    }
}

pub struct NotificationSkipped<'a> {
    pub notifier: &'a str,
    pub outbox_id: i64,
    pub reason: &'a str,
}

impl NotificationSkipped<'_> {
    pub fn emit(self) {
        warn!(notifier = self.notifier, outbox_id = self.outbox_id, reason = self.reason, "notification skipped");
        metrics::counter!("driftd_notifications_skipped_total", "notifier" => self.notifier.to_string()).increment(1);
    }
}

pub struct NotificationFailedError<'a> {
    pub notifier: &'a str,
    pub outbox_id: i64,
    pub attempt: u32,
    pub retry_in_ms: u64,
    pub error: &'a str,
}

impl NotificationFailedError<'_> {
    pub fn emit(self) {
        warn!(
            notifier = self.notifier,
            outbox_id = self.outbox_id,
            attempt = self.attempt,
            retry_in_ms = self.retry_in_ms,
            error = self.error,
            "notification failed; will retry"
        );
        metrics::counter!("driftd_notifications_failed_total", "notifier" => self.notifier.to_string()).increment(1);
    }
}

pub struct NotificationDeadLettered<'a> {
    pub notifier: &'a str,
    pub outbox_id: i64,
    pub attempts: u32,
    pub error: &'a str,
}

impl NotificationDeadLettered<'_> {
    pub fn emit(self) {
        warn!(
            notifier = self.notifier,
            outbox_id = self.outbox_id,
            attempts = self.attempts,
            error = self.error,
            "notification dead-lettered (driftd outbox list / retry)"
        );
        metrics::counter!("driftd_notifications_failed_total", "notifier" => self.notifier.to_string()).increment(1);
        metrics::counter!("driftd_notifications_dead_lettered_total", "notifier" => self.notifier.to_string())
            .increment(1);
    }
}

/// Old scans, resolved findings and delivered messages removed (`[store] keep_*`).
pub struct StorePruned {
    pub scans: usize,
    pub findings: usize,
    pub messages: usize,
}

impl StorePruned {
    pub fn emit(self) {
        debug!(scans = self.scans, findings = self.findings, messages = self.messages, "store pruned");
    }
}

pub struct ScanRecorded<'a> {
    pub scope: &'a str,
    pub scan_id: i64,
    pub outcome: &'a str,
    pub new: usize,
    pub changed: usize,
    pub resolved: usize,
    pub queued: usize,
}

impl ScanRecorded<'_> {
    pub fn emit(self) {
        debug!(
            scope = self.scope,
            scan_id = self.scan_id,
            outcome = self.outcome,
            new = self.new,
            changed = self.changed,
            resolved = self.resolved,
            queued = self.queued,
            "scan recorded"
        );
    }
}
