//! A real PostgreSQL server for the tests: Debian's `postgresql` package (installed with
//! apt-get when absent), one server per test process on a free loopback port, a fresh
//! database per test. PostgreSQL refuses to run as root, so as root the server runs as
//! the package's `postgres` user, with its data, socket and log in a folder that user
//! owns under the build directory. A server that cannot start fails the test; nothing
//! is skipped. The server stops, and its folder goes, when the test process ends.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub struct Postgres {
    pub port: u16,
    pub dir: PathBuf,
    /// The CA that signed the server's certificate (names `db.internal`, `localhost`):
    /// the server takes TLS as well as plain connections.
    pub ca: PathBuf,
    databases: AtomicU32,
    /// The shell that runs the server and stops it when this process is gone.
    _watcher: std::process::Child,
}

/// A CA and a server certificate signed by it, made with the openssl command line.
fn certificates(dir: &Path) {
    let run = |args: &[&str]| sh(Command::new("openssl").current_dir(dir).args(args), &format!("openssl {}", args[0]));
    // A new P-256 key, unencrypted, into the file that follows.
    let new_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout"];
    run(&[&["req", "-x509"][..], &new_key, &["ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=driftd test CA"]]
        .concat());
    run(&[&["req", "-new"][..], &new_key, &["server.key", "-out", "server.csr", "-subj", "/CN=db.internal"]].concat());
    std::fs::write(dir.join("san.ext"), "subjectAltName=DNS:db.internal,DNS:localhost\n").unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    ]);
}

fn sh(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn is_root() -> bool {
    sh(Command::new("id").arg("-u"), "id -u").trim() == "0"
}

/// The server's programs: the newest installed major version, installing the package
/// when there is none.
fn bin_dir() -> PathBuf {
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let find = || -> Option<PathBuf> {
        let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .flatten()
            .filter_map(|e| Some((e.file_name().to_str()?.parse::<u32>().ok()?, e.path().join("bin"))))
            .filter(|(_, p)| p.join("initdb").is_file() && p.join("postgres").is_file())
            .collect();
        dirs.sort();
        dirs.pop().map(|(_, p)| p)
    };
    let has_openssl = || Command::new("openssl").arg("version").output().is_ok_and(|o| o.status.success());
    if let (Some(dir), true) = (find(), has_openssl()) {
        return dir;
    }
    // The server, and openssl for the test certificates.
    let detail = super::apt::install(&["postgresql", "openssl"]);
    assert!(has_openssl(), "openssl is needed for the test certificates: `apt-get install openssl` failed: {detail}");
    find().unwrap_or_else(|| {
        panic!("PostgreSQL is needed: `apt-get install postgresql` failed (run the tests as root, or install it first): {detail}")
    })
}

/// `cmd` as the server's user: `postgres` when running as root, else ourselves.
fn as_server_user(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

impl Postgres {
    /// The test process's server, started on first use.
    pub fn shared() -> &'static Postgres {
        static SERVER: OnceLock<Postgres> = OnceLock::new();
        SERVER.get_or_init(Postgres::start)
    }

    fn start() -> Postgres {
        let bin = bin_dir();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        // Under the build directory (CARGO_TARGET_TMPDIR for integration tests, the target
        // directory for unit tests): a path the server's user can reach, unlike a 0700 /tmp dir.
        let base = option_env!("CARGO_TARGET_TMPDIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tmp"));
        // What earlier test processes left behind (their folders' own user could not
        // remove the folders themselves).
        for old in std::fs::read_dir(&base).into_iter().flatten().flatten() {
            let name = old.file_name().to_string_lossy().into_owned();
            let pid = name.strip_prefix("postgres-").and_then(|r| r.split('-').next()).unwrap_or("");
            if !pid.is_empty() && !Path::new("/proc").join(pid).exists() {
                let _ = std::fs::remove_dir_all(old.path());
            }
        }
        let dir = base.join(format!("postgres-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let dir = dir.canonicalize().unwrap();
        if is_root() {
            sh(Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir), "chown postgres");
            // Every folder above it must let the server's user through.
            let mut up = dir.parent();
            while let Some(p) = up {
                let _ = Command::new("chmod").arg("o+x").arg(p).output();
                up = p.parent();
            }
        }
        certificates(&dir);
        let data = dir.join("data");
        if is_root() {
            sh(Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir), "chown postgres");
        }
        // The server refuses a key others can read.
        sh(Command::new("chmod").arg("600").arg(dir.join("server.key")), "chmod server.key");
        sh(
            as_server_user(&bin.join("initdb")).args(["-D"]).arg(&data).args([
                "-U",
                "driftd",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ]),
            "initdb",
        );
        let log = dir.join("server.log");
        // The server goes when this process goes: a watcher stops it once our pid is gone
        // (`/proc`, as the server's user may not signal us).
        let parent = std::process::id();
        let script = format!(
            "{postgres} -D {data} -p {port} -k {dir} -c listen_addresses=127.0.0.1 -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 \
             -c ssl=on -c ssl_cert_file={dir}/server.crt -c ssl_key_file={dir}/server.key >{log} 2>&1 & \
             pg=$!; while [ -d /proc/{parent} ] && kill -0 $pg 2>/dev/null; do sleep 1; done; \
             kill -INT $pg 2>/dev/null; wait $pg; rm -rf {dir}",
            postgres = bin.join("postgres").display(),
            data = data.display(),
            dir = dir.display(),
            log = log.display(),
        );
        let mut shell = as_server_user(Path::new("/bin/sh"));
        shell.args(["-c", &script]).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        let watcher = shell.spawn().expect("the PostgreSQL server starts");
        let started = Instant::now();
        let server = Postgres { port, ca: dir.join("ca.pem"), dir, databases: AtomicU32::new(0), _watcher: watcher };
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() && server.psql("postgres", "SELECT 1").is_ok()
            {
                return server;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "PostgreSQL did not accept connections on {port} within 60 s; its log:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Runs SQL through the server's own `psql`; returns its output.
    pub fn psql(&self, database: &str, sql: &str) -> Result<String, String> {
        let out = Command::new(bin_dir().join("psql"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "driftd", "-d", database])
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// A new, empty database; its URL.
    pub fn fresh_database_url(&self) -> String {
        let n = self.databases.fetch_add(1, Ordering::Relaxed);
        let name = format!("t{n}");
        self.psql("postgres", &format!("CREATE DATABASE {name}")).unwrap_or_else(|e| panic!("CREATE DATABASE: {e}"));
        self.url(&name)
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://driftd@127.0.0.1:{}/{database}?sslmode=disable", self.port)
    }
}

/// `[store] lease_time` of the tests' shared stores: a process killed while it held a
/// notifier's queue hands it over after this.
pub const LEASE_TIME: Duration = Duration::from_secs(3);

/// Which store a test's config uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `toml` with its store on this backend: as written for SQLite; for PostgreSQL a
    /// fresh database's `url` in `[store]` (added when the config has none) in place of
    /// any `path`, and leases of [`LEASE_TIME`].
    pub fn config(self, toml: &str) -> String {
        match self {
            Backend::Sqlite => toml.to_string(),
            Backend::Postgres => {
                let url = format!(
                    "url = \"{}\"\nlease_time = \"{}s\"",
                    Postgres::shared().fresh_database_url(),
                    LEASE_TIME.as_secs()
                );
                let kept: Vec<&str> = toml.lines().filter(|l| !l.trim_start().starts_with("path =")).collect();
                let text = kept.join("\n");
                match text.find("[store]\n") {
                    Some(at) => format!("{}[store]\n{url}\n{}", &text[..at], &text[at + "[store]\n".len()..]),
                    None => format!("[store]\n{url}\n\n{text}\n"),
                }
            }
        }
    }
}

/// `on_both_backends!(f, g)`: tests `f::sqlite`, `f::postgres`, ... that run `f(Backend)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name($crate::common::postgres::Backend::Sqlite)
            }
            #[test]
            fn postgres() {
                super::$name($crate::common::postgres::Backend::Postgres)
            }
        }
    )*};
}
