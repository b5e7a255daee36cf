//! What the daemon exports to Prometheus, checked by Prometheus' own `promtool` (Debian's
//! `prometheus` package, installed when absent): every metric has HELP text and passes
//! `promtool check metrics`; delivery counters exist at 0 per notifier from the start;
//! and the shipped alert rules (deploy/kubernetes/driftd.yaml) fire as `promtool test
//! rules` says, on series as the daemon exports them.

mod common;

use common::daemon::{free_port, wait_for, Daemon};
use common::*;
use serde_json::{json, Value};

#[test]
fn exported_metrics_pass_promtool_with_help_and_delivery_counters_at_zero() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let hook = common::receiver::webhook();
    let config = format!(
        "[daemon]\nlisten = \"127.0.0.1:{port}\"\n[store]\npath = \"driftd.db\"\n\
         [[target]]\nname = \"demo\"\ninterval = \"1h\"\nstate = [\"{state}\"]\nprovider = [\"{live}\"]\n\
         [[notify]]\nname = \"hook\"\nkind = \"webhook\"\nurl_env = \"HOOK_URL\"\nmin_severity = \"critical\"\n",
        state = root().join(DEMO_STATE).display(),
        live = abs_demo_live("live.json"),
    );
    std::fs::write(dir.path().join("driftd.toml"), config).unwrap();
    let d = Daemon::start(dir.path(), "driftd.toml", port, &[("HOOK_URL", format!("{}/hook", hook.url))]);
    wait_for(60, "the first scan", || (d.get("/readyz", &[]).0 == 200).then_some(()));
    let (code, text) = d.get("/metrics", &[]);
    assert_eq!(code, 200);

    let (ok, lint) = promtool(&["check", "metrics"], Some(&text), dir.path());
    assert!(ok && lint.trim().is_empty(), "promtool check metrics:\n{lint}\n--- exported:\n{text}");
    // Nothing was delivered or given up, and the counters say so (0, not absent).
    for metric in [
        "driftd_notifications_sent_total",
        "driftd_notifications_skipped_total",
        "driftd_notifications_failed_total",
        "driftd_notifications_dead_lettered_total",
    ] {
        let line = format!("{metric}{{notifier=\"hook\"}} 0");
        assert!(text.lines().any(|l| l == line), "no {line:?} in:\n{text}");
        assert!(text.contains(&format!("# HELP {metric} ")), "{metric} has no HELP");
    }
    assert!(text.lines().any(|l| l == "driftd_scans_total{target=\"demo\",outcome=\"failed\"} 0"), "{text}");
    let _ = d.terminate(30);
}

/// The shipped rules, as a rules file for promtool.
fn rules_file(dir: &std::path::Path) -> std::path::PathBuf {
    let docs = yaml_docs("deploy/kubernetes/driftd.yaml");
    let rule = docs.iter().find(|d| d["kind"] == "PrometheusRule").expect("a PrometheusRule");
    let path = dir.join("rules.json");
    std::fs::write(&path, rule["spec"].to_string()).unwrap();
    let (ok, text) = promtool(&["check", "rules", "rules.json"], None, dir);
    assert!(ok, "promtool check rules:\n{text}");
    path
}

#[test]
fn shipped_alert_rules_fire_on_the_series_the_daemon_exports() {
    let dir = tempfile::tempdir().unwrap();
    rules_file(dir.path());
    let alert = |name: &str, series: &str, values: &str, at: &str, fires: Value| {
        json!({
            "interval": "1m",
            "input_series": [{"series": series, "values": values}],
            "alert_rule_test": [{"eval_time": at, "alertname": name, "exp_alerts": fires}],
        })
    };
    let dead = "driftd_notifications_dead_lettered_total{notifier=\"hook\"}";
    let tests = json!({
        "rule_files": ["rules.json"],
        "evaluation_interval": "1m",
        "tests": [
            // Exported at 0 from the start, the first dead letter fires the alert.
            alert("DriftdNotificationsDeadLettered", dead, "0 0 1 1 1", "4m",
                json!([{"exp_labels": {"severity": "warning", "notifier": "hook"},
                        "exp_annotations": {
                            "summary": "driftd gave up on notifications to hook",
                            "description": "See `driftd outbox list`; `driftd outbox retry` re-sends them."}}])),
            // Why the 0 matters: a series that starts at its first increment shows no increase.
            alert("DriftdNotificationsDeadLettered", dead, "_ _ 1 1 1", "4m", json!([])),
            // Three failed scans in a row, for 5 minutes.
            alert("DriftdScansFailing", "driftd_target_consecutive_failures{target=\"demo\"}", "0 1 2 3 3 3 3 3 3 3 3", "10m",
                json!([{"exp_labels": {"severity": "warning", "target": "demo"},
                        "exp_annotations": {
                            "summary": "driftd cannot scan demo",
                            "description": "Three or more scans in a row failed; /readyz lists the error."}}])),
            // With a shared store the replica that exports a target's state can change (the
            // metrics lease moved): the alert holds across the move.
            json!({
                "interval": "1m",
                "input_series": [
                    {"series": "driftd_target_consecutive_failures{target=\"demo\",pod=\"driftd-a\"}", "values": "3 3 3 3"},
                    {"series": "driftd_target_consecutive_failures{target=\"demo\",pod=\"driftd-b\"}", "values": "_ _ _ _ 3 3 3 3 3 3 3"},
                ],
                "alert_rule_test": [{"eval_time": "10m", "alertname": "DriftdScansFailing",
                    "exp_alerts": [{"exp_labels": {"severity": "warning", "target": "demo"},
                        "exp_annotations": {
                            "summary": "driftd cannot scan demo",
                            "description": "Three or more scans in a row failed; /readyz lists the error."}}]}],
            }),
        ],
    });
    std::fs::write(dir.path().join("tests.json"), tests.to_string()).unwrap();
    let (ok, text) = promtool(&["test", "rules", "tests.json"], None, dir.path());
    assert!(ok, "promtool test rules:\n{text}");
}

/// Two replicas on one PostgreSQL store: each one's `/metrics` passes promtool; the
/// fleet's series (findings, drift cost, last success, outbox) come from exactly one of
/// them, with the demo's 14 findings, so a sum over replicas is not doubled.
#[test]
fn with_a_shared_store_one_replica_exports_the_fleet_and_both_pass_promtool() {
    let url = common::postgres::Postgres::shared().fresh_database_url();
    let dir = tempfile::tempdir().unwrap();
    let replicas: Vec<Daemon> = (0..2)
        .map(|i| {
            let port = free_port();
            let config = format!(
                "[daemon]\nlisten = \"127.0.0.1:{port}\"\n[store]\nurl_env = \"DRIFTD_STORE_URL\"\nlease_time = \"3s\"\n\
                 [[target]]\nname = \"demo\"\ninterval = \"1h\"\nstate = [\"{state}\"]\nprovider = [\"{live}\"]\n",
                state = root().join(DEMO_STATE).display(),
                live = abs_demo_live("live.json"),
            );
            let sub = dir.path().join(format!("r{i}"));
            std::fs::create_dir_all(&sub).unwrap();
            std::fs::write(sub.join("driftd.toml"), config).unwrap();
            Daemon::start(&sub, "driftd.toml", port, &[("DRIFTD_STORE_URL", url.clone())])
        })
        .collect();
    for d in &replicas {
        wait_for(60, "the scan, by either replica", || (d.get("/readyz", &[]).0 == 200).then_some(()));
    }
    let texts: Vec<String> = replicas.iter().map(|d| d.get("/metrics", &[]).1).collect();
    for text in &texts {
        let (ok, lint) = promtool(&["check", "metrics"], Some(text), dir.path());
        assert!(ok && lint.trim().is_empty(), "promtool check metrics:\n{lint}\n--- exported:\n{text}");
    }
    let findings = |t: &str| -> f64 {
        t.lines()
            .filter(|l| l.starts_with("driftd_findings{target=\"demo\""))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    let exporting: Vec<&String> = texts.iter().filter(|t| t.contains("driftd_findings{")).collect();
    assert_eq!(exporting.len(), 1, "one replica exports the fleet");
    assert_eq!(texts.iter().map(|t| findings(t)).sum::<f64>(), 14.0, "the demo's findings, once");
    assert!(exporting[0].contains("driftd_last_successful_scan_timestamp_seconds{target=\"demo\"}"));
    assert!(exporting[0].lines().any(|l| l.starts_with("driftd_outbox_pending ")));
    for d in replicas {
        let log = d.log.clone();
        let (code, _) = d.terminate(30);
        let log = std::fs::read_to_string(log).unwrap_or_default();
        assert_eq!(code, 0, "SIGTERM with a shared store exits 0:\n{log}");
    }
}
