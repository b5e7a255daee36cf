//! `driftd check --format html` opened in a real headless Chromium (Debian's `chromium`,
//! installed by the test when absent): the page runs no script (its own
//! Content-Security-Policy forbids any, and it has none), and the totals Chromium reads
//! from it equal the JSON report's. A screenshot is written under the build directory.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;

/// The page as Chromium has it once loaded (`--dump-dom`), and a screenshot if asked.
fn chromium_dom(page: &Path, screenshot: Option<&Path>) -> String {
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}", page.display());
    if let Some(shot) = screenshot {
        chromium::run(
            &url,
            profile.path(),
            &[format!("--screenshot={}", shot.display()), "--window-size=1280,2400".into()],
        );
    }
    let dom = String::from_utf8(chromium::run(&url, profile.path(), &["--dump-dom".into()]).stdout).unwrap();
    assert!(dom.contains("</html>"), "chromium gave no page: {dom}");
    dom
}

/// `data-total="NAME" data-value="V"` of every total in the page.
fn totals(dom: &str) -> std::collections::BTreeMap<String, f64> {
    dom.split("data-total=\"")
        .skip(1)
        .filter_map(|rest| {
            let name = rest.split('"').next()?;
            let value = rest.split("data-value=\"").nth(1)?.split('"').next()?.parse().ok()?;
            Some((name.to_string(), value))
        })
        .collect()
}

fn demo(format: &str, extra: &[&str]) -> String {
    let mut args = vec!["--fail-on", "never", "--format", format];
    args.extend_from_slice(extra);
    let run = demo_check(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
}

/// Acceptance: the demo fleet's HTML report opens in Chromium with no script, and its
/// totals equal the JSON report's; a screenshot is kept for people to look at.
#[test]
fn the_html_report_opens_in_chromium_without_script_and_its_totals_equal_the_json_reports() {
    let json: Value = serde_json::from_str(&demo("json", &[])).unwrap();
    let html = demo("html", &[]);
    assert!(!html.contains("<script"), "the report carries no script");
    assert!(html.contains("Content-Security-Policy") && html.contains("default-src 'none'"));
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, &html).unwrap();
    let shot = chromium::screenshot_path("html-report-demo");
    let _ = std::fs::remove_file(&shot);
    let dom = chromium_dom(&page, Some(&shot));

    let got = totals(&dom);
    let s = &json["summary"];
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(got["findings"], findings.len() as f64);
    for key in ["managed", "in_sync", "changed", "missing", "unmanaged", "violations", "not_covered"] {
        assert_eq!(got[key], s[key].as_f64().unwrap(), "{key}");
    }
    for key in ["cost_delta_per_hour_usd", "unmanaged_cost_per_hour_usd", "idle_capacity_cost_per_hour_usd"] {
        assert!((got[key] - s[key].as_f64().unwrap()).abs() < 0.005, "{key}: {} vs {}", got[key], s[key]);
    }
    assert_eq!(dom.matches("<article class=\"finding").count(), findings.len(), "every finding is on the page");
    for f in findings {
        assert!(dom.contains(&format!("id=\"{}\"", f["id"].as_str().unwrap())), "finding {} is on the page", f["id"]);
    }
    // The bars of the team chart carry what the JSON's teams add up to.
    for t in s["teams"].as_array().unwrap() {
        let spend =
            ["unmanaged_cost_per_hour_usd", "orchestrated_cost_per_hour_usd", "idle_capacity_cost_per_hour_usd"]
                .iter()
                .map(|k| t[k].as_f64().unwrap())
                .sum::<f64>();
        let bar = format!("data-team=\"{}\" data-value=\"{spend:.2}\"", t["name"].as_str().unwrap());
        assert!(dom.contains(&bar), "team bar {bar}");
    }
    let png = std::fs::read(&shot).expect("chromium wrote the screenshot");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "a screenshot of the page: {} bytes", png.len());
}

/// A large report stays usable: past the first page (`--max-findings`) findings are
/// folded into `<details>`, all still on the page, the totals unchanged.
#[test]
fn findings_past_the_first_page_are_folded_away_not_left_out() {
    let all: Value = serde_json::from_str(&demo("json", &[])).unwrap();
    let total = all["findings"].as_array().unwrap().len();
    let html = demo("html", &["--max-findings", "5"]);
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, &html).unwrap();
    let dom = chromium_dom(&page, None);
    assert_eq!(dom.matches("data-folded=\"false\"").count(), 5);
    assert_eq!(dom.matches("data-folded=\"true\"").count(), total - 5);
    assert!(dom.contains("<details class=\"more\">"));
    assert_eq!(totals(&dom)["findings"], total as f64);
}

/// The demo's report through Playwright in the same Chromium: readable in the light and
/// the dark scheme (contrast at least 4.5:1), no wider than a 390-pixel phone, and every
/// folded group and link reached by Tab, with a focus ring (`playwright::assert_plain`).
/// Screenshots in the dark and on a phone are kept.
#[test]
fn the_html_report_reads_on_a_phone_in_the_dark_and_by_keyboard() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, demo("html", &["--max-findings", "5"])).unwrap();
    let url = format!("file://{}", page.display());
    let shots = chromium::screenshot_path("x").parent().unwrap().to_path_buf();
    let plan = serde_json::json!({"pages": [{"name": "html-report-demo", "url": url}], "shots": shots});
    let r = playwright::pages(&plan);
    let p = &r["pages"]["html-report-demo"];
    playwright::assert_plain("the HTML report", p, &url);
    let summaries = p["tab_stops"].as_array().unwrap().iter().filter(|s| s["tag"] == "summary").count();
    assert!(summaries >= 1, "the folded findings are reached by Tab: {}", p["tab_stops"]);
    for variant in ["dark", "phone"] {
        let png = std::fs::read(shots.join(format!("html-report-demo-{variant}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{variant}: {} bytes", png.len());
    }
}
