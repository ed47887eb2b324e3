//! Every route of the API, the JSON fallbacks for unknown paths and methods, and the layers:
//! API-key auth when `[http] api_key` is set, CORS when `[http.cors]` is enabled.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;

use aide::axum::ApiRouter;
use aide::axum::routing::{get_with, post_with};

use super::error::ApiError;
use super::iggy::{self, IggyKind};
use super::openapi::ops;
use super::{
    auth, configs, connectors, cors, csrf, logs, openapi, prometheus, runtimes, schema, system, ui,
};
use crate::config::HttpSection;
use crate::supervisor::Agent;

/// Every documented route: the router and the OpenAPI document are both made from this
/// (`openapi::document`), so a route cannot change without the document.
pub(crate) fn api_routes() -> ApiRouter<Agent> {
    ApiRouter::new()
        .api_route("/", get_with(system::welcome, ops::welcome))
        .api_route("/health", get_with(system::health, ops::health))
        .api_route("/ready", get_with(system::ready, ops::ready))
        .api_route("/stats", get_with(iggy::stats, ops::iggy_stats))
        .api_route("/system/stats", get_with(system::stats, ops::system_stats))
        .api_route("/metrics", get_with(prometheus::metrics, ops::metrics))
        .api_route("/reload", post_with(system::reload, ops::reload))
        .api_route("/openapi.json", get_with(openapi::serve, ops::openapi))
        .api_route(
            "/connectors",
            get_with(connectors::list, ops::list).post_with(connectors::create, ops::create),
        )
        .api_route(
            "/connectors/validate",
            post_with(connectors::validate, ops::validate)
                .get_with(connectors::show_reserved, ops::show)
                .delete_with(connectors::delete_reserved, ops::delete),
        )
        .api_route(
            "/connectors/{id}",
            get_with(connectors::show, ops::show).delete_with(connectors::delete, ops::delete),
        )
        .api_route(
            "/connectors/{id}/start",
            post_with(connectors::start, |o| ops::action(o, "start")),
        )
        .api_route(
            "/connectors/{id}/stop",
            post_with(connectors::stop, |o| ops::action(o, "stop")),
        )
        .api_route(
            "/connectors/{id}/restart",
            post_with(connectors::restart, |o| ops::action(o, "restart")),
        )
        .api_route(
            "/connectors/{id}/configs",
            get_with(
                |State(a): State<Agent>, Path(id): Path<String>| async move {
                    configs::list(&a, &id).await
                },
                ops::configs,
            )
            .post_with(
                |State(a): State<Agent>, Path(id): Path<String>, body: Body| async move {
                    configs::add(&a, &id, body).await
                },
                ops::add_config,
            ),
        )
        .api_route(
            "/connectors/{id}/configs/active",
            get_with(
                |State(a): State<Agent>, Path(id): Path<String>| async move {
                    configs::active(&a, &id).await
                },
                ops::active,
            )
            .put_with(
                |State(a): State<Agent>, Path(id): Path<String>, body: Body| async move {
                    configs::activate(&a, &id, body).await
                },
                ops::activate,
            ),
        )
        .api_route(
            "/connectors/{id}/configs/plugin",
            get_with(
                |State(a): State<Agent>,
                 Path(id): Path<String>,
                 Query(q): Query<BTreeMap<String, String>>| async move {
                    configs::plugin(&a, &id, &q).await
                },
                ops::plugin,
            ),
        )
        .api_route(
            "/connectors/{id}/configs/{version}",
            get_with(
                |State(a): State<Agent>, Path((id, v)): Path<(String, String)>| async move {
                    configs::show(&a, &id, &v).await
                },
                ops::version,
            ),
        )
        .api_route(
            "/connectors/{id}/transforms",
            get_with(
                |State(a): State<Agent>, Path(id): Path<String>| async move {
                    configs::transforms(&a, &id).await
                },
                ops::transforms,
            ),
        )
        .api_route("/connectors/{id}/logs", get_with(logs::logs, ops::logs))
        .api_route("/runtimes", get_with(runtimes::list, ops::runtimes))
        .api_route("/runtimes/{name}", get_with(runtimes::show, ops::runtime))
        .api_route(
            "/runtimes/{name}/sources/{component}",
            get_with(runtimes::source, ops::component),
        )
        .api_route(
            "/runtimes/{name}/sinks/{component}",
            get_with(runtimes::sink, ops::component),
        )
        .api_route(
            "/runtimes/{name}/sources/{component}/schema",
            get_with(schema::source, ops::component_schema),
        )
        .api_route(
            "/runtimes/{name}/sinks/{component}/schema",
            get_with(schema::sink, ops::component_schema),
        )
        .api_route("/ui", get_with(ui::index, ops::ui))
        .api_route("/ui/", get_with(ui::index, ops::ui))
        .api_route("/ui/{*path}", get_with(ui::asset, ops::ui_asset))
        .merge(iggy::routes(IggyKind::Sink))
        .merge(iggy::routes(IggyKind::Source))
}

pub fn router(agent: Agent, http: &HttpSection) -> Result<Router, cors::CorsError> {
    let mut app = Router::from(api_routes())
        .fallback(|| async {
            ApiError::not_found("no such endpoint; the endpoints are listed at /openapi.json")
        })
        .method_not_allowed_fallback(|method: axum::http::Method| async move {
            // Without CORS, OPTIONS still answers what the path allows (axum adds `Allow`).
            if method == axum::http::Method::OPTIONS {
                return StatusCode::NO_CONTENT.into_response();
            }
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this endpoint does not take that method; see /openapi.json",
            )
            .into_response()
        })
        .with_state(agent);
    app = app.layer(axum::middleware::from_fn_with_state(
        csrf::Policy::new(http),
        csrf::check,
    ));
    if !http.api_key.is_empty() {
        let key: Arc<[u8]> = http.api_key.as_bytes().into();
        app = app.layer(axum::middleware::from_fn_with_state(key, auth::require_key));
    }
    if let Some(layer) = cors::layer(&http.cors)? {
        app = app.layer(layer);
    }
    Ok(crate::telemetry::http::layer(app))
}
