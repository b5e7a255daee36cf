//! Terraform state backends read over plain HTTPS, beside the cloud ones (S3 in `aws/`,
//! azurerm blobs in `azure/`): Terraform's `http` backend (`--state https://...`) and
//! HCP Terraform / Terraform Enterprise workspaces, the `remote` backend and the `cloud`
//! block (`--state remote://HOST/ORG/WORKSPACE`).

pub mod hcp;
pub mod http;

use driftd_core::Error;
use std::time::Duration;

/// A state is at most this large: a bound on memory, far above real states (the largest
/// public ones are tens of MB).
pub const MAX_STATE_BYTES: usize = 1 << 30;

fn client() -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(300))
        // Redirects to a signed download URL are followed (up to 10); reqwest drops the
        // Authorization header when one leads to another host.
        .redirect(reqwest::redirect::Policy::limited(10))
        .user_agent(concat!("driftd/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::input("http client", e.to_string()))
}

/// The body of a response, at most [`MAX_STATE_BYTES`].
async fn body(shown: &str, mut resp: reqwest::Response) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    while let Some(chunk) =
        resp.chunk().await.map_err(|e| Error::unreachable(shown, format!("reading the state failed: {}", plain(&e))))?
    {
        if out.len() + chunk.len() > MAX_STATE_BYTES {
            return Err(Error::input(shown, format!("the state is larger than {} MiB", MAX_STATE_BYTES >> 20)));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// A transport error with its causes, without the URL reqwest puts in it (it may carry
/// credentials or a signature).
fn plain(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    if let Some(url) = e.url() {
        msg = msg.replace(&format!(" for url ({url})"), "").replace(url.as_str(), "");
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg = format!("{msg}: {s}");
        source = s.source();
    }
    msg
}
