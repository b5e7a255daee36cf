//! Azurite's blob service on a free loopback port, one per test: the azurerm backend's
//! state blobs live there. Installed with npm under the build directory when missing;
//! a test that cannot get it fails, never skips.

use base64::Engine;
use hmac::{KeyInit, Mac};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Azurite's well-known development account and key.
pub const ACCOUNT: &str = "devstoreaccount1";
pub const KEY: &str = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const VERSION: &str = "2021-08-06";

fn prefix() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("node")
}

fn bin() -> PathBuf {
    prefix().join("node_modules/.bin/azurite-blob")
}

fn ensure_installed() {
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if bin().is_file() {
        return;
    }
    let status = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix"])
        .arg(prefix())
        .arg("azurite@3.37.0")
        .status()
        .expect("npm (Node.js) is needed to install Azurite for the azurerm state tests");
    assert!(status.success(), "npm install azurite into {} failed", prefix().display());
    assert!(bin().is_file(), "azurite installed no azurite-blob");
}

pub struct Azurite {
    child: Child,
    pub endpoint: String,
}

/// One Azurite service (`blob`, `queue`) on a free loopback port, in memory, once it
/// listens: its process and endpoint.
fn spawn(service: &str) -> (Child, String) {
    ensure_installed();
    let program = prefix().join(format!("node_modules/.bin/azurite-{service}"));
    assert!(program.is_file(), "azurite installed no azurite-{service}");
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(program)
        .args([&format!("--{service}Host"), "127.0.0.1", &format!("--{service}Port"), &port.to_string()])
        .args(["--inMemoryPersistence", "--skipApiVersionCheck", "--silent"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("azurite-{service} did not start: {e}"));
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(60), "azurite-{service} did not listen on {port} within 60 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    (child, format!("http://127.0.0.1:{port}/{ACCOUNT}"))
}

impl Azurite {
    pub fn start() -> Azurite {
        let (child, endpoint) = spawn("blob");
        Azurite { child, endpoint }
    }

    pub fn connection_string(&self) -> String {
        format!("DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};BlobEndpoint={}/;", self.endpoint)
    }

    /// Create `container` and upload `body` as `blob`, signed with the account key.
    pub fn put(&self, container: &str, blob: &str, body: &[u8]) {
        let date = httpdate();
        let auth = sign(
            "PUT",
            "",
            "",
            &[("x-ms-date", &date), ("x-ms-version", VERSION)],
            &format!("/{ACCOUNT}/{ACCOUNT}/{container}\nrestype:container"),
        );
        let (status, _) = request(
            &self.endpoint,
            "PUT",
            &format!("/{ACCOUNT}/{container}?restype=container"),
            &[("x-ms-date", &date), ("x-ms-version", VERSION), ("authorization", &auth)],
            b"",
        );
        assert!(status == 201 || status == 409, "create container: {status}");
        let len = body.len().to_string();
        let auth = sign(
            "PUT",
            &len,
            "application/json",
            &[("x-ms-blob-type", "BlockBlob"), ("x-ms-date", &date), ("x-ms-version", VERSION)],
            &format!("/{ACCOUNT}/{ACCOUNT}/{container}/{blob}"),
        );
        let (status, text) = request(
            &self.endpoint,
            "PUT",
            &format!("/{ACCOUNT}/{container}/{blob}"),
            &[
                ("x-ms-date", &date),
                ("x-ms-version", VERSION),
                ("x-ms-blob-type", "BlockBlob"),
                ("content-type", "application/json"),
                ("authorization", &auth),
            ],
            body,
        );
        assert_eq!(status, 201, "upload {blob}: {text}");
    }

    /// A service SAS granting read on one blob until `expiry` (`2099-01-01T00:00:00Z`),
    /// signed with the account key as the Blob service's "Create a service SAS" says for
    /// version 2020-12-06 and later.
    pub fn blob_sas(&self, container: &str, blob: &str, expiry: &str) -> String {
        let resource = format!("/blob/{ACCOUNT}/{container}/{blob}");
        let fields = ["r", "", expiry, &resource, "", "", "", VERSION, "b", "", "", "", "", "", "", ""];
        let to_sign = fields.join("\n");
        let key = base64::engine::general_purpose::STANDARD.decode(KEY).unwrap();
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
        mac.update(to_sign.as_bytes());
        let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        let enc = |v: &str| v.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D").replace(':', "%3A");
        format!("sv={VERSION}&se={}&sr=b&sp=r&sig={}", enc(expiry), enc(&sig))
    }
}

impl Drop for Azurite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request to an Azurite service at `endpoint`: status and the whole answer.
fn request(endpoint: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
    use std::io::{Read, Write};
    let authority = endpoint.trim_start_matches("http://").split('/').next().unwrap().to_string();
    let mut stream = TcpStream::connect(&authority).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {authority}\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    let status = out.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, out)
}

/// Azurite's queue service on a free loopback port: the Storage queue an Event Grid
/// subscription delivers to.
pub struct AzuriteQueue {
    child: Child,
    /// `http://127.0.0.1:PORT/devstoreaccount1`.
    pub endpoint: String,
}

impl AzuriteQueue {
    pub fn start() -> AzuriteQueue {
        let (child, endpoint) = spawn("queue");
        AzuriteQueue { child, endpoint }
    }

    /// The connection string a driftd run authenticates with (the account key).
    pub fn connection_string(&self) -> String {
        format!(
            "DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};QueueEndpoint={}/;",
            self.endpoint
        )
    }

    pub fn create(&self, queue: &str) {
        let date = httpdate();
        let headers = [("x-ms-date", date.as_str()), ("x-ms-version", VERSION)];
        let auth = sign("PUT", "", "", &headers, &format!("/{ACCOUNT}/{ACCOUNT}/{queue}"));
        let (status, text) = request(
            &self.endpoint,
            "PUT",
            &format!("/{ACCOUNT}/{queue}"),
            &[headers[0], headers[1], ("authorization", &auth)],
            b"",
        );
        assert!(status == 201 || status == 204, "create queue {queue}: {text}");
    }

    /// Puts `text` on the queue Base64-encoded, as Event Grid's Storage queue destination does.
    pub fn put(&self, queue: &str, text: &str) {
        let body = format!(
            "<QueueMessage><MessageText>{}</MessageText></QueueMessage>",
            base64::engine::general_purpose::STANDARD.encode(text)
        );
        let date = httpdate();
        let len = body.len().to_string();
        let headers = [("x-ms-date", date.as_str()), ("x-ms-version", VERSION)];
        let auth = sign("POST", &len, "application/xml", &headers, &format!("/{ACCOUNT}/{ACCOUNT}/{queue}/messages"));
        let (status, text) = request(
            &self.endpoint,
            "POST",
            &format!("/{ACCOUNT}/{queue}/messages"),
            &[headers[0], headers[1], ("content-type", "application/xml"), ("authorization", &auth)],
            body.as_bytes(),
        );
        assert_eq!(status, 201, "put message: {text}");
    }

    /// Messages in the queue, visible or not (`x-ms-approximate-messages-count`).
    pub fn depth(&self, queue: &str) -> u64 {
        let date = httpdate();
        let headers = [("x-ms-date", date.as_str()), ("x-ms-version", VERSION)];
        let auth = sign("GET", "", "", &headers, &format!("/{ACCOUNT}/{ACCOUNT}/{queue}\ncomp:metadata"));
        let (status, text) = request(
            &self.endpoint,
            "GET",
            &format!("/{ACCOUNT}/{queue}?comp=metadata"),
            &[headers[0], headers[1], ("authorization", &auth)],
            b"",
        );
        assert_eq!(status, 200, "queue metadata: {text}");
        text.lines()
            .find_map(|l| {
                l.to_ascii_lowercase().strip_prefix("x-ms-approximate-messages-count:").map(|v| v.trim().to_string())
            })
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no message count in {text}"))
    }
}

impl Drop for AzuriteQueue {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Shared Key: verb, 11 standard headers (Content-Length and Content-Type set), canonical
/// `x-ms-*` headers (sorted), canonical resource.
fn sign(verb: &str, length: &str, content_type: &str, ms_headers: &[(&str, &str)], resource: &str) -> String {
    let headers: String = ms_headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let to_sign = format!("{verb}\n\n\n{length}\n\n{content_type}\n\n\n\n\n\n\n{headers}{resource}");
    let key = base64::engine::general_purpose::STANDARD.decode(KEY).unwrap();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(to_sign.as_bytes());
    format!("SharedKey {ACCOUNT}:{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
}

fn httpdate() -> String {
    // RFC 1123 in GMT from the system clock, through `date` to stay dependency-free.
    let out = Command::new("date").args(["-u", "+%a, %d %b %Y %H:%M:%S GMT"]).env("LC_ALL", "C").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}
