//! AWS errors in driftd's terms: an endpoint that cannot be reached, a missing IAM
//! permission, or anything else, each named with the operation and region.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use driftd_core::Error;
use std::fmt;

/// A failed listing: which API operation (IAM action name), where, why, and what kind
/// of failure, which decides what the user is told to do.
#[derive(Debug, Clone)]
pub struct ListError {
    pub operation: &'static str,
    pub region: String,
    pub endpoint: String,
    pub kind: ListErrorKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListErrorKind {
    /// The endpoint did not answer (network, timeout).
    Unreachable,
    /// The credentials work but lack the IAM action.
    Denied,
    /// The credentials themselves were rejected: invalid or expired.
    BadCredentials,
    /// Anything else the API said (throttling beyond retries, a server error).
    Other,
}

/// Error codes of credentials AWS does not accept (as opposed to a missing permission).
const BAD_CREDENTIALS: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "AuthFailure",
    "InvalidAccessKeyId",
    "RequestExpired",
];

const DENIED: &[&str] = &["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Forbidden"];

impl ListError {
    pub fn from_sdk<E>(
        operation: &'static str,
        region: &str,
        endpoint: &str,
        err: SdkError<E, HttpResponse>,
    ) -> ListError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let status = err.raw_response().map(|r| r.status().as_u16());
        // The body's own words where the SDK could not parse them (an endpoint that speaks
        // the protocol loosely, a proxy): `<Code>`/`<Message>` in XML, `__type`/`message` in JSON.
        let body = err.raw_response().and_then(|r| r.body().bytes()).map(String::from_utf8_lossy).unwrap_or_default();
        let code = err.code().map(str::to_string).or_else(|| body_field(&body, "Code")).unwrap_or_default();
        let msg =
            one_line(&err.message().map(str::to_string).or_else(|| body_field(&body, "Message")).unwrap_or_default());
        // Read to recognise the credential chain's failure, never printed.
        let detail = DisplayErrorContext(&err).to_string();
        let (kind, message) = match &err {
            _ if no_credentials(&detail) => (ListErrorKind::BadCredentials, NO_CREDENTIALS.to_string()),
            SdkError::DispatchFailure(d) => {
                let why = if d.is_timeout() { "timed out" } else { "connection failed" };
                (ListErrorKind::Unreachable, format!("cannot reach {endpoint} ({why})"))
            }
            SdkError::TimeoutError(_) => (ListErrorKind::Unreachable, format!("cannot reach {endpoint} (timed out)")),
            _ if BAD_CREDENTIALS.contains(&code.as_str()) => (
                ListErrorKind::BadCredentials,
                format!("AWS rejected the credentials ({code}: {msg}): they are invalid or expired"),
            ),
            _ if DENIED.contains(&code.as_str()) => {
                (ListErrorKind::Denied, format!("missing IAM permission {operation} ({code}: {msg})"))
            }
            // Some services' denials come without a parsable code; 403 says enough.
            // (moto's EKS answers a denied call `SignatureDoesNotMatch`; AWS may too when a
            // request is signed for the wrong region: the code is shown either way.)
            _ if status == Some(403) => {
                let code = if code.is_empty() { String::new() } else { format!(" {code}") };
                (ListErrorKind::Denied, format!("missing IAM permission {operation} (HTTP 403{code} from {endpoint})"))
            }
            // Service, action, status, code and message: never the SDK's debug structure.
            _ => {
                let status = status.map(|s| format!("HTTP {s}")).unwrap_or_else(|| "no HTTP response".into());
                let what = match (code.is_empty(), msg.is_empty()) {
                    (false, false) => format!(": {code}: {msg}"),
                    (false, true) => format!(": {code}"),
                    (true, false) => format!(": {msg}"),
                    (true, true) => String::new(),
                };
                (ListErrorKind::Other, format!("{operation} failed at {endpoint}: {status}{what}"))
            }
        };
        ListError { operation, region: region.to_string(), endpoint: endpoint.to_string(), kind, message }
    }

    /// Add where the credentials came from, to a message that is about them.
    pub fn with_credential_source(mut self, source: &str) -> ListError {
        if self.kind == ListErrorKind::BadCredentials && !self.message.contains(source) {
            self.message = format!("{}; credentials from {source}", self.message);
        }
        self
    }

    /// A lister task that died (a bug, never a cloud answer): that type is not read.
    pub fn task(region: &str, err: tokio::task::JoinError) -> ListError {
        ListError {
            operation: "lister",
            region: region.to_string(),
            endpoint: String::new(),
            kind: ListErrorKind::Other,
            message: format!("lister task failed: {err}"),
        }
    }

    /// As a run-ending error: exit 3 (the cloud could not be read).
    pub fn into_error(self) -> Error {
        Error::unreachable(format!("aws {}", self.region), self.message)
    }
}

/// What the SDK's default chain looks at, in order, when it finds nothing.
pub const NO_CREDENTIALS: &str = "no AWS credentials found; tried environment variables (AWS_ACCESS_KEY_ID / \
AWS_SECRET_ACCESS_KEY), the shared config and credentials files (AWS_PROFILE, ~/.aws), SSO, web identity \
(AWS_WEB_IDENTITY_TOKEN_FILE), container credentials and the instance role (IMDS)";

/// The SDK's words for "the credential chain found nothing".
fn no_credentials(detail: &str) -> bool {
    detail.contains("no providers in chain provided credentials")
        || detail.contains("CredentialsNotLoaded")
        || detail.contains("failed to load credentials")
        || detail.contains("the credential provider was not enabled")
}

/// `<Field>value</Field>` (XML protocols) or `"field": "value"` (JSON), the first one.
fn body_field(body: &str, field: &str) -> Option<String> {
    let xml = body.split(&format!("<{field}>")).nth(1).and_then(|r| r.split(&format!("</{field}>")).next());
    let json = || {
        let v: serde_json::Value = serde_json::from_str(body).ok()?;
        let key = if field == "Code" { "__type" } else { "message" };
        Some(v.get(key)?.as_str()?.rsplit('#').next()?.to_string())
    };
    xml.map(str::to_string).or_else(json).filter(|s| !s.is_empty() && s.len() < 200)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl fmt::Display for ListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
