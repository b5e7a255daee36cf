//! What the Blob and Queue services share: where their credentials come from and the
//! Shared Key signature.
//!
//! How a request authenticates, first that applies: a SAS (`ARM_SAS_TOKEN`,
//! `AZURE_STORAGE_SAS_TOKEN`, or `SharedAccessSignature` in
//! `AZURE_STORAGE_CONNECTION_STRING`); the account's shared key (`ARM_ACCESS_KEY`,
//! `AZURE_STORAGE_KEY`, or `AccountKey` in the connection string for that account);
//! otherwise Entra ID through the scan's credential chain.

use azure_core::Url;
use hmac::{KeyInit, Mac};

/// The storage services' version we speak (Shared Key and bearer tokens both need one).
pub const STORAGE_VERSION: &str = "2021-08-06";

/// `AZURE_STORAGE_CONNECTION_STRING` as key/value pairs.
pub fn connection_string() -> Vec<(String, String)> {
    std::env::var("AZURE_STORAGE_CONNECTION_STRING")
        .unwrap_or_default()
        .split(';')
        .filter_map(|kv| kv.split_once('=').map(|(k, v)| (k.trim().to_string(), v.trim().to_string())))
        .collect()
}

pub fn cs_get<'a>(cs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    cs.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
}

pub fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

pub enum Auth {
    Sas(String),
    SharedKey(Vec<u8>),
    Entra,
}

pub fn auth(account: &str, cs: &[(String, String)]) -> Result<Auth, String> {
    if let Some(sas) = env("ARM_SAS_TOKEN")
        .or_else(|| env("AZURE_STORAGE_SAS_TOKEN"))
        .or_else(|| cs_get(cs, "SharedAccessSignature").map(str::to_string))
    {
        return Ok(Auth::Sas(sas.trim_start_matches('?').to_string()));
    }
    let cs_key = cs_get(cs, "AccountKey").filter(|_| cs_get(cs, "AccountName").is_none_or(|a| a == account));
    if let Some(key) = env("ARM_ACCESS_KEY").or_else(|| env("AZURE_STORAGE_KEY")).or_else(|| cs_key.map(str::to_string))
    {
        return azure_core::base64::decode(key.trim()).map(Auth::SharedKey).map_err(|_| {
            "the storage account key is not base64 (ARM_ACCESS_KEY / AZURE_STORAGE_KEY / AccountKey)".to_string()
        });
    }
    Ok(Auth::Entra)
}

/// An Entra ID token for Azure Storage, from the scan's credential chain.
pub async fn entra_token() -> Result<String, String> {
    let arm = Url::parse(super::arm::PUBLIC_ARM).expect("constant URL");
    let transport = std::sync::Arc::new(super::arm::Transport::new(&arm)?);
    let cred = super::arm::credential(transport).map_err(|e| format!("no credential for Azure Storage: {e}"))?;
    let token = cred
        .get_token(&["https://storage.azure.com/.default"])
        .await
        .map_err(|e| format!("no token for Azure Storage: {e}"))?;
    Ok(token.token.secret().to_string())
}

/// The Shared Key signature of a request with no body (version 2015-02-21 on: empty
/// Content-Length), over the headers we send: `/account` then the URL's path (path-style
/// endpoints, Azurite, carry the account in the path too, and the service signs it that
/// way), then each query parameter as `name:value`, sorted.
pub fn shared_key(method: &str, account: &str, key: &[u8], url: &Url, date: &str) -> String {
    let canonical_headers = format!("x-ms-date:{date}\nx-ms-version:{STORAGE_VERSION}\n");
    let mut resource = format!("/{account}{}", url.path());
    let mut params: Vec<(String, String)> =
        url.query_pairs().map(|(k, v)| (k.to_ascii_lowercase(), v.into_owned())).collect();
    params.sort();
    for (k, v) in params {
        resource.push_str(&format!("\n{k}:{v}"));
    }
    let to_sign = format!("{method}\n\n\n\n\n\n\n\n\n\n\n\n{canonical_headers}{resource}");
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(to_sign.as_bytes());
    azure_core::base64::encode(mac.finalize().into_bytes())
}
