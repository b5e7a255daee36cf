//! The dashboard in a real headless Chromium (Debian's `chromium`, installed when absent)
//! against `driftd run` on the demo fleet: each page loads with no console message and
//! no request of its own leaving loopback (nothing resolves beyond 127.0.0.1 either),
//! its figures equal the API's, the findings filter and sort, a finding's page shows its
//! diff, its fix with copy buttons (the one script, served by the daemon) and its
//! repository link, and a screenshot of each page is written under `target/screenshots`.

mod common;

use common::daemon::{free_port, wait_for, Daemon};
use common::*;
use serde_json::Value;
use std::path::Path;

struct Loaded {
    dom: String,
    /// Chromium's log lines of console messages (`CONSOLE(…)`): none expected.
    console: Vec<String>,
    /// URLs the page itself asked for (requests initiated by its origin).
    page_requests: Vec<String>,
}

/// Load `url` in headless Chromium; keep a screenshot as `name`.
fn load(url: &str, origin: &str, name: &str) -> Loaded {
    let profile = tempfile::tempdir().unwrap();
    let net_log = profile.path().join("net.json");
    // Console messages logged; nothing beyond loopback resolves: no request can leave it.
    let quiet = ["--enable-logging=stderr", "--v=0", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"];
    let with = |more: [String; 2]| -> Vec<String> { quiet.iter().map(|f| f.to_string()).chain(more).collect() };
    let shot = chromium::screenshot_path(&format!("dashboard-{name}"));
    chromium::run(
        url,
        profile.path(),
        &with([format!("--screenshot={}", shot.display()), "--window-size=1280,1600".into()]),
    );
    let out = chromium::run(
        url,
        profile.path(),
        &with(["--dump-dom".into(), format!("--log-net-log={}", net_log.display())]),
    );
    let console =
        String::from_utf8_lossy(&out.stderr).lines().filter(|l| l.contains("CONSOLE(")).map(str::to_string).collect();
    let log: Value = serde_json::from_str(&std::fs::read_to_string(&net_log).unwrap()).unwrap();
    let page_requests = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["params"]["initiator"].as_str() == Some(origin))
        .filter_map(|e| e["params"]["url"].as_str().map(str::to_string))
        .collect();
    Loaded { dom: String::from_utf8(out.stdout).unwrap(), console, page_requests }
}

fn data_values(dom: &str, attribute: &str) -> Vec<(String, f64)> {
    dom.split(&format!("{attribute}=\""))
        .skip(1)
        .filter_map(|rest| {
            let name = rest.split('"').next()?.to_string();
            let value = rest.split("data-value=\"").nth(1)?.split('"').next()?.parse().ok()?;
            Some((name, value))
        })
        .collect()
}

fn demo_daemon(dir: &Path) -> Daemon {
    for file in ["terraform.tfstate", "live.json"] {
        std::fs::copy(root().join("testdata/demo").join(file), dir.join(file)).unwrap();
    }
    copy_testdata("testdata/demo/infra", &dir.join("infra"));
    let port = free_port();
    let config = format!(
        "[daemon]\nlisten = \"127.0.0.1:{port}\"\nrepository_url = \"https://git.example/acme/infra/blob/main\"\n\
         [store]\npath = \"driftd.db\"\n\n[[target]]\nname = \"demo\"\n\
         state = [\"terraform.tfstate\"]\ntf = [\"infra\"]\nprovider = [\"snapshot:live.json\"]\ninterval = \"1s\"\n"
    );
    std::fs::write(dir.join("driftd.toml"), config).unwrap();
    let d = Daemon::start(dir, "driftd.toml", port, &[]);
    wait_for(60, "three scans", || {
        (d.json("/api/v1/scans?outcome=ok", &[])["scans"].as_array().map_or(0, Vec::len) >= 3).then_some(())
    });
    d
}

#[test]
fn each_page_loads_clean_in_chromium_and_shows_what_the_api_says() {
    let dir = tempfile::tempdir().unwrap();
    let d = demo_daemon(dir.path());
    let origin = d.base.clone();
    let open = d.json("/api/v1/findings?status=open&limit=1000", &[])["findings"].as_array().unwrap().clone();

    // Overview: the open findings by severity and kind, and the chart's last point, as the API has them.
    let overview = load(&format!("{origin}/"), &origin, "overview");
    let totals = data_values(&overview.dom, "data-total");
    let total = |name: &str| totals.iter().find(|(n, _)| n == name).map(|(_, v)| *v).unwrap();
    assert_eq!(total("open"), open.len() as f64);
    for sev in ["critical", "high", "medium", "low"] {
        let n = open.iter().filter(|f| f["finding"]["severity"] == sev).count();
        assert_eq!(total(sev), n as f64, "{sev}");
    }
    for kind in ["changed", "missing", "unmanaged", "violation"] {
        let n = open.iter().filter(|f| f["finding"]["kind"] == kind).count();
        assert_eq!(total(kind), n as f64, "{kind}");
    }
    let last_scan = &d.json("/api/v1/scans?outcome=ok&limit=1", &[])["scans"][0];
    for key in [
        "drift_cost_per_hour_usd",
        "unmanaged_cost_per_hour_usd",
        "orchestrated_cost_per_hour_usd",
        "idle_capacity_cost_per_hour_usd",
    ] {
        assert_eq!(total(key), last_scan[key].as_f64().unwrap(), "{key} now is the last complete scan's");
    }
    let points = overview.dom.matches("data-scan=\"").count();
    assert!(points >= 3, "a point per complete scan: {points}");
    let newest = overview
        .dom
        .split("data-scan=\"")
        .skip(1)
        .filter_map(|r| r.split('"').next()?.parse::<i64>().ok())
        .max()
        .unwrap();
    assert!(newest >= last_scan["id"].as_i64().unwrap() - 1, "the chart reaches the latest scans");
    let chart_findings: f64 = overview
        .dom
        .split(&format!("data-scan=\"{newest}\" data-findings=\""))
        .nth(1)
        .and_then(|r| r.split('"').next()?.parse().ok())
        .unwrap();
    assert_eq!(chart_findings, open.len() as f64, "the newest point is the open findings the API lists");

    // Findings: filtered by severity, sorted by cost.
    let high = load(&format!("{origin}/findings?severity=high&sort=cost"), &origin, "findings");
    let rows: Vec<&str> = high.dom.split("<tr class=\"finding\"").skip(1).collect();
    let want = open.iter().filter(|f| f["finding"]["severity"] == "high").count();
    assert_eq!(rows.len(), want);
    assert!(rows.iter().all(|r| r.contains("data-severity=\"high\"")));
    let costs: Vec<f64> =
        rows.iter().filter_map(|r| r.split("<td class=\"num\">").nth(1)?.split('<').next()?.parse().ok()).collect();
    assert_eq!(costs.len(), want);
    assert!(costs.windows(2).all(|w| w[0] >= w[1]), "costliest first: {costs:?}");

    // Filtered by team and type, as the API filters them.
    let research = load(&format!("{origin}/findings?team=research&type=aws_instance"), &origin, "findings-research");
    let api_rows = d.json("/api/v1/findings?team=research&type=aws_instance&limit=1000", &[])["findings"]
        .as_array()
        .unwrap()
        .clone();
    assert!(!api_rows.is_empty() && api_rows.iter().all(|f| f["finding"]["resource"]["team"] == "research"));
    assert_eq!(research.dom.matches("<tr class=\"finding\"").count(), api_rows.len());
    for f in &api_rows {
        assert!(research.dom.contains(&format!("data-id=\"{}\"", f["finding"]["id"].as_str().unwrap())));
    }

    // A page at a time, the next page keeps the filters (the page's HTML as served).
    let mut url = "/findings?team=research&type=aws_instance&limit=1".to_string();
    let mut paged = Vec::new();
    while paged.len() <= api_rows.len() {
        let (status, html) = d.get(&url, &[]);
        assert_eq!(status, 200, "{url}");
        paged.extend(
            html.split("<tr class=\"finding\" data-id=\"").skip(1).map(|r| r.split('"').next().unwrap().to_string()),
        );
        match html.split("rel=\"next\" href=\"").nth(1) {
            Some(rest) => url = rest.split('"').next().unwrap().replace("&amp;", "&"),
            None => break,
        }
    }
    let want: Vec<String> = api_rows.iter().map(|f| f["finding"]["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(paged.len(), want.len(), "{paged:?}");
    assert!(want.iter().all(|id| paged.contains(id)), "{paged:?} against {want:?}");

    // Sorted across pages: five a page, following each page's next link.
    let mut url = format!("{origin}/findings?sort=cost&limit=5");
    let (mut ids, mut costs) = (Vec::new(), Vec::new());
    for n in 0.. {
        let page = load(&url, &origin, &format!("findings-page-{n}"));
        for row in page.dom.split("<tr class=\"finding\"").skip(1) {
            ids.push(row.split("data-id=\"").nth(1).unwrap().split('"').next().unwrap().to_string());
            costs.push(
                row.split("<td class=\"num\">").nth(1).unwrap().split('<').next().unwrap().parse::<f64>().unwrap(),
            );
        }
        match page.dom.split("rel=\"next\" href=\"").nth(1) {
            Some(rest) => url = format!("{origin}{}", rest.split('"').next().unwrap().replace("&amp;", "&")),
            None => break,
        }
        assert!(n < 10, "paging ends");
    }
    assert_eq!(ids.len(), open.len(), "every open finding once: {ids:?}");
    let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len());
    assert!(costs.windows(2).all(|w| w[0] >= w[1]), "costliest first across pages: {costs:?}");

    // A finding: its diff, and the fix to select and copy.
    let changed = open
        .iter()
        .find(|f| {
            f["finding"]["kind"] == "changed" && f["finding"]["changes"].as_array().is_some_and(|c| !c.is_empty())
        })
        .unwrap();
    let id = changed["finding"]["id"].as_str().unwrap();
    let one = load(&format!("{origin}/finding?target=demo&id={id}"), &origin, "finding");
    assert!(one.dom.contains("<table class=\"diff\">"), "{}", one.dom);
    let first_change = &changed["finding"]["changes"][0];
    assert!(one.dom.contains(&format!("<code>{}</code>", first_change["path"].as_str().unwrap())));
    let command = changed["finding"]["remediation"]["commands"][0].as_str().unwrap();
    // The copy buttons are shown by the page's one script: it ran.
    assert!(one.dom.contains("class=\"copy\" data-copy=\"command-0\">Copy</button>"), "a shown copy button");
    // Where it is declared, linked into the repository.
    let at = &changed["finding"]["declared_at"];
    let href =
        format!("href=\"https://git.example/acme/infra/blob/main/{}#L{}\"", at["file"].as_str().unwrap(), at["line"]);
    assert!(one.dom.contains(&href), "{href} in the finding's page");
    assert!(one.dom.contains("class=\"command\"") && one.dom.contains(command), "the fix's command");

    for page in [&overview, &high, &one] {
        assert!(page.console.is_empty(), "console messages: {:?}", page.console);
        assert!(page.page_requests.iter().all(|u| u.starts_with("http://127.0.0.1:")), "{:?}", page.page_requests);
        // One script, from the daemon itself (copy buttons); nothing else.
        assert_eq!(page.dom.matches("<script").count(), 1);
        assert!(page.page_requests.iter().any(|u| u.ends_with("/assets/copy.js")), "{:?}", page.page_requests);
    }
    for name in ["overview", "findings", "finding"] {
        let png = std::fs::read(root().join(format!("target/screenshots/dashboard-{name}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{name}: {} bytes", png.len());
    }
    d.terminate(20);
}

/// 30 days of scans of a target `history`, one complete scan in each six-hour bucket until
/// seven hours ago, with figures and two teams, and now and then a partial or a failed one
/// (without figures): written into the daemon's store as scans would be. Returns how many
/// complete ones.
fn thirty_days_of_scans(db: &Path) -> usize {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    let now = jiff::Timestamp::now().as_second();
    let bucket = 6 * 3600;
    let first = (now - 30 * 86_400).div_euclid(bucket) * bucket + bucket;
    let mut n = 0;
    for i in 0.. {
        let at = first + bucket * i + 3600;
        if at > now - 7 * 3600 {
            break;
        }
        let when = jiff::Timestamp::from_second(at).unwrap().to_string();
        let x = i as f64;
        conn.execute(
            "INSERT INTO scans (scope, started_at, finished_at, outcome, findings, new, changed, resolved, replica, api_calls,
                coverage_pct, drift_cost_per_hour_usd, unmanaged_cost_per_hour_usd, orchestrated_cost_per_hour_usd,
                idle_capacity_cost_per_hour_usd) VALUES ('history', ?1, ?1, 'ok', 3, 0, 0, 0, 'generated', 12, ?2, ?3, ?4, 5.0, ?5)",
            rusqlite::params![when, 50.0 + (i % 40) as f64, 10.0 + x, 100.0 + 2.0 * x, (i % 7) as f64],
        )
        .unwrap();
        let id = conn.last_insert_rowid();
        for (outcome, every, offset, later) in [("partial", 10, 3, 600), ("failed", 25, 7, 1200)] {
            if i % every == offset {
                let when = jiff::Timestamp::from_second(at + later).unwrap().to_string();
                conn.execute(
                    "INSERT INTO scans (scope, started_at, finished_at, outcome, findings, new, changed, resolved, replica)
                     VALUES ('history', ?1, ?1, ?2, 3, 0, 0, 0, 'generated')",
                    rusqlite::params![when, outcome],
                )
                .unwrap();
            }
        }
        for (team, unmanaged) in [("ml", 60.0 + x), ("untagged", 40.0 + x)] {
            conn.execute(
                "INSERT INTO scan_teams (scan_id, scope, team, findings, drift_cost_per_hour_usd, unmanaged_cost_per_hour_usd,
                    orchestrated_cost_per_hour_usd, idle_capacity_cost_per_hour_usd) VALUES (?1, 'history', ?2, 1, 0, ?3, 0, 0)",
                rusqlite::params![id, team, unmanaged],
            )
            .unwrap();
        }
        n += 1;
        conn.execute(
            "INSERT INTO scopes (scope, last_outcome, last_ok_at) VALUES ('history', 'ok', ?1)
             ON CONFLICT (scope) DO UPDATE SET last_ok_at = ?1",
            rusqlite::params![when],
        )
        .unwrap();
    }
    n
}

/// (series, bucket) -> value of every point of the page's charts.
fn chart_points(dom: &str) -> std::collections::BTreeMap<(String, i64), f64> {
    dom.split("data-series=\"")
        .skip(1)
        .filter_map(|rest| {
            let series = rest.split('"').next()?.to_string();
            let bucket = rest.split("data-bucket=\"").nth(1)?.split('"').next()?.parse().ok()?;
            let value = rest.split("data-value=\"").nth(1)?.split('"').next()?.parse().ok()?;
            Some(((series, bucket), value))
        })
        .collect()
}

/// Over 30 days of generated scans: the overview's cost and coverage charts and the teams
/// chart show, bucket by bucket, what `/api/v1/scans` and `/api/v1/teams` return for the
/// same scans; the scans page pages through them. Screenshots of both pages are kept.
#[test]
fn the_charts_show_what_the_api_returns_over_thirty_days() {
    let dir = tempfile::tempdir().unwrap();
    let d = demo_daemon(dir.path());
    let generated = thirty_days_of_scans(&dir.path().join("driftd.db"));
    assert!(generated >= 110, "{generated} scans generated");
    let origin = d.base.clone();
    let bucket_of = |at: &str| at.parse::<jiff::Timestamp>().unwrap().as_second().div_euclid(6 * 3600) * 6 * 3600;

    let overview = load(&format!("{origin}/?days=30"), &origin, "overview-30-days");
    let points = chart_points(&overview.dom);
    let scans = d.json("/api/v1/scans?target=history&outcome=ok&limit=1000", &[])["scans"].as_array().unwrap().clone();
    assert_eq!(scans.len(), generated);
    // Scan health: the target's partial and failed scans over the 30 days, as the API lists them.
    for outcome in ["partial", "failed"] {
        let listed = d.json(&format!("/api/v1/scans?target=history&outcome={outcome}&limit=1000"), &[])["scans"]
            .as_array()
            .unwrap()
            .len();
        assert!(listed > 0, "{outcome} scans generated");
        let row = overview.dom.split("<tr data-target=\"history\">").nth(1).unwrap();
        let shown = row.split(&format!("data-{outcome}=\"")).nth(1).unwrap().split('"').next().unwrap();
        assert_eq!(shown, listed.to_string(), "{outcome} scans in the health table");
    }
    for scan in &scans {
        let b = bucket_of(scan["finished_at"].as_str().unwrap());
        for (series, key) in [
            ("drift", "drift_cost_per_hour_usd"),
            ("unmanaged", "unmanaged_cost_per_hour_usd"),
            ("orchestrated", "orchestrated_cost_per_hour_usd"),
            ("idle capacity", "idle_capacity_cost_per_hour_usd"),
            ("coverage", "coverage_pct"),
        ] {
            let shown = points.get(&(series.to_string(), b)).copied();
            assert_eq!(shown, scan[key].as_f64(), "{series} at bucket {b} (scan {})", scan["id"]);
        }
    }

    let teams_page = load(&format!("{origin}/teams?days=30"), &origin, "teams");
    let team_points = chart_points(&teams_page.dom);
    let api = d.json("/api/v1/teams?target=history&limit=1000", &[])["scans"].as_array().unwrap().clone();
    assert_eq!(api.len(), generated);
    for scan in &api {
        let b = bucket_of(scan["at"].as_str().unwrap());
        for t in scan["teams"].as_array().unwrap() {
            let spend =
                ["unmanaged_cost_per_hour_usd", "orchestrated_cost_per_hour_usd", "idle_capacity_cost_per_hour_usd"]
                    .iter()
                    .map(|k| t[k].as_f64().unwrap())
                    .sum::<f64>();
            let shown = team_points.get(&(t["name"].as_str().unwrap().to_string(), b)).copied();
            assert_eq!(shown, Some(spend), "team {} at bucket {b}", t["name"]);
        }
    }

    // Now: per team, the sum over targets of each target's last scan, as the API has them.
    let mut want: std::collections::BTreeMap<String, [f64; 5]> = Default::default();
    for target in ["demo", "history"] {
        let last = &d.json(&format!("/api/v1/teams?target={target}&limit=1"), &[])["scans"][0];
        for t in last["teams"].as_array().unwrap() {
            let sums = want.entry(t["name"].as_str().unwrap().to_string()).or_default();
            let keys = [
                "findings",
                "drift_cost_per_hour_usd",
                "unmanaged_cost_per_hour_usd",
                "orchestrated_cost_per_hour_usd",
                "idle_capacity_cost_per_hour_usd",
            ];
            for (sum, k) in sums.iter_mut().zip(keys) {
                *sum += t[k].as_f64().unwrap();
            }
        }
    }
    assert!(want.contains_key("ml") && want.contains_key("untagged"), "{want:?}");
    for (team, sums) in &want {
        let row =
            teams_page.dom.split(&format!("<tr data-team=\"{team}\">")).nth(1).unwrap().split("</tr>").next().unwrap();
        for (sum, name) in sums.iter().zip(["findings", "drift", "unmanaged", "orchestrated", "idle_capacity"]) {
            let shown: f64 =
                row.split(&format!("data-{name}=\"")).nth(1).unwrap().split('"').next().unwrap().parse().unwrap();
            assert!((shown - sum).abs() < 0.005, "team {team} {name} now: {shown} shown, {sum} from the API");
        }
    }
    assert_eq!(teams_page.dom.matches("<tr data-team=").count(), want.len(), "one row per team");

    let scans_page = load(&format!("{origin}/scans?target=history"), &origin, "scans");
    assert_eq!(scans_page.dom.matches("<tr class=\"scan\"").count(), 100, "a page of scans");
    assert!(scans_page.dom.contains("rel=\"next\""), "older scans are a link away");
    for page in [&overview, &teams_page, &scans_page] {
        assert!(page.console.is_empty(), "console messages: {:?}", page.console);
        assert!(page.page_requests.iter().all(|u| u.starts_with("http://127.0.0.1:")), "{:?}", page.page_requests);
    }
    d.terminate(20);
}

/// The demo's finding of an instance resized by hand (`instance_type` p4d.24xlarge declared,
/// p5.48xlarge live).
const RESIZED: &str = "changed-cc0c29f9609a7166";

/// Sets the instance type of the demo snapshot's p5.48xlarge instance (the file is
/// replaced whole, so that a scan never reads half of it).
fn resize_live_instance(dir: &Path, to: &str) {
    let path = dir.join("live.json");
    let mut live: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let instance = live["resources"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| {
            r["attributes"]["instance_type"] == "p5.48xlarge" || r["attributes"]["instance_type"] == "p5en.48xlarge"
        })
        .expect("the demo's resized instance");
    instance["attributes"]["instance_type"] = Value::from(to);
    std::fs::write(dir.join("live.json.new"), serde_json::to_vec(&live).unwrap()).unwrap();
    std::fs::rename(dir.join("live.json.new"), &path).unwrap();
}

/// A finding resized again by hand, then put back as declared: its page's timeline has
/// one item per row `/api/v1/findings/history` returns (found, changed, resolved, at the
/// same times), and the change says what moved.
#[test]
fn a_findings_timeline_shows_what_the_api_recorded_as_it_changed_and_resolved() {
    let dir = tempfile::tempdir().unwrap();
    let d = demo_daemon(dir.path());
    let origin = d.base.clone();
    let history = || d.json(&format!("/api/v1/findings/history?target=demo&id={RESIZED}"), &[]);
    let events_of = |h: &Value| -> Vec<String> {
        h["events"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(events_of(&history()), ["new"]);
    // Last seen as the findings list says it: the latest complete scan's, not the first's.
    wait_for(30, "the history's last seen to be the list's, after the first scan", || {
        let listed = d.json("/api/v1/findings?limit=1000", &[])["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["finding"]["id"] == RESIZED)
            .map(|f| f["last_seen"].clone());
        let h = history();
        (listed.as_ref() == Some(&h["last_seen"]) && h["last_seen"] != h["first_seen"]).then_some(())
    });

    resize_live_instance(dir.path(), "p5en.48xlarge");
    wait_for(60, "the change in the finding's history", || {
        events_of(&history()).contains(&"changed".into()).then_some(())
    });
    resize_live_instance(dir.path(), "p4d.24xlarge");
    wait_for(60, "the finding resolved", || events_of(&history()).contains(&"resolved".into()).then_some(()));
    let h = history();
    assert_eq!(events_of(&h), ["new", "changed", "resolved"]);
    let events = h["events"].as_array().unwrap();
    assert_eq!(events[0]["changes"][0]["live"], "p5.48xlarge");
    assert_eq!(events[1]["changes"][0]["live"], "p5en.48xlarge");
    assert_eq!(h["resolved_at"], events[2]["at"]);

    let page = load(&format!("{origin}/finding?target=demo&id={RESIZED}"), &origin, "finding-timeline");
    let items: Vec<(String, String)> = page
        .dom
        .split("<li data-event=\"")
        .skip(1)
        .map(|rest| {
            let event = rest.split('"').next().unwrap().to_string();
            let at = rest.split("data-at=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
            (event, at)
        })
        .collect();
    let api: Vec<(String, String)> = events
        .iter()
        .map(|e| (e["event"].as_str().unwrap().to_string(), e["at"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(items, api);
    assert!(page.dom.contains("instance_type live p5.48xlarge → p5en.48xlarge"), "{}", page.dom);
    let status = format!("<span class=\"status\">resolved <time datetime=\"{}\">", h["resolved_at"].as_str().unwrap());
    assert!(page.dom.contains(&status), "the page says it is resolved: {}", page.dom);
    assert!(page.console.is_empty(), "console messages: {:?}", page.console);
    // A finding the store does not hold: 404, named.
    let (status, body) = d.get("/api/v1/findings/history?target=demo&id=changed-nope", &[]);
    assert_eq!(status, 404);
    let error: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["error"], "no finding \"changed-nope\" in target \"demo\"", "{body}");
    d.terminate(20);
}

/// Through Playwright driving the same Chromium: every page, by keyboard, on a phone's
/// screen and in the dark scheme. The first Tab reaches a skip link that moves focus to the
/// page's main part; Tab reaches every link, field and button once, each in view and with
/// a focus ring; text keeps a contrast of at least 4.5:1 (WCAG AA) in both schemes, and
/// the dark scheme is dark; no page is wider than a 390-pixel phone. By keyboard alone the
/// findings filter by severity and sort by cost, with JavaScript on and off; a finding's
/// copy button puts its command on the clipboard, and without JavaScript the copy buttons
/// stay hidden. Screenshots in the dark and on a phone are kept.
#[test]
fn every_page_works_by_keyboard_on_a_phone_and_in_the_dark() {
    let dir = tempfile::tempdir().unwrap();
    let d = demo_daemon(dir.path());
    let origin = d.base.clone();
    let open = d.json("/api/v1/findings?status=open&limit=1000", &[])["findings"].as_array().unwrap().clone();
    let shots = chromium::screenshot_path("x").parent().unwrap().to_path_buf();
    let finding = format!("{origin}/finding?target=demo&id={RESIZED}");
    let pages = [
        ("overview", format!("{origin}/")),
        ("teams", format!("{origin}/teams")),
        ("findings", format!("{origin}/findings")),
        ("finding", finding.clone()),
        ("scans", format!("{origin}/scans")),
    ];
    let plan = serde_json::json!({
        "pages": pages.iter().map(|(name, url)| serde_json::json!({"name": format!("dashboard-{name}"), "url": url})).collect::<Vec<_>>(),
        "shots": shots,
        "filter": format!("{origin}/findings"),
        "copy": finding,
    });
    let r = playwright::pages(&plan);

    for (name, _) in &pages {
        let p = &r["pages"][format!("dashboard-{name}")];
        playwright::assert_plain(name, p, &origin);
        assert_eq!(p["tab_stops"][0]["text"], "Skip to content", "{name}: the first Tab");
        assert_eq!(p["skip"]["then"]["tag"], "main", "{name}: the skip link leads to <main>: {}", p["skip"]);
    }

    let high = open.iter().filter(|f| f["finding"]["severity"] == "high").count();
    for key in ["filter", "filter_without_script"] {
        let f = &r[key];
        assert!(f["error"].is_null(), "{key}: {f}");
        assert!(f["filtered"]["url"].as_str().unwrap().contains("severity=high"), "{key}: {f}");
        let severities = f["sorted"]["severities"].as_array().unwrap();
        assert_eq!(f["filtered"]["severities"].as_array().unwrap().len(), high, "{key}");
        assert_eq!(severities.len(), high, "{key}: the filter stays when sorting");
        assert!(severities.iter().all(|s| s == "high"), "{key}: {f}");
        assert!(f["sorted"]["url"].as_str().unwrap().contains("sort=cost"), "{key}: {f}");
        let costs: Vec<f64> = f["sorted"]["costs"].as_array().unwrap().iter().map(|c| c.as_f64().unwrap()).collect();
        assert!(costs.windows(2).all(|w| w[0] >= w[1]), "{key}: costliest first {costs:?}");
        assert_eq!(f["sorted"]["aria_sort"], serde_json::json!([["$/h", "descending"]]), "{key}");
    }

    let copy = &r["copy"];
    assert_eq!(copy["reached"], true, "{copy}");
    assert!(copy["buttons_shown"].as_array().unwrap().iter().all(|b| b == true), "{copy}");
    assert_eq!(copy["label"], "Copied");
    assert!(copy["command"].as_str().is_some_and(|c| !c.is_empty()), "{copy}");
    assert_eq!(copy["copied"], copy["command"], "the clipboard holds the command");
    let hidden = r["copy_buttons_without_script"].as_array().unwrap();
    assert!(!hidden.is_empty() && hidden.iter().all(|b| b == false), "without script: {hidden:?}");

    for (name, _) in &pages {
        for variant in ["dark", "phone"] {
            let png = std::fs::read(shots.join(format!("dashboard-{name}-{variant}.png"))).unwrap();
            assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{name}-{variant}: {} bytes", png.len());
        }
    }
    d.terminate(20);
}
