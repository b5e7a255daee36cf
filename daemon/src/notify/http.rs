//! The one HTTP client of the notifiers (reqwest, rustls, a timeout on every request) and
//! how a response becomes "accepted", "try again" or "give up". Errors name the endpoint
//! by what it is (`Slack webhook from env SLACK_URL`), never by URL: a webhook URL is a
//! secret.

use super::{Retry, SendError};
use reqwest::{RequestBuilder, Response, StatusCode};
use std::time::Duration;

pub fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("driftd/", env!("CARGO_PKG_VERSION")))
        // A redirect could carry a token to another host.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default()
}

/// Sends and returns the status and body of any answer; a transport failure (refused,
/// reset, timed out) is worth retrying.
pub async fn send(
    request: RequestBuilder,
    endpoint: &str,
) -> Result<(StatusCode, reqwest::header::HeaderMap, String), SendError> {
    let response: Response = request.send().await.map_err(|e| transport(endpoint, e))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.text().await.map_err(|e| transport(endpoint, e))?;
    Ok((status, headers, body))
}

fn transport(endpoint: &str, e: reqwest::Error) -> SendError {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    // Without the URL; the source chain says why (refused, reset, closed early).
    let mut detail = String::new();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    let detail = if detail.is_empty() { String::new() } else { format!(": {detail}") };
    SendError::later(format!("{endpoint}: {what}{detail}"))
}

/// 2xx is accepted; 408, 425, 429 and 5xx are worth retrying (429 and 503 with their
/// `Retry-After`); any other status will not get better by itself.
pub fn check_status(
    endpoint: &str,
    status: StatusCode,
    headers: &reqwest::header::HeaderMap,
    body: &str,
) -> Result<(), SendError> {
    if status.is_success() {
        return Ok(());
    }
    let retry = match status.as_u16() {
        408 | 425 | 429 | 500..=599 => Retry::Later(retry_after(headers)),
        _ => Retry::Never,
    };
    Err(SendError { retry, message: format!("{endpoint}: HTTP {}{}", status.as_u16(), excerpt(body)) })
}

/// `Retry-After` as seconds or an HTTP date.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = jiff::fmt::rfc2822::parse(v).ok()?.timestamp();
    let secs = (when - jiff::Timestamp::now()).get_seconds();
    Some(Duration::from_secs(secs.max(0) as u64))
}

/// The start of an error body, on one line: enough to say why, short enough for a log.
pub fn excerpt(body: &str) -> String {
    let one_line: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.is_empty() {
        return String::new();
    }
    let cut: String = one_line.chars().take(200).collect();
    format!(": {cut}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

    #[test]
    fn statuses_map_to_retry_or_not() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        let e = check_status("x", StatusCode::TOO_MANY_REQUESTS, &h, "slow down").unwrap_err();
        assert_eq!(e.retry, Retry::Later(Some(Duration::from_secs(7))));
        let e = check_status("x", StatusCode::NOT_FOUND, &HeaderMap::new(), "no_service").unwrap_err();
        assert_eq!(e.retry, Retry::Never);
        assert!(e.message.contains("404") && e.message.contains("no_service"));
        assert!(check_status("x", StatusCode::ACCEPTED, &HeaderMap::new(), "").is_ok());
    }

    #[test]
    fn retry_after_as_a_date() {
        let mut h = HeaderMap::new();
        let later = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(120);
        let text = jiff::fmt::rfc2822::to_string(&later.to_zoned(jiff::tz::TimeZone::UTC)).unwrap();
        h.insert(RETRY_AFTER, HeaderValue::from_str(&text).unwrap());
        let d = retry_after(&h).unwrap();
        assert!(d.as_secs() > 100 && d.as_secs() <= 120, "{d:?}");
    }
}
