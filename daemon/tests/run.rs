//! `driftd run` end to end: against moto (drift injected into the live fleet), and on a
//! snapshot target (API, auth, metrics, reload, shutdown).

mod common;

use common::daemon::{free_port, wait_for, Daemon};
use common::fleet::*;
use common::moto::{Moto, CONFIG};
use common::receiver;
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

const TOKEN: &str = "api-token-0123456789-secret";

fn metric(text: &str, line_start: &str) -> Option<f64> {
    text.lines().find(|l| l.starts_with(line_start)).and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

fn slack_headers(r: &receiver::Receiver) -> Vec<String> {
    r.accepted().iter().map(|q| q.json()["blocks"][0]["text"]["text"].as_str().unwrap_or("").to_string()).collect()
}

/// The acceptance test: moto, a short interval, drift injected and resolved; seen in the
/// API, in /metrics and at a Slack receiver; SIGHUP with a broken config keeps the old
/// one; SIGTERM exits 0 within 10 seconds.
#[test]
fn daemon_against_moto_sees_drift_come_and_go() {
    let moto = Moto::start();
    let slack = receiver::slack_webhook();
    let dir = tempfile::tempdir().unwrap();
    let rt = rt();
    let state = rt.block_on(async {
        let conf = moto.sdk("us-east-1").await;
        let ec2 = aws_sdk_ec2::Client::new(&conf);
        let image = ami(&ec2).await;
        launch(&ec2, &image, "trainer-0", "p4d.24xlarge", "", &[("team", "ml")]).await;
        launch(&ec2, &image, "trainer-1", "p4d.24xlarge", "", &[("team", "ml")]).await;
        terraform_state(&[("us-east-1", conf)], "123456789012").await
    });
    std::fs::write(dir.path().join("prod.tfstate"), serde_json::to_vec_pretty(&state).unwrap()).unwrap();
    let port = free_port();
    let config = format!(
        r#"{CONFIG}
[daemon]
listen = "127.0.0.1:{port}"
api_token_env = "DRIFTD_API_TOKEN"
retry_after_failure = "1s"

[store]
path = "state/driftd.db"

[outbox]
initial_backoff = "200ms"

[[target]]
name = "prod-us-east-1"
interval = "2s"
state = ["prod.tfstate"]
provider = ["aws"]
region = ["us-east-1"]
no_builtin_policies = true

[[notify]]
kind = "slack"
url_env = "SLACK_URL"
"#
    );
    std::fs::write(dir.path().join("driftd.toml"), &config).unwrap();
    let mut env = moto.env();
    env.push(("SLACK_URL", format!("{}/services/T/B/secret", slack.url)));
    env.push(("DRIFTD_API_TOKEN", TOKEN.to_string()));
    let d = Daemon::start(dir.path(), "driftd.toml", port, &env);
    let auth = format!("Bearer {TOKEN}");
    let auth = [("authorization", auth.as_str())];
    wait_for(60, "ready", || (d.get("/readyz", &[]).0 == 200).then_some(()));
    assert!(d.json("/api/v1/findings", &auth)["findings"].as_array().unwrap().is_empty(), "in sync at first");

    // Drift: a p5.48xlarge launched by hand.
    let shadow = rt.block_on(async {
        let conf = moto.sdk("us-east-1").await;
        let ec2 = aws_sdk_ec2::Client::new(&conf);
        let image = ami(&ec2).await;
        launch(&ec2, &image, "shadow-h100", "p5.48xlarge", "", &[]).await
    });
    let found = wait_for(60, "the unmanaged instance in the API", || {
        let v = d.json("/api/v1/findings?kind=unmanaged", &auth);
        v["findings"].as_array().unwrap().iter().find(|f| f["finding"]["resource"]["id"] == shadow.as_str()).cloned()
    });
    assert_eq!(found["target"], "prod-us-east-1");
    assert_eq!(found["finding"]["severity"], "high");
    wait_for(30, "the finding in /metrics", || {
        let m = d.get("/metrics", &[]).1;
        (metric(&m, r#"driftd_findings{target="prod-us-east-1",kind="unmanaged",severity="high"}"#) == Some(1.0))
            .then_some(())
    });
    wait_for(30, "the Slack message", || {
        slack_headers(&slack).iter().any(|h| h.starts_with("New drift: unmanaged")).then_some(())
    });

    // SIGHUP with a broken config: refused, the old one keeps scanning.
    std::fs::write(dir.path().join("driftd.toml"), "[[target]]\nname = \"x\"\ninterval = \"soon\"\n").unwrap();
    d.signal("HUP");
    wait_for(20, "the refusal in the log", || d.log().contains("configuration reload refused").then_some(()));
    let scans_before = d.json("/api/v1/scans?limit=1", &auth)["scans"][0]["id"].as_i64().unwrap();
    wait_for(30, "a scan under the old config", || {
        (d.json("/api/v1/scans?limit=1", &auth)["scans"][0]["id"].as_i64().unwrap() > scans_before).then_some(())
    });
    std::fs::write(dir.path().join("driftd.toml"), &config).unwrap();

    // Resolved: the instance is terminated.
    rt.block_on(async {
        let conf = moto.sdk("us-east-1").await;
        aws_sdk_ec2::Client::new(&conf).terminate_instances().instance_ids(&shadow).send().await.unwrap();
    });
    wait_for(60, "the resolution at Slack", || {
        slack_headers(&slack).iter().any(|h| h.starts_with("Resolved")).then_some(())
    });
    let resolved = d.json("/api/v1/findings?status=resolved", &auth);
    assert_eq!(resolved["findings"].as_array().unwrap().len(), 1);
    assert!(d.json("/api/v1/findings", &auth)["findings"].as_array().unwrap().is_empty());
    let m = d.get("/metrics", &[]).1;
    assert_eq!(metric(&m, r#"driftd_findings{target="prod-us-east-1",kind="unmanaged",severity="high"}"#), Some(0.0));
    assert!(metric(&m, r#"driftd_notifications_sent_total{notifier="slack"}"#).unwrap() >= 2.0, "{m}");
    assert!(metric(&m, r#"driftd_scans_total{target="prod-us-east-1",outcome="ok"}"#).unwrap() >= 3.0);
    assert!(metric(&m, r#"driftd_provider_api_calls_total{provider="aws"}"#).unwrap() > 0.0);
    assert!(m.contains("driftd_scan_duration_seconds_bucket"), "{m}");
    assert!(metric(&m, r#"driftd_last_successful_scan_timestamp_seconds{target="prod-us-east-1"}"#).unwrap() > 1.7e9);

    let log = d.log();
    let (code, took) = d.terminate(10);
    assert_eq!(code, 0, "{log}");
    assert!(took < Duration::from_secs(10));
    assert!(!log.contains(TOKEN) && !log.contains("/services/T/B/secret"), "a secret in the log");
    assert_eq!(slack_headers(&slack).len(), 2, "one new, one resolved: {:?}", slack_headers(&slack));
}

/// A snapshot target: the API (auth, filters, paging, trigger), readiness, reload that
/// takes, and the log format.
#[test]
fn daemon_api_auth_paging_trigger_and_reload() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    std::fs::copy(root().join("testdata/demo/live.json"), dir.path().join("live.json")).unwrap();
    let target = |name: &str, interval: &str| {
        format!(
            "[[target]]\nname = \"{name}\"\ninterval = \"{interval}\"\nstate = [\"{}\"]\nprovider = [\"snapshot:live.json\"]\n",
            abs_demo_state()
        )
    };
    let head = format!("[daemon]\nlisten = \"127.0.0.1:{port}\"\napi_token_file = \"token\"\n\n");
    std::fs::write(dir.path().join("token"), format!("{TOKEN}\n")).unwrap();
    std::fs::write(dir.path().join("driftd.toml"), format!("{head}{}", target("demo", "1h"))).unwrap();
    let d = Daemon::start(dir.path(), "driftd.toml", port, &[]);
    let auth = format!("Bearer {TOKEN}");
    let auth = [("authorization", auth.as_str())];

    // The first scan starts at once; an hour's interval means every later one is ours.
    wait_for(30, "ready", || (d.get("/readyz", &[]).0 == 200).then_some(()));
    assert_eq!(d.get("/api/v1/findings", &[]).0, 401);
    assert_eq!(d.get("/api/v1/findings", &[("authorization", "Bearer wrong")]).0, 401);
    assert_eq!(d.get("/healthz", &[]).0, 200);
    // The dashboard's pages and a finding's history need the same token; they hold the same data.
    let one = d.json("/api/v1/findings?limit=1", &auth)["findings"][0]["finding"]["id"].as_str().unwrap().to_string();
    for path in [
        "/".to_string(),
        "/teams".into(),
        "/findings".into(),
        "/scans".into(),
        format!("/finding?target=demo&id={one}"),
        format!("/api/v1/findings/history?target=demo&id={one}"),
    ] {
        assert_eq!(d.get(&path, &[]).0, 401, "{path}");
        assert_eq!(d.get(&path, &[("authorization", "Bearer wrong")]).0, 401, "{path}");
        assert_eq!(d.get(&path, &auth).0, 200, "{path}");
    }
    let all = d.json("/api/v1/findings?limit=1000", &auth);
    assert_eq!(all["findings"].as_array().unwrap().len(), 14);
    // Paging: 5 + 5 + 4, no repeats.
    let mut seen = std::collections::BTreeSet::new();
    let mut after = String::new();
    let mut pages = 0;
    loop {
        let page = d.json(&format!("/api/v1/findings?limit=5{after}"), &auth);
        for f in page["findings"].as_array().unwrap() {
            assert!(seen.insert(f["finding"]["id"].as_str().unwrap().to_string()));
        }
        pages += 1;
        match page["next"].as_i64() {
            Some(n) => after = format!("&after={n}"),
            None => break,
        }
    }
    assert_eq!((pages, seen.len()), (3, 14));
    // Filters.
    let high_changed = d.json("/api/v1/findings?severity=high&kind=changed&target=demo", &auth);
    assert_eq!(high_changed["findings"].as_array().unwrap().len(), 5);
    assert!(d.json("/api/v1/findings?target=other", &auth)["findings"].as_array().unwrap().is_empty());
    assert_eq!(d.get("/api/v1/findings?severity=urgent", &auth).0, 400);
    assert_eq!(d.get("/api/v1/findings?colour=red", &auth).0, 400);
    // Values of any case mean the same; unknown values and impossible pages are 400,
    // never an empty or a one-item page.
    let upper = d.json("/api/v1/findings?severity=HIGH&kind=Changed&target=demo", &auth);
    assert_eq!(upper["findings"], high_changed["findings"]);
    for bad in [
        "/api/v1/findings?kind=bogus",
        "/api/v1/findings?limit=0",
        "/api/v1/findings?limit=1001",
        "/api/v1/findings?after=-1",
        "/api/v1/scans?outcome=great",
        "/api/v1/scans?before=0",
        "/api/v1/scans?limit=0",
    ] {
        let (code, body) = d.get(bad, &auth);
        assert_eq!(code, 400, "{bad}: {body}");
        assert!(body.contains("\"error\""), "{bad}: {body}");
    }
    // The auth scheme is case-insensitive (RFC 7235).
    for scheme in ["bearer", "BEARER", "Bearer "] {
        let header = format!("{scheme} {TOKEN}");
        assert_eq!(d.get("/api/v1/findings?limit=1", &[("authorization", header.as_str())]).0, 200, "{scheme:?}");
    }
    assert_eq!(d.get("/api/v1/findings", &[("authorization", &format!("Basic {TOKEN}"))]).0, 401);

    // On demand: a scan now.
    assert_eq!(d.post("/api/v1/scans?target=nope", &auth).0, 404);
    let (code, body) = d.post("/api/v1/scans?target=demo", &auth);
    assert_eq!(code, 202, "{body}");
    wait_for(30, "the triggered scan", || {
        (d.json("/api/v1/scans", &auth)["scans"].as_array().unwrap().len() == 2).then_some(())
    });
    let scans = d.json("/api/v1/scans?target=demo&outcome=ok", &auth);
    assert_eq!(scans["scans"][0]["new"], 0, "the second scan sees nothing new");
    assert_eq!(scans["scans"][1]["new"], 14);

    // A reload that takes: a second target appears.
    std::fs::write(
        dir.path().join("driftd.toml"),
        format!("{head}{}\n{}", target("demo", "1h"), target("demo-2", "1h")),
    )
    .unwrap();
    d.signal("HUP");
    wait_for(30, "the second target", || {
        let v: Value = serde_json::from_str(&d.get("/readyz", &[]).1).ok()?;
        let names: Vec<&str> = v["targets"].as_array()?.iter().filter_map(|t| t["name"].as_str()).collect();
        (names == ["demo", "demo-2"] && v["ready"] == json!(true)).then_some(())
    });
    assert!(d.log().contains("configuration reloaded"));
    assert!(d.log().contains("scan{target=demo-2"), "scans carry a span with the target: {}", d.log());
    let (code, _) = d.terminate(10);
    assert_eq!(code, 0);
}

/// `[check]` holds defaults for `driftd check` only: its `policies` and
/// `no_builtin_policies` apply to `driftd check` with that config, and a daemon target
/// with the same config runs the built-in pack and not the `[check]` folder.
#[test]
fn check_section_policies_reach_driftd_check_and_never_a_daemon_target() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    std::fs::copy(root().join("testdata/demo/live.json"), dir.path().join("live.json")).unwrap();
    std::fs::create_dir(dir.path().join("extra")).unwrap();
    std::fs::write(
        dir.path().join("extra/every_instance.rego"),
        "# METADATA\n# title: Every instance\n# custom:\n#   id: CHECKONLY001\n#   severity: low\npackage extra.every\n\ndeny contains \"an instance\" if { input.type == \"aws_instance\" }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("driftd.toml"),
        format!(
            "[check]\npolicies = [\"extra\"]\nno_builtin_policies = true\n\n[daemon]\nlisten = \"127.0.0.1:{port}\"\n\n[[target]]\nname = \"demo\"\ninterval = \"1h\"\nstate = [\"{}\"]\nprovider = [\"snapshot:live.json\"]\n",
            abs_demo_state()
        ),
    )
    .unwrap();
    let policy_ids = |findings: Vec<&Value>| -> std::collections::BTreeSet<String> {
        findings.iter().filter_map(|f| f["policy"]["id"].as_str().map(str::to_string)).collect()
    };

    let run = driftd_in(
        dir.path(),
        &[
            "check",
            "--config",
            "driftd.toml",
            "--state",
            &abs_demo_state(),
            "--provider",
            "snapshot:live.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let checked = policy_ids(report["findings"].as_array().unwrap().iter().collect());
    assert_eq!(checked, ["CHECKONLY001".to_string()].into(), "driftd check runs [check] policies, not the pack");

    let d = Daemon::start(dir.path(), "driftd.toml", port, &[]);
    wait_for(30, "the first scan", || (d.get("/readyz", &[]).0 == 200).then_some(()));
    let all = d.json("/api/v1/findings?limit=1000", &[]);
    let scanned = policy_ids(all["findings"].as_array().unwrap().iter().map(|f| &f["finding"]).collect());
    assert!(!scanned.contains("CHECKONLY001"), "a [check] policy reached the daemon: {scanned:?}");
    assert!(scanned.iter().any(|id| id.starts_with("GPU")), "the target runs the built-in pack: {scanned:?}");
    let (code, _) = d.terminate(10);
    assert_eq!(code, 0);
}

#[test]
fn readyz_fails_while_a_target_cannot_be_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    std::fs::write(
        dir.path().join("driftd.toml"),
        format!(
            "[daemon]\nlisten = \"127.0.0.1:{port}\"\nretry_after_failure = \"1s\"\n[[target]]\nname = \"broken\"\ninterval = \"2s\"\nstate = [\"missing.tfstate\"]\nprovider = [\"none\"]\n"
        ),
    )
    .unwrap();
    let d = Daemon::start(dir.path(), "driftd.toml", port, &[]);
    wait_for(30, "failed scans in /metrics", || {
        let m = d.get("/metrics", &[]).1;
        (metric(&m, r#"driftd_scans_total{target="broken",outcome="failed"}"#)? >= 2.0).then_some(())
    });
    let (code, body) = d.get("/readyz", &[]);
    assert_eq!(code, 503, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert!(v["targets"][0]["last_error"].as_str().unwrap().contains("missing.tfstate"), "{v}");
    assert!(v["targets"][0]["consecutive_failures"].as_u64().unwrap() >= 2);
    let (code, _) = d.terminate(10);
    assert_eq!(code, 0);
}

#[test]
fn config_check_names_every_problem_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "[daemon]\nlisten = \"everywhere\"\n\n[[target]]\nname = \"a\"\ninterval = \"soon\"\nstate = [\"x\"]\n\n[[target]]\nname = \"a\"\ninterval = \"1m\"\n",
    )
    .unwrap();
    let run = driftd_in(dir.path(), &["config", "check", "bad.toml"]);
    assert_one_error(&run, 2);
    for want in [
        "bad.toml:2:",
        "line 2: daemon.listen",
        "line 6: target \"a\": interval",
        "line 10: target.name \"a\" is used twice",
        "line 9: target \"a\": give state and/or provider",
    ] {
        assert!(run.stderr.contains(want), "{want}: {}", run.stderr);
    }
    std::fs::write(dir.path().join("typo.toml"), "[[target]]\nname = \"a\"\nintervall = \"1m\"\n").unwrap();
    let run = driftd_in(dir.path(), &["config", "check", "typo.toml"]);
    assert_one_error(&run, 2);
    assert!(run.stderr.contains("typo.toml:3") && run.stderr.contains("intervall"), "{}", run.stderr);
}

/// Three independent mistakes (a misspelt key, a bad duration, a bad `fail_on`) are all
/// named in one run, each with its line and key, in line order; a misspelt required key
/// is named once, as unknown, and not again as missing.
#[test]
fn config_check_names_three_independent_mistakes_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("three.toml"),
        "[check]\nfail_on = \"sometimes\"\n\n[outbox]\ndeliver_fro = \"20s\"\n\n[[target]]\nname = \"gpu\"\ninterval = \"every hour\"\nprovider = [\"aws\"]\n\n[[target]]\nname = \"b\"\nintervall = \"1m\"\nprovider = [\"aws\"]\n",
    )
    .unwrap();
    let run = driftd_in(dir.path(), &["config", "check", "three.toml"]);
    assert_one_error(&run, 2);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(lines[0].starts_with("driftd: three.toml:2:11: 4 problems"), "{}", run.stderr);
    assert!(lines[1].starts_with("  line 2: check.fail_on: \"sometimes\" is not one of"), "{}", run.stderr);
    assert!(lines[2].starts_with("  line 5: outbox: unknown field `deliver_fro`, expected one of"), "{}", run.stderr);
    assert!(
        lines[3].starts_with("  line 9: target \"gpu\": interval: \"every hour\" is not a duration"),
        "{}",
        run.stderr
    );
    assert!(lines[4].starts_with("  line 14: target \"b\": unknown field `intervall`"), "{}", run.stderr);
    assert_eq!(lines.len(), 5, "{}", run.stderr);
}

/// The shipped configs are valid: the demo, and the complete commented example.
#[test]
fn shipped_configs_pass_config_check() {
    for file in ["deploy/demo.toml", "deploy/driftd.toml"] {
        let run = driftd(&["config", "check", file]);
        assert_eq!(run.code, 0, "{file}: {}", run.stderr);
        assert!(run.stdout.contains(": ok ("), "{}", run.stdout);
    }
}

#[test]
fn shard_flag_picks_this_replicas_targets() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut text = format!("[daemon]\nlisten = \"127.0.0.1:{port}\"\n");
    for i in 0..6 {
        text.push_str(&format!(
            "[[target]]\nname = \"account-{i}\"\ninterval = \"1h\"\nstate = [\"{}\"]\nprovider = [\"none\"]\n",
            abs_demo_state()
        ));
    }
    std::fs::write(dir.path().join("driftd.toml"), &text).unwrap();
    let mut owned = Vec::new();
    for shard in ["0/2", "1/2"] {
        let d = Daemon::start(dir.path(), "driftd.toml", port, &[("DRIFTD_SHARD", shard.to_string())]);
        let v: Value = serde_json::from_str(&d.get("/readyz", &[]).1).unwrap();
        let names: Vec<String> =
            v["targets"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_string()).collect();
        owned.push(names);
        let (code, _) = d.terminate(10);
        assert_eq!(code, 0);
    }
    let mut all: Vec<String> = owned.concat();
    all.sort();
    assert_eq!(all, (0..6).map(|i| format!("account-{i}")).collect::<Vec<_>>(), "{owned:?}");
    assert!(!owned[0].is_empty() && !owned[1].is_empty(), "{owned:?}");
}

/// `[daemon] http_timeout`: a connection that sends half a request and then nothing, or
/// stays idle after an answer, is closed by the daemon; a whole request is answered.
#[test]
fn half_sent_requests_and_idle_connections_are_closed_at_http_timeout() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    std::fs::write(
        dir.path().join("driftd.toml"),
        format!(
            "[daemon]\nlisten = \"127.0.0.1:{port}\"\nhttp_timeout = \"1s\"\n[[target]]\nname = \"demo\"\ninterval = \"1h\"\nstate = [\"{}\"]\nprovider = [\"none\"]\n",
            abs_demo_state()
        ),
    )
    .unwrap();
    let d = Daemon::start(dir.path(), "driftd.toml", port, &[]);
    // Closed: read returns end of file (or a reset) before our own 15 s limit.
    let closed_by_daemon = |mut s: std::net::TcpStream| {
        s.set_read_timeout(Some(std::time::Duration::from_secs(15))).unwrap();
        let started = std::time::Instant::now();
        let mut buf = Vec::new();
        let r = s.read_to_end(&mut buf);
        let timed_out = matches!(&r, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut);
        (!timed_out, started.elapsed(), buf)
    };
    let mut half = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").unwrap();
    let (closed, after, _) = closed_by_daemon(half);
    assert!(closed, "a half-sent request was still open after {after:?}");

    let mut idle = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let (closed, after, answer) = closed_by_daemon(idle);
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answer));
    assert!(closed, "an idle keep-alive connection was still open after {after:?}");
    let (code, _) = d.terminate(10);
    assert_eq!(code, 0);
}
