//! Test harness: run the real `driftd` binary, in the workspace root or a temp dir.

#![allow(dead_code)]

pub mod apt;
pub mod arm;
pub mod azure_fleet;
pub mod azurite;
pub mod capacity;
pub mod chromium;
pub mod cloudtrail;
pub mod daemon;
pub mod fleet;
pub mod moto;
pub mod playwright;
pub mod postgres;
pub mod price_apis;
pub mod receiver;
pub mod sqs_gate;
pub mod throttle;

use std::path::{Path, PathBuf};
use std::process::Output;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

/// Copy a folder of the workspace (`testdata/tf/patches`) to `to`, which it creates, so
/// that a test can edit or patch it.
pub fn copy_testdata(rel: &str, to: &Path) {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.path().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
    }
    copy(&root().join(rel), to);
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

fn finish(out: Output) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `driftd ARGS` with the workspace root as working directory.
pub fn driftd(args: &[&str]) -> Run {
    driftd_in(&root(), args)
}

pub fn driftd_in(dir: &Path, args: &[&str]) -> Run {
    driftd_env(dir, args, &[])
}

/// Only loopback, ever: fake credentials, no config files, no instance metadata, and an
/// endpoint on a closed local port unless a test points it at its own moto server.
pub const LOOPBACK_ENV: &[(&str, &str)] = &[
    ("AWS_EC2_METADATA_DISABLED", "true"),
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_CONFIG_FILE", "/dev/null"),
    ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
    ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
    ("AZURE_CREDENTIAL_KIND", "environment"),
    ("AZURE_AUTHORITY_HOST", "http://127.0.0.1:9"),
    ("DRIFTD_AZURE_ENDPOINT", "http://127.0.0.1:9"),
    ("DRIFTD_AZURE_PRICES_URL", "http://127.0.0.1:9/api/retail/prices"),
];

/// `driftd ARGS` with extra environment (a moto endpoint, say).
pub fn driftd_env(dir: &Path, args: &[&str], env: &[(&str, String)]) -> Run {
    driftd_env_without(dir, args, env, &[])
}

/// As [`driftd_env`], with some of the harness's own variables removed (the test keys,
/// to see what happens without credentials).
pub fn driftd_env_without(dir: &Path, args: &[&str], env: &[(&str, String)], remove: &[&str]) -> Run {
    let mut cmd = assert_cmd::Command::cargo_bin("driftd").unwrap();
    cmd.current_dir(dir)
        .env_remove("NO_COLOR")
        .envs(LOOPBACK_ENV.iter().copied())
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    for k in remove {
        cmd.env_remove(k);
    }
    finish(cmd.args(args).output().unwrap())
}

/// An error run: the exit code, one line on stderr starting `driftd: `, no panic.
pub fn assert_one_error(run: &Run, code: i32) {
    assert_eq!(run.code, code, "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    assert!(run.stderr.starts_with("driftd: ") || run.stderr.starts_with("error: "), "{}", run.stderr);
    assert_eq!(run.stderr.trim_end().lines().filter(|l| l.starts_with("driftd: ")).count().max(1), 1, "{}", run.stderr);
    assert!(!run.stderr.contains("panicked") && !run.stderr.contains("RUST_BACKTRACE"), "{}", run.stderr);
}

pub const DEMO_STATE: &str = "testdata/demo/terraform.tfstate";
pub const DEMO_LIVE: &str = "snapshot:testdata/demo/live.json";
pub const DEMO_IN_SYNC: &str = "snapshot:testdata/demo/live-in-sync.json";

/// `driftd check` of the demo fleet (state, snapshot, its code and `.driftignore`), with
/// `extra` flags: the run the golden reports and the HTML report test read.
pub fn demo_check(extra: &[&str]) -> Run {
    let mut args = vec![
        "check",
        "--state",
        DEMO_STATE,
        "--provider",
        DEMO_LIVE,
        "--tf",
        "testdata/demo/infra",
        "--driftignore",
        "testdata/demo/.driftignore",
    ];
    args.extend_from_slice(extra);
    driftd(&args)
}

/// The demo state as an absolute path, for runs in another working directory.
pub fn abs_demo_state() -> String {
    root().join(DEMO_STATE).display().to_string()
}

/// `snapshot:<absolute path>` of a demo snapshot file (`live.json`, `live-in-sync.json`).
pub fn abs_demo_live(file: &str) -> String {
    format!("snapshot:{}", root().join("testdata/demo").join(file).display())
}

/// Every YAML document of a file, as JSON.
pub fn yaml_docs(path: &str) -> Vec<serde_json::Value> {
    moto::ensure_tool("moto_server", &["moto[server]"]); // the venv, with PyYAML
    let script =
        "import json,sys,yaml; print(json.dumps([d for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None]))";
    let out = std::process::Command::new(moto::venv_bin("python"))
        .args(["-c", script, &root().join(path).display().to_string()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{path} is not YAML: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Prometheus' own `promtool` (Debian's `prometheus`, installed when absent) with `args`,
/// `stdin` on its input: whether it passed, and what it said.
pub fn promtool(args: &[&str], stdin: Option<&str>, dir: &std::path::Path) -> (bool, String) {
    apt::ensure("promtool", "prometheus");
    let mut child = std::process::Command::new("promtool")
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), text.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// A form or query value decoded: `%XX` escapes and `+` for a space.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.replace('+', " ").into_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or(""), 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
