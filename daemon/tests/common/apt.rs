//! Debian packages the tests need (promtool from `prometheus`), installed with apt-get
//! when their program is absent. One that cannot be installed fails the test loudly.

use std::process::Command;

fn on_path(program: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {program}")]).output().is_ok_and(|o| o.status.success())
}

/// `program` on PATH, installing Debian's `package` for it if needed.
pub fn ensure(program: &str, package: &str) {
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if on_path(program) {
        return;
    }
    let detail = install(&[package]);
    assert!(
        on_path(program),
        "{program} is needed: `apt-get install {package}` failed (run the tests as root, or install it first): {detail}"
    );
}

/// `apt-get install`s the packages (after `apt-get update` when a first try fails);
/// returns what apt said on stderr, for the caller's failure message. The caller checks
/// that what it needs is there now.
pub fn install(packages: &[&str]) -> String {
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output()
    };
    let mut out = install();
    if !out.as_ref().is_ok_and(|o| o.status.success()) {
        let _ = Command::new("apt-get").arg("update").output();
        out = install();
    }
    match &out {
        Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
        Err(e) => e.to_string(),
    }
}
