//! `driftd store migrate`: a team moves from one replica (SQLite) to many (PostgreSQL)
//! without announcing everything again.

mod common;

use common::postgres::Postgres;
use common::receiver::{self, Fault};
use common::{abs_demo_state, driftd_env, root, Run};
use serde_json::{json, Value};

const SLACK_TOKEN: &str = "xoxb-test-0123456789-secret";

fn check(dir: &std::path::Path, env: &[(&str, String)]) -> Run {
    let state = abs_demo_state();
    driftd_env(
        dir,
        &["check", "--config", "driftd.toml", "--notify", "--state", &state, "--provider", "snapshot:live.json"],
        env,
    )
}

fn config(store: &str, slack_api: &str) -> String {
    format!(
        r#"
[store]
{store}
scope = "prod"

[outbox]
initial_backoff = "100ms"
max_backoff = "200ms"
max_attempts = 50
request_timeout = "2s"
deliver_for = "3s"

[[notify]]
kind = "webhook"
url_env = "HOOK_URL"

[[notify]]
kind = "slack"
token_env = "SLACK_TOKEN"
channel = "C0DRIFT"
api_url = "{slack_api}/api"
"#
    )
}

/// A SQLite store with the demo's 14 open findings, each told to Slack (a thread each),
/// and 14 webhook messages still pending (the receiver was down), is migrated into an
/// empty PostgreSQL database. The next scan against PostgreSQL, with one finding changed:
/// Slack gets only the change, in that finding's existing thread; the webhook gets the 14
/// pending messages and the change, nothing twice. Migrating again into the now full
/// database is refused, and a missing source file is named.
#[test]
fn store_migrate_moves_history_threads_and_the_outbox_without_alerting_again() {
    let hook = receiver::webhook();
    let slack = receiver::slack_api(SLACK_TOKEN);
    let dir = tempfile::tempdir().unwrap();
    let mut live: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("testdata/demo/live.json")).unwrap()).unwrap();
    std::fs::write(dir.path().join("live.json"), serde_json::to_vec(&live).unwrap()).unwrap();
    std::fs::write(dir.path().join("driftd.toml"), config("path = \"driftd.db\"", &slack.url)).unwrap();
    let env = vec![("HOOK_URL", format!("{}/hook", hook.url)), ("SLACK_TOKEN", SLACK_TOKEN.to_string())];

    // One replica, SQLite: the webhook refuses everything during this run.
    hook.fail_next(std::iter::repeat_n(Fault::Status(503), 1000));
    let first = check(dir.path(), &env);
    assert_eq!(first.code, 1, "{}", first.stderr);
    assert!(first.stderr.contains("14 new"), "{}", first.stderr);
    let posted = slack.accepted();
    assert_eq!(posted.len(), 14, "one Slack thread per finding");
    assert!(hook.accepted().is_empty());
    hook.clear();
    hook.heal();

    // Migrate.
    let url = Postgres::shared().fresh_database_url();
    let migrate = driftd_env(
        dir.path(),
        &["store", "migrate", "--from", "driftd.db", "--to-env", "DRIFTD_STORE_URL"],
        &[("DRIFTD_STORE_URL", url.clone())],
    );
    assert_eq!(migrate.code, 0, "{}", migrate.stderr);
    assert!(migrate.stderr.contains("14 findings") && migrate.stderr.contains("28 outbox"), "{}", migrate.stderr);
    // Each finding's timeline (one `new` row each) comes along; the next scan's row for the
    // change below follows the copied ones (PostgreSQL's identity moved past them).
    assert!(migrate.stderr.contains("14 finding_events"), "{}", migrate.stderr);
    assert!(!migrate.stderr.contains(&url), "the URL (a secret) is not echoed: {}", migrate.stderr);

    // Many replicas, PostgreSQL: one finding changes.
    std::fs::write(dir.path().join("driftd.toml"), config("url_env = \"DRIFTD_STORE_URL\"", &slack.url)).unwrap();
    let drifted = live["resources"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["attributes"]["instance_type"] == "p5.48xlarge")
        .expect("a drifted instance in the demo");
    drifted["attributes"]["instance_type"] = json!("p5en.48xlarge");
    std::fs::write(dir.path().join("live.json"), serde_json::to_vec(&live).unwrap()).unwrap();
    let mut env_pg = env.clone();
    env_pg.push(("DRIFTD_STORE_URL", url.clone()));
    let second = check(dir.path(), &env_pg);
    assert_eq!(second.code, 1, "{}", second.stderr);
    assert!(second.stderr.contains("0 new") && second.stderr.contains("1 changed"), "{}", second.stderr);

    let slack_now = slack.accepted();
    assert_eq!(slack_now.len(), 15, "Slack heard only the change: {}", slack_now.len());
    let change = slack_now[14].json();
    let threads: Vec<String> = posted.iter().map(|p| p.json()["ts"].to_string()).collect();
    let thread = change["thread_ts"].as_str().expect("the change replies in a thread").to_string();
    let roots: Vec<String> = (0..14).map(|i| format!("1700000000.{:06}", 1001 + i)).collect();
    assert!(roots.contains(&thread), "the change goes to the finding's existing thread {thread}: {threads:?}");

    let webhook: Vec<Value> = hook.accepted().iter().map(|r| r.json()).collect();
    let events: Vec<&str> = webhook.iter().map(|m| m["event"].as_str().unwrap()).collect();
    assert_eq!(events.iter().filter(|e| **e == "new").count(), 14, "the pending messages, delivered: {events:?}");
    assert_eq!(events.iter().filter(|e| **e == "changed").count(), 1, "{events:?}");
    let ids: std::collections::BTreeSet<&str> = webhook.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), webhook.len(), "nothing twice");
    // In PostgreSQL: the 14 copied timeline rows, then the change's, after them.
    let database = url.rsplit('/').next().unwrap().split('?').next().unwrap();
    let rows = Postgres::shared()
        .psql(database, "SELECT event, count(*), min(seq) FROM finding_events GROUP BY event ORDER BY event")
        .unwrap();
    assert_eq!(rows.trim(), "changed|1|15\nnew|14|1", "{rows}");

    // Into a store that is not empty: refused, naming it.
    let again = driftd_env(
        dir.path(),
        &["store", "migrate", "--from", "driftd.db", "--to-env", "DRIFTD_STORE_URL"],
        &[("DRIFTD_STORE_URL", url.clone())],
    );
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(again.stderr.contains("migrate into an empty store"), "{}", again.stderr);
    let missing = driftd_env(dir.path(), &["store", "migrate", "--from", "nope.db", "--to", &url], &[]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("nope.db does not exist"), "{}", missing.stderr);
}
