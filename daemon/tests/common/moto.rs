//! A real moto_server (EC2, S3, STS, ...) on a free loopback port, one per test.
//! Installed with pip when missing; a test that cannot get it fails, never skips.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// moto serves neither placement groups nor capacity reservations (their mapping is unit
/// tested in providers/): leave them out, as a user without those permissions would.
pub const CONFIG: &str = "[aws]\nskip_types = [\"aws_placement_group\", \"aws_ec2_capacity_reservation\"]\n";

pub struct Moto {
    child: Child,
    pub endpoint: String,
}

fn ensure_installed() {
    // Tests run in parallel: one pip at a time.
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if Command::new("moto_server").arg("--help").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok() {
        return;
    }
    let status = Command::new("python3")
        .args(["-m", "pip", "install", "--quiet", "moto[server]"])
        .status()
        .expect("python3 is needed to install moto");
    assert!(status.success(), "pip install moto[server] failed: the AWS tests need moto_server");
}

impl Moto {
    pub fn start() -> Moto {
        Moto::start_with(&[])
    }

    /// With extra moto settings (`INITIAL_NO_AUTH_ACTION_COUNT` to enforce IAM, say).
    pub fn start_with(env: &[(&str, &str)]) -> Moto {
        ensure_installed();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("moto_server")
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
        let out = Command::new("python3").args(["-c", script, &self.endpoint]).output().expect("python3 runs");
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
