//! Azure errors in driftd's terms: an endpoint that cannot be reached, a credential
//! that is rejected, a missing RBAC permission, or anything else, each named with the
//! operation (its RBAC action) and the subscription.

use driftd_core::Error;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AzureErrorKind {
    /// ARM or the token endpoint did not answer (network, timeout).
    Unreachable,
    /// The credential itself was rejected (invalid secret, expired token) or none is set up.
    BadCredentials,
    /// The identity is valid but lacks the RBAC action.
    Denied,
    /// Anything else ARM said (throttling beyond retries, a server error, a body we cannot read).
    Other,
}

/// A failed call: which RBAC action, where, why.
#[derive(Debug, Clone)]
pub struct AzureError {
    pub action: String,
    pub subscription: Option<String>,
    pub endpoint: String,
    pub kind: AzureErrorKind,
    pub message: String,
}

/// Message of the transport when nothing answered: `classify` recognises it in any
/// chain of context the SDKs wrap around it.
pub(crate) const UNREACHABLE: &str = "could not reach";

impl AzureError {
    /// Classify an `azure_core` error (from the SDK, the credential or our JSON reads).
    pub fn from_core(action: &str, subscription: Option<&str>, endpoint: &str, e: &azure_core::Error) -> AzureError {
        let chain = scrub(&chain_text(e));
        let (kind, message) = match e.kind() {
            azure_core::error::ErrorKind::HttpResponse { status, error_code } => {
                let code = error_code.clone().unwrap_or_default();
                let arm_message = e.as_http_error().and_then(|h| h.error_message()).map(scrub).unwrap_or_default();
                let detail = [code.as_str(), arm_message.as_str()]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(": ");
                match u16::from(*status) {
                    401 => (
                        AzureErrorKind::BadCredentials,
                        format!("ARM rejected the credential (HTTP 401{})", paren(&detail)),
                    ),
                    403 => (
                        AzureErrorKind::Denied,
                        format!("the identity lacks the permission {action} (HTTP 403{})", paren(&detail)),
                    ),
                    429 => {
                        (AzureErrorKind::Other, format!("throttled by ARM beyond retries (HTTP 429{})", paren(&detail)))
                    }
                    s => (AzureErrorKind::Other, format!("ARM answered HTTP {s}{}", paren(&detail))),
                }
            }
            _ if chain.contains(UNREACHABLE) => (AzureErrorKind::Unreachable, chain),
            azure_core::error::ErrorKind::Credential => {
                (AzureErrorKind::BadCredentials, format!("no token from the credential: {chain}"))
            }
            azure_core::error::ErrorKind::Io => (AzureErrorKind::Unreachable, chain),
            azure_core::error::ErrorKind::DataConversion => {
                (AzureErrorKind::Other, format!("ARM's answer could not be read: {chain}"))
            }
            _ => (AzureErrorKind::Other, chain),
        };
        AzureError {
            action: action.to_string(),
            subscription: subscription.map(str::to_string),
            endpoint: endpoint.to_string(),
            kind,
            message,
        }
    }

    /// What to do about it, for the one line the user reads.
    pub fn hint(&self) -> &'static str {
        match self.kind {
            AzureErrorKind::Unreachable => "check the network path to the endpoint, or --azure-endpoint / AZURE_AUTHORITY_HOST",
            AzureErrorKind::BadCredentials => {
                "check the credential (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, workload or managed identity, `az login`; AZURE_CREDENTIAL_KIND picks one)"
            }
            AzureErrorKind::Denied => "grant the role in deploy/azure/driftd-reader-role.json on the subscription",
            AzureErrorKind::Other => "retry later; the run is incomplete",
        }
    }

    pub fn into_error(self) -> Error {
        let location = match &self.subscription {
            Some(s) => format!("azure subscription {s} ({})", self.endpoint),
            None => format!("azure ({})", self.endpoint),
        };
        Error::unreachable(location, format!("{}: {}; {}", self.action, self.message, self.hint()))
    }
}

fn paren(s: &str) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!(", {s}")
    }
}

impl fmt::Display for AzureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.action, self.message)
    }
}

/// Every message of an error and its sources, deduplicated, in one line.
fn chain_text(e: &azure_core::Error) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ").replace('\n', " ")
}

/// The secrets a run may hold in its environment, and any SAS or key in a URL: never in
/// a message, whatever an SDK or server echoes back.
pub fn scrub(text: &str) -> String {
    let mut out = text.to_string();
    for var in [
        "AZURE_CLIENT_SECRET",
        "ARM_ACCESS_KEY",
        "AZURE_STORAGE_KEY",
        "ARM_SAS_TOKEN",
        "AZURE_STORAGE_SAS_TOKEN",
        "AZURE_FEDERATED_TOKEN",
    ] {
        if let Ok(v) = std::env::var(var) {
            if v.len() >= 4 {
                out = out.replace(&v, "***");
            }
        }
    }
    if let Ok(cs) = std::env::var("AZURE_STORAGE_CONNECTION_STRING") {
        for part in cs.split(';') {
            if let Some((k, v)) = part.split_once('=') {
                if (k.eq_ignore_ascii_case("AccountKey") || k.eq_ignore_ascii_case("SharedAccessSignature"))
                    && v.len() >= 4
                {
                    out = out.replace(v, "***");
                }
            }
        }
    }
    // SAS query strings (`sig=...`) in any URL an error quotes.
    let mut from = 0;
    while let Some(at) = out[from..].find("sig=") {
        let start = from + at + 4;
        let end = out[start..].find(['&', ' ', '"', '\'']).map_or(out.len(), |e| start + e);
        out.replace_range(start..end, "***");
        from = start + 3;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_hides_sas_signatures() {
        assert_eq!(
            scrub("GET https://a.blob/c/b?sv=1&sig=abc%2Fdef&se=2 failed"),
            "GET https://a.blob/c/b?sv=1&sig=***&se=2 failed"
        );
        assert_eq!(scrub("a?sig=x&b=1 then b?sig=y"), "a?sig=***&b=1 then b?sig=***");
        assert_eq!(scrub("no signature here"), "no signature here");
    }
}
