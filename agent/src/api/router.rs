//! Every route of the API, the JSON fallbacks for unknown paths and methods, and the layers:
//! API-key auth when `[http] api_key` is set, CORS when `[http.cors]` is enabled.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};

use super::error::ApiError;
use super::iggy::{self, IggyKind};
use super::{
    auth, configs, connectors, cors, csrf, logs, openapi, prometheus, runtimes, schema, system, ui,
};
use crate::config::HttpSection;
use crate::supervisor::Agent;

pub fn router(agent: Agent, http: &HttpSection) -> Result<Router, cors::CorsError> {
    let mut app = Router::new()
        .route("/", get(system::welcome))
        .route("/health", get(system::health))
        .route("/ready", get(system::ready))
        .route("/stats", get(iggy::stats))
        .route("/system/stats", get(system::stats))
        .route("/metrics", get(prometheus::metrics))
        .route("/reload", post(system::reload))
        .route("/openapi.json", get(openapi::serve))
        .route(
            "/connectors",
            get(connectors::list).post(connectors::create),
        )
        .route(
            "/connectors/validate",
            post(connectors::validate)
                .get(connectors::show_reserved)
                .delete(connectors::delete_reserved),
        )
        .route(
            "/connectors/{id}",
            get(connectors::show).delete(connectors::delete),
        )
        .route("/connectors/{id}/start", post(connectors::start))
        .route("/connectors/{id}/stop", post(connectors::stop))
        .route("/connectors/{id}/restart", post(connectors::restart))
        .route(
            "/connectors/{id}/configs",
            get(
                |State(a): State<Agent>, Path(id): Path<String>| async move {
                    configs::list(&a, &id).await
                },
            )
            .post(
                |State(a): State<Agent>, Path(id): Path<String>, body: Body| async move {
                    configs::add(&a, &id, body).await
                },
            ),
        )
        .route(
            "/connectors/{id}/configs/active",
            get(
                |State(a): State<Agent>, Path(id): Path<String>| async move {
                    configs::active(&a, &id).await
                },
            )
            .put(
                |State(a): State<Agent>, Path(id): Path<String>, body: Body| async move {
                    configs::activate(&a, &id, body).await
                },
            ),
        )
        .route(
            "/connectors/{id}/configs/plugin",
            get(
                |State(a): State<Agent>,
                 Path(id): Path<String>,
                 Query(q): Query<BTreeMap<String, String>>| async move {
                    configs::plugin(&a, &id, &q).await
                },
            ),
        )
        .route(
            "/connectors/{id}/configs/{version}",
            get(
                |State(a): State<Agent>, Path((id, v)): Path<(String, String)>| async move {
                    configs::show(&a, &id, &v).await
                },
            ),
        )
        .route(
            "/connectors/{id}/transforms",
            get(
                |State(a): State<Agent>, Path(id): Path<String>| async move {
                    configs::transforms(&a, &id).await
                },
            ),
        )
        .route("/connectors/{id}/logs", get(logs::logs))
        .route("/runtimes", get(runtimes::list))
        .route("/runtimes/{name}", get(runtimes::show))
        .route(
            "/runtimes/{name}/sources/{component}",
            get(runtimes::source),
        )
        .route("/runtimes/{name}/sinks/{component}", get(runtimes::sink))
        .route(
            "/runtimes/{name}/sources/{component}/schema",
            get(schema::source),
        )
        .route(
            "/runtimes/{name}/sinks/{component}/schema",
            get(schema::sink),
        )
        .route("/ui", get(ui::index))
        .route("/ui/", get(ui::index))
        .route("/ui/{*path}", get(ui::asset))
        .nest("/sinks", iggy::routes(IggyKind::Sink))
        .nest("/sources", iggy::routes(IggyKind::Source))
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
