//! One span per API request (method, route template, status) when the agent exports spans.

use axum::Router;

/// Wraps every route (and the fallbacks) of `router` in the request span; unchanged when the
/// agent exports no spans or was built without the `otlp` feature.
pub(crate) fn layer(router: Router) -> Router {
    #[cfg(feature = "otlp")]
    if super::exporting() {
        return router.layer(axum::middleware::from_fn(traced));
    }
    router
}

#[cfg(feature = "otlp")]
async fn traced(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use tracing::Instrument as _;
    use tracing::field::Empty;
    let method = request.method().clone();
    // The route template, never the raw path: ids stay out of span names.
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_string();
    let span = tracing::info_span!(
        target: super::TARGET,
        "api.request",
        otel.name = %format_args!("{method} {route}"),
        otel.kind = "server",
        http.request.method = %method,
        http.route = %route,
        http.response.status_code = Empty,
        otel.status_code = Empty,
    );
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status();
    span.record("http.response.status_code", status.as_u16());
    if status.is_server_error() {
        span.record("otel.status_code", "ERROR");
    }
    response
}
