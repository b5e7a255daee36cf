//! The Azure side of a scan's plumbing: one HTTP transport (our reqwest, with timeouts,
//! call counting and permission tracing) under both the compute SDK and the JSON reads,
//! our own retry policy, the credential chain, and paged ARM GETs.
//!
//! Why our own retry policy: the SDK's default (exponential, 8 retries, up to a minute
//! apart) spends about 80 s before it gives up on an endpoint that does not answer. Ours
//! gives up within [`RETRY_BUDGET`], still honours `Retry-After` on 429 and 503 (the
//! SDK's retry loop passes it to [`ScanRetry`] and waits the longer of the two).

use super::error::{AzureError, UNREACHABLE};
use super::sdk::{ComputeClient, ComputeClientBuilder};
use async_trait::async_trait;
use azure_core::auth::TokenCredential;
use azure_core::error::ErrorKind;
use azure_core::{
    ClientOptions, Context, HttpClient, Method, Pipeline, Request, Response, RetryOptions, RetryPolicy,
    TransportOptions, Url,
};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The public cloud's ARM endpoint; `--azure-endpoint` / `DRIFTD_AZURE_ENDPOINT` override it.
pub const PUBLIC_ARM: &str = "https://management.azure.com";
/// Subscriptions listing (`Microsoft.Resources/subscriptions/read`).
const SUBSCRIPTIONS_API: &str = "2022-12-01";

/// Connecting must be quick: an address that does not answer is unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// No byte for this long on an open connection: that attempt failed. ARM pages of
/// hundreds of VMs arrive in well under a second of silence.
const READ_TIMEOUT: Duration = Duration::from_secs(6);
/// A call is given up once its retries have taken this long (counted from the end of
/// the first attempt, as the SDK counts), or after [`MAX_RETRIES`]:
/// with [`READ_TIMEOUT`], an endpoint that hangs fails a run in about 20 s.
pub const RETRY_BUDGET: Duration = Duration::from_secs(10);
const MAX_RETRIES: u32 = 3;

/// ARM calls per subscription (retries included); calls outside any subscription
/// (listing subscriptions) under "".
#[derive(Debug, Clone, Default)]
pub struct Calls(Arc<Mutex<HashMap<String, u64>>>);

impl Calls {
    fn add(&self, subscription: &str) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *map.entry(subscription.to_ascii_lowercase()).or_default() += 1;
    }

    pub fn of(&self, subscription: &str) -> u64 {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).get(&subscription.to_ascii_lowercase()).copied().unwrap_or(0)
    }
}

/// The subscription an ARM path is about, if any.
fn subscription_of(path: &str) -> &str {
    let mut parts = path.split('/').filter(|p| !p.is_empty());
    while let Some(p) = parts.next() {
        if p.eq_ignore_ascii_case("subscriptions") {
            return parts.next().unwrap_or("");
        }
    }
    ""
}

/// The RBAC operation a GET needs: `/subscriptions/s/providers/Microsoft.Compute/virtualMachines`
/// -> `Microsoft.Compute/virtualMachines/read`; `/subscriptions` ->
/// `Microsoft.Resources/subscriptions/read`.
pub fn rbac_action(method: &str, path: &str) -> String {
    let verb = if method.eq_ignore_ascii_case("GET") { "read" } else { "write" };
    let segs: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let Some(at) = segs.iter().rposition(|s| s.eq_ignore_ascii_case("providers")) else {
        return format!("Microsoft.Resources/subscriptions/{verb}");
    };
    let rest = &segs[at + 1..];
    let Some(namespace) = rest.first() else { return format!("Microsoft.Resources/{verb}") };
    // Namespace, then type / name / subtype / name...: the types are every other segment.
    let types: Vec<&str> = rest[1..].iter().step_by(2).copied().collect();
    format!("{namespace}/{}/{verb}", types.join("/"))
}

/// The one HTTP client of a scan, for ARM and the token endpoint alike.
#[derive(Debug)]
pub struct Transport {
    http: reqwest::Client,
    /// `host:port` of ARM: only calls there are counted and traced.
    arm_authority: String,
    pub calls: Calls,
    /// What the token endpoint last said when it refused (OAuth's `error` and
    /// `error_description`, which never hold the secret): the SDK's credential error
    /// keeps only "Server returned error response".
    token_refusal: Mutex<Option<String>>,
}

impl Transport {
    pub fn new(arm: &Url) -> Result<Transport, String> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Transport { http, arm_authority: authority(arm), calls: Calls::default(), token_refusal: Mutex::new(None) })
    }

    pub fn token_refusal(&self) -> Option<String> {
        self.token_refusal.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// `error: error_description` of an OAuth error body, first line, bounded.
fn oauth_refusal(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let error = v.get("error")?.as_str()?;
    let description = v.get("error_description").and_then(|d| d.as_str()).unwrap_or("");
    let first = description.lines().next().unwrap_or("");
    let first: String = first.split(". ").next().unwrap_or(first).chars().take(160).collect();
    Some(if first.is_empty() { error.to_string() } else { format!("{error}: {first}") })
}

fn authority(url: &Url) -> String {
    format!("{}:{}", url.host_str().unwrap_or_default(), url.port_or_known_default().unwrap_or(0))
}

#[async_trait]
impl HttpClient for Transport {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<Response> {
        let url = request.url().clone();
        let method = request.method().to_string();
        // ARM calls are all under /subscriptions; the token endpoint may share the host.
        if authority(&url) == self.arm_authority && url.path().starts_with("/subscriptions") {
            self.calls.add(subscription_of(url.path()));
            if crate::trace::enabled() {
                crate::trace::record(&rbac_action(&method, url.path()));
            }
        }
        let verb = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|e| azure_core::Error::full(ErrorKind::DataConversion, e, "bad HTTP method"))?;
        let mut req = self.http.request(verb, url.clone());
        for (name, value) in request.headers().iter() {
            req = req.header(name.as_str(), value.as_str());
        }
        if let azure_core::Body::Bytes(bytes) = request.body() {
            if !bytes.is_empty() {
                req = req.body(bytes.clone());
            }
        }
        let host = authority(&url);
        let rsp = req.send().await.map_err(|e| {
            let why = if e.is_timeout() {
                "timed out"
            } else if e.is_connect() {
                "connection failed"
            } else {
                "request failed"
            };
            azure_core::Error::message(ErrorKind::Io, format!("{UNREACHABLE} {host}: {why}"))
        })?;
        let status = rsp.status().as_u16();
        let mut headers = HashMap::new();
        for (k, v) in rsp.headers() {
            if let Ok(v) = v.to_str() {
                headers.insert(
                    azure_core::headers::HeaderName::from(k.as_str().to_owned()),
                    azure_core::headers::HeaderValue::from(v.to_owned()),
                );
            }
        }
        let body = rsp.bytes().await.map_err(|e| {
            let why = if e.is_timeout() { "timed out reading the answer" } else { "answer cut off" };
            azure_core::Error::message(ErrorKind::Io, format!("{UNREACHABLE} {host}: {why}"))
        })?;
        if status >= 400 && host != self.arm_authority {
            if let Some(refusal) = oauth_refusal(&body) {
                *self.token_refusal.lock().unwrap_or_else(|e| e.into_inner()) = Some(super::error::scrub(&refusal));
            }
        }
        let status = azure_core::StatusCode::try_from(status).map_err(|_| {
            azure_core::Error::message(ErrorKind::DataConversion, format!("invalid HTTP status {status}"))
        })?;
        Ok(Response::new(
            status,
            azure_core::headers::Headers::from(headers),
            Box::pin(futures::stream::once(async move { Ok(body) })),
        ))
    }
}

/// Exponential backoff with jitter (0.4 s, 0.8 s, 1.6 s), at most [`MAX_RETRIES`]
/// retries within [`RETRY_BUDGET`]. Retry-After from a 429 or 503 is waited in full.
#[derive(Debug)]
pub struct ScanRetry;

#[async_trait]
impl RetryPolicy for ScanRetry {
    fn is_expired(&self, since_start: Duration, retry_count: u32) -> bool {
        retry_count >= MAX_RETRIES || since_start >= RETRY_BUDGET
    }

    fn sleep_duration(&self, retry_count: u32) -> Duration {
        let base = Duration::from_millis(400) * 2u32.saturating_pow(retry_count.saturating_sub(1));
        base.mul_f64(0.75 + fastrand::f64() * 0.5)
    }
}

pub fn client_options(transport: Arc<Transport>) -> ClientOptions {
    ClientOptions::new(TransportOptions::new(transport)).retry(RetryOptions::custom(Arc::new(ScanRetry)))
}

/// The credential: `AZURE_CREDENTIAL_KIND` picks one (environment, clientsecret,
/// clientcertificate, workloadidentity, virtualmachine, appservice, azurecli); otherwise
/// the chain (environment: workload identity, client secret, client certificate; managed
/// identity; Azure CLI). `AZURE_AUTHORITY_HOST` is the token endpoint. Token calls use
/// our transport.
pub fn credential(transport: Arc<Transport>) -> azure_core::Result<Arc<dyn TokenCredential>> {
    let http = transport as Arc<dyn HttpClient>;
    let options = azure_identity::TokenCredentialOptions::from(http.clone());
    let kind = std::env::var("AZURE_CREDENTIAL_KIND").unwrap_or_default().replace(' ', "").to_lowercase();
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    // Where azure_identity's environment credential would take a certificate (no
    // workload identity token, no secret), ours does, without OpenSSL.
    let certificate_in_env = set("AZURE_CLIENT_CERTIFICATE_PATH")
        && !set("AZURE_CLIENT_SECRET")
        && !set("AZURE_FEDERATED_TOKEN_FILE")
        && !set("AZURE_FEDERATED_TOKEN");
    if kind == "clientcertificate" || ((kind.is_empty() || kind == "environment") && certificate_in_env) {
        let authority = options.authority_host()?;
        return Ok(Arc::new(super::certificate::ClientCertificateCredential::from_env(http, authority.as_str())?));
    }
    if !kind.is_empty() {
        Ok(Arc::new(azure_identity::SpecificAzureCredential::create(options)?))
    } else {
        Ok(Arc::new(azure_identity::DefaultAzureCredentialBuilder::new().with_options(options).build()?))
    }
}

/// Everything a scan's reads share.
pub struct Arm {
    pub endpoint: Url,
    pub credential: Arc<dyn TokenCredential>,
    pub compute: ComputeClient,
    pipeline: Pipeline,
    scope: String,
    pub calls: Calls,
    transport: Arc<Transport>,
}

impl Arm {
    /// Set up transport, credential and clients for `endpoint` (ARM's URL).
    pub fn new(endpoint: &str) -> Result<Arm, driftd_core::Error> {
        let location = format!("--azure-endpoint {endpoint}");
        let endpoint = Url::parse(endpoint.trim_end_matches('/'))
            .map_err(|e| driftd_core::Error::input(&location, format!("not a URL: {e}")))?;
        let transport = Arc::new(Transport::new(&endpoint).map_err(|e| driftd_core::Error::input(&location, e))?);
        let calls = transport.calls.clone();
        let credential = credential(transport.clone())
            .map_err(|e| AzureError::from_core("credential", None, endpoint.as_str(), &e).into_error())?;
        let compute = ComputeClientBuilder::new(credential.clone())
            .endpoint(endpoint.clone())
            .transport(TransportOptions::new(transport.clone()))
            .retry(RetryOptions::custom(Arc::new(ScanRetry)))
            .build()
            .map_err(|e| driftd_core::Error::input(&location, e.to_string()))?;
        let pipeline = Pipeline::new(
            Some("driftd"),
            Some(env!("CARGO_PKG_VERSION")),
            client_options(transport.clone()),
            vec![],
            vec![],
        );
        let scope = format!("{}/.default", endpoint.as_str().trim_end_matches('/'));
        Ok(Arm { endpoint, credential, compute, pipeline, scope, calls, transport })
    }

    /// A credential error with what the token endpoint said, when it said something.
    pub fn explain(&self, mut e: AzureError) -> AzureError {
        if e.kind == super::error::AzureErrorKind::BadCredentials {
            if let Some(refusal) = self.transport.token_refusal() {
                e.message = format!("the token endpoint refused the credential ({refusal})");
            }
        }
        e
    }

    /// Where this scan's ARM calls go, for messages.
    pub fn shown(&self) -> String {
        self.endpoint.as_str().trim_end_matches('/').to_string()
    }

    /// GET every page of an ARM collection (`value` + `nextLink`), as `T`.
    pub async fn list<T: DeserializeOwned>(
        &self,
        path_and_query: &str,
        subscription: Option<&str>,
    ) -> Result<Vec<T>, AzureError> {
        let action = rbac_action("GET", path_and_query.split('?').next().unwrap_or_default());
        let fail = |e: &azure_core::Error| AzureError::from_core(&action, subscription, &self.shown(), e);
        let mut url = self
            .endpoint
            .join(path_and_query)
            .map_err(|e| fail(&azure_core::Error::full(ErrorKind::DataConversion, e, "bad URL")))?;
        let mut out = Vec::new();
        loop {
            let token = self.credential.get_token(&[self.scope.as_str()]).await.map_err(|e| fail(&e))?;
            let mut req = Request::new(url.clone(), Method::Get);
            req.insert_header(azure_core::headers::AUTHORIZATION, format!("Bearer {}", token.token.secret()));
            let rsp = self.pipeline.send(&Context::new(), &mut req).await.map_err(|e| fail(&e))?;
            let body = rsp.into_body().collect().await.map_err(|e| fail(&e))?;
            let page: super::aks::Page<T> = serde_json::from_slice(&body).map_err(|e| {
                fail(&azure_core::Error::full(
                    ErrorKind::DataConversion,
                    e,
                    format!("unexpected answer from {}", url.path()),
                ))
            })?;
            out.extend(page.value);
            match page.next_link.filter(|l| !l.is_empty()) {
                Some(next) => {
                    url = Url::parse(&next)
                        .or_else(|_| self.endpoint.join(&next))
                        .map_err(|e| fail(&azure_core::Error::full(ErrorKind::DataConversion, e, "bad nextLink")))?;
                }
                None => return Ok(out),
            }
        }
    }

    /// GET one ARM resource (`{id}?api-version=…`) as `T`; `None` when ARM says it does
    /// not exist (404: deleted since).
    pub async fn get<T: DeserializeOwned>(
        &self,
        path_and_query: &str,
        subscription: Option<&str>,
    ) -> Result<Option<T>, AzureError> {
        let action = rbac_action("GET", path_and_query.split('?').next().unwrap_or_default());
        let fail = |e: &azure_core::Error| AzureError::from_core(&action, subscription, &self.shown(), e);
        let url = self
            .endpoint
            .join(path_and_query)
            .map_err(|e| fail(&azure_core::Error::full(ErrorKind::DataConversion, e, "bad URL")))?;
        let token = self.credential.get_token(&[self.scope.as_str()]).await.map_err(|e| fail(&e))?;
        let mut req = Request::new(url.clone(), Method::Get);
        req.insert_header(azure_core::headers::AUTHORIZATION, format!("Bearer {}", token.token.secret()));
        let rsp = match self.pipeline.send(&Context::new(), &mut req).await {
            Ok(rsp) => rsp,
            Err(e) if matches!(e.kind(), ErrorKind::HttpResponse { status, .. } if u16::from(*status) == 404) => {
                return Ok(None)
            }
            Err(e) => return Err(fail(&e)),
        };
        if u16::from(rsp.status()) == 404 {
            return Ok(None);
        }
        let body = rsp.into_body().collect().await.map_err(|e| fail(&e))?;
        serde_json::from_slice(&body).map(Some).map_err(|e| {
            fail(&azure_core::Error::full(
                ErrorKind::DataConversion,
                e,
                format!("unexpected answer from {}", url.path()),
            ))
        })
    }

    /// Every subscription the identity can read (`GET /subscriptions`), enabled ones only.
    pub async fn subscriptions(&self) -> Result<Vec<String>, AzureError> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Sub {
            subscription_id: String,
            state: Option<String>,
        }
        let subs: Vec<Sub> = self.list(&format!("/subscriptions?api-version={SUBSCRIPTIONS_API}"), None).await?;
        Ok(subs
            .into_iter()
            .filter(|s| s.state.as_deref().is_none_or(|st| st.eq_ignore_ascii_case("enabled")))
            .map(|s| s.subscription_id)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rbac_actions_of_arm_paths() {
        assert_eq!(
            rbac_action("GET", "/subscriptions/s/providers/Microsoft.Compute/virtualMachines"),
            "Microsoft.Compute/virtualMachines/read"
        );
        assert_eq!(
            rbac_action(
                "GET",
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c/agentPools"
            ),
            "Microsoft.ContainerService/managedClusters/agentPools/read"
        );
        assert_eq!(rbac_action("GET", "/subscriptions"), "Microsoft.Resources/subscriptions/read");
    }

    #[test]
    fn calls_are_counted_per_subscription() {
        assert_eq!(subscription_of("/subscriptions/AbC/providers/x"), "AbC");
        assert_eq!(subscription_of("/subscriptions"), "");
    }

    #[test]
    fn retry_gives_up_within_budget() {
        assert!(!ScanRetry.is_expired(Duration::from_secs(1), 1));
        assert!(ScanRetry.is_expired(Duration::from_secs(1), MAX_RETRIES));
        assert!(ScanRetry.is_expired(RETRY_BUDGET, 1));
        let d = ScanRetry.sleep_duration(3);
        assert!(d >= Duration::from_millis(1200) && d <= Duration::from_millis(2000), "{d:?}");
    }
}
