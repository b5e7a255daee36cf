//! Several replicas on one PostgreSQL store: three `driftd run` processes, six targets
//! against moto (one region each), targets leased instead of sharded.

mod common;

use common::daemon::{free_port, wait_for, Daemon};
use common::fleet::*;
use common::moto::{Moto, CONFIG};
use common::postgres::Postgres;
use common::receiver;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

const REGIONS: [&str; 6] = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1", "ap-northeast-1"];

/// One scan row as the API returns it.
#[derive(Debug, Clone)]
struct Scan {
    target: String,
    started: jiff::Timestamp,
    finished: jiff::Timestamp,
    replica: String,
}

fn scans(d: &Daemon) -> Vec<Scan> {
    let mut out = Vec::new();
    let mut before: Option<i64> = None;
    loop {
        let path = match before {
            Some(b) => format!("/api/v1/scans?limit=1000&before={b}"),
            None => "/api/v1/scans?limit=1000".to_string(),
        };
        let page = d.json(&path, &[]);
        for s in page["scans"].as_array().unwrap() {
            out.push(Scan {
                target: s["target"].as_str().unwrap().to_string(),
                started: s["started_at"].as_str().unwrap().parse().unwrap(),
                finished: s["finished_at"].as_str().unwrap().parse().unwrap(),
                replica: s["replica"].as_str().unwrap().to_string(),
            });
        }
        match page["next"].as_i64() {
            Some(n) => before = Some(n),
            None => return out,
        }
    }
}

fn finding_ids(d: &Daemon) -> BTreeSet<(String, String)> {
    let v = d.json("/api/v1/findings?limit=1000", &[]);
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["target"].as_str().unwrap().to_string(), f["finding"]["id"].as_str().unwrap().to_string()))
        .collect()
}

/// The replica (access key) and region of each regional request moto recorded, in the
/// order moto served them: each replica signs with its own access key, each target is one
/// region. Left out: STS and DescribeInstanceTypes, which every scan asks in the home
/// region (us-east-1), whatever region it reads.
fn recorded_requests(path: &std::path::Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|r| {
            let auth = r["headers"]["Authorization"].as_str().or(r["headers"]["authorization"].as_str())?.to_string();
            let credential = auth.split("Credential=").nth(1)?.split(',').next()?.to_string();
            let mut parts = credential.split('/');
            let key = parts.next()?.to_string();
            let region = parts.nth(1)?.to_string();
            let service = parts.next()?;
            use base64::Engine;
            let body = r["body"].as_str().unwrap_or("");
            let body = match r["body_encoded"].as_bool() {
                Some(true) => {
                    String::from_utf8_lossy(&base64::engine::general_purpose::STANDARD.decode(body).ok()?).into_owned()
                }
                _ => body.to_string(),
            };
            // Calls made in one home region whatever region is scanned: the account, GPU
            // facts, and prices (the Price List API answers in us-east-1).
            let home_region_lookup =
                service == "sts" || service == "pricing" || body.contains("Action=DescribeInstanceTypes");
            (key.starts_with("AKIAREPLICA") && !home_region_lookup).then_some((key, region))
        })
        .collect()
}

/// The acceptance test for shared stores. Three replicas, six targets of a 2 s interval,
/// leases of 3 s:
/// - every target is scanned on schedule, and never by two replicas at once: the scans
///   of a target do not overlap in time (scans table), and moto saw no request of one
///   replica for a region between two of another's within one scan;
/// - a replica killed with SIGKILL has its targets scanned by the others within one
///   interval plus the lease time (plus a scan's own time);
/// - a webhook receiver gets each transition (new, then resolved) exactly once;
/// - `/api/v1/findings` answers the same set on every replica, and one replica exports
///   the fleet's findings gauges.
#[test]
fn three_replicas_share_six_targets_through_leases() {
    let pg = Postgres::shared();
    let url = pg.fresh_database_url();
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("moto-requests.jsonl");
    let moto =
        Moto::start_with(&[("MOTO_ENABLE_RECORDING", "true"), ("MOTO_RECORDER_FILEPATH", recording.to_str().unwrap())]);
    let hook = receiver::webhook();
    let rt = rt();
    let state = rt.block_on(async {
        let mut confs = Vec::new();
        for region in REGIONS {
            let conf = moto.sdk(region).await;
            let ec2 = aws_sdk_ec2::Client::new(&conf);
            let image = ami(&ec2).await;
            launch(&ec2, &image, &format!("trainer-{region}"), "p4d.24xlarge", "", &[("team", "ml")]).await;
            confs.push((region, conf));
        }
        terraform_state(&confs, "123456789012").await
    });
    std::fs::write(dir.path().join("prod.tfstate"), serde_json::to_vec_pretty(&state).unwrap()).unwrap();

    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let mut replicas: Vec<Option<Daemon>> = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let mut config = format!(
            r#"{CONFIG}
[daemon]
listen = "127.0.0.1:{port}"
retry_after_failure = "1s"
max_concurrent_scans = 6

[store]
url_env = "DRIFTD_STORE_URL"
lease_time = "3s"

[outbox]
initial_backoff = "200ms"

[[notify]]
kind = "webhook"
url_env = "HOOK_URL"
"#
        );
        for region in REGIONS {
            config.push_str(&format!(
                "\n[[target]]\nname = \"prod-{region}\"\ninterval = \"2s\"\nstate = [\"prod.tfstate\"]\nprovider = [\"aws\"]\nregion = [\"{region}\"]\nno_builtin_policies = true\n"
            ));
        }
        let file = format!("replica-{i}.toml");
        std::fs::write(dir.path().join(&file), &config).unwrap();
        let mut env = moto.env();
        env.push(("DRIFTD_STORE_URL", url.clone()));
        env.push(("HOOK_URL", format!("{}/hook", hook.url)));
        env.push(("AWS_ACCESS_KEY_ID", format!("AKIAREPLICA{i}000000")));
        env.push(("HOSTNAME", format!("driftd-replica-{i}")));
        let sub = dir.path().join(format!("r{i}"));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::copy(dir.path().join(&file), sub.join(&file)).unwrap();
        std::fs::copy(dir.path().join("prod.tfstate"), sub.join("prod.tfstate")).unwrap();
        replicas.push(Some(Daemon::start(&sub, &file, *port, &env)));
    }
    let live = |replicas: &Vec<Option<Daemon>>| -> Vec<usize> { (0..3).filter(|i| replicas[*i].is_some()).collect() };
    let any = |replicas: &Vec<Option<Daemon>>| -> usize { live(replicas)[0] };

    // Every target scanned, twice, and every replica ready.
    wait_for(90, "two scans of every target", || {
        let s = scans(replicas[0].as_ref().unwrap());
        REGIONS.iter().all(|r| s.iter().filter(|x| x.target == format!("prod-{r}")).count() >= 2).then_some(())
    });
    for d in replicas.iter().flatten() {
        wait_for(30, "ready", || (d.get("/readyz", &[]).0 == 200).then_some(()));
    }

    // Drift in three regions: a p5.48xlarge launched by hand.
    let shadows: Vec<String> = rt.block_on(async {
        let mut ids = Vec::new();
        for region in &REGIONS[..3] {
            let conf = moto.sdk(region).await;
            let ec2 = aws_sdk_ec2::Client::new(&conf);
            let image = ami(&ec2).await;
            ids.push(launch(&ec2, &image, &format!("shadow-{region}"), "p5.48xlarge", "", &[]).await);
        }
        ids
    });
    wait_for(60, "three findings on every replica", || {
        replicas.iter().flatten().all(|d| finding_ids(d).len() == 3).then_some(())
    });
    let sets: Vec<_> = replicas.iter().flatten().map(finding_ids).collect();
    assert!(sets.windows(2).all(|w| w[0] == w[1]), "every replica answers the same findings: {sets:?}");
    let exporting: Vec<usize> = (0..3)
        .filter(|i| {
            let m = replicas[*i].as_ref().unwrap().get("/metrics", &[]).1;
            m.lines()
                .any(|l| l.starts_with("driftd_findings{") && l.contains("kind=\"unmanaged\",severity=\"high\"} 1"))
        })
        .collect();
    assert_eq!(exporting.len(), 1, "one replica exports the fleet's findings, not every replica");

    // SIGKILL a replica that holds a target right now.
    let victim = wait_for(30, "a replica scanning", || {
        let s = scans(replicas[0].as_ref().unwrap());
        let last = s.first()?; // newest first
        (0..3).find(|i| last.replica.starts_with(&format!("driftd-replica-{i}/")))
    });
    let killed_at = jiff::Timestamp::now();
    let mut d = replicas[victim].take().unwrap();
    d.child.kill().unwrap();
    d.child.wait().unwrap();
    let took_over = Instant::now();
    // Interval (2 s) + lease time (3 s) + a poll (0.75 s) + a scan's own time.
    wait_for(30, "every target scanned by the survivors after the kill", || {
        let s = scans(replicas[any(&replicas)].as_ref().unwrap());
        REGIONS
            .iter()
            .all(|r| {
                s.iter().any(|x| {
                    x.target == format!("prod-{r}")
                        && x.started > killed_at
                        && !x.replica.starts_with(&format!("driftd-replica-{victim}/"))
                })
            })
            .then_some(())
    });
    let takeover = took_over.elapsed();
    assert!(takeover < Duration::from_secs(12), "targets taken over after {takeover:?}");

    // Resolved: the shadows are terminated.
    rt.block_on(async {
        for (region, id) in REGIONS[..3].iter().zip(&shadows) {
            let conf = moto.sdk(region).await;
            aws_sdk_ec2::Client::new(&conf).terminate_instances().instance_ids(id).send().await.unwrap();
        }
    });
    wait_for(60, "the resolutions at the webhook", || {
        let resolved = hook.accepted().iter().filter(|r| r.json()["event"] == "resolved").count();
        (resolved >= 3).then_some(())
    });
    // A few more rounds, so that a second delivery would have happened.
    std::thread::sleep(Duration::from_secs(5));

    // Each transition exactly once across replicas.
    let mut per: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for r in hook.accepted() {
        let v = r.json();
        let key = (
            v["scope"].as_str().unwrap_or("").to_string(),
            v["finding"]["id"].as_str().unwrap_or("").to_string(),
            v["event"].as_str().unwrap().to_string(),
        );
        *per.entry(key).or_default() += 1;
    }
    assert_eq!(per.len(), 6, "three new and three resolved: {per:?}");
    assert!(per.values().all(|n| *n == 1), "each transition once: {per:?}");

    // Never two replicas on one target at once: its scans never overlap.
    let all = scans(replicas[any(&replicas)].as_ref().unwrap());
    for region in REGIONS {
        let target = format!("prod-{region}");
        let mut mine: Vec<&Scan> = all.iter().filter(|s| s.target == target).collect();
        mine.sort_by_key(|s| s.started);
        assert!(mine.len() >= 4, "{target} scanned on schedule: {} scans", mine.len());
        for w in mine.windows(2) {
            assert!(w[1].started >= w[0].finished, "{target}: scans overlap: {:?} and {:?}", w[0], w[1]);
        }
        let by: BTreeSet<&str> = mine.iter().map(|s| s.replica.split('/').next().unwrap()).collect();
        assert!(!by.is_empty());
    }
    let scanners: BTreeSet<&str> = all.iter().map(|s| s.replica.split('/').next().unwrap()).collect();
    assert!(scanners.len() >= 2, "the work is spread over replicas: {scanners:?}");

    // And moto saw it so: per region, the requests of one replica come in runs of a whole
    // scan; two replicas scanning one region at once would interleave single requests.
    let requests = recorded_requests(&recording);
    assert!(!requests.is_empty(), "moto recorded the replicas' requests");
    for region in REGIONS {
        let keys: Vec<&str> = requests.iter().filter(|(_, r)| r == region).map(|(k, _)| k.as_str()).collect();
        let mut runs: Vec<(&str, usize)> = Vec::new();
        for k in keys {
            match runs.last_mut() {
                Some((last, n)) if *last == k => *n += 1,
                _ => runs.push((k, 1)),
            }
        }
        let victim_key = format!("AKIAREPLICA{victim}000000");
        let last_of_victim = runs.iter().rposition(|(k, _)| *k == victim_key);
        let whole = runs.len().saturating_sub(1); // the last run may be a scan in flight
        for (i, (k, n)) in runs.iter().enumerate().take(whole) {
            if Some(i) == last_of_victim {
                continue; // cut short by the SIGKILL
            }
            assert!(*n >= 2, "{region}: a run of {n} request(s) from {k} between other replicas' requests: {runs:?}");
        }
    }
    drop(replicas);
}
