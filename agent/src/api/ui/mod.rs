//! The dashboard at `/ui`: a small vanilla HTML/CSS/JS app embedded in the binary (no build
//! step), served without a key; every API call the page makes carries the key itself.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// (name under `/ui/`, content, media type). `index.html` is also `/ui` and `/ui/`.
const FILES: &[(&str, &str, &str)] = &[
    ("index.html", include_str!("../../../ui/index.html"), HTML),
    ("style.css", include_str!("../../../ui/style.css"), CSS),
    ("app.js", include_str!("../../../ui/app.js"), JS),
    ("api.js", include_str!("../../../ui/api.js"), JS),
    ("list.js", include_str!("../../../ui/list.js"), JS),
    ("connector.js", include_str!("../../../ui/connector.js"), JS),
    ("create.js", include_str!("../../../ui/create.js"), JS),
    ("schema.js", include_str!("../../../ui/schema.js"), JS),
    ("util.js", include_str!("../../../ui/util.js"), JS),
];
const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
/// Every media type a dashboard file is served with (for the API document).
pub(crate) const MEDIA_TYPES: [&str; 3] = [HTML, CSS, JS];

/// Scripts and styles from this origin only; no inline script, no framing.
const CSP: &str = "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// `GET /ui` and `GET /ui/`: the page.
pub(crate) async fn index() -> Response {
    file("index.html")
}

/// `GET /ui/{*path}`: one embedded file, or the JSON 404.
pub(crate) async fn asset(Path(path): Path<String>) -> Response {
    file(if path.is_empty() { "index.html" } else { &path })
}

fn file(name: &str) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((_, body, media)) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, *media),
                (header::CACHE_CONTROL, "no-cache"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                (header::CONTENT_SECURITY_POLICY, CSP),
            ],
            *body,
        )
            .into_response(),
        None => ApiError::not_found(format!(
            "the dashboard has no file `{name}`; open /ui for the dashboard"
        ))
        .into_response(),
    }
}

/// Whether `path` is one of the dashboard's static files (served without a key).
pub(crate) fn is_static(path: &str) -> bool {
    path == "/ui" || path.starts_with("/ui/")
}

#[cfg(test)]
mod tests {
    #[test]
    fn serves_every_file_with_its_type_and_rejects_others() {
        for (name, _, media) in super::FILES {
            let r = super::file(name);
            assert_eq!(r.status(), 200, "{name}");
            assert_eq!(r.headers()["content-type"], *media, "{name}");
        }
        assert_eq!(super::file("../Cargo.toml").status(), 404);
        assert!(super::is_static("/ui") && super::is_static("/ui/app.js"));
        assert!(!super::is_static("/uix") && !super::is_static("/connectors"));
    }
}
