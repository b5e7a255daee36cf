//! `[aws.events]` and `[azure.events]`: drift within seconds, and who made it. One task
//! per queue reads it (SQS long-polled; an Azure Storage queue asked every second while
//! empty); after the first message it gathers more for `coalesce`, reads each event (a
//! CloudTrail call or EC2 state change, `driftd_providers::aws::events`; an Event Grid
//! resource event, `driftd_providers::azure::events`), re-reads the resources they
//! touched in every target that scans that cloud, records their findings with who made
//! the change (`history`, `Outcome::Event`), and only then deletes the messages. A crash
//! before the delete re-delivers them; the store's transitions make that tell nobody
//! twice. An event is a reason to read again, never the new state itself.
//!
//! Failed calls, dry runs and calls driftd does not map to a covered type are counted
//! by name (`driftd_cloud_events_total`) and deleted; a message that is not JSON is
//! counted as `unreadable` and deleted. A re-read that fails leaves its messages in the
//! queue, to come back after `visibility_timeout` (the queue's redrive policy moves one
//! that keeps failing to its dead-letter queue).

use super::{Daemon, Loaded};
use crate::config::{EventQueues, TargetConfig};
use crate::plan::RunPlan;
use driftd_core::model::{ChangedBy, Cloud, Finding};
use driftd_providers::aws::queue::EventQueue;
use driftd_providers::aws::Wanted;
use driftd_providers::azure::queue::StorageQueue;
use driftd_providers::events::{ApiCall, QueueMessage};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tracing::{info, warn, Instrument};

/// At most this many messages are handled in one batch (ten receives).
const MAX_BATCH: usize = 100;

/// A queue of one cloud's events.
pub enum Queue {
    Aws(EventQueue),
    Azure(StorageQueue),
}

impl Queue {
    pub async fn new(cloud: Cloud, url: &str) -> Result<Queue, String> {
        match cloud {
            Cloud::Azure => StorageQueue::new(url).map(Queue::Azure),
            _ => Ok(Queue::Aws(EventQueue::new(url).await)),
        }
    }

    fn cloud(&self) -> Cloud {
        match self {
            Queue::Aws(_) => Cloud::Aws,
            Queue::Azure(_) => Cloud::Azure,
        }
    }

    /// Up to ten messages, waiting up to `wait` for the first (SQS's long poll; an Azure
    /// queue is asked once and, empty, again after `wait` at most a second).
    async fn receive(&self, wait: Duration, visibility: Duration) -> Result<Vec<QueueMessage>, String> {
        match self {
            Queue::Aws(q) => q.receive(10, wait, visibility).await.map_err(|e| e.to_string()),
            Queue::Azure(q) => {
                let got = q.receive(10, visibility).await?;
                if got.is_empty() && !wait.is_zero() {
                    tokio::time::sleep(wait.min(Duration::from_secs(1))).await;
                }
                Ok(got)
            }
        }
    }

    async fn delete(&self, messages: &[&QueueMessage]) -> Result<Vec<String>, String> {
        match self {
            Queue::Aws(q) => q.delete(messages).await.map_err(|e| e.to_string()),
            Queue::Azure(q) => q.delete(messages).await,
        }
    }

    /// An event of this cloud, read: `None` when it is no call (another detail or event type).
    fn parse(&self, event: &serde_json::Value) -> Option<ApiCall> {
        match self {
            Queue::Aws(_) => driftd_providers::aws::events::parse(event, &driftd_providers::aws::events::specs()),
            Queue::Azure(_) => driftd_providers::azure::events::parse(event, &driftd_providers::azure::events::specs()),
        }
    }
}

/// What a batch of messages asks of one target.
#[derive(Debug, Clone, Default)]
pub struct TargetWork {
    /// AWS resources to read again (with their account and region).
    pub wanted: BTreeSet<Wanted>,
    /// Azure (type, id) to read again.
    pub azure: BTreeSet<(String, String)>,
    /// The latest caller of each (type, id), by event time.
    pub changed_by: HashMap<(String, String), ChangedBy>,
    /// Indexes of the messages this target's re-read settles.
    pub messages: BTreeSet<usize>,
}

/// A batch sorted: the work of each target, and the messages nothing needs to re-read.
#[derive(Debug, Default)]
pub struct Sorted {
    pub targets: BTreeMap<String, TargetWork>,
    pub settled: Vec<usize>,
    /// Each message's event name and outcome (`driftd_cloud_events_total`), in order.
    pub outcomes: Vec<(String, &'static str)>,
}

/// Reads each message and gives each target the resources its events touched. Whether a
/// target's accounts, regions or subscriptions hold them is decided by the re-read
/// (`live::live_inputs` and the providers' scans), from the same settings as its
/// scheduled scans.
pub fn sort(
    messages: &[QueueMessage],
    cloud: Cloud,
    parse: impl Fn(&serde_json::Value) -> Option<ApiCall>,
    targets: &[(String, RunPlan)],
) -> Sorted {
    let label = cloud.as_str();
    let mut out = Sorted::default();
    for (i, m) in messages.iter().enumerate() {
        let mut settle = |event: &str, outcome: &'static str| {
            count(label, event, outcome);
            out.outcomes.push((short(event), outcome));
            out.settled.push(i);
        };
        let Ok(event) = serde_json::from_str::<serde_json::Value>(&m.body) else {
            settle("unreadable", "unreadable");
            continue;
        };
        let Some(call) = parse(&event) else {
            let kind = event.get("detail-type").or_else(|| event.get("eventType")).and_then(|d| d.as_str());
            settle(kind.unwrap_or("unknown"), "ignored");
            continue;
        };
        if call.changed_nothing {
            settle(&call.name, "changed_nothing");
            continue;
        }
        // An AWS call says its region; an Azure id says where it is.
        let region = call.region.clone();
        if call.resources.is_empty() || (cloud == Cloud::Aws && region.is_none()) {
            settle(&call.name, "ignored");
            continue;
        }
        let takers: Vec<&(String, RunPlan)> = targets.iter().filter(|(_, plan)| plan.live.reads(label)).collect();
        if takers.is_empty() {
            settle(&call.name, "no_target");
            continue;
        }
        count(label, &call.name, "reread");
        out.outcomes.push((short(&call.name), "reread"));
        for (name, _) in takers {
            let work = out.targets.entry(name.clone()).or_default();
            work.messages.insert(i);
            for (tf_type, id) in &call.resources {
                match (cloud, &region) {
                    (Cloud::Aws, Some(region)) => {
                        work.wanted.insert(Wanted {
                            account: call.account.clone(),
                            region: region.clone(),
                            tf_type: tf_type.to_string(),
                            id: id.clone(),
                        });
                    }
                    _ => {
                        work.azure.insert((tf_type.to_string(), id.clone()));
                    }
                }
                if let Some(by) = &call.changed_by {
                    let key = (tf_type.to_string(), id.clone());
                    let later = work.changed_by.get(&key).is_none_or(|b| b.event_time <= by.event_time);
                    if later {
                        work.changed_by.insert(key, by.clone());
                    }
                }
            }
        }
    }
    out
}

/// State changes carry their state in the name; the metric keeps the kind.
fn short(name: &str) -> String {
    name.split(':').next().unwrap_or(name).to_string()
}

fn count(cloud: &'static str, event: &str, outcome: &'static str) {
    metrics::counter!("driftd_cloud_events_total", "cloud" => cloud, "event" => short(event), "outcome" => outcome)
        .increment(1);
}

/// The findings of a re-read that are about the resources it read, each with who made
/// its change where an event said.
pub fn findings_of(report: &driftd_core::report::Report, work: &TargetWork) -> (Vec<Finding>, Vec<(String, String)>) {
    let mut reread: Vec<(String, String)> = work.wanted.iter().map(|w| (w.tf_type.clone(), w.id.clone())).collect();
    reread.extend(work.azure.iter().cloned());
    // Azure's ids match in any case (an event's `resourcegroups`, ARM's `resourceGroups`).
    let same = |f: &Finding, t: &str, id: &str| {
        t == f.resource.tf_type && f.resource.provider.match_key(id) == f.resource.provider.match_key(&f.resource.id)
    };
    let findings = report
        .findings
        .iter()
        .filter(|f| reread.iter().any(|(t, id)| same(f, t, id)))
        .map(|f| {
            let mut f = f.clone();
            f.changed_by = work.changed_by.iter().find(|((t, id), _)| same(&f, t, id)).map(|(_, by)| by.clone());
            f
        })
        .collect();
    (findings, reread)
}

/// One queue of `cloud`'s events (`settings` its `[CLOUD.events]`), until `stop`.
pub async fn queue_loop(
    daemon: Arc<Daemon>,
    loaded: Arc<Loaded>,
    cloud: Cloud,
    settings: EventQueues,
    url: String,
    mut stop: watch::Receiver<bool>,
) {
    let queue = match Queue::new(cloud, &url).await {
        Ok(q) => q,
        Err(e) => {
            return warn!(queue = %url, error = %e, "cannot read this event queue; fix [{}.events] and reload", cloud.as_str())
        }
    };
    info!(queue = %url, cloud = cloud.as_str(), "reading events");
    let mut backoff = Duration::from_secs(1);
    loop {
        let first = tokio::select! {
            r = queue.receive(Duration::from_secs(20), settings.visibility_timeout.get()) => r,
            _ = stop.wait_for(|s| *s) => return,
        };
        let mut batch = match first {
            Ok(m) if m.is_empty() => continue,
            Ok(m) => m,
            Err(e) => {
                metrics::counter!("driftd_cloud_event_queue_errors_total", "cloud" => cloud.as_str()).increment(1);
                warn!(queue = %url, error = %e, "cannot read the event queue; trying again");
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
                backoff = (backoff * 2).min(Duration::from_secs(60));
                continue;
            }
        };
        backoff = Duration::from_secs(1);
        let received = Instant::now();
        tokio::select! {
            _ = tokio::time::sleep(settings.coalesce.get()) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        while batch.len() < MAX_BATCH {
            match queue.receive(Duration::ZERO, settings.visibility_timeout.get()).await {
                Ok(more) if !more.is_empty() => batch.extend(more),
                _ => break,
            }
        }
        let span = tracing::info_span!("events", queue = %url, messages = batch.len());
        handle(&daemon, &loaded, &queue, &settings, batch, received).instrument(span).await;
    }
}

/// Re-reads what a batch touched, target by target, and deletes the messages settled.
async fn handle(
    daemon: &Arc<Daemon>,
    loaded: &Arc<Loaded>,
    queue: &Queue,
    settings: &EventQueues,
    batch: Vec<QueueMessage>,
    received: Instant,
) {
    let targets: Vec<(String, RunPlan)> =
        loaded.targets.iter().map(|t| (t.name.clone(), RunPlan::for_target(t, &loaded.config))).collect();
    let sorted = sort(&batch, queue.cloud(), |e| queue.parse(e), &targets);
    let mut settled: BTreeSet<usize> = sorted.settled.iter().copied().collect();
    let mut failed: BTreeSet<usize> = BTreeSet::new();
    for (name, work) in &sorted.targets {
        let Some(target) = loaded.targets.iter().find(|t| &t.name == name) else { continue };
        match reread(daemon, loaded, target, work, settings).await {
            Ok(rec) => {
                info!(
                    target = %name,
                    resources = work.wanted.len() + work.azure.len(),
                    new = rec.new,
                    changed = rec.changed,
                    resolved = rec.resolved,
                    since_received_ms = received.elapsed().as_millis() as u64,
                    "events handled"
                );
                metrics::counter!("driftd_event_rereads_total", "target" => name.clone(), "outcome" => "ok")
                    .increment(1);
                settled.extend(work.messages.iter().copied());
            }
            Err(e) => {
                warn!(target = %name, error = %e, "re-reading after events failed; the events come back from the queue");
                metrics::counter!("driftd_event_rereads_total", "target" => name.clone(), "outcome" => "failed")
                    .increment(1);
                failed.extend(work.messages.iter().copied());
            }
        }
    }
    daemon.wake_outbox.notify_waiters();
    // A message one target settled and another did not stays: it comes back, and the
    // target that settled it sees nothing new.
    let done: Vec<&QueueMessage> = settled.difference(&failed).filter_map(|i| batch.get(*i)).collect();
    match queue.delete(&done).await {
        Ok(undeleted) if undeleted.is_empty() => {}
        Ok(undeleted) => warn!(count = undeleted.len(), "some handled messages were not deleted; they come back"),
        Err(e) => warn!(error = %e, "cannot delete handled messages; they come back and are handled again"),
    }
}

/// One target's re-read of what the events touched, recorded as `Outcome::Event`. With a
/// shared store it holds the target's lease meanwhile (under its own owner name, so that
/// this replica's scheduled scan of the target waits too).
async fn reread(
    daemon: &Arc<Daemon>,
    loaded: &Arc<Loaded>,
    target: &TargetConfig,
    work: &TargetWork,
    settings: &EventQueues,
) -> Result<crate::alerts::Recorded, String> {
    let lock = daemon.scan_lock(&target.name);
    let _one_at_a_time = lock.lock().await;
    let lease_name = format!("target:{}", target.name);
    let owner = format!("{}/events", crate::store::leases::replica_id());
    if loaded.shared {
        let (name, owner, ttl) = (lease_name.clone(), owner.clone(), loaded.alerts.lease_time.as_millis() as i64);
        let deadline = Instant::now() + settings.visibility_timeout.get() / 2;
        loop {
            let (n, o) = (name.clone(), owner.clone());
            let claimed = crate::store::blocking(&loaded.alerts.store, move |s| {
                s.claim_now(&n, &o, crate::notify::outbox::now_ms(), ttl)
            })
            .await
            .map_err(|e| e.to_string())?;
            if claimed {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!("{name}: another replica holds the target"));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let (loaded2, target2, work) = (loaded.clone(), target.clone(), work.clone());
    let held = loaded.shared.then(|| (lease_name.clone(), owner.clone()));
    let result = super::on_own_thread(move || {
        let started_at = crate::now();
        let mut plan = RunPlan::for_target(&target2, &loaded2.config);
        plan.live.aws_only = work.wanted.iter().cloned().collect();
        plan.live.azure_only = work.azure.iter().cloned().collect();
        let report = crate::check::check(&plan, Instant::now(), false, Some(&*loaded2.alerts.store))?;
        if report.incomplete() {
            return Err(driftd_core::Error::unreachable(format!("target {}", target2.name), report.scan_errors()));
        }
        let (findings, reread) = findings_of(&report, &work);
        let held = held.as_ref().map(|(name, owner)| (name.as_str(), owner.as_str()));
        loaded2.alerts.record_reread(&target2.name, &started_at, &findings, &reread, held)
    })
    .await
    .map_err(|_| "the re-read ended without a result".to_string())
    .and_then(|r| r.map_err(|e| e.to_string()));
    if loaded.shared {
        let (name, owner) = (lease_name, owner);
        let _ = crate::store::blocking(&loaded.alerts.store, move |s| s.release(&name, &owner, None)).await;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every real record in testdata/cloudtrail, delivered as EventBridge delivers it to
    /// the queue (an API call wrapped in its envelope; a state change as it is), is read
    /// again for the resources it names, or counted as changing nothing (failed calls, dry
    /// runs, an instance still pending) or as ignored (calls on types driftd does not
    /// cover, other detail types); a message that is not JSON is unreadable.
    #[test]
    fn every_real_record_is_read_again_or_counted() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/cloudtrail");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        let expected: &[(&str, &str, &str)] = &[
            ("awsdocs-autoscaling-update-auto-scaling-group", "reread", "aws_autoscaling_group asg1"),
            ("custodian-event-asg-instance-failed", "ignored", ""),
            ("custodian-event-cloud-trail-run-instance-creator-assumed", "reread", "aws_instance"),
            ("custodian-event-cloud-trail-run-instance-creator", "reread", "aws_instance"),
            ("custodian-event-cloud-trail-run-instances", "reread", "aws_instance"),
            ("custodian-event-instance-state", "changed_nothing", ""),
            (
                "panther-aws_ec2_manual_security_group_changes-aws-console-ingress-sg-authorization-error",
                "changed_nothing",
                "",
            ),
            (
                "panther-aws_ec2_manual_security_group_changes-aws-console-ingress-sg-authorization",
                "reread",
                "aws_security_group sg-04f0b44316f7d2471",
            ),
            (
                "panther-aws_ec2_manual_security_group_changes-go-script-authorize-ingress",
                "reread",
                "aws_security_group",
            ),
            (
                "panther-aws_ec2_manual_security_group_changes-terraform-security-group-authorize-egress",
                "reread",
                "aws_security_group",
            ),
            (
                "panther-aws_ec2_manual_security_group_changes-terraform-security-group-creation",
                "reread",
                "aws_security_group",
            ),
            ("panther-aws_ec2_monitoring-copyimage-useridentity-null", "ignored", ""),
            ("panther-aws_ec2_monitoring-copyimage", "ignored", ""),
            ("panther-aws_ec2_monitoring-runinstance-dry-run", "changed_nothing", ""),
            ("panther-aws_ec2_monitoring-runinstance", "reread", "aws_instance"),
            ("panther-aws_ec2_stopinstances-cloudtrail-instances-were-started", "reread", "aws_instance"),
            ("panther-aws_ec2_stopinstances-cloudtrail-instances-were-stopped", "reread", "aws_instance"),
            ("panther-aws_ec2_stopinstances-error-stopping-cloudtrail-instances", "changed_nothing", ""),
            ("panther-aws_modify_cloud_compute_infrastructure-get-partition", "changed_nothing", ""),
            (
                "panther-aws_modify_cloud_compute_infrastructure-terminate-instance-from-assumedrole",
                "reread",
                "aws_instance i-0d9853f67e40ab80b",
            ),
            (
                "panther-aws_modify_cloud_compute_infrastructure-terminate-instance-from-autoscaling",
                "reread",
                "aws_instance i-0d9853f67e40ab80b",
            ),
            (
                "panther-aws_modify_cloud_compute_infrastructure-terminate-instance-from-webui-with-assumedrole",
                "reread",
                "aws_instance",
            ),
            ("panther-aws_modify_cloud_compute_infrastructure-weird-aws-internal-message", "changed_nothing", ""),
        ];
        let names: Vec<String> = files.iter().map(|p| p.file_stem().unwrap().to_string_lossy().to_string()).collect();
        assert_eq!(names, expected.iter().map(|e| e.0).collect::<Vec<_>>(), "one expectation per record");
        let messages: Vec<QueueMessage> = files
            .iter()
            .map(|p| {
                let record: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
                let body = match record.get("detail-type") {
                    Some(_) => record,
                    None => serde_json::json!({"version": "0", "detail-type": "AWS API Call via CloudTrail",
                                               "source": "aws.ec2", "detail": record}),
                };
                QueueMessage { id: String::new(), receipt: String::new(), body: body.to_string(), receive_count: 1 }
            })
            .chain(std::iter::once(QueueMessage {
                id: String::new(),
                receipt: String::new(),
                body: "not json".into(),
                receive_count: 1,
            }))
            .collect();
        let config: crate::config::Config = toml::from_str(
            "[[target]]\nname = \"gpu\"\ninterval = \"1h\"\nstate = [\"s.tfstate\"]\nprovider = [\"aws\"]\n",
        )
        .unwrap();
        let plan = RunPlan::for_target(config.target[0].get_ref(), &config);
        let parse =
            |e: &serde_json::Value| driftd_providers::aws::events::parse(e, &driftd_providers::aws::events::specs());
        let sorted = sort(&messages, Cloud::Aws, parse, &[("gpu".to_string(), plan)]);
        assert_eq!(sorted.outcomes.last().map(|o| o.1), Some("unreadable"));
        let work = &sorted.targets["gpu"];
        for (i, (name, outcome, what)) in expected.iter().enumerate() {
            assert_eq!(sorted.outcomes[i].1, *outcome, "{name}");
            assert_eq!(work.messages.contains(&i), *outcome == "reread", "{name}");
            if let Some((tf_type, id)) = what.split_once(' ').or((!what.is_empty()).then_some((what, ""))) {
                let found = work.wanted.iter().any(|w| w.tf_type == tf_type && (id.is_empty() || w.id == id));
                assert!(found, "{name}: {tf_type} {id} not read again: {:?}", work.wanted);
            }
        }
        // Every settled message is deleted at once; every other waits for its re-read.
        assert_eq!(sorted.settled.len() + work.messages.len(), messages.len());
    }
}
