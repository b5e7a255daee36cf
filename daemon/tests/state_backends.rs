//! State from Terraform's `http` backend and from HCP Terraform / Terraform Enterprise
//! workspaces (`remote` backend, `cloud` block), through `--state` and `--discover`,
//! against local servers that answer as those APIs document: Terraform's http backend
//! client (hashicorp/terraform `internal/backend/remote-state/http/client.go`: 200, 204,
//! 404, 401, 403, `Content-MD5`) and the HCP Terraform API (workspace by name, its
//! current state version, `hosted-state-download-url` redirecting to a signed URL).

mod common;

use base64::Engine as _;
use common::receiver::{Receiver, Reply, Request};
use common::*;
use md5::{Digest, Md5};
use serde_json::{json, Value};
use std::fs;

fn demo_state() -> String {
    fs::read_to_string(root().join(DEMO_STATE)).unwrap()
}

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

/// Terraform's http backend: the state at /state/gpu behind basic auth (with its
/// Content-MD5), a redirect at /moved, nothing at /state/none, a body that does not
/// match its Content-MD5 at /state/torn.
fn http_backend() -> Receiver {
    let state = demo_state();
    let md5 = base64::engine::general_purpose::STANDARD.encode(Md5::digest(state.as_bytes()));
    Receiver::start(move |req: &Request| {
        let authorised = req.header("authorization") == Some(basic("ci", "p@ss:word").as_str());
        match req.path.as_str() {
            _ if req.method != "GET" => Reply::new(405, ""),
            "/moved" => {
                Reply { status: 302, headers: vec![("location".into(), "/state/gpu".into())], body: String::new() }
            }
            _ if req.header("authorization").is_none() => Reply::new(401, ""),
            _ if !authorised => Reply::new(403, ""),
            "/state/gpu" => {
                Reply { status: 200, headers: vec![("content-md5".into(), md5.clone())], body: state.clone() }
            }
            "/state/torn" => Reply {
                status: 200,
                headers: vec![("content-md5".into(), md5.clone())],
                body: state[..state.len() / 2].into(),
            },
            _ => Reply::new(404, ""),
        }
    })
}

fn check(dir: &std::path::Path, state: &str, env: &[(&str, String)]) -> Run {
    let live = abs_demo_live("live.json");
    driftd_env(dir, &["check", "--state", state, "--provider", &live, "--format", "json"], env)
}

#[test]
fn http_backend_state_with_basic_auth_redirects_and_content_md5() {
    let server = http_backend();
    let dir = tempfile::tempdir().unwrap();
    let creds = [("TF_HTTP_USERNAME", "ci".to_string()), ("TF_HTTP_PASSWORD", "p@ss:word".to_string())];
    let url = format!("{}/state/gpu", server.url);

    let r = check(dir.path(), &url, &creds);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["summary"]["managed"], 22);
    assert_eq!(v["sources"]["declared"][0]["location"], url.as_str());

    // Credentials in the URL, percent-encoded, work too and are never shown.
    let in_url = url.replace("http://", "http://ci:p%40ss%3Aword@");
    let r = check(dir.path(), &in_url, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(!r.stdout.contains("p%40ss") && !r.stdout.contains("word@"), "a password in the report");

    // A redirect is followed.
    let r = check(dir.path(), &format!("{}/moved", server.url), &creds);
    assert_eq!(r.code, 1, "{}", r.stderr);

    // No credentials, wrong ones, no state, a torn body: "could not be read", exit 3, saying why.
    for (state, env, says) in [
        (url.clone(), vec![], "requires auth (HTTP 401): give the user and password as Terraform takes them, in TF_HTTP_USERNAME and TF_HTTP_PASSWORD"),
        (url.clone(), vec![("TF_HTTP_USERNAME", "ci".to_string()), ("TF_HTTP_PASSWORD", "nope".to_string())], "refused these credentials (HTTP 403)"),
        (format!("{}/state/none", server.url), creds.to_vec(), "no state at this address (HTTP 404)"),
        (format!("{}/state/torn", server.url), creds.to_vec(), "does not match its Content-MD5"),
    ] {
        let r = check(dir.path(), &state, &env);
        assert_one_error(&r, 3);
        assert!(r.stderr.contains(says), "{state}: {}", r.stderr);
        assert!(!r.stderr.contains("nope") && !r.stderr.contains("p@ss"), "a password on stderr: {}", r.stderr);
    }
    assert!(server.received().iter().all(|q| q.method == "GET"), "only reads");
}

/// HCP Terraform: workspace `acme/gpu-prod` (id ws-Gpu1), its current state version, and
/// the hosted state URL that redirects to a signed storage URL on another host; workspace
/// `acme/fresh` has no state yet.
struct Hcp {
    api: Receiver,
    storage: Receiver,
}

const TOKEN: &str = "atlasv1.test-token-0123456789";

fn hcp() -> Hcp {
    let state = demo_state();
    let storage = Receiver::start(move |req: &Request| {
        if req.path.starts_with("/signed/sv-1?X-Amz-Signature=") {
            Reply::new(200, state.clone())
        } else {
            Reply::new(404, "")
        }
    });
    let signed = format!("{}/signed/sv-1?X-Amz-Signature=abc123", storage.url);
    // The API's answers carry its own absolute URLs, as HCP Terraform's do.
    let own_url = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let base = own_url.clone();
    let api = Receiver::start(move |req: &Request| {
        if req.header("authorization") != Some(format!("Bearer {TOKEN}").as_str()) {
            return Reply::json(401, json!({"errors": [{"status": "401", "title": "unauthorized"}]}));
        }
        let not_found = || Reply::json(404, json!({"errors": [{"status": "404", "title": "not found"}]}));
        match req.path.as_str() {
            "/api/v2/organizations/acme/workspaces/gpu-prod" => Reply::json(
                200,
                json!({"data": {"id": "ws-Gpu1", "type": "workspaces", "attributes": {"name": "gpu-prod"}}}),
            ),
            "/api/v2/organizations/acme/workspaces/fresh" => Reply::json(
                200,
                json!({"data": {"id": "ws-Fresh", "type": "workspaces", "attributes": {"name": "fresh"}}}),
            ),
            "/api/v2/workspaces/ws-Gpu1/current-state-version" => Reply::json(
                200,
                json!({"data": {"id": "sv-1", "type": "state-versions", "attributes": {
                    "serial": 7,
                    "hosted-state-download-url": format!("{}/api/state-versions/sv-1/hosted_state", base.lock().unwrap())
                }}}),
            ),
            "/api/state-versions/sv-1/hosted_state" => {
                Reply { status: 307, headers: vec![("location".into(), signed.clone())], body: String::new() }
            }
            _ => not_found(),
        }
    });
    *own_url.lock().unwrap() = api.url.clone();
    Hcp { api, storage }
}

#[test]
fn hcp_terraform_workspace_state_through_the_api_and_a_signed_redirect() {
    let hcp = hcp();
    let dir = tempfile::tempdir().unwrap();
    let env = |token: &str| {
        vec![("DRIFTD_TFE_ENDPOINT", hcp.api.url.clone()), ("TF_TOKEN_tfe_acme__corp_example", token.to_string())]
    };
    let state = "remote://tfe.acme-corp.example/acme/gpu-prod";
    let r = check(dir.path(), state, &env(TOKEN));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["summary"]["managed"], 22);
    assert_eq!(v["sources"]["declared"][0]["location"], state);
    // The signed storage URL got no token.
    let downloads = hcp.storage.received();
    assert_eq!(downloads.len(), 1);
    assert_eq!(downloads[0].header("authorization"), None, "the token went to the storage host");
    assert!(!r.stderr.contains(TOKEN) && !r.stdout.contains(TOKEN));

    for (state, token, says) in [
        (state, "wrong", "refused the token (HTTP 401): check TF_TOKEN_tfe_acme__corp_example"),
        (
            "remote://tfe.acme-corp.example/acme/nope",
            TOKEN,
            "no workspace acme/nope on tfe.acme-corp.example, or the token cannot see it (HTTP 404)",
        ),
        ("remote://tfe.acme-corp.example/acme/fresh", TOKEN, "the workspace has no state yet (not applied)"),
    ] {
        let r = check(dir.path(), state, &env(token));
        assert_one_error(&r, 3);
        assert!(r.stderr.contains(says), "{state}: {}", r.stderr);
        assert!(!r.stderr.contains("wrong") || says.contains("wrong"), "{}", r.stderr);
    }

    // No token anywhere: say how to give one. The credentials file `terraform login` writes works.
    let home = tempfile::tempdir().unwrap();
    let no_token = [("DRIFTD_TFE_ENDPOINT", hcp.api.url.clone()), ("HOME", home.path().display().to_string())];
    let r = check(dir.path(), state, &no_token);
    assert_one_error(&r, 3);
    assert!(r.stderr.contains("no token for tfe.acme-corp.example: set TF_TOKEN_tfe_acme__corp_example, or run `terraform login tfe.acme-corp.example`"), "{}", r.stderr);
    fs::create_dir_all(home.path().join(".terraform.d")).unwrap();
    fs::write(
        home.path().join(".terraform.d/credentials.tfrc.json"),
        json!({"credentials": {"tfe.acme-corp.example": {"token": TOKEN}}}).to_string(),
    )
    .unwrap();
    let r = check(dir.path(), state, &no_token);
    assert_eq!(r.code, 1, "{}", r.stderr);
}

/// `--discover` reads an `http` backend and a `cloud` block's workspace as `--state` would.
#[test]
fn discovery_reads_http_backends_and_cloud_workspaces() {
    let server = http_backend();
    let hcp = hcp();
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    fs::create_dir_all(repo.join("http")).unwrap();
    fs::create_dir_all(repo.join("hcp")).unwrap();
    fs::write(
        repo.join("http/main.tf"),
        format!("terraform {{\n  backend \"http\" {{\n    address = \"{}/state/gpu\"\n  }}\n}}\n", server.url),
    )
    .unwrap();
    fs::write(
        repo.join("hcp/main.tf"),
        "terraform {\n  cloud {\n    hostname     = \"tfe.acme-corp.example\"\n    organization = \"acme\"\n    workspaces {\n      name = \"gpu-prod\"\n    }\n  }\n}\n",
    )
    .unwrap();
    let env = [
        ("TF_HTTP_USERNAME", "ci".to_string()),
        ("TF_HTTP_PASSWORD", "p@ss:word".to_string()),
        ("DRIFTD_TFE_ENDPOINT", hcp.api.url.clone()),
        ("TF_TOKEN_tfe_acme__corp_example", TOKEN.to_string()),
    ];
    let live = abs_demo_live("live.json");
    let r = driftd_env(dir.path(), &["check", "--discover", "repo", "--provider", &live, "--format", "json"], &env);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let mut locations: Vec<&str> =
        v["sources"]["declared"].as_array().unwrap().iter().map(|d| d["location"].as_str().unwrap()).collect();
    locations.sort();
    assert_eq!(
        locations,
        [format!("{}/state/gpu", server.url).as_str(), "remote://tfe.acme-corp.example/acme/gpu-prod"]
    );
    assert!(v["warnings"].as_array().unwrap().iter().all(|w| w["kind"] != "scan_error"), "{}", v["warnings"]);
}
