//! A local Azure Resource Manager and Entra ID token endpoint, on loopback, for the
//! Azure tests: the subscription-wide list operations a scan calls (VMs, scale sets,
//! AKS managed clusters, subscriptions), paged with `nextLink` as ARM pages, bearer
//! tokens checked, 401/403 with ARM's error bodies, and faults on command (429/503 with
//! Retry-After, hangs, resets) through [`Receiver`]. Payloads are ARM's own shapes:
//! Microsoft's examples (`testdata/azure-arm/`) and fleets built here on their model.

use super::percent_decode;
use super::receiver::{Fault, Receiver, Reply, Request};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

pub const TENANT: &str = "8f2c6a1e-4b7d-4c39-9a51-2e6d0c8b7f14";
pub const CLIENT_ID: &str = "3b9e1f6a-72c4-4d8e-b5a0-91f7c2e64d38";
/// The client secret the token endpoint accepts: must never appear in any output.
pub const SECRET: &str = "Zq8~vN3kT.pLw7-Rx2sYc9_Hd4Fj6Gm1Bn5Q";

/// One subscription's resources, as ARM returns them.
#[derive(Debug, Clone, Default)]
pub struct Subscription {
    pub vms: Vec<Value>,
    pub scale_sets: Vec<Value>,
    pub clusters: Vec<Value>,
    /// Activity Log entries (`eventtypes/management/values`), each with its `resourceId`.
    pub activity_log: Vec<Value>,
    /// Capacity reservation groups as listed, and their reservations as GET by id answers
    /// (with `instanceView`, which is left out unless `$expand=instanceView` is asked).
    pub reservation_groups: Vec<Value>,
    pub reservations: Vec<Value>,
}

#[derive(Debug, Clone)]
pub struct Fleet {
    pub subscriptions: BTreeMap<String, Subscription>,
    /// Items per page of every list operation.
    pub page_size: usize,
    /// Subscriptions whose compute the identity may not read (403 AuthorizationFailed).
    pub denied: Vec<String>,
}

impl Default for Fleet {
    fn default() -> Fleet {
        Fleet { subscriptions: BTreeMap::new(), page_size: 100, denied: vec![] }
    }
}

pub struct ArmServer {
    pub arm: Receiver,
    pub login: Receiver,
    fleet: Arc<Mutex<Fleet>>,
    /// A certificate the app has registered: its `x5t` and public key (PEM file).
    certificate: Arc<Mutex<Option<(String, std::path::PathBuf)>>>,
}

impl ArmServer {
    pub fn start(fleet: Fleet) -> ArmServer {
        let fleet = Arc::new(Mutex::new(fleet));
        let tokens = Arc::new(Mutex::new(Vec::<String>::new()));
        let certificate = Arc::new(Mutex::new(None));
        let (issued, registered) = (tokens.clone(), certificate.clone());
        let login = Receiver::start(move |req| token(req, &issued, &registered.lock().unwrap()));
        let shared = fleet.clone();
        let arm = Receiver::start(move |req| arm(req, &shared.lock().unwrap(), &tokens.lock().unwrap()));
        ArmServer { arm, login, fleet, certificate }
    }

    /// Register a certificate for the app: client assertions signed by its key are accepted.
    pub fn register_certificate(&self, x5t: &str, public_key_pem: &std::path::Path) {
        *self.certificate.lock().unwrap() = Some((x5t.to_string(), public_key_pem.to_path_buf()));
    }

    /// The environment of a driftd run against this server: client secret credential,
    /// this token endpoint and this ARM, nothing else reachable.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AZURE_CREDENTIAL_KIND", "clientsecret".into()),
            ("AZURE_TENANT_ID", TENANT.into()),
            ("AZURE_CLIENT_ID", CLIENT_ID.into()),
            ("AZURE_CLIENT_SECRET", SECRET.into()),
            ("AZURE_AUTHORITY_HOST", self.login.url.clone()),
            ("DRIFTD_AZURE_ENDPOINT", self.arm.url.clone()),
        ]
    }

    pub fn update(&self, f: impl FnOnce(&mut Fleet)) {
        f(&mut self.fleet.lock().unwrap());
    }

    pub fn fail_next(&self, faults: impl IntoIterator<Item = Fault>) {
        self.arm.fail_next(faults);
    }

    /// ARM requests received so far (retries included).
    pub fn calls(&self) -> Vec<Request> {
        self.arm.received()
    }
}

/// `POST /{tenant}/oauth2/v2.0/token`, client credentials grant: a client secret, or a
/// JWT client assertion whose `x5t` names the registered certificate and whose RS256
/// signature verifies with its public key (checked with the openssl command).
fn token(req: &Request, issued: &Mutex<Vec<String>>, certificate: &Option<(String, std::path::PathBuf)>) -> Reply {
    let form: BTreeMap<String, String> = String::from_utf8_lossy(&req.body)
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), percent_decode(v)))
        .collect();
    if req.method != "POST" || req.path != format!("/{TENANT}/oauth2/v2.0/token") {
        return Reply::json(
            404,
            json!({"error": "invalid_request", "error_description": "AADSTS90002: Tenant not found."}),
        );
    }
    let by_secret = form.get("client_secret").map(String::as_str) == Some(SECRET);
    let host = req.header("host").unwrap_or("");
    let by_certificate = form.get("client_assertion").is_some_and(|jwt| assertion_valid(jwt, certificate, host));
    if form.get("client_id").map(String::as_str) != Some(CLIENT_ID) || !(by_secret || by_certificate) {
        return Reply::json(
            401,
            json!({"error": "invalid_client", "error_description": format!("AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{CLIENT_ID}'."), "error_codes": [7000215]}),
        );
    }
    let mut issued = issued.lock().unwrap();
    let token = format!("eyJ0eXAiOiJKV1Qi.test-token-{}", issued.len());
    issued.push(token.clone());
    Reply::json(200, json!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}))
}

fn assertion_valid(jwt: &str, certificate: &Option<(String, std::path::PathBuf)>, host: &str) -> bool {
    use base64::Engine;
    let Some((x5t, public_key)) = certificate else { return false };
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header, claims, signature] = parts.as_slice() else { return false };
    let header: Value = serde_json::from_slice(&b64.decode(header).unwrap_or_default()).unwrap_or(Value::Null);
    let claims: Value = serde_json::from_slice(&b64.decode(claims).unwrap_or_default()).unwrap_or(Value::Null);
    let audience = format!("http://{host}/{TENANT}/oauth2/v2.0/token");
    if header["alg"] != "RS256"
        || header["x5t"] != x5t.as_str()
        || claims["aud"] != audience.as_str()
        || claims["iss"] != CLIENT_ID
    {
        return false;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("data"), format!("{}.{}", parts[0], parts[1])).unwrap();
    std::fs::write(dir.path().join("sig"), b64.decode(signature).unwrap_or_default()).unwrap();
    std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(public_key)
        .arg("-signature")
        .arg(dir.path().join("sig"))
        .arg(dir.path().join("data"))
        .output()
        .expect("the openssl command verifies client assertions")
        .status
        .success()
}

fn arm_error(status: u16, code: &str, message: String) -> Reply {
    Reply::json(status, json!({"error": {"code": code, "message": message}}))
}

fn arm(req: &Request, fleet: &Fleet, tokens: &[String]) -> Reply {
    let (path, query) = req.path.split_once('?').unwrap_or((&req.path, ""));
    let bearer = req.header("authorization").and_then(|h| h.strip_prefix("Bearer ")).unwrap_or("");
    if !tokens.iter().any(|t| t == bearer) {
        return arm_error(401, "InvalidAuthenticationToken", "The access token is invalid.".into());
    }
    if !query.contains("api-version=") {
        return arm_error(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.".into(),
        );
    }
    let skip: usize = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("%24skiptoken=").or(kv.strip_prefix("$skiptoken=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let host = req.header("host").unwrap_or("127.0.0.1");
    let api = query.split('&').find(|kv| kv.starts_with("api-version=")).unwrap_or("api-version=1");
    let page = |items: &[Value]| -> Reply {
        let end = (skip + fleet.page_size).min(items.len());
        let mut body = json!({"value": items[skip.min(items.len())..end]});
        if end < items.len() {
            body["nextLink"] = Value::from(format!("http://{host}{path}?{api}&%24skiptoken={end}"));
        }
        Reply::json(200, body)
    };
    match segs.as_slice() {
        ["subscriptions"] => {
            let subs: Vec<Value> = fleet
                .subscriptions
                .keys()
                .map(|s| json!({"id": format!("/subscriptions/{s}"), "subscriptionId": s, "displayName": format!("ml-{}", &s[..8]), "state": "Enabled", "tenantId": TENANT}))
                .collect();
            page(&subs)
        }
        ["subscriptions", sub, "providers", namespace, kind] => {
            let Some(data) = fleet.subscriptions.get(*sub) else {
                return arm_error(404, "SubscriptionNotFound", format!("The subscription '{sub}' could not be found."));
            };
            let action = format!("{namespace}/{kind}/read");
            if fleet.denied.iter().any(|d| d == sub) {
                return arm_error(
                    403,
                    "AuthorizationFailed",
                    format!("The client '{CLIENT_ID}' with object id '{CLIENT_ID}' does not have authorization to perform action '{action}' over scope '/subscriptions/{sub}' or the scope is invalid."),
                );
            }
            match (*namespace, *kind) {
                ("Microsoft.Compute", "virtualMachines") => page(&data.vms),
                ("Microsoft.Compute", "virtualMachineScaleSets") => page(&data.scale_sets),
                ("Microsoft.ContainerService", "managedClusters") => page(&data.clusters),
                ("Microsoft.Compute", "capacityReservationGroups") => page(&data.reservation_groups),
                _ => arm_error(
                    400,
                    "NoRegisteredProviderFound",
                    format!("No registered resource provider found for {namespace}/{kind}."),
                ),
            }
        }
        // One capacity reservation by its id.
        ["subscriptions", sub, rg, _, "providers", "Microsoft.Compute", "capacityReservationGroups", _, "capacityReservations", _]
            if rg.eq_ignore_ascii_case("resourceGroups") =>
        {
            let Some(data) = fleet.subscriptions.get(*sub) else {
                return arm_error(404, "SubscriptionNotFound", format!("The subscription '{sub}' could not be found."));
            };
            match data.reservations.iter().find(|r| r["id"].as_str().is_some_and(|id| id.eq_ignore_ascii_case(path))) {
                Some(r) => {
                    let mut r = r.clone();
                    if !query.contains("expand=instanceView") {
                        r["properties"].as_object_mut().map(|p| p.remove("instanceView"));
                    }
                    Reply::json(200, r)
                }
                None => arm_error(404, "ResourceNotFound", format!("The Resource '{path}' was not found.")),
            }
        }
        // One VM or scale set by its id, as a re-read after an event GETs it.
        ["subscriptions", sub, rg, _, "providers", "Microsoft.Compute", kind, name]
            if rg.eq_ignore_ascii_case("resourceGroups") =>
        {
            let Some(data) = fleet.subscriptions.get(*sub) else {
                return arm_error(404, "SubscriptionNotFound", format!("The subscription '{sub}' could not be found."));
            };
            let items = match *kind {
                "virtualMachines" => &data.vms,
                "virtualMachineScaleSets" => &data.scale_sets,
                _ => {
                    return arm_error(
                        404,
                        "InvalidResourceType",
                        format!("The resource type could not be found: {path}"),
                    )
                }
            };
            match items.iter().find(|v| v["id"].as_str().is_some_and(|id| id.eq_ignore_ascii_case(path))) {
                Some(v) => Reply::json(200, v.clone()),
                None => arm_error(
                    404,
                    "ResourceNotFound",
                    format!("The Resource 'Microsoft.Compute/{kind}/{name}' under resource group was not found."),
                ),
            }
        }
        ["subscriptions", sub, "providers", "Microsoft.Insights", "eventtypes", "management", "values"] => {
            let Some(data) = fleet.subscriptions.get(*sub) else {
                return arm_error(404, "SubscriptionNotFound", format!("The subscription '{sub}' could not be found."));
            };
            // `$filter=eventTimestamp ge '…' and resourceUri eq '…'`, as the Activity Log takes it.
            let filter = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("%24filter=").or(kv.strip_prefix("$filter=")))
                .map(percent_decode)
                .unwrap_or_default();
            let quoted = |key: &str| -> Option<String> {
                let rest = &filter[filter.find(key)? + key.len()..];
                let rest = rest.trim_start().strip_prefix("'")?;
                Some(rest[..rest.find('\'')?].to_string())
            };
            let (Some(since), Some(uri)) = (quoted("eventTimestamp ge"), quoted("resourceUri eq")) else {
                return arm_error(400, "BadRequest", format!("The $filter '{filter}' is not supported."));
            };
            let entries: Vec<Value> = data
                .activity_log
                .iter()
                .filter(|e| e["resourceId"].as_str().is_some_and(|r| r.eq_ignore_ascii_case(&uri)))
                .filter(|e| e["eventTimestamp"].as_str().is_some_and(|t| t >= since.as_str()))
                .cloned()
                .collect();
            page(&entries)
        }
        _ => arm_error(404, "InvalidResourceType", format!("The resource type could not be found: {path}")),
    }
}
