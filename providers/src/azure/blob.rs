//! `--state azurerm://ACCOUNT/CONTAINER/BLOB`: Terraform's azurerm backend, read-only.
//!
//! Where the blob service is: `DRIFTD_AZURE_BLOB_ENDPOINT` (Azurite:
//! `http://127.0.0.1:10000/devstoreaccount1`), else `BlobEndpoint` (or protocol, account
//! and `EndpointSuffix`) of `AZURE_STORAGE_CONNECTION_STRING`, else
//! `https://ACCOUNT.blob.core.windows.net`.
//!
//! How it authenticates, first that applies: a SAS (`ARM_SAS_TOKEN`,
//! `AZURE_STORAGE_SAS_TOKEN`, or `SharedAccessSignature` in the connection string); the
//! account's shared key (`ARM_ACCESS_KEY`, `AZURE_STORAGE_KEY`, or `AccountKey` in the
//! connection string for that account), signed as the Blob service's Shared Key scheme;
//! otherwise Entra ID through the same credential chain as the scan
//! (`Storage Blob Data Reader` on the container).

use super::error::scrub;
use super::storage::{auth, connection_string, cs_get, env, shared_key, Auth, STORAGE_VERSION};
use azure_core::Url;
use driftd_core::tfstate::{self, StateInput};
use driftd_core::Error;

#[derive(Debug, PartialEq)]
struct BlobRef {
    account: String,
    container: String,
    blob: String,
}

fn parse_url(url: &str) -> Result<BlobRef, Error> {
    let rest = url.strip_prefix("azurerm://").ok_or_else(|| Error::input(url, "not an azurerm:// URL"))?;
    let mut parts = rest.splitn(3, '/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(a), Some(c), Some(b)) if !a.is_empty() && !c.is_empty() && !b.is_empty() => {
            Ok(BlobRef { account: a.to_string(), container: c.to_string(), blob: b.to_string() })
        }
        _ => Err(Error::input(url, "expected azurerm://STORAGE_ACCOUNT/CONTAINER/BLOB (Terraform's azurerm backend: storage_account_name, container_name, key)")),
    }
}

/// The blob service's base URL for `account` (no trailing slash).
fn endpoint(account: &str, cs: &[(String, String)]) -> String {
    if let Some(e) = env("DRIFTD_AZURE_BLOB_ENDPOINT") {
        return e.trim_end_matches('/').to_string();
    }
    let cs_account = cs_get(cs, "AccountName");
    if cs_account.is_none_or(|a| a == account) {
        if let Some(e) = cs_get(cs, "BlobEndpoint") {
            return e.trim_end_matches('/').to_string();
        }
        if let Some(suffix) = cs_get(cs, "EndpointSuffix") {
            let proto = cs_get(cs, "DefaultEndpointsProtocol").unwrap_or("https");
            return format!("{proto}://{account}.blob.{suffix}");
        }
    }
    format!("https://{account}.blob.core.windows.net")
}

/// Read and parse one state blob. Unreadable (network, credentials, no such blob): exit 3.
/// Readable but malformed: exit 2, as for a local file.
pub async fn read_state(url: &str) -> Result<StateInput, Error> {
    let b = parse_url(url)?;
    let cs = connection_string();
    let base = endpoint(&b.account, &cs);
    let unreachable = |msg: String| Error::unreachable(url, scrub(&msg));
    let mut blob_url = Url::parse(&format!("{base}/{}/{}", b.container, b.blob))
        .map_err(|e| Error::input(url, format!("bad blob endpoint {base}: {e}")))?;
    let date = azure_core::date::to_rfc1123(&time_now());
    let client = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(3))
        .read_timeout(std::time::Duration::from_secs(20))
        .build()
        .map_err(|e| unreachable(format!("cannot build the HTTP client: {e}")))?;
    let mut req = client.get(blob_url.clone()).header("x-ms-date", &date).header("x-ms-version", STORAGE_VERSION);
    let how = match auth(&b.account, &cs).map_err(|e| Error::input(url, e))? {
        Auth::Sas(sas) => {
            blob_url.set_query(Some(&sas));
            req = client.get(blob_url.clone()).header("x-ms-date", &date).header("x-ms-version", STORAGE_VERSION);
            "a SAS token"
        }
        Auth::SharedKey(key) => {
            let sig = shared_key("GET", &b.account, &key, &blob_url, &date);
            req = req.header("Authorization", format!("SharedKey {}:{sig}", b.account));
            "the storage account key"
        }
        Auth::Entra => {
            let token = super::storage::entra_token().await.map_err(unreachable)?;
            req = req.header("Authorization", format!("Bearer {token}"));
            "Entra ID"
        }
    };
    let shown = format!("{base}/{}/{}", b.container, b.blob);
    // The data action Entra ID needs (a key or SAS needs none): for deploy/azure/.
    crate::trace::record("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read");
    let rsp = req.send().await.map_err(|e| {
        let why = if e.is_timeout() { "timed out" } else { "could not connect" };
        unreachable(format!("could not reach {shown}: {why}"))
    })?;
    let status = rsp.status().as_u16();
    let code = rsp.headers().get("x-ms-error-code").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    if status != 200 {
        let what = match status {
            404 => "no such blob (check storage_account_name, container_name and key)".to_string(),
            401 | 403 => format!("access denied with {how} ({code}): the identity needs Storage Blob Data Reader on the container, or a valid key/SAS"),
            s => format!("the blob service answered HTTP {s} {code}"),
        };
        return Err(unreachable(format!("{shown}: {what}")));
    }
    let bytes = rsp.bytes().await.map_err(|e| unreachable(format!("reading {shown} failed: {e}")))?;
    tfstate::parse(url, &bytes)
}

fn time_now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{KeyInit, Mac};

    #[test]
    fn parses_account_container_and_blob() {
        let r = parse_url("azurerm://tfstate01/states/gpu/prod.tfstate").unwrap();
        assert_eq!(
            r,
            BlobRef { account: "tfstate01".into(), container: "states".into(), blob: "gpu/prod.tfstate".into() }
        );
        assert!(parse_url("azurerm://acct/container").is_err());
        assert!(parse_url("azurerm:///c/b").is_err());
    }

    /// The example of Microsoft's "Authorize with Shared Key" page cannot be reused
    /// (it signs other headers); this pins the string-to-sign layout instead: 12 empty
    /// standard headers, then canonical headers, then `/account/path`.
    #[test]
    fn shared_key_signs_path_style_resources_with_the_account_twice() {
        let url = Url::parse("http://127.0.0.1:10000/devstoreaccount1/c/b.tfstate").unwrap();
        let a = shared_key("GET", "devstoreaccount1", b"k", &url, "Mon, 23 Nov 2026 06:00:00 GMT");
        let to_sign = "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Mon, 23 Nov 2026 06:00:00 GMT\nx-ms-version:2021-08-06\n/devstoreaccount1/devstoreaccount1/c/b.tfstate";
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"k").unwrap();
        mac.update(to_sign.as_bytes());
        assert_eq!(a, azure_core::base64::encode(mac.finalize().into_bytes()));
    }
}
