//! AWS errors in driftd's terms: an endpoint that cannot be reached, a missing IAM
//! permission, or anything else, each named with the operation and region.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use driftd_core::Error;
use std::fmt;

/// A failed listing: which API operation (IAM action name), where, and why.
#[derive(Debug, Clone)]
pub struct ListError {
    pub operation: &'static str,
    pub region: String,
    pub endpoint: String,
    pub message: String,
}

const DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthFailure",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
];

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
        let message = match &err {
            SdkError::DispatchFailure(d) => {
                let why = if d.is_timeout() { "timed out" } else { "connection failed" };
                format!("cannot reach {endpoint} ({why})")
            }
            SdkError::TimeoutError(_) => format!("cannot reach {endpoint} (timed out)"),
            _ => {
                let code = err.code().unwrap_or("").to_string();
                let msg = err.message().unwrap_or("").to_string();
                if DENIED.contains(&code.as_str()) {
                    format!("missing IAM permission {operation} ({code}: {msg})")
                } else if status == Some(403) {
                    // Some services' denials come without a parsable code; 403 says enough.
                    format!("missing IAM permission {operation} (HTTP 403 from {endpoint})")
                } else if code.is_empty() {
                    let detail = one_line(&DisplayErrorContext(&err).to_string());
                    format!("{operation} failed at {endpoint}: {detail}")
                } else {
                    format!("{operation} failed: {code}: {msg}")
                }
            }
        };
        ListError { operation, region: region.to_string(), endpoint: endpoint.to_string(), message }
    }

    /// A lister task that died (a bug, never a cloud answer): that type is not read.
    pub fn task(region: &str, err: tokio::task::JoinError) -> ListError {
        ListError {
            operation: "lister",
            region: region.to_string(),
            endpoint: String::new(),
            message: format!("lister task failed: {err}"),
        }
    }

    /// As a run-ending error: exit 3 (the cloud could not be read).
    pub fn into_error(self) -> Error {
        Error::unreachable(format!("aws {}", self.region), self.message)
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl fmt::Display for ListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
