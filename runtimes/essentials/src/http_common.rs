//! What the HTTP source and sink share: building the client and request parts from config,
//! telling retryable failures from final ones, and reading Retry-After.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use connect_runtime_sdk::ComponentError;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};

/// A client with this per-request timeout.
pub(crate) fn client(timeout: Duration) -> Result<reqwest::Client, ComponentError> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("connect-essentials/", env!("CARGO_PKG_VERSION")));
    if !timeout.is_zero() {
        builder = builder.timeout(timeout);
    }
    builder
        .build()
        .map_err(|e| ComponentError::restart(format!("cannot build the HTTP client: {e}")))
}

pub(crate) fn method(name: &str) -> Result<Method, ComponentError> {
    Method::from_bytes(name.as_bytes())
        .map_err(|_| ComponentError::invalid_config(format!("`{name}` is not an HTTP method")))
}

pub(crate) fn url(text: &str) -> Result<reqwest::Url, ComponentError> {
    reqwest::Url::parse(text).map_err(|e| {
        ComponentError::invalid_config(format!("url `{text}` is not a valid URL ({e})"))
    })
}

/// The configured headers as a header map; names and values are checked here.
pub(crate) fn headers(config: &BTreeMap<String, String>) -> Result<HeaderMap, ComponentError> {
    let mut map = HeaderMap::new();
    for (name, value) in config {
        let n = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            ComponentError::invalid_config(format!("headers: `{name}` is not a valid header name"))
        })?;
        let v = HeaderValue::from_str(value).map_err(|_| {
            ComponentError::invalid_config(format!(
                "headers.{name}: the value has characters a header cannot carry"
            ))
        })?;
        map.insert(n, v);
    }
    Ok(map)
}

/// Whether retrying the same request may succeed: 408, 425, 429 and every 5xx.
pub(crate) fn is_retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 425 | 429) || status.is_server_error()
}

/// The wait a response asks for in Retry-After (seconds or an HTTP date).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(text).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Our backoff's wait, or longer when the server asked for longer in Retry-After.
pub(crate) fn at_least(delay: Duration, retry_after: Option<Duration>) -> Duration {
    retry_after.map_or(delay, |asked| asked.max(delay))
}

/// A short description of a failed request for logs and errors.
pub(crate) fn describe_error(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_wins_only_when_longer() {
        let ms = Duration::from_millis;
        assert_eq!(at_least(ms(200), Some(ms(5000))), ms(5000));
        assert_eq!(at_least(ms(200), Some(ms(10))), ms(200));
        assert_eq!(at_least(ms(200), None), ms(200));
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        h.insert(RETRY_AFTER, HeaderValue::from_str(&later).unwrap());
        let wait = retry_after(&h).unwrap();
        assert!(
            wait > Duration::from_secs(100) && wait <= Duration::from_secs(120),
            "{wait:?}"
        );
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"),
        );
        assert_eq!(
            retry_after(&h),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn only_transient_statuses_are_retried() {
        for code in [408, 429, 500, 502, 503] {
            assert!(is_retryable(StatusCode::from_u16(code).unwrap()), "{code}");
        }
        for code in [200, 400, 401, 404, 422] {
            assert!(!is_retryable(StatusCode::from_u16(code).unwrap()), "{code}");
        }
    }

    #[test]
    fn bad_headers_are_config_errors_naming_the_header() {
        let ok = headers(&BTreeMap::from([("X-Token".into(), "abc".into())])).unwrap();
        assert_eq!(ok["x-token"], "abc");
        let err = headers(&BTreeMap::from([("bad name".into(), "x".into())])).unwrap_err();
        assert!(
            matches!(err, ComponentError::InvalidConfig(ref m) if m.contains("bad name")),
            "{err}"
        );
    }
}
