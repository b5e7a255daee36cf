//! Playwright (npm `playwright-core`, which downloads no browser) driving Debian's
//! `chromium` through `executablePath`, for what `chromium --dump-dom` cannot do: pressing
//! keys, a phone's viewport, the dark scheme, JavaScript off. Installed under the build
//! directory when missing; a test that cannot get it fails, never skips. Each launch gets
//! a fresh temporary profile from Playwright (it refuses `--user-data-dir` in `launch`).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const PACKAGE: &str = "playwright-core@1.65.2";

fn prefix() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("playwright")
}

fn ensure_installed() -> PathBuf {
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let package = prefix().join("node_modules/playwright-core");
    if package.join("package.json").is_file() {
        return package;
    }
    let status = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix"])
        .arg(prefix())
        .arg(PACKAGE)
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .status()
        .expect("npm (Node.js) is needed to install playwright-core for the browser tests");
    assert!(status.success(), "npm install {PACKAGE} into {} failed", prefix().display());
    package
}

/// Runs `tests/browser/pages.js` with `plan` (see its header) and returns what it printed.
pub fn pages(plan: &Value) -> Value {
    super::apt::ensure("chromium", "chromium");
    let package = ensure_installed();
    let chromium = Command::new("sh").args(["-c", "command -v chromium"]).output().unwrap();
    let chromium = String::from_utf8(chromium.stdout).unwrap().trim().to_string();
    assert!(!chromium.is_empty(), "chromium is not on PATH");
    let out = Command::new("node")
        .arg(super::root().join("daemon/tests/browser/pages.js"))
        .arg(plan.to_string())
        .env("PLAYWRIGHT_CORE", &package)
        .env("CHROMIUM", &chromium)
        .env("CHROMIUM_FLAGS", serde_json::to_string(&super::chromium::FLAGS).unwrap())
        .output()
        .expect("node runs the browser script");
    assert!(out.status.success(), "the browser script failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("browser script output: {e}"))
}

/// What every page of ours keeps to, from `pages`' facts about one page (`p`): no console
/// message and no request beyond `origin`; text at a contrast of at least 4.5:1 (WCAG AA)
/// in the light and the dark scheme, the dark one dark; no wider than a 390-pixel phone;
/// Tab reaches every link, field and button once, each in view and with a focus ring.
pub fn assert_plain(name: &str, p: &Value, origin: &str) {
    assert_eq!(p["console"], serde_json::json!([]), "{name}: console messages");
    for url in p["requests"].as_array().unwrap() {
        assert!(url.as_str().unwrap().starts_with(origin), "{name} asked for {url}");
    }
    for scheme in ["light", "dark"] {
        let worst = &p[scheme]["worst_contrast"];
        assert!(p[scheme]["texts"].as_u64().unwrap() > 5, "{name} has text");
        assert!(worst["ratio"].as_f64().unwrap() >= 4.5, "{name} in {scheme}: {worst}");
    }
    assert!(p["dark"]["background_luminance"].as_f64().unwrap() < 0.05, "{name} is dark in the dark scheme");
    assert!(p["light"]["background_luminance"].as_f64().unwrap() > 0.9, "{name} is light in the light scheme");
    let phone = &p["phone"];
    assert_eq!(phone["viewport_width"], 390);
    assert!(phone["scroll_width"].as_u64() <= phone["viewport_width"].as_u64(), "{name} on a phone: {phone}");

    let stops = p["tab_stops"].as_array().unwrap();
    assert_eq!(stops.len() as u64, p["light"]["focusable"].as_u64().unwrap(), "{name}: every focusable element once");
    let unique: std::collections::BTreeSet<u64> = stops.iter().map(|s| s["index"].as_u64().unwrap()).collect();
    assert_eq!(unique.len(), stops.len(), "{name}: no element twice");
    for s in stops {
        assert_eq!(s["indicated"], true, "{name}: focus shown on {s}");
        assert_eq!(s["in_view"], true, "{name}: focused element scrolled into view: {s}");
    }
}
