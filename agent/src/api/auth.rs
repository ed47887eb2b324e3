//! API-key authentication: `api-key: KEY` or `Authorization: Bearer KEY`, compared in constant
//! time; `/`, `/health`, `/ready` and `/openapi.json` stay open so probes need no secret, and the dashboard's
//! static files under `/ui` so the page can load and ask for the key.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::error::ApiError;

/// Paths served without a key.
const OPEN: [&str; 4] = ["/", "/health", "/ready", "/openapi.json"];

/// Whether `path` is served without a key (also read by the API document).
pub(crate) fn is_open(path: &str) -> bool {
    OPEN.contains(&path) || super::ui::is_static(path)
}

/// Rejects a request without the configured key; the key itself never reaches a response or a log.
pub(crate) async fn require_key(
    State(key): State<Arc<[u8]>>,
    request: Request,
    next: Next,
) -> Response {
    if is_open(request.uri().path()) || request.method() == axum::http::Method::OPTIONS {
        return next.run(request).await;
    }
    let headers = request.headers();
    let presented = headers.get("api-key").map(|v| v.as_bytes()).or_else(|| {
        headers
            .get(AUTHORIZATION)
            .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
    });
    match presented {
        Some(p) if matches(p, &key) => next.run(request).await,
        _ => ApiError::unauthorized().into_response(),
    }
}

/// Constant time in the content; only the length may leak, as with any fixed key.
fn matches(presented: &[u8], key: &[u8]) -> bool {
    presented.ct_eq(key).into()
}

#[cfg(test)]
mod tests {
    #[test]
    fn compares_whole_keys() {
        assert!(super::matches(b"secret", b"secret"));
        assert!(!super::matches(b"secreT", b"secret"));
        assert!(!super::matches(b"secret2", b"secret"));
        assert!(!super::matches(b"", b"secret"));
    }
}
