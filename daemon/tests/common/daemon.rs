//! `driftd run` as a child process, and a small HTTP client for its endpoints.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One HTTP/1.1 request; returns the status and the body.
pub fn http(method: &str, url: &str, headers: &[(&str, &str)]) -> Option<(u16, String)> {
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap_or((rest, "/".into()));
    let mut s = TcpStream::connect(host).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\ncontent-length: 0\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status: u16 = head.split_whitespace().nth(1)?.parse().ok()?;
    let chunked = head.to_ascii_lowercase().contains("transfer-encoding: chunked");
    Some((status, if chunked { dechunk(body) } else { body.to_string() }))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Waits until `f` returns `Some`, for at most `secs` seconds.
pub fn wait_for<T>(secs: u64, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "waited {secs} s for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub struct Daemon {
    pub child: Child,
    pub base: String,
    pub log: std::path::PathBuf,
}

impl Daemon {
    /// `driftd run --config CONFIG` in `dir`; its stderr goes to `dir/daemon.log`.
    pub fn start(dir: &Path, config: &str, port: u16, env: &[(&str, String)]) -> Daemon {
        let log = dir.join("daemon.log");
        let child = Command::new(assert_cmd::cargo::cargo_bin("driftd"))
            .current_dir(dir)
            .args(["run", "--config", config])
            .envs(super::LOOPBACK_ENV.iter().copied())
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let d = Daemon { child, base: format!("http://127.0.0.1:{port}"), log };
        wait_for(30, "the daemon to listen", || {
            http("GET", &format!("{}/healthz", d.base), &[]).filter(|r| r.0 == 200)
        });
        d
    }

    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
        http("GET", &format!("{}{path}", self.base), headers).unwrap_or((0, String::new()))
    }

    pub fn post(&self, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
        http("POST", &format!("{}{path}", self.base), headers).unwrap_or((0, String::new()))
    }

    pub fn json(&self, path: &str, headers: &[(&str, &str)]) -> serde_json::Value {
        let (code, body) = self.get(path, headers);
        assert_eq!(code, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill").args([&format!("-{sig}"), &self.child.id().to_string()]).status().unwrap();
        assert!(ok.success());
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, and the exit code within `secs` seconds.
    pub fn terminate(mut self, secs: u64) -> (i32, Duration) {
        let started = Instant::now();
        self.signal("TERM");
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status.code().unwrap_or(-1), started.elapsed());
            }
            assert!(
                started.elapsed() < Duration::from_secs(secs),
                "no exit within {secs} s of SIGTERM:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
