//! Event-driven detection end to end against moto: an EventBridge rule in moto routes
//! CloudTrail-shaped events (put with PutEvents, built from the real records in
//! testdata/cloudtrail) to an SQS queue in moto; `driftd run` with `[aws.events]` reads
//! it, re-reads what the events touched from moto's EC2, and tells Slack who did it.

mod common;

use common::daemon::{free_port, wait_for, Daemon};
use common::fleet;
use common::moto::{Moto, CONFIG};
use common::receiver;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// moto's account.
const ACCOUNT: &str = "123456789012";
/// The access key id in the real RunInstances record: a credential, never to be repeated.
const ACCESS_KEY_ID: &str = "ASIAIBYSIDIWJHEJYUIQ";

/// The queue and the rule `deploy/aws/events.json` describes, made in moto; returns the
/// queue URL.
fn event_queue(moto: &Moto) -> String {
    let pattern = std::fs::read_to_string(common::root().join("deploy/aws/events-rule-pattern.json")).unwrap();
    let script = format!(
        r#"
import boto3, sys
kw = dict(endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
sqs = boto3.client("sqs", **kw); events = boto3.client("events", **kw)
url = sqs.create_queue(QueueName="driftd-events")["QueueUrl"]
arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
events.put_rule(Name="driftd-events", EventPattern={pattern:?})
events.put_targets(Rule="driftd-events", Targets=[{{"Id": "driftd", "Arn": arn}}])
print(url)
"#
    );
    moto.python(&script).trim().to_string()
}

/// PutEvents, as CloudTrail's EventBridge integration sends an API call: from the
/// service's source (`aws.ec2`, `aws.autoscaling`).
fn put_events(moto: &Moto, details: &[Value]) {
    let entries: Vec<Value> = details
        .iter()
        .map(|d| {
            let service = d["eventSource"].as_str().and_then(|s| s.split('.').next()).unwrap_or("ec2");
            json!({"Source": format!("aws.{service}"), "DetailType": "AWS API Call via CloudTrail", "Detail": d.to_string()})
        })
        .collect();
    let script = format!(
        r#"
import boto3, json, sys
kw = dict(endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
r = boto3.client("events", **kw).put_events(Entries=json.loads({entries:?}))
assert r["FailedEntryCount"] == 0, r
"#,
        entries = serde_json::to_string(&entries).unwrap()
    );
    moto.python(&script);
}

/// Messages still in the queue, visible or in flight.
fn queue_depth(moto: &Moto, url: &str) -> u64 {
    let script = format!(
        r#"
import boto3, sys
kw = dict(endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
a = boto3.client("sqs", **kw).get_queue_attributes(QueueUrl={url:?}, AttributeNames=["All"])["Attributes"]
print(int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"]))
"#
    );
    moto.python(&script).trim().parse().unwrap()
}

/// A real CloudTrail record (testdata/cloudtrail) made into this call in moto's account.
fn record(file: &str, event_id: &str, edit: impl FnOnce(&mut Value)) -> Value {
    let path = common::root().join("testdata/cloudtrail").join(file);
    let mut r: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    r["recipientAccountId"] = ACCOUNT.into();
    r["awsRegion"] = "us-east-1".into();
    r["eventID"] = event_id.into();
    r["eventTime"] = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second()).unwrap().to_string().into();
    edit(&mut r);
    r
}

/// c7nbot launches an instance from the console (the real RunInstances record).
fn run_instances(id: &str, event_id: &str) -> Value {
    record("custodian-event-cloud-trail-run-instance-creator.json", event_id, |r| {
        r["responseElements"]["instancesSet"]["items"][0]["instanceId"] = id.into();
    })
}

/// c7nbot changes an instance's type: the RunInstances record's caller, the documented
/// ModifyInstanceAttribute request shape.
fn modify_instance_type(id: &str, itype: &str, event_id: &str) -> Value {
    record("custodian-event-cloud-trail-run-instance-creator.json", event_id, |r| {
        r["eventName"] = "ModifyInstanceAttribute".into();
        r["requestParameters"] = json!({"instanceId": id, "instanceType": {"value": itype}});
        r["responseElements"] = json!({"_return": true});
    })
}

/// alan opens a port from the console (the real AuthorizeSecurityGroupIngress record).
fn authorize_ssh(group: &str, event_id: &str) -> Value {
    record("panther-aws_ec2_manual_security_group_changes-aws-console-ingress-sg-authorization.json", event_id, |r| {
        r["requestParameters"]["groupId"] = group.into()
    })
}

struct Fleet {
    moto: Moto,
    dir: tempfile::TempDir,
    queue: String,
    declared_instance: String,
    declared_group: String,
}

/// One declared GPU instance and one declared security group in moto, their state on
/// disk, and the event queue.
fn fleet() -> Fleet {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let queue = event_queue(&moto);
    let (declared_instance, declared_group) = fleet::rt().block_on(async {
        let conf = moto.sdk("us-east-1").await;
        let ec2 = aws_sdk_ec2::Client::new(&conf);
        let ami = fleet::ami(&ec2).await;
        let sg = fleet::group(&ec2, "trainers").await;
        let id = fleet::launch(&ec2, &ami, "trainer", "p4d.24xlarge", &sg, &[("team", "ml")]).await;
        let state = fleet::terraform_state(&[("us-east-1", conf)], ACCOUNT).await;
        std::fs::write(dir.path().join("terraform.tfstate"), state.to_string()).unwrap();
        (id, sg)
    });
    Fleet { moto, dir, queue, declared_instance, declared_group }
}

const PD_KEY: &str = "pdkey0123456789abcdefsecret";
const GH_TOKEN: &str = "ghp_testtoken0123456789secret";

/// The five notifiers' receivers.
struct Receivers {
    slack: receiver::Receiver,
    webhook: receiver::Receiver,
    teams: receiver::Receiver,
    pagerduty: receiver::Receiver,
    github: receiver::Receiver,
}

impl Receivers {
    fn start() -> Receivers {
        Receivers {
            slack: receiver::slack_webhook(),
            webhook: receiver::webhook(),
            teams: receiver::teams(),
            pagerduty: receiver::pagerduty(PD_KEY),
            github: receiver::github("acme/infra", GH_TOKEN).0,
        }
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("SLACK_HOOK", format!("{}/hook", self.slack.url)),
            ("HOOK_URL", format!("{}/hook", self.webhook.url)),
            ("TEAMS_URL", format!("{}/workflows/secret", self.teams.url)),
            ("PD_KEY", PD_KEY.into()),
            ("GH_TOKEN", GH_TOKEN.into()),
        ]
    }
}

/// With the event queue, or (`queue` `None`) in poll mode every 2 s.
fn config(queue: Option<&str>, port: u16, r: &Receivers) -> String {
    let (events, interval) = match queue {
        Some(q) => {
            (format!("[aws.events]\nqueue_url = \"{q}\"\ncoalesce = \"200ms\"\nvisibility_timeout = \"10s\"\n"), "1h")
        }
        None => (String::new(), "2s"),
    };
    format!(
        r#"{CONFIG}
[daemon]
listen = "127.0.0.1:{port}"

{events}
[store]
path = "driftd.db"

[outbox]
initial_backoff = "200ms"

[[notify]]
kind = "slack"
url_env = "SLACK_HOOK"

[[notify]]
kind = "webhook"
url_env = "HOOK_URL"

[[notify]]
kind = "teams"
url_env = "TEAMS_URL"

[[notify]]
kind = "pagerduty"
routing_key_env = "PD_KEY"
events_url = "{pd}/v2/enqueue"

[[notify]]
kind = "github"
repo = "acme/infra"
token_env = "GH_TOKEN"
api_url = "{gh}"

[[target]]
name = "gpu"
state = ["terraform.tfstate"]
provider = ["aws"]
interval = "{interval}"
# Drift only: the fleet's own policy violations are not what this test is about.
no_builtin_policies = true
"#,
        pd = r.pagerduty.url,
        gh = r.github.url,
    )
}

/// `driftd run` on the fleet, listening on `port`, telling the receivers.
fn start(f: &Fleet, port: u16, r: &Receivers, extra_env: &[(&str, String)]) -> Daemon {
    std::fs::write(f.dir.path().join("driftd.toml"), config(Some(&f.queue), port, r)).unwrap();
    let mut env = f.moto.env();
    env.extend(r.env());
    env.extend(extra_env.iter().cloned());
    Daemon::start(f.dir.path(), "driftd.toml", port, &env)
}

fn scans(d: &Daemon) -> Vec<Value> {
    d.json("/api/v1/scans", &[])["scans"].as_array().cloned().unwrap_or_default()
}

fn open_findings(d: &Daemon) -> Vec<Value> {
    d.json("/api/v1/findings?status=open&limit=100", &[])["findings"].as_array().cloned().unwrap_or_default()
}

fn finding_of<'a>(findings: &'a [Value], id: &str) -> Option<&'a Value> {
    findings.iter().find(|f| f["finding"]["resource"]["id"] == id || f["resource"]["id"] == id)
}

/// The finding's report body, however the API nests it.
fn body(f: &Value) -> &Value {
    if f.get("finding").is_some() {
        &f["finding"]
    } else {
        f
    }
}

/// The messages a receiver accepted (GitHub: the issues opened, not its searches).
fn texts(r: &receiver::Receiver) -> Vec<String> {
    r.accepted()
        .iter()
        .filter(|r| r.method == "POST" && !r.path.contains("/comments") && !r.path.contains("/labels"))
        .map(|r| String::from_utf8_lossy(&r.body).to_string())
        .collect()
}

fn wait_first_scan(d: &Daemon) {
    let started = Instant::now();
    while scans(d).is_empty() {
        assert!(started.elapsed() < Duration::from_secs(60), "no scan within 60 s:\n{}", d.log());
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Acceptance: a GPU instance launched by hand, a declared instance's type changed, an
/// SSH rule added and an Auto Scaling group (never declared) updated by hand, each with
/// its CloudTrail event through EventBridge and SQS: each gives its finding with who made
/// it (name, type, source IP, event id, cause manual) in `/api/v1/findings` and at every
/// notifier (Slack's message naming the person), recorded as an event re-read while the
/// hourly scan has not run again; a failed call and the group's own launch give none;
/// every message is deleted; the record's access key id appears nowhere.
#[test]
fn events_through_eventbridge_and_sqs_find_drift_and_who_made_it() {
    let f = fleet();
    let r = Receivers::start();
    let d = start(&f, free_port(), &r, &[]);
    wait_first_scan(&d);
    assert!(open_findings(&d).is_empty(), "the fleet starts as declared: {:?}", open_findings(&d));

    // The changes, made in moto as a person would, and their events.
    let (manual, autoscaled) = fleet::rt().block_on(async {
        let conf = f.moto.sdk("us-east-1").await;
        let ec2 = aws_sdk_ec2::Client::new(&conf);
        let ami = fleet::ami(&ec2).await;
        let manual = fleet::launch(&ec2, &ami, "by-hand", "p5.48xlarge", "", &[]).await;
        ec2.modify_instance_attribute()
            .instance_id(&f.declared_instance)
            .instance_type(aws_sdk_ec2::types::AttributeValue::builder().value("p5.48xlarge").build())
            .send()
            .await
            .unwrap();
        ec2.authorize_security_group_ingress()
            .group_id(&f.declared_group)
            .ip_protocol("tcp")
            .from_port(22)
            .to_port(22)
            .cidr_ip("0.0.0.0/0")
            .send()
            .await
            .unwrap();
        // An Auto Scaling group launches one: its instance carries the group's tag.
        fleet::autoscaled_gpu_group(&conf, &ec2, &ami, "asg-gpu", "p4d.24xlarge", "trainers-asg", 1, 1).await;
        let all = ec2.describe_instances().send().await.unwrap();
        let autoscaled = all
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .find(|i| i.tags().iter().any(|t| t.key() == Some("aws:autoscaling:groupName")))
            .and_then(|i| i.instance_id())
            .unwrap()
            .to_string();
        (manual, autoscaled)
    });
    let asg_launch = record(
        "panther-aws_modify_cloud_compute_infrastructure-terminate-instance-from-autoscaling.json",
        "ev-asg",
        |r| {
            r["eventName"] = "RunInstances".into();
            r["requestParameters"] = json!({});
            r["responseElements"] = json!({"instancesSet": {"items": [{"instanceId": autoscaled}]}});
        },
    );
    // Someone resizes that group by hand (the AWS docs' UpdateAutoScalingGroup record).
    let asg_update = record("awsdocs-autoscaling-update-auto-scaling-group.json", "ev-asg-update", |r| {
        r["requestParameters"]["autoScalingGroupName"] = "trainers-asg".into();
    });
    let mut failed = run_instances("i-0000000000000dead", "ev-failed");
    failed["errorCode"] = "Client.UnauthorizedOperation".into();
    let sent = Instant::now();
    put_events(
        &f.moto,
        &[
            run_instances(&manual, "ev-run"),
            modify_instance_type(&f.declared_instance, "p5.48xlarge", "ev-modify"),
            authorize_ssh(&f.declared_group, "ev-ssh"),
            asg_launch,
            asg_update,
            failed,
        ],
    );

    let findings = wait_for(30, "four findings from the events", || {
        let open = open_findings(&d);
        (open.len() >= 4).then_some(open)
    });
    let took = sent.elapsed();
    assert_eq!(findings.len(), 4, "{findings:#?}");
    let by = |id: &str| -> Value {
        let f = finding_of(&findings, id).unwrap_or_else(|| panic!("no finding for {id}: {findings:#?}"));
        body(f)["changed_by"].clone()
    };
    let launched = by(&manual);
    assert_eq!(launched["display_name"], "c7nbot");
    assert_eq!(launched["principal"], "arn:aws:iam::644160558196:user/c7nbot");
    assert_eq!(launched["principal_type"], "IAMUser");
    assert_eq!(launched["source_ip"], "204.63.44.142");
    assert_eq!(launched["event_id"], "ev-run");
    assert_eq!(launched["event_name"], "RunInstances");
    assert_eq!(launched["cause"], "manual");
    assert_eq!(body(finding_of(&findings, &manual).unwrap())["kind"], "unmanaged");
    let resized = finding_of(&findings, &f.declared_instance).unwrap();
    assert_eq!(body(resized)["kind"], "changed");
    assert_eq!(by(&f.declared_instance)["event_id"], "ev-modify");
    let ssh = by(&f.declared_group);
    assert_eq!((ssh["display_name"].as_str(), ssh["cause"].as_str()), (Some("alan"), Some("manual")));
    assert!(finding_of(&findings, &autoscaled).is_none(), "an Auto Scaling launch is not drift");
    // The group itself, made by hand and never declared: unmanaged, read again by name.
    assert_eq!(body(finding_of(&findings, "trainers-asg").unwrap())["kind"], "unmanaged");
    assert_eq!(by("trainers-asg")["display_name"], "iamUser1");

    // Recorded as event re-reads; the hourly scan ran once.
    let outcomes: Vec<String> = scans(&d).iter().map(|s| s["outcome"].as_str().unwrap_or("").to_string()).collect();
    assert_eq!(outcomes.iter().filter(|o| *o == "ok").count(), 1, "{outcomes:?}");
    assert!(outcomes.iter().any(|o| o == "event"), "{outcomes:?}");

    // Every notifier names the people: Slack in its text, the others in their fields.
    let group = "trainers-asg".to_string();
    let told =
        [(&manual, "c7nbot"), (&f.declared_instance, "c7nbot"), (&f.declared_group, "alan"), (&group, "iamUser1")];
    let mut all = Vec::new();
    for (name, receiver, said) in [
        ("slack", &r.slack, "*Changed by* {who} (manual"),
        ("webhook", &r.webhook, "\"display_name\":\"{who}\""),
        ("teams", &r.teams, "\"Changed by\",\"value\":\"{who} (manual"),
        ("pagerduty", &r.pagerduty, "\"changed_by\":\"{who} (manual"),
        ("github", &r.github, "| Changed by | {who} (manual"),
    ] {
        let got = wait_for(30, &format!("four {name} messages"), || {
            let t = texts(receiver);
            (t.len() >= 4).then_some(t)
        });
        assert_eq!(got.len(), 4, "{name}: {got:#?}");
        for (id, who) in told {
            let text =
                got.iter().find(|t| t.contains(id.as_str())).unwrap_or_else(|| panic!("{name}: nothing on {id}"));
            let want = said.replace("{who}", who);
            assert!(text.contains(&want), "{name} does not say {want:?}: {text}");
        }
        all.extend(got);
    }

    // Every message handled is gone from the queue; the failed call was counted.
    wait_for(20, "the queue to empty", || (queue_depth(&f.moto, &f.queue) == 0).then_some(()));
    let (_, metrics) = d.get("/metrics", &[]);
    assert!(
        metrics.contains(r#"driftd_cloud_events_total{cloud="aws",event="RunInstances",outcome="changed_nothing"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"driftd_cloud_events_total{cloud="aws",event="RunInstances",outcome="reread"} 2"#),
        "{metrics}"
    );
    let (ok, lint) = common::promtool(&["check", "metrics"], Some(&metrics), f.dir.path());
    assert!(ok && lint.trim().is_empty(), "promtool check metrics:\n{lint}");

    let log = d.log();
    let api = d.get("/api/v1/findings?limit=100", &[]).1;
    for (what, text) in [("log", &log), ("API", &api), ("notifiers", &all.join("\n"))] {
        assert!(!text.contains(ACCESS_KEY_ID), "the access key id reached the {what}");
    }
    eprintln!("PutEvents to three findings in the API: {} ms", took.as_millis());
    let (code, _) = d.terminate(20);
    assert_eq!(code, 0);
}

/// An event handled again after a crash tells nobody twice: SIGKILL once the re-read is
/// recorded and before its messages are deleted (the daemon is killed when it asks SQS
/// to delete them), restart, and the message comes back after its visibility timeout and
/// is handled again: one Slack message in all, the queue empty.
#[test]
fn an_event_handled_again_after_sigkill_notifies_once() {
    let f = fleet();
    let gate = common::sqs_gate::SqsGate::start(&f.moto.endpoint, "AmazonSQS.DeleteMessageBatch");
    let r = Receivers::start();
    let mut d = start(&f, free_port(), &r, &[("AWS_ENDPOINT_URL_SQS", gate.url.clone())]);
    wait_first_scan(&d);
    let manual = fleet::rt().block_on(async {
        let ec2 = aws_sdk_ec2::Client::new(&f.moto.sdk("us-east-1").await);
        let ami = fleet::ami(&ec2).await;
        fleet::launch(&ec2, &ami, "by-hand", "p5.48xlarge", "", &[]).await
    });
    put_events(&f.moto, &[run_instances(&manual, "ev-run")]);
    gate.wait_held(Duration::from_secs(30));
    // The re-read is recorded (its finding is in the store) and its message not deleted.
    assert_eq!(open_findings(&d).len(), 1);
    // Its notifications delivered and marked sent before the kill: a kill in the middle of
    // a delivery may send that one message twice (the outbox's documented window, tested
    // in notify.rs); this test is about the event handled twice.
    wait_for(30, "the first handling's notifications delivered", || {
        let (_, metrics) = d.get("/metrics", &[]);
        let delivered =
            [&r.slack, &r.webhook, &r.pagerduty].iter().all(|rc| texts(rc).iter().any(|t| t.contains(manual.as_str())));
        (delivered && metrics.lines().any(|l| l == "driftd_outbox_pending 0")).then_some(())
    });
    d.child.kill().unwrap();
    let _ = d.child.wait();
    gate.release();
    assert_eq!(queue_depth(&f.moto, &f.queue), 1, "the message was not deleted");

    let d = start(&f, free_port(), &r, &[]);
    // Handled again once it is visible again (10 s), then deleted.
    wait_for(60, "the message to be handled again and deleted", || (queue_depth(&f.moto, &f.queue) == 0).then_some(()));
    let events = scans(&d).iter().filter(|s| s["outcome"] == "event").count();
    assert_eq!(events, 2, "handled before the kill and again after it");
    std::thread::sleep(Duration::from_secs(2));
    for (name, receiver) in [("slack", &r.slack), ("webhook", &r.webhook), ("pagerduty", &r.pagerduty)] {
        let got = texts(receiver);
        let about: Vec<&String> = got.iter().filter(|t| t.contains(manual.as_str())).collect();
        assert_eq!(about.len(), 1, "{name}: {got:#?}");
    }
    assert_eq!(open_findings(&d).len(), 1);
    let (code, _) = d.terminate(20);
    assert_eq!(code, 0);
}

/// Poll mode (no `[aws.events]`): a new finding's change is looked up in CloudTrail's
/// `LookupEvents` (a local server in its documented shape, throttling the first request
/// and paging one event at a time): the launch and the resize are attributed to c7nbot,
/// a read of the instance is passed over, the lookups ask for the last interval plus
/// CloudTrail's delivery delay only; Slack names him.
#[test]
fn poll_mode_looks_up_who_made_new_findings_in_cloudtrail() {
    let f = fleet();
    let trail = common::cloudtrail::CloudTrail::start();
    let r = Receivers::start();
    let port = free_port();
    std::fs::write(f.dir.path().join("driftd.toml"), config(None, port, &r)).unwrap();
    let mut env = f.moto.env();
    env.extend(r.env());
    env.push(("AWS_ENDPOINT_URL_CLOUDTRAIL", trail.receiver.url.clone()));
    let d = Daemon::start(f.dir.path(), "driftd.toml", port, &env);
    wait_first_scan(&d);
    trail.throttle_next(1);
    let manual = fleet::rt().block_on(async {
        let ec2 = aws_sdk_ec2::Client::new(&f.moto.sdk("us-east-1").await);
        let ami = fleet::ami(&ec2).await;
        let manual = fleet::launch(&ec2, &ami, "by-hand", "p5.48xlarge", "", &[]).await;
        // CloudTrail has the calls before the next scan sees their effect.
        trail.add(&manual, run_instances(&manual, "ev-run"));
        trail.add(&f.declared_instance, modify_instance_type(&f.declared_instance, "p5.48xlarge", "ev-modify"));
        // A read of the instance, newest, on the first page: no change, passed over.
        trail.add(
            &f.declared_instance,
            record("custodian-event-cloud-trail-run-instance-creator.json", "ev-read", |r| {
                r["eventName"] = "DescribeInstances".into();
                r["requestParameters"] = json!({"instancesSet": {"items": [{"instanceId": f.declared_instance}]}});
            }),
        );
        ec2.modify_instance_attribute()
            .instance_id(&f.declared_instance)
            .instance_type(aws_sdk_ec2::types::AttributeValue::builder().value("p5.48xlarge").build())
            .send()
            .await
            .unwrap();
        manual
    });
    let findings = wait_for(30, "two findings", || {
        let open = open_findings(&d);
        (open.len() >= 2).then_some(open)
    });
    assert_eq!(findings.len(), 2, "{findings:#?}");
    for (id, event) in [(&manual, "ev-run"), (&f.declared_instance, "ev-modify")] {
        let f = finding_of(&findings, id).unwrap_or_else(|| panic!("no finding on {id}"));
        let by = &body(f)["changed_by"];
        assert_eq!((by["display_name"].as_str(), by["event_id"].as_str()), (Some("c7nbot"), Some(event)), "{f:#}");
        assert_eq!(by["cause"], "manual");
    }
    let slack = wait_for(20, "two Slack messages", || {
        let t = texts(&r.slack);
        (t.len() >= 2).then_some(t)
    });
    assert!(slack.iter().all(|t| t.contains("*Changed by* c7nbot")), "{slack:#?}");
    assert_eq!(trail.throttled.load(std::sync::atomic::Ordering::SeqCst), 1, "the throttled request was retried");
    assert!(trail.tokens().contains(&"page-1".to_string()), "the second page was read");
    let now = jiff::Timestamp::now().as_second() as f64;
    for req in trail.receiver.received() {
        let start = req.json()["StartTime"].as_f64().unwrap();
        assert!(now - start <= 15.0 * 60.0 + 2.0 + 60.0 && now - start >= 15.0 * 60.0, "window from {start}");
    }
    let (code, _) = d.terminate(20);
    assert_eq!(code, 0);
}

// ---- Azure: Event Grid events through a Storage queue on Azurite, the local ARM server.

mod azure {
    use super::*;
    use common::arm::{ArmServer, Fleet, Subscription};
    use common::azure_fleet::{sub_id, tfstate, Cluster, Pool, Vm};
    use common::azurite::AzuriteQueue;

    const QUEUE: &str = "driftd-events";

    /// Two declared GPU VMs and an AKS cluster (declared) whose GPU pool's scale set AKS
    /// owns, in one subscription on the local ARM server; their state on disk.
    struct World {
        dir: tempfile::TempDir,
        server: ArmServer,
        sub: String,
        vms: Vec<Vm>,
        cluster: Cluster,
    }

    fn fleet_of(sub: &str, vms: &[Vm], cluster: &Cluster) -> Fleet {
        let s = Subscription {
            vms: vms.iter().map(Vm::arm).collect(),
            scale_sets: cluster.node_scale_sets(),
            clusters: vec![cluster.arm()],
            ..Default::default()
        };
        let mut fleet = Fleet::default();
        fleet.subscriptions.insert(sub.to_string(), s);
        fleet
    }

    fn world() -> World {
        let sub = sub_id(7);
        let vms = vec![
            Vm::new(&sub, "nd-train-0", "Standard_ND96asr_v4"),
            Vm::new(&sub, "nd-train-1", "Standard_ND96asr_v4"),
        ];
        let mut system = Pool::new("system", "Standard_D4s_v5", 1);
        system.mode = "System".into();
        let cluster = Cluster::new(&sub, "ml-aks", vec![system, Pool::new("gpu", "Standard_ND96asr_v4", 2)]);
        let dir = tempfile::tempdir().unwrap();
        let mut res: Vec<(&str, String, Value)> =
            vms.iter().map(|v| ("azurerm_linux_virtual_machine", v.name.replace('-', "_"), v.state())).collect();
        res.push(("azurerm_kubernetes_cluster", "ml".into(), cluster.state()));
        res.push(("azurerm_kubernetes_cluster_node_pool", "gpu".into(), cluster.pool_state(&cluster.pools[1])));
        let refs: Vec<(&str, &str, Value)> = res.iter().map(|(t, n, v)| (*t, n.as_str(), v.clone())).collect();
        std::fs::write(dir.path().join("state.json"), tfstate(&refs).to_string()).unwrap();
        let server = ArmServer::start(fleet_of(&sub, &vms, &cluster));
        World { dir, server, sub, vms, cluster }
    }

    /// Microsoft's documented ResourceWriteSuccess event (testdata/azure-events) for `uri`.
    fn write_event(sub: &str, uri: &str, operation: &str, id: &str) -> Value {
        documented_event("resource-write-success.json", sub, uri, operation, id)
    }

    /// One of Microsoft's documented events (testdata/azure-events) made into `operation`
    /// on `uri` by John Smith.
    fn documented_event(file: &str, sub: &str, uri: &str, operation: &str, id: &str) -> Value {
        let text = std::fs::read_to_string(common::root().join("testdata/azure-events").join(file))
            .unwrap()
            .replace(
                "/subscriptions/{subscription-id}/resourcegroups/{resource-group}/providers/Microsoft.Storage/storageAccounts/{storage-name}",
                uri,
            )
            .replace(
                "/subscriptions/{subscription-id}/resourceGroups/{resource-group}/providers/Microsoft.Storage/storageAccounts/{storage-name}",
                uri,
            )
            .replace("Microsoft.Storage/storageAccounts/write", operation)
            .replace("Microsoft.Storage/storageAccounts/delete", operation)
            .replace("19a69642-1aad-4a96-a5ab-8d05494513ce", id)
            .replace("{subscription-id}", sub)
            .replace("{full-name}", "John Smith")
            .replace("{user-name}", "john@contoso.com")
            .replace("{IP-address}", "203.0.113.9")
            .replace("4db48cba-50a2-455a-93b4-de41a3b5b7f6", id);
        let mut v: Value = serde_json::from_str(&text).unwrap();
        v[0]["eventTime"] = jiff::Timestamp::now().to_string().into();
        v[0].take()
    }

    fn config(w: &World, port: u16, queue: Option<&str>) -> String {
        let (events, interval) = match queue {
            Some(q) => (
                format!("[azure.events]\nqueue_url = \"{q}\"\ncoalesce = \"200ms\"\nvisibility_timeout = \"10s\"\n"),
                "1h",
            ),
            None => (String::new(), "2s"),
        };
        format!(
            r#"[daemon]
listen = "127.0.0.1:{port}"

{events}
[store]
path = "driftd.db"

[[notify]]
kind = "slack"
url_env = "SLACK_HOOK"

[[target]]
name = "gpu"
state = ["state.json"]
provider = ["azure"]
subscription = ["{sub}"]
interval = "{interval}"
no_builtin_policies = true
"#,
            sub = w.sub
        )
    }

    /// The first VM resized, the second deleted (when `delete`).
    fn change(w: &World, size: &str, delete: bool) {
        let mut vms = w.vms.clone();
        vms[0].size = size.into();
        if delete {
            vms.truncate(1);
        }
        w.server.update(|f| *f = fleet_of(&w.sub, &vms, &w.cluster));
    }

    /// Acceptance (Azure): a declared VM resized and another deleted, with their Event Grid
    /// events (Microsoft's documented schema, Base64 in a Storage queue on Azurite): each
    /// VM read again by its id (the deleted one answers 404), a changed and a missing
    /// finding with who made them, at Slack naming the person; a write to the scale set
    /// AKS owns gives none; a failed write changes nothing; every message is deleted; the
    /// storage key appears nowhere.
    #[test]
    fn event_grid_events_through_a_storage_queue_find_drift_and_who_made_it() {
        let w = world();
        let queue = AzuriteQueue::start();
        queue.create(QUEUE);
        let slack = receiver::slack_webhook();
        let port = free_port();
        std::fs::write(
            w.dir.path().join("driftd.toml"),
            config(&w, port, Some(&format!("{}/{QUEUE}", queue.endpoint))),
        )
        .unwrap();
        let mut env = w.server.env();
        env.push(("AZURE_STORAGE_CONNECTION_STRING", queue.connection_string()));
        env.push(("SLACK_HOOK", format!("{}/hook", slack.url)));
        let d = Daemon::start(w.dir.path(), "driftd.toml", port, &env);
        wait_first_scan(&d);
        assert!(open_findings(&d).is_empty(), "declared as it runs: {:#?}", open_findings(&d));

        change(&w, "Standard_ND96isr_H100_v5", true);
        let node_set = format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/virtualMachineScaleSets/aks-gpu-31415926-vmss",
            w.sub,
            w.cluster.node_resource_group()
        );
        let mut failed = write_event(&w.sub, &w.vms[1].id(), "Microsoft.Compute/virtualMachines/write", "ev-failed");
        failed["eventType"] = "Microsoft.Resources.ResourceWriteFailure".into();
        failed["data"]["status"] = "Failed".into();
        let delete = documented_event(
            "resource-delete-success.json",
            &w.sub,
            &w.vms[1].id(),
            "Microsoft.Compute/virtualMachines/delete",
            "ev-delete",
        );
        for event in [
            write_event(&w.sub, &w.vms[0].id(), "Microsoft.Compute/virtualMachines/write", "ev-resize"),
            write_event(&w.sub, &node_set, "Microsoft.Compute/virtualMachineScaleSets/write", "ev-aks"),
            failed,
            delete,
        ] {
            queue.put(QUEUE, &event.to_string());
        }
        // Every message handled (and deleted only then): what the events found is recorded.
        let started = Instant::now();
        while queue.depth(QUEUE) != 0 {
            assert!(started.elapsed() < Duration::from_secs(30), "the queue did not empty within 30 s:\n{}", d.log());
            std::thread::sleep(Duration::from_millis(200));
        }
        let findings = open_findings(&d);
        assert_eq!(findings.len(), 2, "{findings:#?}");
        for (vm, kind, event) in [(0, "changed", "ev-resize"), (1, "missing", "ev-delete")] {
            let f = findings
                .iter()
                .map(body)
                .find(|f| f["resource"]["id"].as_str().is_some_and(|id| id.eq_ignore_ascii_case(&w.vms[vm].id())))
                .unwrap_or_else(|| panic!("no finding on {}: {findings:#?}", w.vms[vm].name));
            assert_eq!(f["kind"], kind);
            let by = &f["changed_by"];
            assert_eq!(
                (by["display_name"].as_str(), by["principal"].as_str()),
                (Some("John Smith"), Some("john@contoso.com"))
            );
            assert_eq!(
                (by["cause"].as_str(), by["source_ip"].as_str(), by["event_id"].as_str()),
                (Some("manual"), Some("203.0.113.9"), Some(event))
            );
        }
        let gets: Vec<String> = w
            .server
            .calls()
            .iter()
            .filter(|c| c.path.contains("/virtualMachines/"))
            .map(|c| c.path.split('?').next().unwrap_or("").to_string())
            .collect();
        assert!(
            gets.iter().any(|p| p.eq_ignore_ascii_case(&w.vms[0].id())),
            "the resized VM was read by its id: {gets:?}"
        );
        assert!(
            gets.iter().any(|p| p.eq_ignore_ascii_case(&w.vms[1].id())),
            "the deleted VM was read by its id: {gets:?}"
        );
        let texts = wait_for(20, "two Slack messages", || {
            let t = texts(&slack);
            (t.len() >= 2).then_some(t)
        });
        assert_eq!(texts.len(), 2, "{texts:#?}");
        assert!(texts.iter().all(|t| t.contains("*Changed by* John Smith (manual")), "{texts:#?}");
        let (_, metrics) = d.get("/metrics", &[]);
        for line in [
            r#"driftd_cloud_events_total{cloud="azure",event="Microsoft.Compute/virtualMachines/write",outcome="reread"} 1"#,
            r#"driftd_cloud_events_total{cloud="azure",event="Microsoft.Compute/virtualMachines/delete",outcome="reread"} 1"#,
            r#"driftd_cloud_events_total{cloud="azure",event="Microsoft.Compute/virtualMachines/write",outcome="changed_nothing"} 1"#,
            r#"driftd_cloud_events_total{cloud="azure",event="Microsoft.Compute/virtualMachineScaleSets/write",outcome="reread"} 1"#,
        ] {
            assert!(metrics.contains(line), "{line} in {metrics}");
        }
        let log = d.log();
        assert!(!log.contains(common::azurite::KEY) && !log.contains(common::arm::SECRET), "a secret reached the log");
        let (code, _) = d.terminate(20);
        assert_eq!(code, 0);
    }

    /// Poll mode (no `[azure.events]`): a new finding's change is looked up in the
    /// subscription's Activity Log (the local ARM server answering
    /// `eventtypes/management/values` with Microsoft's documented entry, made into a write
    /// of the VM): the resize is attributed to its caller; Slack names him.
    #[test]
    fn poll_mode_looks_up_who_made_new_findings_in_the_activity_log() {
        let w = world();
        let slack = receiver::slack_webhook();
        let port = free_port();
        std::fs::write(w.dir.path().join("driftd.toml"), config(&w, port, None)).unwrap();
        let mut env = w.server.env();
        env.push(("SLACK_HOOK", format!("{}/hook", slack.url)));
        let d = Daemon::start(w.dir.path(), "driftd.toml", port, &env);
        wait_first_scan(&d);
        let example: Value = serde_json::from_str(
            &std::fs::read_to_string(
                common::root().join("testdata/azure-arm/monitor-2015-04-01/GetActivityLogsFiltered.json"),
            )
            .unwrap(),
        )
        .unwrap();
        let mut entry = example["responses"]["200"]["body"]["value"][0].clone();
        let vm = w.vms[0].id();
        entry["resourceId"] = vm.clone().into();
        entry["operationName"] = json!({"value": "Microsoft.Compute/virtualMachines/write", "localizedValue": "Create or Update Virtual Machine"});
        entry["eventTimestamp"] = jiff::Timestamp::now().to_string().into();
        let mut vms = w.vms.clone();
        vms[0].size = "Standard_ND96isr_H100_v5".into();
        w.server.update(|f| {
            *f = fleet_of(&w.sub, &vms, &w.cluster);
            f.subscriptions.get_mut(&w.sub).unwrap().activity_log.push(entry);
        });
        let findings = wait_for(30, "the resize's finding", || {
            let open = open_findings(&d);
            (!open.is_empty()).then_some(open)
        });
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let by = &body(&findings[0])["changed_by"];
        assert_eq!(
            (by["principal"].as_str(), by["display_name"].as_str()),
            (Some("admin@contoso.com"), Some("John Smith"))
        );
        assert_eq!(
            (by["cause"].as_str(), by["event_id"].as_str()),
            (Some("manual"), Some("44ade6b4-3813-45e6-ae27-7420a95fa2f8"))
        );
        let looked_up = w
            .server
            .calls()
            .iter()
            .filter(|c| c.path.contains("/Microsoft.Insights/eventtypes/management/values"))
            .count();
        assert!(looked_up >= 1, "the Activity Log was asked");
        let texts = wait_for(20, "the Slack message", || {
            let t = texts(&slack);
            (!t.is_empty()).then_some(t)
        });
        assert!(texts[0].contains("*Changed by* John Smith (manual"), "{}", texts[0]);
        let (code, _) = d.terminate(20);
        assert_eq!(code, 0);
    }
}
