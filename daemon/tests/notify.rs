//! Alerts end to end: `driftd check --notify` against local receivers that play Slack
//! (webhook and Web API), Teams, PagerDuty, GitHub and a webhook, over scripted fleets
//! (the demo snapshot, changed between scans).

mod common;

use common::postgres::Backend;
use common::receiver::{self, Fault, Receiver, Request};
use common::{abs_demo_state, driftd_env, root, Run};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;

// The outbox and history suite runs on both stores.
crate::on_both_backends!(
    new_reminder_changed_resolved_once_each_in_order_per_receiver,
    faults_then_recovery_deliver_everything_once,
    sigkill_during_delivery_loses_nothing,
    dead_letters_are_listed_and_retried,
    one_findings_failing_message_does_not_hold_up_the_others,
    twenty_scans_send_one_message_per_transition,
    scan_failures_are_their_own_events_and_resolve_nothing,
    a_digest_larger_than_a_message_is_split_into_parts_and_loses_nothing,
    filters_pick_what_each_notifier_hears
);

const SLACK_TOKEN: &str = "xoxb-test-0123456789-secret";
const PD_KEY: &str = "pdkey0123456789abcdefsecret";
const GH_TOKEN: &str = "ghp_testtoken0123456789secret";
const HMAC_SECRET: &str = "whsec-test-signing-key-secret";

/// A fleet to scan: the demo's in-sync snapshot, changed by a test, written to a temp dir
/// next to the config and the store.
struct Fleet {
    dir: tempfile::TempDir,
    base: Value,
    backend: Backend,
}

impl Fleet {
    fn new() -> Fleet {
        Fleet::on(Backend::Sqlite)
    }

    /// A fleet whose configs keep their store on `backend`.
    fn on(backend: Backend) -> Fleet {
        let text = std::fs::read_to_string(root().join("testdata/demo/live-in-sync.json")).unwrap();
        Fleet { dir: tempfile::tempdir().unwrap(), base: serde_json::from_str(&text).unwrap(), backend }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes the snapshot `live.json` as `f` makes it from the in-sync fleet.
    fn live(&self, f: impl FnOnce(&mut Value)) {
        let mut v = self.base.clone();
        f(&mut v);
        std::fs::write(self.path().join("live.json"), serde_json::to_vec(&v).unwrap()).unwrap();
    }

    fn config(&self, toml: &str) {
        std::fs::write(self.path().join("driftd.toml"), self.backend.config(toml)).unwrap();
    }

    fn check(&self, env: &[(&str, String)]) -> Run {
        let state = abs_demo_state();
        driftd_env(
            self.path(),
            &[
                "check",
                "--config",
                "driftd.toml",
                "--notify",
                "--state",
                &state,
                "--provider",
                "snapshot:live.json",
                "--format",
                "json",
            ],
            env,
        )
    }

    fn db(&self) -> PathBuf {
        self.path().join("driftd.db")
    }
}

fn resource<'a>(v: &'a mut Value, name: &str) -> &'a mut Value {
    v["resources"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["attributes"]["tags"]["Name"] == name || r["name"] == name)
        .unwrap_or_else(|| panic!("no resource {name}"))
}

fn set_type(v: &mut Value, name: &str, t: &str) {
    resource(v, name)["attributes"]["instance_type"] = json!(t);
}

/// `n` hand-launched p5.48xlarge boxes nobody declared.
fn add_unmanaged(v: &mut Value, n: usize) {
    let template = resource(v, "research-h100-0").clone();
    let list = v["resources"].as_array_mut().unwrap();
    for i in 0..n {
        let mut r = template.clone();
        let id = format!("i-0f{i:015x}");
        r["id"] = json!(id);
        r["name"] = json!(format!("shadow-{i}"));
        r["attributes"]["id"] = json!(id);
        r["attributes"]["tags"]["Name"] = json!(format!("shadow-{i}"));
        list.push(r);
    }
}

fn events(r: &Receiver) -> Vec<String> {
    r.accepted().iter().map(|q| q.json()["event"].as_str().unwrap_or("?").to_string()).collect()
}

fn ok(run: &Run, code: i32) {
    assert_eq!(run.code, code, "stdout:\n{}\nstderr:\n{}", &run.stdout[..run.stdout.len().min(3000)], run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

fn env_for(webhook: &Receiver) -> Vec<(&'static str, String)> {
    vec![("HOOK_URL", format!("{}/hook", webhook.url)), ("HOOK_SECRET", HMAC_SECRET.to_string())]
}

const FAST_OUTBOX: &str = r#"
[outbox]
initial_backoff = "100ms"
max_backoff = "1s"
request_timeout = "2s"
deliver_for = "30s"
"#;

fn verify_signature(req: &Request) {
    let ts = req.header("x-driftd-timestamp").expect("timestamp header");
    let sig = req.header("x-driftd-signature").expect("signature header");
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(HMAC_SECRET.as_bytes()).unwrap();
    mac.update(format!("v1:{ts}:").as_bytes());
    mac.update(&req.body);
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(sig, format!("v1={expected}"), "signature does not verify");
}

fn new_reminder_changed_resolved_once_each_in_order_per_receiver(backend: Backend) {
    let hook = receiver::webhook();
    let slack_hook = receiver::slack_webhook();
    let slack_api = receiver::slack_api(SLACK_TOKEN);
    let teams = receiver::teams();
    let pd = receiver::pagerduty(PD_KEY);
    let (gh, repo) = receiver::github("acme/infra", GH_TOKEN);
    let fleet = Fleet::on(backend);
    fleet.config(&format!(
        r#"
[store]
path = "driftd.db"
{FAST_OUTBOX}
[[notify]]
kind = "webhook"
url_env = "HOOK_URL"
secret_env = "HOOK_SECRET"
remind_after = "2s"

[[notify]]
kind = "slack"
url_env = "SLACK_HOOK"
remind_after = "2s"

[[notify]]
kind = "slack"
token_env = "SLACK_TOKEN"
channel = "C0DRIFT"
api_url = "{slack_api}/api"
remind_after = "2s"

[[notify]]
kind = "teams"
url_env = "TEAMS_URL"
remind_after = "2s"

[[notify]]
kind = "pagerduty"
routing_key_env = "PD_KEY"
events_url = "{pd}/v2/enqueue"
remind_after = "2s"

[[notify]]
kind = "github"
repo = "acme/infra"
token_env = "GH_TOKEN"
api_url = "{gh}"
remind_after = "2s"
"#,
        slack_api = slack_api.url,
        pd = pd.url,
        gh = gh.url,
    ));
    let mut env = env_for(&hook);
    env.push(("SLACK_HOOK", format!("{}/services/T0/B0/secretpath", slack_hook.url)));
    env.push(("SLACK_TOKEN", SLACK_TOKEN.into()));
    env.push(("TEAMS_URL", format!("{}/workflows/secret", teams.url)));
    env.push(("PD_KEY", PD_KEY.into()));
    env.push(("GH_TOKEN", GH_TOKEN.into()));

    // 1: trainer-1 resized by hand: new.
    fleet.live(|v| set_type(v, "trainer-1", "p5.48xlarge"));
    let run = fleet.check(&env);
    ok(&run, 1);
    assert!(run.stderr.contains("1 new, 0 changed, 0 resolved"), "{}", run.stderr);
    // 2: same drift, right away: quiet.
    ok(&fleet.check(&env), 1);
    // 3: still there after remind_after: a reminder.
    std::thread::sleep(Duration::from_millis(2100));
    ok(&fleet.check(&env), 1);
    // 4: resized again: changed (the live value moved).
    fleet.live(|v| set_type(v, "trainer-1", "p5en.48xlarge"));
    ok(&fleet.check(&env), 1);
    // 5: back in sync: resolved.
    fleet.live(|_| {});
    let run = fleet.check(&env);
    ok(&run, 0);
    assert!(run.stderr.contains("0 new, 0 changed, 1 resolved"), "{}", run.stderr);
    // 6: nothing new: nothing sent.
    ok(&fleet.check(&env), 0);

    // The webhook: four events, in order, signed, one finding.
    assert_eq!(events(&hook), ["new", "reminder", "changed", "resolved"]);
    let bodies: Vec<Value> = hook.accepted().iter().map(Request::json).collect();
    let finding_id = bodies[0]["finding"]["id"].as_str().unwrap().to_string();
    for (req, b) in hook.accepted().iter().zip(&bodies) {
        verify_signature(req);
        assert_eq!(b["schema"], "driftd.event/v1");
        assert_eq!(b["finding"]["id"], finding_id.as_str());
        assert_eq!(req.header("x-driftd-event-id"), b["id"].as_str());
    }
    let ids: std::collections::HashSet<&str> = bodies.iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 4, "event ids are unique");
    assert_eq!(bodies[0]["finding"]["changes"][0]["live"], "p5.48xlarge");
    assert_eq!(bodies[2]["finding"]["changes"][0]["live"], "p5en.48xlarge");
    assert_eq!(bodies[2]["previous"]["changes"][0]["live"], "p5.48xlarge");

    // Slack webhook: four messages whose headers say what happened.
    let headers: Vec<String> = slack_hook
        .accepted()
        .iter()
        .map(|r| r.json()["blocks"][0]["text"]["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(headers.len(), 4, "{headers:?}");
    for (h, want) in headers.iter().zip(["New drift", "Still drifted", "Drift changed", "Resolved"]) {
        assert!(h.starts_with(want), "{h:?} is not {want}");
    }
    let first = slack_hook.accepted()[0].json().to_string();
    assert!(first.contains("p4d.24xlarge → p5.48xlarge") && first.contains("/h"), "{first}");
    assert!(first.contains("terraform apply"), "remediation command: {first}");

    // Slack Web API: one thread. The first message starts it, the others reply in it,
    // and the first is rewritten as resolved.
    let calls = slack_api.accepted();
    let paths: Vec<&str> = calls.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/api/chat.postMessage",
            "/api/chat.postMessage",
            "/api/chat.postMessage",
            "/api/chat.update",
            "/api/chat.postMessage"
        ]
    );
    assert!(calls[0].json().get("thread_ts").is_none());
    let root_ts = "1700000000.001001";
    for c in [&calls[1], &calls[2], &calls[4]] {
        assert_eq!(c.json()["thread_ts"], root_ts, "{}", c.json());
    }
    assert_eq!(calls[3].json()["ts"], root_ts);
    assert!(calls[3].json()["blocks"][0]["text"]["text"].as_str().unwrap().starts_with("Resolved"));
    assert!(slack_api.rejected().is_empty(), "{:?}", slack_api.rejected());

    // Teams: four cards.
    let titles: Vec<String> = teams
        .accepted()
        .iter()
        .map(|r| r.json()["attachments"][0]["content"]["body"][0]["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(titles.len(), 4);
    assert!(titles[0].starts_with("New drift") && titles[3].starts_with("Resolved"), "{titles:?}");

    // PagerDuty: trigger, trigger, trigger, resolve, one dedup key: the finding id.
    let pd_events: Vec<(String, String)> = pd
        .accepted()
        .iter()
        .map(|r| {
            let e = r.json();
            (e["event_action"].as_str().unwrap().to_string(), e["dedup_key"].as_str().unwrap().to_string())
        })
        .collect();
    let actions: Vec<&str> = pd_events.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(actions, ["trigger", "trigger", "trigger", "resolve"]);
    assert!(pd_events.iter().all(|(_, k)| *k == finding_id));
    assert_eq!(pd.accepted()[0].json()["payload"]["severity"], "error", "high maps to error");

    // GitHub: one issue with the marker, three comments, closed.
    let issues = repo.issues.lock().unwrap().clone();
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert!(issues[0]["body"].as_str().unwrap().contains(&format!("<!-- driftd:finding:{finding_id} -->")));
    assert_eq!(issues[0]["state"], "closed");
    assert_eq!(issues[0]["labels"][0]["name"], "driftd");
    let comments = repo.comments.lock().unwrap().clone();
    assert_eq!(comments.len(), 3, "{comments:?}");
    assert!(comments[0].1.starts_with("Still drifted") && comments[1].1.starts_with("Drift changed"));
    assert!(comments[2].1.starts_with("Resolved"));

    for r in [&hook, &slack_hook, &slack_api, &teams, &pd, &gh] {
        assert!(r.rejected().is_empty(), "{:?}", r.rejected().iter().map(|x| &x.1).collect::<Vec<_>>());
    }
}

#[test]
fn two_hundred_findings_stay_within_slack_limits() {
    let slack_hook = receiver::slack_webhook();
    let slack_api = receiver::slack_api(SLACK_TOKEN);
    let digest_hook = receiver::slack_webhook();
    let fleet = Fleet::new();
    fleet.config(&format!(
        r#"
{FAST_OUTBOX}
[[notify]]
kind = "slack"
url_env = "SLACK_HOOK"
report_url = "https://ci.example/jobs/1/report.html"

[[notify]]
kind = "slack"
token_env = "SLACK_TOKEN"
channel = "C0DRIFT"
api_url = "{}/api"

[[notify]]
name = "slack-digest"
kind = "slack"
url_env = "DIGEST_HOOK"
digest = true
"#,
        slack_api.url
    ));
    let env = vec![
        ("SLACK_HOOK", format!("{}/services/T/B/x", slack_hook.url)),
        ("DIGEST_HOOK", format!("{}/services/T/B/y", digest_hook.url)),
        ("SLACK_TOKEN", SLACK_TOKEN.to_string()),
    ];
    fleet.live(|v| add_unmanaged(v, 200));
    let run = fleet.check(&env);
    ok(&run, 1);
    assert!(run.stderr.contains("200 new"), "{}", run.stderr);

    for r in [&slack_hook, &slack_api, &digest_hook] {
        assert!(r.rejected().is_empty(), "Slack refused: {:?}", r.rejected().iter().map(|x| &x.1).collect::<Vec<_>>());
    }
    let listed_in = |msgs: &[Request]| -> usize {
        msgs.iter()
            .flat_map(|r| r.json()["blocks"].as_array().unwrap().clone())
            .map(|b| b["text"]["text"].as_str().unwrap_or("").matches("unmanaged aws_instance").count())
            .sum()
    };
    // The cap (20): 19 findings on their own, and a summary of the other 181 in parts of
    // 40 events, each its own message (a webhook has no thread), none left out.
    let hook_msgs = slack_hook.accepted();
    assert_eq!(hook_msgs.len(), 19 + 5);
    let summary = hook_msgs[19].json();
    assert!(summary["blocks"][0]["text"]["text"].as_str().unwrap().starts_with("181 more drift events"), "{summary}");
    let text = summary.to_string();
    assert!(text.contains("part 1 of 5") && text.contains("full report"), "{text}");
    assert!(hook_msgs[23].json().to_string().contains("part 5 of 5"));
    assert_eq!(listed_in(&hook_msgs[19..]), 181, "every summarised event is listed");
    // The Web API: the summary's rest goes in its thread, 40 events a message.
    let api = slack_api.accepted();
    assert_eq!(api.len(), 19 + 5, "{}", api.len());
    let summary_ts = "1700000000.001020";
    for reply in &api[20..] {
        assert_eq!(reply.json()["thread_ts"], summary_ts);
    }
    let listed: usize = api[19..]
        .iter()
        .flat_map(|r| r.json()["blocks"].as_array().unwrap().clone())
        .map(|b| b["text"]["text"].as_str().unwrap_or("").matches("unmanaged aws_instance").count())
        .sum();
    assert_eq!(listed, 181, "every summarised event is listed in the thread");
    // Digest mode: every event in a digest of 5 parts.
    let digest_msgs = digest_hook.accepted();
    assert_eq!(digest_msgs.len(), 5);
    assert_eq!(listed_in(&digest_msgs), 200);
}

fn faults_then_recovery_deliver_everything_once(backend: Backend) {
    let hook = receiver::webhook();
    let fleet = Fleet::on(backend);
    fleet.config(&format!(
        r#"
{FAST_OUTBOX}
[[notify]]
kind = "webhook"
url_env = "HOOK_URL"
secret_env = "HOOK_SECRET"
"#
    ));
    hook.fail_next([
        Fault::Status(500),
        Fault::RateLimit(1),
        Fault::Hang(Duration::from_secs(3)),
        Fault::Reset,
        Fault::Reset,
        Fault::Status(503),
    ]);
    // The demo's drift: 14 findings.
    std::fs::copy(root().join("testdata/demo/live.json"), fleet.path().join("live.json")).unwrap();
    let run = fleet.check(&env_for(&hook));
    ok(&run, 1);
    assert!(run.stderr.contains("14 sent"), "{}", run.stderr);
    let accepted = hook.accepted();
    assert_eq!(accepted.len(), 14);
    let ids: std::collections::HashSet<String> =
        accepted.iter().map(|r| r.json()["finding"]["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids.len(), 14, "each finding once");
    assert!(accepted.iter().all(|r| r.json()["event"] == "new"));
    // Retry-After was honoured: the try after the 429 came a second later.
    let received = hook.received();
    assert_eq!(received.len(), 14 + 6);
    let gap = received[2].at.duration_since(received[1].at);
    assert!(gap >= Duration::from_millis(950), "retried {gap:?} after a 429 with Retry-After: 1");
    // And the same scan again sends nothing.
    hook.clear();
    ok(&fleet.check(&env_for(&hook)), 1);
    assert!(hook.received().is_empty());
}

fn sigkill_during_delivery_loses_nothing(backend: Backend) {
    let hook = receiver::webhook();
    let fleet = Fleet::on(backend);
    fleet.config(&format!(
        r#"
{FAST_OUTBOX}
[[notify]]
kind = "webhook"
url_env = "HOOK_URL"
secret_env = "HOOK_SECRET"
"#
    ));
    std::fs::copy(root().join("testdata/demo/live.json"), fleet.path().join("live.json")).unwrap();
    // The third message is processed by the receiver, whose answer comes too late: the
    // sender is killed while waiting for it.
    hook.fail_next([
        Fault::AcceptSlowly(Duration::ZERO),
        Fault::AcceptSlowly(Duration::ZERO),
        Fault::AcceptSlowly(Duration::from_secs(30)),
    ]);
    let bin = assert_cmd::cargo::cargo_bin("driftd");
    let state = abs_demo_state();
    let mut child = std::process::Command::new(bin)
        .current_dir(fleet.path())
        .args(["check", "--config", "driftd.toml", "--notify", "--state", &state, "--provider", "snapshot:live.json"])
        .envs(common::LOOPBACK_ENV.iter().copied())
        .envs(env_for(&hook))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while hook.received().len() < 3 {
        assert!(std::time::Instant::now() < deadline, "the receiver never got the third message");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SIGKILL: no cleanup, no flush.
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(hook.accepted().len(), 3);
    if backend == Backend::Postgres {
        // A shared store: the killed process held the notifier's queue; the next process
        // takes it over once that lease lapses.
        std::thread::sleep(common::postgres::LEASE_TIME + Duration::from_millis(500));
    }

    // Restarted: the same scan has no new transitions, and the outbox delivers the rest.
    let run = fleet.check(&env_for(&hook));
    ok(&run, 1);
    assert!(run.stderr.contains("0 new") && run.stderr.contains("12 sent"), "{}", run.stderr);
    let accepted: Vec<Value> = hook.accepted().iter().map(Request::json).collect();
    let mut by_id: std::collections::BTreeMap<String, usize> = Default::default();
    for a in &accepted {
        *by_id.entry(a["id"].as_str().unwrap().to_string()).or_default() += 1;
    }
    let findings: std::collections::HashSet<&str> =
        accepted.iter().map(|a| a["finding"]["id"].as_str().unwrap()).collect();
    assert_eq!(findings.len(), 14, "every notification arrived");
    // The one duplicate allowed: the message the receiver accepted just before the kill.
    let dups: Vec<&String> = by_id.iter().filter(|(_, n)| **n > 1).map(|(id, _)| id).collect();
    assert_eq!(dups, [accepted[2]["id"].as_str().unwrap()], "only the in-flight message is sent twice");
    assert_eq!(accepted.len(), 15);
}

fn dead_letters_are_listed_and_retried(backend: Backend) {
    let hook = receiver::webhook();
    let fleet = Fleet::on(backend);
    fleet.config(
        r#"
[outbox]
initial_backoff = "50ms"
max_backoff = "100ms"
max_attempts = 3
deliver_for = "20s"
[[notify]]
kind = "webhook"
url_env = "HOOK_URL"
"#,
    );
    // 400 is final at once; the other message fails three times (500), then is dead.
    hook.fail_next([Fault::Status(400)]);
    fleet.live(|v| {
        set_type(v, "trainer-1", "p5.48xlarge");
        set_type(v, "trainer-2", "p5.48xlarge");
    });
    hook.fail_next([Fault::Status(500), Fault::Status(500), Fault::Status(500)]);
    let env = env_for(&hook);
    let run = fleet.check(&env);
    ok(&run, 1);
    assert!(run.stderr.contains("2 dead-lettered"), "{}", run.stderr);
    assert_eq!(hook.accepted().len(), 0);

    let list = driftd_env(fleet.path(), &["outbox", "list", "--config", "driftd.toml"], &env);
    ok(&list, 0);
    assert_eq!(list.stdout.lines().filter(|l| l.contains(" dead ")).count(), 2, "{}", list.stdout);
    assert!(list.stdout.contains("HTTP 400") && list.stdout.contains("HTTP 500"), "{}", list.stdout);
    assert!(!list.stdout.contains(&hook.url), "the webhook URL is a secret: {}", list.stdout);

    let retry = driftd_env(fleet.path(), &["outbox", "retry", "--config", "driftd.toml"], &env);
    ok(&retry, 0);
    assert!(retry.stderr.contains("2 dead letters re-queued") && retry.stderr.contains("2 sent"), "{}", retry.stderr);
    assert_eq!(hook.accepted().len(), 2);
    let list = driftd_env(fleet.path(), &["outbox", "list", "--config", "driftd.toml"], &env);
    assert!(list.stdout.contains("(no undelivered messages)"), "{}", list.stdout);
}

/// A receiver that refuses every message about one finding: the other findings' messages
/// are delivered all the same, the refused one stays pending (listed as such) and goes
/// out once the receiver takes it.
fn one_findings_failing_message_does_not_hold_up_the_others(backend: Backend) {
    let refuse = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let refusing = refuse.clone();
    let hook = receiver::Receiver::start(move |req| {
        let about = req.json()["finding"]["resource"]["name"].as_str().unwrap_or("").to_string();
        if about == "trainer-1" && refusing.load(std::sync::atomic::Ordering::SeqCst) {
            receiver::Reply::new(503, "busy")
        } else {
            receiver::Reply::new(200, "ok")
        }
    });
    let fleet = Fleet::on(backend);
    fleet.config(
        r#"
[outbox]
initial_backoff = "100ms"
max_backoff = "200ms"
max_attempts = 1000
deliver_for = "2s"
[[notify]]
kind = "webhook"
url_env = "HOOK_URL"
"#,
    );
    // trainer-1 is the most expensive change, so its message is the first in the queue.
    fleet.live(|v| {
        set_type(v, "trainer-1", "p5en.48xlarge");
        set_type(v, "trainer-2", "g5.xlarge");
        set_type(v, "trainer-3", "g5.xlarge");
    });
    let env = env_for(&hook);
    let run = fleet.check(&env);
    ok(&run, 1);
    let names = |r: &Receiver| -> Vec<String> {
        let mut n: Vec<String> = r
            .accepted()
            .iter()
            .map(|q| q.json()["finding"]["resource"]["name"].as_str().unwrap().to_string())
            .collect();
        n.sort();
        n
    };
    assert_eq!(names(&hook), ["trainer-2", "trainer-3"], "{}", run.stderr);
    assert!(run.stderr.contains("2 sent, 1 still queued"), "{}", run.stderr);
    let list = driftd_env(fleet.path(), &["outbox", "list", "--config", "driftd.toml"], &env);
    ok(&list, 0);
    let pending: Vec<&str> = list.stdout.lines().filter(|l| l.contains(" pending ")).collect();
    assert_eq!(pending.len(), 1, "{}", list.stdout);
    assert!(pending[0].contains("HTTP 503"), "{}", list.stdout);
    let sent = driftd_env(fleet.path(), &["outbox", "list", "--config", "driftd.toml", "--status", "sent"], &env);
    assert_eq!(sent.stdout.lines().filter(|l| l.contains(" sent ")).count(), 2, "{}", sent.stdout);

    refuse.store(false, std::sync::atomic::Ordering::SeqCst);
    ok(&fleet.check(&env), 1);
    assert_eq!(names(&hook), ["trainer-1", "trainer-2", "trainer-3"]);
}

/// `check --notify` stops delivering at `deliver_for`, a request in flight included: a
/// receiver that never answers does not keep the check waiting for `request_timeout`.
#[test]
fn check_notify_ends_delivery_at_deliver_for_and_says_what_is_left() {
    let hook = receiver::webhook();
    let fleet = Fleet::new();
    fleet.config(
        r#"
[outbox]
request_timeout = "60s"
deliver_for = "2s"
[[notify]]
kind = "webhook"
url_env = "HOOK_URL"
"#,
    );
    hook.fail_next([Fault::Hang(Duration::from_secs(90))]);
    fleet.live(|v| set_type(v, "trainer-1", "p5.48xlarge"));
    let started = std::time::Instant::now();
    let run = fleet.check(&fleet_env(&hook));
    let took = started.elapsed();
    ok(&run, 1);
    // Well short of the 60 s request timeout: delivery gave up at its 2 s budget.
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(run.stderr.contains("0 sent, 1 still queued"), "{}", run.stderr);
}

fn fleet_env(hook: &Receiver) -> Vec<(&'static str, String)> {
    env_for(hook)
}

/// Alert fatigue, measured: over 20 scripted scans, messages = transitions.
fn twenty_scans_send_one_message_per_transition(backend: Backend) {
    let hook = receiver::webhook();
    let slack = receiver::slack_webhook();
    let fleet = Fleet::on(backend);
    fleet.config(&format!(
        r#"
{FAST_OUTBOX}
[[notify]]
kind = "webhook"
url_env = "HOOK_URL"
[[notify]]
kind = "slack"
url_env = "SLACK_HOOK"
"#
    ));
    let mut env = env_for(&hook);
    env.push(("SLACK_HOOK", format!("{}/services/x", slack.url)));
    // Which trainers are resized to what, scan by scan: drift appears, changes, stays,
    // resolves and comes back.
    let trainers = ["trainer-0", "trainer-1", "trainer-2", "trainer-3", "trainer-4", "trainer-5"];
    let sizes = ["p5.48xlarge", "p5en.48xlarge", "p4de.24xlarge"];
    let script: Vec<Vec<Option<&str>>> = (0..20)
        .map(|scan: usize| {
            trainers
                .iter()
                .enumerate()
                .map(|(i, _)| {
                    let phase = (scan + i * 3) % 9;
                    match phase {
                        0..=2 => None,
                        3..=5 => Some(sizes[i % 3]),
                        6 => Some(sizes[(i + 1) % 3]),
                        _ => Some(sizes[(i + 1) % 3]),
                    }
                })
                .collect()
        })
        .collect();
    let mut expected = 0;
    let mut before: Vec<Option<&str>> = vec![None; trainers.len()];
    for (n, now) in script.iter().enumerate() {
        let transitions = before.iter().zip(now).filter(|(a, b)| a != b).count();
        expected += transitions;
        fleet.live(|v| {
            for (t, size) in trainers.iter().zip(now) {
                if let Some(s) = size {
                    set_type(v, t, s);
                }
            }
        });
        let run = fleet.check(&env);
        assert!(run.code == 0 || run.code == 1, "scan {n}: {}", run.stderr);
        before = now.clone();
    }
    assert!(expected >= 30, "the script moves enough: {expected}");
    assert_eq!(hook.accepted().len(), expected, "webhook messages = transitions");
    assert_eq!(slack.accepted().len(), expected, "Slack messages = transitions");
    let kinds: std::collections::BTreeSet<String> = events(&hook).into_iter().collect();
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), ["changed", "new", "resolved"]);
}

fn scan_failures_are_their_own_events_and_resolve_nothing(backend: Backend) {
    let hook = receiver::webhook();
    let fleet = Fleet::on(backend);
    fleet.config(&format!(
        r#"
{FAST_OUTBOX}
[store]
scope = "demo"
[[notify]]
kind = "webhook"
url_env = "HOOK_URL"
"#
    ));
    let env = env_for(&hook);
    fleet.live(|v| set_type(v, "trainer-1", "p5.48xlarge"));
    ok(&fleet.check(&env), 1);
    // The snapshot cannot be read twice in a row: one scan_failed, nothing resolved.
    std::fs::write(fleet.path().join("live.json"), "{\"schema\": \"driftd.snapshot/v1\", \"scans\": [").unwrap();
    let run = fleet.check(&env);
    assert_eq!(run.code, 2, "{}", run.stderr);
    ok(&fleet.check(&env), 2);
    // Back: scan_recovered, and the drift is still the same open finding (no new, no resolved).
    fleet.live(|v| set_type(v, "trainer-1", "p5.48xlarge"));
    ok(&fleet.check(&env), 1);
    assert_eq!(events(&hook), ["new", "scan_failed", "scan_recovered"]);
    let failed = &hook.accepted()[1].json();
    assert!(failed["error"].as_str().unwrap().contains("live.json"), "{failed}");
    assert_eq!(failed["scope"], "demo");
}

/// Without `[store] scope` or `--scope`, a check's history is keyed by what it compared:
/// the state's lineage and the accounts and regions scanned, not the spelling of the
/// state's path or the snapshot's file name; a check that fails before comparing records
/// its failure where the same arguments went before.
#[test]
fn the_default_scope_is_what_was_compared_not_how_it_was_spelled() {
    let hook = receiver::webhook();
    let fleet = Fleet::new();
    fleet.config(&format!(
        r#"
{FAST_OUTBOX}
[store]
path = "driftd.db"
[[notify]]
kind = "webhook"
url_env = "HOOK_URL"
"#
    ));
    let env = env_for(&hook);
    std::fs::copy(root().join(common::DEMO_STATE), fleet.path().join("state.tfstate")).unwrap();
    let check = |state: &str, live: &str| {
        let provider = format!("snapshot:{live}");
        driftd_env(
            fleet.path(),
            &[
                "check",
                "--config",
                "driftd.toml",
                "--notify",
                "--state",
                state,
                "--provider",
                &provider,
                "--format",
                "json",
            ],
            &env,
        )
    };
    fleet.live(|v| set_type(v, "trainer-1", "p5.48xlarge"));
    let first = check("state.tfstate", "live.json");
    ok(&first, 1);
    assert!(first.stderr.contains("1 new, 0 changed, 0 resolved"), "{}", first.stderr);
    // The same fleet: the state spelled another way, the snapshot under another name.
    std::fs::copy(fleet.path().join("live.json"), fleet.path().join("tuesday.json")).unwrap();
    let again = check("./state.tfstate", "tuesday.json");
    ok(&again, 1);
    assert!(again.stderr.contains("0 new, 0 changed, 0 resolved"), "{}", again.stderr);
    // The snapshot breaks: the failure is recorded under the same scope.
    std::fs::write(fleet.path().join("tuesday.json"), "{\"schema\": \"driftd.snapshot/v1\", \"scans\": [").unwrap();
    assert_eq!(check("./state.tfstate", "tuesday.json").code, 2);
    // Back in sync under a third spelling: the drift resolves.
    fleet.live(|_| {});
    let state = fleet.path().join("state.tfstate").display().to_string();
    let synced = check(&state, "./live.json");
    ok(&synced, 0);
    assert!(synced.stderr.contains("0 new, 0 changed, 1 resolved"), "{}", synced.stderr);

    let bodies: Vec<Value> = hook.accepted().iter().map(Request::json).collect();
    let kinds: Vec<&str> = bodies.iter().map(|b| b["event"].as_str().unwrap()).collect();
    assert_eq!(kinds[..2], ["new", "scan_failed"], "{kinds:?}");
    assert_eq!(kinds.len(), 4, "{kinds:?}");
    assert!(kinds[2..].contains(&"scan_recovered") && kinds[2..].contains(&"resolved"), "{kinds:?}");
    let scope = bodies[0]["scope"].as_str().unwrap();
    let lineage = serde_json::from_str::<Value>(&std::fs::read_to_string(root().join(common::DEMO_STATE)).unwrap())
        .unwrap()["lineage"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(scope.starts_with(&format!("declared: lineage {lineage}; live: ")), "{scope}");
    assert!(scope.contains("aws 123456789012/us-east-1") && scope.contains("aws 123456789012/us-west-2"), "{scope}");
    assert!(!scope.contains("json") && !scope.contains("tfstate"), "no file name in {scope}");
    for b in &bodies {
        assert_eq!(b["scope"], scope, "{b}");
    }

    // `--scope` names it outright.
    let named = driftd_env(
        fleet.path(),
        &[
            "check",
            "--config",
            "driftd.toml",
            "--notify",
            "--scope",
            "prod-gpu",
            "--state",
            "state.tfstate",
            "--provider",
            "snapshot:live.json",
        ],
        &env,
    );
    assert_eq!(named.code, 0, "{}", named.stderr);
    assert!(named.stderr.contains("in \"prod-gpu\""), "{}", named.stderr);
}

fn filters_pick_what_each_notifier_hears(backend: Backend) {
    let serving = receiver::webhook();
    let high_changed = receiver::webhook();
    let fleet = Fleet::on(backend);
    fleet.config(&format!(
        r#"
{FAST_OUTBOX}
[[notify]]
name = "serving"
kind = "webhook"
url_env = "SERVING_URL"
tags = {{ team = "serving" }}
[[notify]]
name = "high-changed"
kind = "webhook"
url_env = "HIGH_URL"
min_severity = "high"
kinds = ["changed"]
accounts = ["123456789012"]
types = ["aws_instance"]
"#
    ));
    let env = vec![("SERVING_URL", format!("{}/s", serving.url)), ("HIGH_URL", format!("{}/h", high_changed.url))];
    std::fs::copy(root().join("testdata/demo/live.json"), fleet.path().join("live.json")).unwrap();
    let run = fleet.check(&env);
    ok(&run, 1);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    // What each should hear, from the report itself and the live tags.
    let want_high: std::collections::BTreeSet<&str> = findings
        .iter()
        .filter(|f| {
            f["kind"] == "changed"
                && f["severity"] == "high"
                && f["resource"]["type"] == "aws_instance"
                && f["resource"]["account"] == "123456789012"
        })
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    let got_high: std::collections::BTreeSet<String> =
        high_changed.accepted().iter().map(|r| r.json()["finding"]["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(got_high.iter().map(String::as_str).collect::<std::collections::BTreeSet<_>>(), want_high);
    assert!(want_high.len() >= 3);
    let got_serving: Vec<Value> = serving.accepted().iter().map(Request::json).collect();
    assert!(!got_serving.is_empty());
    let live: Value = serde_json::from_str(&std::fs::read_to_string(fleet.path().join("live.json")).unwrap()).unwrap();
    for e in &got_serving {
        let id = e["finding"]["resource"]["id"].as_str().unwrap();
        let r = live["resources"].as_array().unwrap().iter().find(|r| r["id"] == id).unwrap();
        assert_eq!(r["attributes"]["tags"]["team"], "serving", "{id}");
    }
    assert!(got_serving.len() < findings.len());
}

#[test]
fn no_secret_reaches_logs_outbox_or_store_at_trace_level() {
    let hook = receiver::webhook();
    let slack_hook = receiver::slack_webhook();
    let teams = receiver::teams();
    let slack_api = receiver::slack_api(SLACK_TOKEN);
    let pd = receiver::pagerduty(PD_KEY);
    let (gh, _repo) = receiver::github("acme/infra", GH_TOKEN);
    let fleet = Fleet::new();
    fleet.config(&format!(
        r#"
[outbox]
initial_backoff = "50ms"
max_backoff = "100ms"
max_attempts = 2
deliver_for = "20s"
[[notify]]
kind = "webhook"
url_env = "HOOK_URL"
secret_env = "HOOK_SECRET"
[[notify]]
kind = "slack"
url_env = "SLACK_HOOK_URL"
[[notify]]
kind = "teams"
url_env = "TEAMS_URL"
[[notify]]
kind = "slack"
token_env = "SLACK_TOKEN"
channel = "C0DRIFT"
api_url = "{}/api"
[[notify]]
kind = "pagerduty"
routing_key_env = "PD_KEY"
events_url = "{}/v2/enqueue"
[[notify]]
kind = "github"
repo = "acme/infra"
token_env = "GH_TOKEN"
api_url = "{}"
"#,
        slack_api.url, pd.url, gh.url
    ));
    let hook_path_secret = "T0SECRET/B0SECRET/hookpathsecret";
    // Webhook URLs are secrets too: their paths carry the credential.
    let slack_path_secret = "services/T0SLACK/B0SLACK/slackpathsecret";
    let teams_path_secret = "workflows/teamspathsecret/triggers/manual";
    let mut env = vec![
        ("HOOK_URL", format!("{}/{hook_path_secret}", hook.url)),
        ("SLACK_HOOK_URL", format!("{}/{slack_path_secret}", slack_hook.url)),
        ("TEAMS_URL", format!("{}/{teams_path_secret}", teams.url)),
        ("HOOK_SECRET", HMAC_SECRET.to_string()),
        ("SLACK_TOKEN", SLACK_TOKEN.to_string()),
        ("PD_KEY", PD_KEY.to_string()),
        ("GH_TOKEN", GH_TOKEN.to_string()),
        ("RUST_LOG", "trace".to_string()),
    ];
    // Failures too: their errors are logged and stored.
    hook.fail_next([Fault::Status(500), Fault::Reset, Fault::Status(401)]);
    slack_hook.fail_next([Fault::Status(404)]);
    teams.fail_next([Fault::Status(500), Fault::Status(400)]);
    pd.fail_next([Fault::Status(400)]);
    fleet.live(|v| set_type(v, "trainer-1", "p5.48xlarge"));
    let run = fleet.check(&env);
    ok(&run, 1);
    assert!(run.stderr.contains("TRACE") || run.stderr.contains("DEBUG"), "trace logging is on");
    let list = driftd_env(fleet.path(), &["outbox", "list", "--config", "driftd.toml", "--status", "all"], &env);
    env.retain(|(k, _)| *k != "RUST_LOG");
    let db = std::fs::read(fleet.db()).unwrap();
    // The main file, its write-ahead log and its shared-memory index.
    let wal = std::fs::read(fleet.path().join("driftd.db-wal")).unwrap_or_default();
    let shm = std::fs::read(fleet.path().join("driftd.db-shm")).unwrap_or_default();
    let db_text =
        String::from_utf8_lossy(&db).to_string() + &String::from_utf8_lossy(&wal) + &String::from_utf8_lossy(&shm);
    let secrets = [hook_path_secret, slack_path_secret, teams_path_secret, HMAC_SECRET, SLACK_TOKEN, PD_KEY, GH_TOKEN];
    for secret in secrets {
        assert!(!run.stderr.contains(secret), "{secret} in logs");
        assert!(!run.stdout.contains(secret), "{secret} in the report");
        assert!(!list.stdout.contains(secret), "{secret} in outbox list");
        assert!(!db_text.contains(secret), "{secret} in the store");
    }
    assert!(list.stdout.contains("dead"), "{}", list.stdout);
}

#[test]
fn config_errors_exit_2_and_name_the_key_not_the_secret() {
    let fleet = Fleet::new();
    fleet.live(|_| {});
    fleet.config("[store]\npath = \"driftd.db\"\n");
    let run = fleet.check(&[]);
    common::assert_one_error(&run, 2);
    assert!(run.stderr.contains("[[notify]]"), "{}", run.stderr);

    fleet.config("[[notify]]\nkind = \"slack\"\ntoken_env = \"DRIFTD_TEST_NO_SUCH_VAR\"\nchannel = \"C1\"\n");
    let run = fleet.check(&[]);
    common::assert_one_error(&run, 2);
    assert!(run.stderr.contains("DRIFTD_TEST_NO_SUCH_VAR") && run.stderr.contains("not set"), "{}", run.stderr);
    assert!(!fleet.db().exists(), "nothing scanned or stored before the secrets are read");

    fleet.config(
        "[store]\npath = \"x.db\"\n\n[[notify]]\nkind = \"pagerduty\"\nrouting_key_env = \"K\"\nseverity = \"high\"\n",
    );
    let run = fleet.check(&[]);
    common::assert_one_error(&run, 2);
    assert!(run.stderr.contains("driftd.toml:4") && run.stderr.contains("severity"), "{}", run.stderr);

    fleet.live(|v| set_type(v, "trainer-1", "p5.48xlarge"));
    fleet.config("[outbox]\ndeliver_for = \"1s\"\n[[notify]]\nkind = \"webhook\"\nurl_env = \"HOOK\"\n");
    let run = fleet.check(&[("HOOK", "http://127.0.0.1:9/very-secret-path".to_string())]);
    // Unreachable receivers never change the check's result; the message stays queued.
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stderr.contains("very-secret-path"), "{}", run.stderr);
    assert!(run.stderr.contains("still queued"), "{}", run.stderr);
}

/// A notifier URL that is not an http(s) URL fails where secrets are read
/// (`config check --secrets`, and `check --notify` before scanning), naming where it came
/// from, never its value; endpoint settings that are not secrets are checked the same way.
#[test]
fn an_invalid_notifier_url_fails_when_secrets_are_read_naming_its_variable() {
    let fleet = Fleet::new();
    fleet.live(|_| {});
    fleet.config("[[notify]]\nkind = \"webhook\"\nurl_env = \"HOOK\"\n\n[[notify]]\nkind = \"slack\"\nurl_file = \"slack.url\"\n");
    std::fs::write(fleet.path().join("slack.url"), "hooks.slack.com/services/T0/B0/secret-path\n").unwrap();
    let env = [("HOOK", "ht!tp://x y/secret-path".to_string())];
    let run = driftd_env(fleet.path(), &["config", "check", "driftd.toml", "--secrets"], &env);
    common::assert_one_error(&run, 2);
    assert!(run.stderr.contains("url from env HOOK: not a valid URL"), "{}", run.stderr);
    assert!(!run.stderr.contains("secret-path"), "the URL is a secret: {}", run.stderr);
    // The first notifier fixed, the second one's file is the problem.
    let env = [("HOOK", "https://hooks.example/secret-path".to_string())];
    let run = driftd_env(fleet.path(), &["config", "check", "driftd.toml", "--secrets"], &env);
    common::assert_one_error(&run, 2);
    assert!(run.stderr.contains("slack.url: not a valid URL"), "{}", run.stderr);
    assert!(!run.stderr.contains("secret-path"), "{}", run.stderr);
    let run = fleet.check(&[("HOOK", "ht!tp://x y/secret-path".to_string())]);
    common::assert_one_error(&run, 2);
    assert!(!fleet.db().exists(), "nothing scanned or stored");

    fleet.config(
        "[[notify]]\nkind = \"pagerduty\"\nrouting_key_env = \"K\"\nevents_url = \"https://events example/v2\"\n",
    );
    let run = driftd_env(fleet.path(), &["config", "check", "driftd.toml"], &[]);
    common::assert_one_error(&run, 2);
    assert!(run.stderr.contains("events_url \"https://events example/v2\" is not a valid URL"), "{}", run.stderr);
}

/// `config check --secrets` names every secret it cannot read in one run (two notifiers
/// and the API token), each by where it was to come from.
#[test]
fn config_check_secrets_names_every_missing_secret_at_once() {
    let fleet = Fleet::new();
    fleet.config(
        "[daemon]\napi_token_file = \"no-token-here\"\n\n[[notify]]\nkind = \"webhook\"\nurl_env = \"HOOK_UNSET\"\n\n[[notify]]\nkind = \"slack\"\nurl_file = \"missing-slack.url\"\n",
    );
    let run = driftd_env(fleet.path(), &["config", "check", "driftd.toml", "--secrets"], &[]);
    common::assert_one_error(&run, 2);
    assert!(run.stderr.contains("3 problems:"), "{}", run.stderr);
    for named in ["HOOK_UNSET", "missing-slack.url", "no-token-here"] {
        assert_eq!(run.stderr.lines().filter(|l| l.contains(named)).count(), 1, "{named}: {}", run.stderr);
    }
}

/// Every key path of a JSON value, with its type: `finding.changes[].path:string`.
fn shape(v: &Value, prefix: &str, out: &mut std::collections::BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            out.insert(format!("{prefix}:object"));
            for (k, x) in m {
                shape(x, &format!("{prefix}.{k}"), out);
            }
        }
        Value::Array(a) => {
            out.insert(format!("{prefix}:array"));
            for x in a {
                shape(x, &format!("{prefix}[]"), out);
            }
        }
        Value::String(_) => drop(out.insert(format!("{prefix}:string"))),
        Value::Number(_) => drop(out.insert(format!("{prefix}:number"))),
        Value::Bool(_) => drop(out.insert(format!("{prefix}:bool"))),
        Value::Null => drop(out.insert(format!("{prefix}:null"))),
    }
}

fn shape_of(v: &Value) -> std::collections::BTreeSet<String> {
    let mut s = Default::default();
    shape(v, "", &mut s);
    s
}

/// The examples in docs/notifications.md, by name: a ```json block after `<!-- payload: NAME -->`.
fn doc_examples(doc: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = doc;
    while let Some(i) = rest.find("<!-- payload: ") {
        rest = &rest[i + 14..];
        let name = rest[..rest.find(" -->").unwrap()].to_string();
        let start = rest.find("```json\n").unwrap() + 8;
        let end = start + rest[start..].find("\n```").unwrap();
        out.push((name, rest[start..end].to_string()));
        rest = &rest[end..];
    }
    out
}

/// The payloads each receiver gets have the shapes `docs/notifications.md` shows
/// (`UPDATE_DOCS=1` rewrites the examples from a real run).
#[test]
fn payloads_match_the_shapes_in_docs() {
    let hook = receiver::webhook();
    let digest = receiver::webhook();
    let slack_hook = receiver::slack_webhook();
    let teams = receiver::teams();
    let pd = receiver::pagerduty(PD_KEY);
    let (gh, _repo) = receiver::github("acme/infra", GH_TOKEN);
    let fleet = Fleet::new();
    fleet.config(&format!(
        r#"
{FAST_OUTBOX}
[store]
scope = "prod-gpu"
[[notify]]
kind = "webhook"
url_env = "HOOK_URL"
secret_env = "HOOK_SECRET"
report_url = "https://ci.example/jobs/42/drift.html"
[[notify]]
name = "webhook-digest"
kind = "webhook"
url_env = "DIGEST_URL"
digest = true
[[notify]]
kind = "slack"
url_env = "SLACK_HOOK"
[[notify]]
kind = "teams"
url_env = "TEAMS_URL"
[[notify]]
kind = "pagerduty"
routing_key_env = "PD_KEY"
events_url = "{}/v2/enqueue"
[[notify]]
kind = "github"
repo = "acme/infra"
token_env = "GH_TOKEN"
api_url = "{}"
"#,
        pd.url, gh.url
    ));
    let mut env = env_for(&hook);
    env.push(("DIGEST_URL", format!("{}/d", digest.url)));
    env.push(("SLACK_HOOK", format!("{}/services/x", slack_hook.url)));
    env.push(("TEAMS_URL", format!("{}/workflows/x", teams.url)));
    env.push(("PD_KEY", PD_KEY.into()));
    env.push(("GH_TOKEN", GH_TOKEN.into()));
    fleet.live(|v| {
        set_type(v, "trainer-1", "p5.48xlarge");
        add_unmanaged(v, 1);
    });
    ok(&fleet.check(&env), 1);
    fleet.live(|v| {
        set_type(v, "trainer-1", "p5en.48xlarge");
        add_unmanaged(v, 1);
    });
    ok(&fleet.check(&env), 1);
    std::fs::write(fleet.path().join("live.json"), "{").unwrap();
    assert_eq!(fleet.check(&env).code, 2);
    fleet.live(|_| {});
    ok(&fleet.check(&env), 0);

    let by_event = |r: &Receiver, event: &str| -> Value {
        r.accepted().iter().map(Request::json).find(|j| j["event"] == event).unwrap_or_else(|| panic!("no {event}"))
    };
    let slack_first = |r: &Receiver, prefix: &str| -> Value {
        r.accepted()
            .iter()
            .map(Request::json)
            .find(|j| j["blocks"][0]["text"]["text"].as_str().unwrap_or("").starts_with(prefix))
            .unwrap_or_else(|| panic!("no Slack message {prefix}"))
    };
    let pd_action =
        |action: &str| pd.accepted().iter().map(Request::json).find(|j| j["event_action"] == action).unwrap();
    let gh_create = gh.accepted().iter().find(|r| r.method == "POST" && r.path.ends_with("/issues")).unwrap().json();
    let teams_new = teams.accepted()[0].json();
    let actual: Vec<(&str, Value)> = vec![
        ("webhook.new", by_event(&hook, "new")),
        ("webhook.changed", by_event(&hook, "changed")),
        ("webhook.resolved", by_event(&hook, "resolved")),
        ("webhook.scan_failed", by_event(&hook, "scan_failed")),
        ("webhook.scan_recovered", by_event(&hook, "scan_recovered")),
        ("webhook.digest", by_event(&digest, "digest")),
        ("slack.new", slack_first(&slack_hook, "New drift")),
        ("slack.scan_failed", slack_first(&slack_hook, "Scan failing")),
        ("teams.new", teams_new),
        ("pagerduty.trigger", pd_action("trigger")),
        ("pagerduty.resolve", pd_action("resolve")),
        ("github.create_issue", gh_create),
    ];
    // A new notifier kind needs its payload here (and its example in the docs).
    for kind in driftd::notify::KINDS {
        assert!(actual.iter().any(|(name, _)| name.starts_with(&format!("{kind}."))), "no {kind} payload checked");
    }
    let doc_path = root().join("docs/notifications.md");
    let mut doc = std::fs::read_to_string(&doc_path).unwrap();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        for (name, v) in &actual {
            let mut v = v.clone();
            // Secrets never go in docs: the example's key is a placeholder.
            if v.get("routing_key").is_some() {
                v["routing_key"] = json!("R0UTINGKEY0000000000000000000000");
            }
            let pretty = serde_json::to_string_pretty(&v).unwrap();
            let marker = format!("<!-- payload: {name} -->");
            let at = doc.find(&marker).unwrap_or_else(|| panic!("docs/notifications.md has no {marker}"));
            let start = at + doc[at..].find("```json\n").unwrap() + 8;
            let end = start + doc[start..].find("\n```").unwrap();
            doc.replace_range(start..end, &pretty);
        }
        std::fs::write(&doc_path, &doc).unwrap();
    }
    let mut examples = doc_examples(&doc);
    examples.sort();
    let mut actual = actual;
    actual.sort_by(|a, b| a.0.cmp(b.0));
    let names: Vec<&str> = examples.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, actual.iter().map(|(n, _)| *n).collect::<Vec<_>>(), "every payload has one example");
    for ((name, example), (_, real)) in examples.iter().zip(&actual) {
        let example: Value = serde_json::from_str(example).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (want, got) = (shape_of(&example), shape_of(real));
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{name} differs from docs/notifications.md (UPDATE_DOCS=1 to rewrite):\nin docs only: {missing:?}\nsent only: {extra:?}"
        );
    }
    assert!(!doc.contains(PD_KEY) && !doc.contains(GH_TOKEN) && !doc.contains(HMAC_SECRET));
}

#[test]
fn github_never_duplicates_and_respects_max_open_issues() {
    let (gh, repo) = receiver::github("acme/infra", GH_TOKEN);
    let fleet = Fleet::new();
    fleet.config(&format!(
        r#"
{FAST_OUTBOX}
[[notify]]
kind = "github"
repo = "acme/infra"
token_env = "GH_TOKEN"
api_url = "{}"
labels = ["driftd", "gpu"]
max_open_issues = 2
"#,
        gh.url
    ));
    let env = vec![("GH_TOKEN", GH_TOKEN.to_string())];
    let drift = |v: &mut Value, with_trainer_1: bool| {
        if with_trainer_1 {
            set_type(v, "trainer-1", "p5.48xlarge");
        }
        set_type(v, "trainer-2", "p5.48xlarge");
        set_type(v, "trainer-3", "p5.48xlarge");
    };
    fleet.live(|v| drift(v, true));
    let run = fleet.check(&env);
    ok(&run, 1);
    assert!(run.stderr.contains("2 sent, 1 skipped"), "{}", run.stderr);
    assert_eq!(repo.issues.lock().unwrap().len(), 2);
    let open =
        |repo: &receiver::GithubRepo| repo.issues.lock().unwrap().iter().filter(|i| i["state"] == "open").count();

    // The store is lost: the issues are found again by their markers, not filed twice.
    std::fs::remove_file(fleet.db()).unwrap();
    let _ = std::fs::remove_file(fleet.path().join("driftd.db-wal"));
    let _ = std::fs::remove_file(fleet.path().join("driftd.db-shm"));
    let run = fleet.check(&env);
    ok(&run, 1);
    assert_eq!(repo.issues.lock().unwrap().len(), 2, "no duplicate issue");
    assert_eq!(repo.comments.lock().unwrap().len(), 2, "the two found again got a comment");

    // trainer-1 is fixed: its issue closes; the skipped finding is filed when there is room.
    fleet.live(|v| drift(v, false));
    ok(&fleet.check(&env), 1);
    ok(&fleet.check(&env), 1);
    let issues = repo.issues.lock().unwrap().clone();
    assert_eq!(issues.len(), 3, "{issues:?}");
    assert_eq!(open(&repo), 2);
    let labels: Vec<&str> =
        issues[0]["labels"].as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(labels, ["driftd", "gpu"]);
    // Every body has exactly one marker, and markers are unique.
    let markers: std::collections::BTreeSet<String> = issues
        .iter()
        .map(|i| {
            let b = i["body"].as_str().unwrap();
            assert_eq!(b.matches("<!-- driftd:finding:").count(), 1);
            b[b.find("<!-- driftd:finding:").unwrap()..].lines().next().unwrap().to_string()
        })
        .collect();
    assert_eq!(markers.len(), 3);
    assert!(gh.rejected().is_empty(), "{:?}", gh.rejected().iter().map(|r| &r.1).collect::<Vec<_>>());
}

/// `issue_per = "resource"`: two findings of one instance share one issue, which closes
/// only when both are resolved.
#[test]
fn github_issue_per_resource_closes_when_the_last_finding_resolves() {
    let (gh, repo) = receiver::github("acme/infra", GH_TOKEN);
    let fleet = Fleet::new();
    fleet.config(&format!(
        r#"
{FAST_OUTBOX}
[[notify]]
kind = "github"
repo = "acme/infra"
token_env = "GH_TOKEN"
api_url = "{}"
issue_per = "resource"
"#,
        gh.url
    ));
    let env = vec![("GH_TOKEN", GH_TOKEN.to_string())];
    // IMDSv1 on trainer-1: a changed attribute and a policy violation, one resource.
    let imdsv1 = |v: &mut Value| {
        resource(v, "trainer-1")["attributes"]["metadata_options"][0]["http_tokens"] = json!("optional")
    };
    fleet.live(|v| {
        imdsv1(v);
        set_type(v, "trainer-2", "p5.48xlarge");
    });
    let run = fleet.check(&env);
    ok(&run, 1);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let on_trainer_1 =
        report["findings"].as_array().unwrap().iter().filter(|f| f["resource"]["id"] == "i-0334f4275ea84ffff").count();
    assert!(on_trainer_1 >= 2, "the scenario has two findings on one instance: {on_trainer_1}");
    let issues = repo.issues.lock().unwrap().clone();
    assert_eq!(issues.len(), 2, "one issue per resource: {issues:?}");
    assert!(issues
        .iter()
        .any(|i| i["body"].as_str().unwrap().contains("<!-- driftd:resource:aws_instance:i-0334f4275ea84ffff -->")));
    // trainer-2 fixed: its issue closes; trainer-1's stays open.
    fleet.live(imdsv1);
    ok(&fleet.check(&env), 1);
    let state = |id: &str| {
        repo.issues
            .lock()
            .unwrap()
            .iter()
            .find(|i| i["body"].as_str().unwrap().contains(id))
            .map(|i| i["state"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(state("i-0334f4275ea84ffff"), "open");
    assert_eq!(state(":i-02d5c37a1fcb3feb0 -->"), "closed");
    // trainer-1 fixed: both of its findings resolve in one scan, and the issue closes.
    fleet.live(|_| {});
    ok(&fleet.check(&env), 0);
    assert_eq!(state("i-0334f4275ea84ffff"), "closed");
    assert_eq!(repo.issues.lock().unwrap().len(), 2, "no duplicate");
}

/// The signature verifier in docs/notifications.md, run as written (Python, headers as
/// the plain dict Python's http.server gives) against real deliveries: every delivery
/// verifies, and the same delivery with one byte of its body changed does not.
#[test]
fn the_docs_hmac_verifier_accepts_real_deliveries_and_refuses_tampered_ones() {
    let doc = std::fs::read_to_string(root().join("docs/notifications.md")).unwrap();
    let section = &doc[doc.find("### Verifying a signature").expect("the section")..];
    let start = section.find("```python\n").expect("a python block") + "```python\n".len();
    let snippet = &section[start..start + section[start..].find("```").unwrap()];
    let fleet = Fleet::new();
    std::fs::write(fleet.path().join("verify.py"), snippet).unwrap();
    let results = fleet.path().join("results.txt");
    let server = format!(
        r#"
import http.server, socketserver, sys
exec(open("verify.py").read())
SECRET = b"{HMAC_SECRET}"
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        headers = dict(self.headers)
        tampered = body[:-1] + (b"x" if body[-1:] != b"x" else b"y")
        ok, bad = verify(SECRET, headers, body), verify(SECRET, headers, tampered)
        with open("{results}", "a") as f:
            f.write(f"{{ok}} {{bad}}\n")
        self.send_response(200 if ok else 401)
        self.end_headers()
    def log_message(self, *a):
        pass
srv = socketserver.TCPServer(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
srv.serve_forever()
"#,
        results = results.display()
    );
    let mut child = std::process::Command::new("python3")
        .arg("-c")
        .arg(&server)
        .current_dir(fleet.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    let mut port = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut port).unwrap();
    let url = format!("http://127.0.0.1:{}/drift", port.trim());
    fleet.config(&format!(
        "{FAST_OUTBOX}\n[[notify]]\nkind = \"webhook\"\nurl_env = \"HOOK_URL\"\nsecret_env = \"HOOK_SECRET\"\n"
    ));
    fleet.live(|v| {
        set_type(v, "trainer-1", "p5.48xlarge");
        set_type(v, "trainer-2", "p5.48xlarge");
    });
    let run = fleet.check(&[("HOOK_URL", url), ("HOOK_SECRET", HMAC_SECRET.to_string())]);
    let _ = child.kill();
    let _ = child.wait();
    ok(&run, 1);
    assert!(run.stderr.contains("2 sent"), "{}", run.stderr);
    let lines = std::fs::read_to_string(&results).unwrap();
    assert_eq!(lines.lines().collect::<Vec<_>>(), ["True False", "True False"], "verified, tampered");
}

/// A first scan with 1,500 new findings to a webhook: the most severe go one per message,
/// the rest in a digest split into parts of at most 1,000 events, each its own message;
/// every finding reaches the receiver exactly once. A part the receiver refuses for good
/// is dead-lettered and its findings are forgotten by the notifier, so the next scan
/// offers them again.
fn a_digest_larger_than_a_message_is_split_into_parts_and_loses_nothing(backend: Backend) {
    let refuse_part_two = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let refusing = refuse_part_two.clone();
    let hook = Receiver::start(move |req: &Request| {
        let v = req.json();
        if v["event"] == "digest" && v["part"] == 2 && refusing.load(std::sync::atomic::Ordering::SeqCst) {
            receiver::Reply::new(400, "too large")
        } else {
            receiver::Reply::new(200, "ok")
        }
    });
    let fleet = Fleet::on(backend);
    fleet.config(&format!("{FAST_OUTBOX}\n[[notify]]\nkind = \"webhook\"\nurl_env = \"HOOK_URL\"\n"));
    fleet.live(|v| add_unmanaged(v, 1500));
    let run = fleet.check(&env_for(&hook));
    ok(&run, 1);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let all: std::collections::BTreeSet<String> =
        report["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_string()).collect();
    assert!(all.len() >= 1500, "{}", all.len());

    let carried = |requests: &[Request]| -> Vec<String> {
        let mut ids = Vec::new();
        for q in requests {
            let v = q.json();
            match v["event"].as_str().unwrap() {
                "digest" => ids.extend(
                    v["events"].as_array().unwrap().iter().map(|e| e["finding"]["id"].as_str().unwrap().to_string()),
                ),
                _ => ids.push(v["finding"]["id"].as_str().unwrap().to_string()),
            }
        }
        ids
    };
    let received = hook.received();
    let digests: Vec<Value> = received.iter().map(Request::json).filter(|v| v["event"] == "digest").collect();
    assert_eq!(digests.len(), 2, "two parts");
    let total = digests[0]["total"].as_u64().unwrap() as usize;
    for (i, d) in digests.iter().enumerate() {
        assert_eq!((d["part"].as_u64(), d["parts"].as_u64()), (Some(i as u64 + 1), Some(2)));
        assert!(d["events"].as_array().unwrap().len() <= 1000);
        assert_eq!(d["total"].as_u64().unwrap() as usize, total);
    }
    let mut offered = carried(&received);
    offered.sort();
    let distinct: std::collections::BTreeSet<String> = offered.iter().cloned().collect();
    assert_eq!(offered.len(), distinct.len(), "no finding twice");
    assert_eq!(distinct, all, "every finding offered");

    // Part 2 was refused for good: its findings are offered again by the next scan.
    let part_two: std::collections::BTreeSet<String> = digests[1]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["finding"]["id"].as_str().unwrap().to_string())
        .collect();
    refuse_part_two.store(false, std::sync::atomic::Ordering::SeqCst);
    hook.clear();
    let again = fleet.check(&env_for(&hook));
    ok(&again, 1);
    let reoffered: std::collections::BTreeSet<String> = carried(&hook.accepted()).into_iter().collect();
    assert_eq!(reoffered, part_two, "exactly the dead part's findings come again");
    assert!(hook.accepted().iter().all(|q| {
        let v = q.json();
        v["event"] == "new" || v["events"].as_array().is_some_and(|e| e.iter().all(|x| x["event"] == "new"))
    }));
}
