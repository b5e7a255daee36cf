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
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends", package])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output()
    };
    let mut out = install();
    if !out.as_ref().is_ok_and(|o| o.status.success()) {
        let _ = Command::new("apt-get").arg("update").output();
        out = install();
    }
    let detail = match &out {
        Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
        Err(e) => e.to_string(),
    };
    assert!(
        on_path(program),
        "{program} is needed: `apt-get install {package}` failed (run the tests as root, or install it first): {detail}"
    );
}
