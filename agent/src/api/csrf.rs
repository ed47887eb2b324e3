//! Cross-site request forgery: a web page can make a browser send "simple" requests (a form,
//! `text/plain`, no body) to the agent. Bodies must therefore be JSON or YAML (415 otherwise),
//! which a page cannot send without a CORS preflight, and a state-changing request whose
//! `Origin` is neither the agent's own nor allowed by `[http.cors]` is refused (403).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, ORIGIN, TRANSFER_ENCODING};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use crate::config::HttpSection;

/// What the check needs from `[http]`.
#[derive(Debug)]
pub(crate) struct Policy {
    scheme: &'static str,
    /// Origins `[http.cors]` allows (empty when CORS is off); `*` allows any.
    allowed: Vec<String>,
}

impl Policy {
    pub(crate) fn new(http: &HttpSection) -> Arc<Self> {
        let allowed = if http.cors.enabled {
            http.cors
                .allowed_origins
                .iter()
                .map(|o| o.trim().trim_end_matches('/').to_string())
                .filter(|o| !o.is_empty())
                .collect()
        } else {
            Vec::new()
        };
        Arc::new(Self {
            scheme: if http.tls.enabled { "https" } else { "http" },
            allowed,
        })
    }

    fn origin_allowed(&self, origin: &str, headers: &HeaderMap) -> bool {
        let origin = origin.trim_end_matches('/');
        let same = headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .is_some_and(|host| origin.eq_ignore_ascii_case(&format!("{}://{host}", self.scheme)));
        same || self
            .allowed
            .iter()
            .any(|a| a == "*" || a.eq_ignore_ascii_case(origin))
    }
}

/// The media types a body may have.
fn accepted(content_type: &str) -> bool {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    matches!(
        mime.as_str(),
        "application/json" | "application/yaml" | "application/x-yaml"
    ) || (mime.starts_with("application/") && (mime.ends_with("+json") || mime.ends_with("+yaml")))
}

fn has_body(headers: &HeaderMap) -> bool {
    headers.contains_key(TRANSFER_ENCODING)
        || headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0")
}

pub(crate) async fn check(
    State(policy): State<Arc<Policy>>,
    request: Request,
    next: Next,
) -> Response {
    let changes_state = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    if !changes_state {
        return next.run(request).await;
    }
    let headers = request.headers();
    if let Some(origin) = headers.get(ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        if !policy.origin_allowed(origin, headers) {
            let shown: String = origin.chars().take(64).collect();
            return ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden_origin",
                format!(
                    "a {} from origin `{shown}` is refused: it is neither this agent's own origin nor allowed by [http.cors] allowed_origins; add the origin there to allow it",
                    request.method()
                ),
            )
            .into_response();
        }
    }
    let content_type = headers.get(CONTENT_TYPE).map(|v| v.to_str().unwrap_or("?"));
    let refused = match content_type {
        Some(ct) => !accepted(ct),
        None => has_body(headers),
    };
    if refused {
        let got = content_type.map_or_else(
            || "none".to_string(),
            |c| format!("`{}`", c.chars().take(64).collect::<String>()),
        );
        return ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "send the body with `Content-Type: application/json` or `Content-Type: application/yaml` (got {got})"
            ),
        )
        .into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_json_and_yaml_bodies() {
        for ok in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/YAML",
            "application/x-yaml",
            "application/merge-patch+json",
        ] {
            assert!(super::accepted(ok), "{ok}");
        }
        for bad in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "",
        ] {
            assert!(!super::accepted(bad), "{bad}");
        }
    }
}
