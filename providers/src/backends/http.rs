//! Terraform's `http` backend, read as Terraform reads it
//! (hashicorp/terraform `internal/backend/remote-state/http`): GET the address, with
//! basic auth from the URL's user info or `TF_HTTP_USERNAME` / `TF_HTTP_PASSWORD`; 200 is
//! the state (checked against `Content-MD5` when the server sends one); 204, 404 and an
//! empty body are "no state"; 401 and 403 are refused credentials.

use super::{body, client, plain};
use base64::Engine as _;
use driftd_core::tfstate::{self, StateInput};
use driftd_core::Error;
use md5::{Digest, Md5};

/// The URL without user info or query (a token may be in either), for messages and reports.
pub fn shown(url: &reqwest::Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.set_query(None);
    u.set_fragment(None);
    u.to_string()
}

pub async fn read_state(address: &str) -> Result<StateInput, Error> {
    let url = reqwest::Url::parse(address).map_err(|e| {
        Error::input(driftd_core::error::redact_url(address), format!("not a valid http(s) state address: {e}"))
    })?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(Error::input(shown(&url), "the http backend's address must be http:// or https://"));
    }
    let location = shown(&url);
    // Credentials: the URL's own, else Terraform's environment variables for the backend.
    let (user, password) = if !url.username().is_empty() {
        let decode = |s: &str| percent_decode(s);
        (Some(decode(url.username())), url.password().map(decode))
    } else {
        (std::env::var("TF_HTTP_USERNAME").ok().filter(|u| !u.is_empty()), std::env::var("TF_HTTP_PASSWORD").ok())
    };
    let mut plain_url = url.clone();
    let _ = plain_url.set_username("");
    let _ = plain_url.set_password(None);
    let mut req = client()?.get(plain_url);
    if let Some(user) = &user {
        req = req.basic_auth(user, password.as_deref());
    }
    let resp = req
        .send()
        .await
        .map_err(|e| Error::unreachable(&location, format!("the state could not be fetched: {}", plain(&e))))?;
    let status = resp.status().as_u16();
    let no_state = || {
        Error::unreachable(
            &location,
            format!("no state at this address (HTTP {status}): not applied yet, or the address is wrong"),
        )
    };
    match status {
        200 => {}
        204 | 404 => return Err(no_state()),
        401 => {
            return Err(Error::unreachable(
                &location,
                "the state endpoint requires auth (HTTP 401): give the user and password as Terraform takes them, in TF_HTTP_USERNAME and TF_HTTP_PASSWORD",
            ))
        }
        403 => {
            return Err(Error::unreachable(
                &location,
                "the state endpoint refused these credentials (HTTP 403): check TF_HTTP_USERNAME and TF_HTTP_PASSWORD",
            ))
        }
        other => return Err(Error::unreachable(&location, format!("the state endpoint answered HTTP {other}"))),
    }
    let md5 = resp.headers().get("content-md5").and_then(|v| v.to_str().ok()).map(str::to_string);
    let bytes = body(&location, resp).await?;
    if bytes.is_empty() {
        return Err(no_state());
    }
    if let Some(sent) = md5 {
        let sent = base64::engine::general_purpose::STANDARD
            .decode(sent.trim())
            .map_err(|_| Error::unreachable(&location, format!("the state's Content-MD5 {sent:?} is not base64")))?;
        if sent != Md5::digest(&bytes).as_slice() {
            return Err(Error::unreachable(
                &location,
                "the state's body does not match its Content-MD5 (a truncated or altered download): try again",
            ));
        }
    }
    tfstate::parse(&location, &bytes)
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}
