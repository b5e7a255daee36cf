//! SARIF as its reference validator sees it: Microsoft's SARIF multitool (npm
//! `@microsoft/sarif-multitool`, installed under the build directory when missing)
//! validates every SARIF these runs write and the golden file, and must report nothing:
//! no error (SARIF1004: a relative URI that starts with a slash) and no warning (SARIF1001:
//! a rule `name` equal to its `id`).

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn multitool() -> PathBuf {
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let prefix = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sarif-multitool");
    let bin = prefix.join("node_modules/.bin/sarif-multitool");
    if !bin.is_file() {
        let status = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix"])
            .arg(&prefix)
            .arg("@microsoft/sarif-multitool@5.7.0")
            .status()
            .expect("npm (Node.js) is needed to install the SARIF multitool");
        assert!(status.success() && bin.is_file(), "npm install @microsoft/sarif-multitool failed");
    }
    bin
}

/// The multitool's findings on one file: `(rule, message)`. Its own output goes to a
/// temporary folder, never beside the file (the golden file is in testdata/).
fn validate(file: &Path) -> Vec<(String, String)> {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("validation.sarif");
    let run = Command::new(multitool()).arg("validate").arg(file).arg("--output").arg(&out).output().unwrap();
    assert!(out.is_file(), "the multitool wrote no result: {}", String::from_utf8_lossy(&run.stdout));
    let v: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let text = r["message"]["text"].as_str().map(str::to_string).unwrap_or_else(|| r["message"].to_string());
            (r["ruleId"].as_str().unwrap_or("?").to_string(), text)
        })
        .collect()
}

#[test]
fn every_sarif_driftd_writes_passes_microsofts_validator() {
    let tmp = tempfile::tempdir().unwrap();
    let out = |name: &str| tmp.path().join(name).display().to_string();
    let infra = root().join("testdata/demo/infra").display().to_string();
    let state = root().join(DEMO_STATE).display().to_string();
    let live = abs_demo_live("live.json");
    let fleet = root().join("testdata/tf/gpu-fleet").display().to_string();
    let runs: Vec<(&str, PathBuf, Vec<String>)> = vec![
        // As the golden file: --tf relative to the checkout.
        ("relative", root(), vec!["--tf".into(), "testdata/demo/infra".into()]),
        // --tf absolute, inside the working directory: relative URIs under SRCROOT.
        ("absolute-inside", root(), vec!["--tf".into(), infra.clone()]),
        // --tf absolute, outside the working directory: absolute file:// URIs.
        ("absolute-outside", tmp.path().to_path_buf(), vec!["--tf".into(), infra]),
        // No --tf: logical locations only.
        ("no-code", root(), vec![]),
    ];
    let mut files = vec![root().join("testdata/reports/sarif/demo.sarif")];
    for (name, cwd, extra) in &runs {
        let file = out(&format!("{name}.sarif"));
        let mut args = vec!["check", "--state", &state, "--provider", &live, "--format", "sarif", "--output", &file];
        args.extend(extra.iter().map(String::as_str));
        let r = driftd_in(cwd, &args);
        assert_eq!(r.code, 1, "{name}: {}", r.stderr);
        files.push(PathBuf::from(file));
    }
    // Code only, policies on the declared side (a pull request's gate).
    let file = out("code-only.sarif");
    let r = driftd_in(&root(), &["check", "--tf", &fleet, "--format", "sarif", "--output", &file]);
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    files.push(PathBuf::from(file));

    for f in &files {
        let problems = validate(f);
        assert!(problems.is_empty(), "{}: {problems:#?}", f.display());
    }
    // Where the URIs point: relative under SRCROOT inside the checkout, file:// outside it.
    let uris = |f: &str| -> Vec<Value> {
        let v: Value = serde_json::from_slice(&std::fs::read(out(f)).unwrap()).unwrap();
        v["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["locations"][0]["physicalLocation"].get("artifactLocation").cloned())
            .collect()
    };
    let inside = uris("absolute-inside.sarif");
    assert!(!inside.is_empty());
    for a in &inside {
        assert_eq!(a["uriBaseId"], "SRCROOT", "{a}");
        assert!(a["uri"].as_str().unwrap().starts_with("testdata/demo/infra/"), "{a}");
    }
    for a in uris("absolute-outside.sarif") {
        assert!(a.get("uriBaseId").is_none() && a["uri"].as_str().unwrap().starts_with("file:///"), "{a}");
    }
}
