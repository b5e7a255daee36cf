//! HCP Terraform and Terraform Enterprise: the `remote` backend and the `cloud` block,
//! given as `remote://HOST/ORGANIZATION/WORKSPACE`. The workspace's current state version
//! is read through the API (`GET /api/v2/organizations/ORG/workspaces/NAME`, then
//! `/api/v2/workspaces/ID/current-state-version` and its `hosted-state-download-url`,
//! which may redirect to a signed storage URL). The token is found as Terraform finds it:
//! `TF_TOKEN_<host>` (dots as `_`, hyphens as `__`), then `credentials.tfrc.json` in
//! `~/.terraform.d` (what `terraform login` writes). `DRIFTD_TFE_ENDPOINT` replaces
//! `https://HOST` (a proxy, or a test server); the token is still the host's.

use super::{body, client, plain};
use driftd_core::tfstate::{self, StateInput};
use driftd_core::Error;
use serde_json::Value;

/// `remote://HOST/ORG/WORKSPACE` taken apart.
#[derive(Debug, PartialEq)]
pub struct Workspace {
    pub host: String,
    pub organization: String,
    pub name: String,
}

impl Workspace {
    pub fn parse(url: &str) -> Result<Workspace, Error> {
        let bad = || {
            Error::input(
                url,
                "expected remote://HOST/ORGANIZATION/WORKSPACE, e.g. remote://app.terraform.io/acme/gpu-prod",
            )
        };
        let rest = url.strip_prefix("remote://").ok_or_else(bad)?;
        let parts: Vec<&str> = rest.split('/').collect();
        match parts.as_slice() {
            [host, org, name] if !host.is_empty() && !org.is_empty() && !name.is_empty() => {
                Ok(Workspace { host: host.to_ascii_lowercase(), organization: org.to_string(), name: name.to_string() })
            }
            _ => Err(bad()),
        }
    }

    pub fn url(&self) -> String {
        format!("remote://{}/{}/{}", self.host, self.organization, self.name)
    }
}

/// The token for `host`, as Terraform's CLI finds it; `None` when there is none.
pub fn token_for(host: &str) -> Option<String> {
    let host = host.to_ascii_lowercase();
    for (name, value) in std::env::vars() {
        let Some(raw) = name.strip_prefix("TF_TOKEN_") else { continue };
        let decoded = raw.replace("__", "-").replace('_', ".").to_ascii_lowercase();
        if decoded == host && !value.is_empty() {
            return Some(value);
        }
    }
    let home = std::env::var_os("HOME")?;
    let file = std::path::Path::new(&home).join(".terraform.d/credentials.tfrc.json");
    let text = std::fs::read_to_string(file).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    let creds = v.get("credentials")?.as_object()?;
    creds
        .iter()
        .find(|(h, _)| h.to_ascii_lowercase() == host)
        .and_then(|(_, c)| c.get("token")?.as_str().map(str::to_string))
}

pub async fn read_state(url: &str) -> Result<StateInput, Error> {
    let ws = Workspace::parse(url)?;
    let location = ws.url();
    let env_name = format!("TF_TOKEN_{}", ws.host.replace('-', "__").replace('.', "_"));
    let token = token_for(&ws.host).ok_or_else(|| {
        Error::unreachable(
            &location,
            format!("no token for {}: set {env_name}, or run `terraform login {}`", ws.host, ws.host),
        )
    })?;
    let base = std::env::var("DRIFTD_TFE_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| format!("https://{}", ws.host));
    let base = base.trim_end_matches('/');
    let http = client()?;
    let api = |path: String| {
        http.get(format!("{base}{path}")).bearer_auth(&token).header("Content-Type", "application/vnd.api+json")
    };
    let send = |req: reqwest::RequestBuilder| async {
        req.send()
            .await
            .map_err(|e| Error::unreachable(&location, format!("{} could not be reached: {}", ws.host, plain(&e))))
    };
    let refused = |status: u16| {
        Error::unreachable(
            &location,
            format!("{} refused the token (HTTP {status}): check {env_name} or `terraform login {}`", ws.host, ws.host),
        )
    };

    let path = format!("/api/v2/organizations/{}/workspaces/{}", enc(&ws.organization), enc(&ws.name));
    let resp = send(api(path)).await?;
    let workspace = match resp.status().as_u16() {
        200 => json(&location, resp).await?,
        401 => return Err(refused(401)),
        404 => {
            return Err(Error::unreachable(
                &location,
                format!(
                    "no workspace {}/{} on {}, or the token cannot see it (HTTP 404)",
                    ws.organization, ws.name, ws.host
                ),
            ))
        }
        other => return Err(Error::unreachable(&location, format!("{} answered HTTP {other}", ws.host))),
    };
    let id = workspace.pointer("/data/id").and_then(Value::as_str).ok_or_else(|| {
        Error::unreachable(&location, "the workspace answer has no data.id (not the HCP Terraform API?)")
    })?;

    let resp = send(api(format!("/api/v2/workspaces/{}/current-state-version", enc(id)))).await?;
    let version = match resp.status().as_u16() {
        200 => json(&location, resp).await?,
        401 => return Err(refused(401)),
        404 => {
            return Err(Error::unreachable(
                &location,
                "the workspace has no state yet (not applied), or the token may not read state versions (HTTP 404)",
            ))
        }
        other => return Err(Error::unreachable(&location, format!("{} answered HTTP {other}", ws.host))),
    };
    let download = version
        .pointer("/data/attributes/hosted-state-download-url")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| {
            Error::unreachable(
                &location,
                "the current state version has no hosted-state-download-url (still uploading?)",
            )
        })?;
    // The download URL is the API's own (archivist) or a signed one it redirects to.
    let resp = send(http.get(download).bearer_auth(&token)).await?;
    match resp.status().as_u16() {
        200 => {}
        401 | 403 => return Err(refused(resp.status().as_u16())),
        other => return Err(Error::unreachable(&location, format!("downloading the state answered HTTP {other}"))),
    }
    let bytes = body(&location, resp).await?;
    tfstate::parse(&location, &bytes)
}

/// One path segment, percent-encoded (RFC 3986's unreserved characters stay).
fn enc(s: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
}

async fn json(location: &str, resp: reqwest::Response) -> Result<Value, Error> {
    let bytes = body(location, resp).await?;
    serde_json::from_slice(&bytes)
        .map_err(|e| Error::unreachable(location, format!("the API's answer is not JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_urls_parse_and_bad_ones_say_the_form() {
        let ws = Workspace::parse("remote://App.Terraform.io/acme/gpu-prod").unwrap();
        assert_eq!(
            ws,
            Workspace { host: "app.terraform.io".into(), organization: "acme".into(), name: "gpu-prod".into() }
        );
        for bad in ["remote://app.terraform.io/acme", "remote:///acme/ws", "remote://h/o/w/x"] {
            let e = Workspace::parse(bad).unwrap_err().to_string();
            assert!(e.contains("remote://HOST/ORGANIZATION/WORKSPACE"), "{e}");
        }
    }
}
