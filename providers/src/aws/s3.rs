//! `--state s3://bucket/key[?versionId=...]`: read-only, through the same credentials
//! and endpoint settings as the scan.

use super::client::{endpoint_for, sdk_config, CallCounter};
use super::ListError;
use driftd_core::tfstate::{self, StateInput};
use driftd_core::Error;

/// Parse `s3://bucket/key?versionId=v`.
fn parse_url(url: &str) -> Result<(String, String, Option<String>), Error> {
    let rest = url.strip_prefix("s3://").ok_or_else(|| Error::input(url, "not an s3:// URL"))?;
    let (path, query) = rest.split_once('?').map_or((rest, None), |(p, q)| (p, Some(q)));
    let (bucket, key) = path
        .split_once('/')
        .filter(|(b, k)| !b.is_empty() && !k.is_empty())
        .ok_or_else(|| Error::input(url, "expected s3://BUCKET/KEY (optionally ?versionId=ID)"))?;
    let version = query.and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("versionId=").map(str::to_string)));
    // S3's own limits, checked here: the SDK panics on a URI it cannot build.
    if !(3..=63).contains(&bucket.len()) {
        return Err(Error::input(shorten(url), format!("a bucket name has 3 to 63 characters, not {}", bucket.len())));
    }
    if key.len() > 1024 {
        return Err(Error::input(shorten(url), format!("an S3 object key has at most 1024 bytes, not {}", key.len())));
    }
    Ok((bucket.to_string(), key.to_string(), version))
}

/// A URL cut for messages (an error never echoes 70,000 characters).
fn shorten(url: &str) -> String {
    match url.char_indices().nth(120) {
        Some((i, _)) => format!("{}… ({} characters)", &url[..i], url.chars().count()),
        None => url.to_string(),
    }
}

/// Read and parse one state object. Unreadable (network, credentials, no such object):
/// exit 3. Readable but malformed: exit 2, as for a local file.
pub async fn read_state(url: &str) -> Result<StateInput, Error> {
    let (bucket, key, version) = parse_url(url)?;
    let config = sdk_config().await;
    let region = config.region().map(|r| r.to_string()).unwrap_or_else(|| "us-east-1".to_string());
    let s3_config = aws_sdk_s3::config::Builder::from(&config)
        .force_path_style(
            std::env::var_os("AWS_ENDPOINT_URL").is_some() || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some(),
        )
        .interceptor(CallCounter::default())
        .build();
    let client = aws_sdk_s3::Client::from_conf(s3_config);
    let endpoint = endpoint_for("s3", &region);
    let object = client.get_object().bucket(&bucket).key(&key).set_version_id(version).send().await.map_err(|e| {
        let err = ListError::from_sdk("s3:GetObject", &region, &endpoint, e);
        Error::unreachable(url, err.message)
    })?;
    let bytes = object
        .body
        .collect()
        .await
        .map_err(|e| Error::unreachable(url, format!("reading the object failed: {e}")))?
        .into_bytes();
    tfstate::parse(url, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bucket_key_and_version() {
        assert_eq!(parse_url("s3://bkt/env/prod.tfstate").unwrap(), ("bkt".into(), "env/prod.tfstate".into(), None));
        assert_eq!(parse_url("s3://bkt/k?versionId=3Lg").unwrap().2.as_deref(), Some("3Lg"));
        assert!(parse_url("s3://bucket-only").is_err());
        assert!(parse_url("s3:///key").is_err());
    }
}
