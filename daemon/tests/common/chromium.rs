//! Debian's `chromium`, headless, as the browser tests drive it: installed with apt-get
//! when absent (a test that cannot start it fails), run with the flags that keep it from
//! reaching anything on its own, in a fresh profile each time.

use std::path::Path;
use std::process::{Command, Output};

/// The flags every run gets.
pub const FLAGS: [&str; 7] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// `chromium FLAGS --user-data-dir=PROFILE EXTRA URL`; its exit must be 0.
pub fn run(url: &str, profile: &Path, extra: &[String]) -> Output {
    super::apt::ensure("chromium", "chromium");
    let out = Command::new("chromium")
        .args(FLAGS)
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .output()
        .expect("chromium starts");
    assert!(out.status.success(), "chromium failed on {url}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// Where screenshots for people go: `target/screenshots/NAME.png`.
pub fn screenshot_path(name: &str) -> std::path::PathBuf {
    let dir = super::root().join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{name}.png"))
}
