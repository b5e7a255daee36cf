//! A client certificate credential (`AZURE_CLIENT_CERTIFICATE_PATH`), without OpenSSL:
//! azure_identity 0.21 implements this one with OpenSSL, which driftd does not link. The
//! flow is Entra ID's "certificate credentials": a JWT client assertion, signed RS256 with
//! the certificate's private key and naming the certificate by its SHA-1 thumbprint
//! (`x5t`), exchanged at `<authority>/<tenant>/oauth2/v2.0/token` for a token.
//!
//! The file is PEM holding the private key (PKCS#8 or PKCS#1, unencrypted) and the
//! certificate, as `az ad sp create-for-rbac --create-cert` writes it. PKCS#12 (`.pfx`)
//! and encrypted keys are refused with a message saying so.

use async_trait::async_trait;
use azure_core::auth::{AccessToken, Secret, TokenCredential};
use azure_core::error::ErrorKind;
use azure_core::{HttpClient, Method, Request, Url};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::RsaPrivateKey;
use sha1::Digest;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

#[derive(Debug)]
pub struct ClientCertificateCredential {
    http: Arc<dyn HttpClient>,
    token_url: Url,
    client_id: String,
    key: RsaPrivateKey,
    /// base64url of the SHA-1 of the certificate's DER.
    thumbprint: String,
    /// The certificates, base64 DER, when `AZURE_CLIENT_SEND_CERTIFICATE_CHAIN` is set (`x5c`).
    chain: Option<Vec<String>>,
    cached: Mutex<Option<AccessToken>>,
}

fn credential_error(message: String) -> azure_core::Error {
    azure_core::Error::message(ErrorKind::Credential, message)
}

fn b64url(bytes: &[u8]) -> String {
    azure_core::base64::encode_url_safe(bytes).trim_end_matches('=').to_string()
}

/// The PEM blocks of a file: (label, DER).
fn pem_blocks(text: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + 11..];
        let Some(label_end) = after.find("-----") else { break };
        let label = after[..label_end].to_string();
        let body_start = label_end + 5;
        let end_marker = format!("-----END {label}-----");
        let Some(end) = after.find(&end_marker) else { break };
        let b64: String = after[body_start..end].chars().filter(|c| !c.is_whitespace()).collect();
        if let Ok(der) = azure_core::base64::decode(b64) {
            out.push((label.clone(), der));
        }
        rest = &after[end + end_marker.len()..];
    }
    out
}

impl ClientCertificateCredential {
    /// From `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_CERTIFICATE_PATH` (and
    /// `AZURE_CLIENT_SEND_CERTIFICATE_CHAIN`), with `authority` the token endpoint's host.
    pub fn from_env(http: Arc<dyn HttpClient>, authority: &str) -> azure_core::Result<ClientCertificateCredential> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let tenant = var("AZURE_TENANT_ID").ok_or_else(|| credential_error("AZURE_TENANT_ID is not set".into()))?;
        let client_id = var("AZURE_CLIENT_ID").ok_or_else(|| credential_error("AZURE_CLIENT_ID is not set".into()))?;
        let path = var("AZURE_CLIENT_CERTIFICATE_PATH")
            .ok_or_else(|| credential_error("AZURE_CLIENT_CERTIFICATE_PATH is not set".into()))?;
        let bytes = std::fs::read(&path)
            .map_err(|e| credential_error(format!("AZURE_CLIENT_CERTIFICATE_PATH {path}: cannot read: {e}")))?;
        let text = String::from_utf8(bytes).map_err(|_| {
            credential_error(format!(
                "AZURE_CLIENT_CERTIFICATE_PATH {path}: not PEM (a .pfx/PKCS#12 file? convert it: openssl pkcs12 -in cert.pfx -nodes -out cert.pem)"
            ))
        })?;
        let blocks = pem_blocks(&text);
        let key = blocks
            .iter()
            .find_map(|(label, der)| match label.as_str() {
                "PRIVATE KEY" => RsaPrivateKey::from_pkcs8_der(der).ok(),
                "RSA PRIVATE KEY" => RsaPrivateKey::from_pkcs1_der(der).ok(),
                _ => None,
            })
            .ok_or_else(|| {
                let encrypted = blocks.iter().any(|(l, _)| l == "ENCRYPTED PRIVATE KEY");
                credential_error(format!(
                    "AZURE_CLIENT_CERTIFICATE_PATH {path}: {}",
                    if encrypted {
                        "the private key is encrypted; driftd reads unencrypted PEM keys"
                    } else {
                        "no RSA private key in the PEM"
                    }
                ))
            })?;
        let certs: Vec<&Vec<u8>> = blocks.iter().filter(|(l, _)| l == "CERTIFICATE").map(|(_, d)| d).collect();
        let leaf = certs.first().ok_or_else(|| {
            credential_error(format!("AZURE_CLIENT_CERTIFICATE_PATH {path}: no certificate in the PEM"))
        })?;
        let thumbprint = b64url(&sha1::Sha1::digest(leaf));
        let send_chain =
            var("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN").is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"));
        let chain = send_chain.then(|| certs.iter().map(azure_core::base64::encode).collect());
        let mut token_url = Url::parse(authority)
            .map_err(|e| credential_error(format!("invalid AZURE_AUTHORITY_HOST {authority}: {e}")))?;
        token_url
            .path_segments_mut()
            .map_err(|_| credential_error(format!("invalid AZURE_AUTHORITY_HOST {authority}")))?
            .pop_if_empty()
            .extend(&[tenant.as_str(), "oauth2", "v2.0", "token"]);
        Ok(ClientCertificateCredential { http, token_url, client_id, key, thumbprint, chain, cached: Mutex::new(None) })
    }

    /// The signed client assertion, valid ten minutes.
    fn assertion(&self) -> azure_core::Result<String> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let mut header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t": self.thumbprint});
        if let Some(chain) = &self.chain {
            header["x5c"] = serde_json::json!(chain);
        }
        let claims = serde_json::json!({
            "aud": self.token_url.as_str(), "iss": self.client_id, "sub": self.client_id,
            "jti": format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..)), "nbf": now, "iat": now, "exp": now + 600,
        });
        let signing_input =
            format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(claims.to_string().as_bytes()));
        let signer = SigningKey::<rsa::sha2::Sha256>::new(self.key.clone());
        let signature = signer
            .try_sign(signing_input.as_bytes())
            .map_err(|e| credential_error(format!("cannot sign the client assertion: {e}")))?;
        Ok(format!("{signing_input}.{}", b64url(&signature.to_bytes())))
    }
}

#[async_trait]
impl TokenCredential for ClientCertificateCredential {
    async fn get_token(&self, scopes: &[&str]) -> azure_core::Result<AccessToken> {
        if let Some(t) = self.cached.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            if t.expires_on > OffsetDateTime::now_utc() + time::Duration::minutes(5) {
                return Ok(t.clone());
            }
        }
        let form: String = [
            ("client_id", self.client_id.as_str()),
            ("scope", &scopes.join(" ")),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", &self.assertion()?),
            ("grant_type", "client_credentials"),
        ]
        .iter()
        .map(|(k, v)| format!("{k}={}", form_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
        let mut req = Request::new(self.token_url.clone(), Method::Post);
        req.insert_header(azure_core::headers::CONTENT_TYPE, "application/x-www-form-urlencoded");
        req.set_body(form);
        let rsp = self.http.execute_request(&req).await?;
        let (status, _, body) = rsp.deconstruct();
        let body = body.collect().await?;
        if !status.is_success() {
            return Err(credential_error(format!("the token endpoint answered HTTP {}", u16::from(status))));
        }
        #[derive(serde::Deserialize)]
        struct TokenResponse {
            access_token: String,
            expires_in: i64,
        }
        let t: TokenResponse = serde_json::from_slice(&body)
            .map_err(|e| azure_core::Error::full(ErrorKind::Credential, e, "unexpected token response"))?;
        let token = AccessToken::new(
            Secret::new(t.access_token),
            OffsetDateTime::now_utc() + time::Duration::seconds(t.expires_in),
        );
        *self.cached.lock().unwrap_or_else(|e| e.into_inner()) = Some(token.clone());
        Ok(token)
    }

    async fn clear_cache(&self) -> azure_core::Result<()> {
        *self.cached.lock().unwrap_or_else(|e| e.into_inner()) = None;
        Ok(())
    }
}

/// `application/x-www-form-urlencoded` value encoding.
fn form_encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks_in_any_order() {
        let text = "junk\n-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nAwQ=\n-----END PRIVATE KEY-----\n";
        let blocks = pem_blocks(text);
        assert_eq!(blocks, vec![("CERTIFICATE".to_string(), vec![0, 1, 2]), ("PRIVATE KEY".to_string(), vec![3, 4])]);
        assert_eq!(form_encode("a b+c/="), "a+b%2Bc%2F%3D");
    }
}
