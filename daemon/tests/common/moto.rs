//! A real moto_server (EC2, S3, STS, ...) on a free loopback port, one per test.
//! Installed with pip into the test venv when missing; a test that cannot get it fails,
//! never skips.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// moto serves neither placement groups nor capacity reservations (their mapping is unit
/// tested in providers/): leave them out, as a user without those permissions would.
pub const CONFIG: &str =
    "[aws]\nskip_types = [\"aws_placement_group\", \"aws_ec2_capacity_reservation\", \"aws_ec2_capacity_block_reservation\"]\n";

pub struct Moto {
    child: Child,
    pub endpoint: String,
}

/// The Python environment of the tests' tools (moto, boto3, Cloud Custodian): a virtual
/// environment under the build directory, never the system interpreter, whose packages
/// (awscli's pins, say) it must not disturb.
pub fn venv() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("pyvenv")
}

/// A program of the test venv (`moto_server`, `custodian`, `python`).
pub fn venv_bin(name: &str) -> PathBuf {
    venv().join("bin").join(name)
}

/// Install `packages` into the test venv unless `program` is already there. A tool that
/// cannot be installed fails the test loudly; nothing is skipped.
pub fn ensure_tool(program: &str, packages: &[&str]) {
    // Tests run in parallel: one installer at a time.
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if venv_bin(program).is_file() {
        return;
    }
    if !venv_bin("python").is_file() {
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(venv())
            .status()
            .expect("python3 is needed for the test tools (moto, Cloud Custodian)");
        assert!(status.success(), "python3 -m venv {} failed", venv().display());
    }
    let status = Command::new(venv_bin("python"))
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"])
        .args(packages)
        .status()
        .expect("the test venv's pip runs");
    assert!(status.success(), "pip install {packages:?} into {} failed", venv().display());
    assert!(venv_bin(program).is_file(), "{packages:?} installed no {program}");
}

fn ensure_installed() {
    ensure_tool("moto_server", &["moto[server]"]);
}

impl Moto {
    pub fn start() -> Moto {
        Moto::start_with(&[])
    }

    /// With extra moto settings (`INITIAL_NO_AUTH_ACTION_COUNT` to enforce IAM, say).
    pub fn start_with(env: &[(&str, &str)]) -> Moto {
        ensure_installed();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(venv_bin("moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server did not start");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(60), "moto_server did not listen on {port} within 60 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto { child, endpoint: format!("http://127.0.0.1:{port}") }
    }

    /// Run a boto3 script against this moto (for APIs the test has no Rust SDK crate for,
    /// CloudFormation say): `sys.argv[1]` is the endpoint. Returns its stdout.
    pub fn python(&self, script: &str) -> String {
        let out = Command::new(venv_bin("python")).args(["-c", script, &self.endpoint]).output().expect("python runs");
        assert!(out.status.success(), "boto3 script failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Environment for a driftd process that talks to this moto.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![("AWS_ENDPOINT_URL", self.endpoint.clone()), ("AWS_REGION", "us-east-1".to_string())]
    }

    /// An SDK config for test code that builds the fleet.
    pub async fn sdk(&self, region: &str) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(aws_config::Region::new(region.to_string()))
            .credentials_provider(aws_sdk_ec2::config::Credentials::new("testing", "testing", None, None, "moto"))
            .load()
            .await
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
