//! The agent's HTTP API (axum): connectors, config versions, logs, metrics, runtimes and the
//! Iggy-runtime-compatible views, behind optional API-key auth, CORS and TLS.

mod auth;
mod body;
mod configs;
mod connectors;
mod cors;
mod error;
pub(crate) mod iggy;
mod logs;
mod openapi;
mod prometheus;
mod router;
mod runtimes;
mod schema;
mod system;
mod tls;
mod ui;
mod views;

use std::time::Duration;

pub use cors::CorsError;
pub use openapi::document as openapi_document;
pub use router::router;
pub use tls::TlsError;

use crate::supervisor::Agent;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on [http] address `{address}`: {source}; choose a free host:port")]
    Bind {
        address: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Cors(#[from] CorsError),
    #[error(transparent)]
    Tls(#[from] TlsError),
}

/// A running API server; [`ApiServer::shutdown`] stops it (open log streams get a second).
pub struct ApiServer {
    handle: axum_server::Handle<std::net::SocketAddr>,
    task: tokio::task::JoinHandle<()>,
    pub address: std::net::SocketAddr,
}

impl ApiServer {
    pub async fn shutdown(self) {
        self.handle.graceful_shutdown(Some(Duration::from_secs(1)));
        let _ = self.task.await;
    }
}

/// Binds `[http] address` now (so a busy port fails the start) and serves in the background.
pub fn serve(agent: Agent) -> Result<ApiServer, ServeError> {
    let http = agent.config().http.clone();
    let app = router(agent, &http)?;
    let bind = |source| ServeError::Bind {
        address: http.address.clone(),
        source,
    };
    let listener = std::net::TcpListener::bind(&http.address).map_err(bind)?;
    listener.set_nonblocking(true).map_err(bind)?;
    let address = listener.local_addr().map_err(bind)?;
    let handle = axum_server::Handle::new();
    let service = app.into_make_service();
    let task = if http.tls.enabled {
        let server = axum_server::from_tcp_rustls(listener, tls::config(&http.tls)?)
            .map_err(bind)?
            .handle(handle.clone());
        tokio::spawn(async move {
            if let Err(e) = server.serve(service).await {
                tracing::error!(error = %e, "the HTTPS API stopped");
            }
        })
    } else {
        let server = axum_server::from_tcp(listener)
            .map_err(bind)?
            .handle(handle.clone());
        tokio::spawn(async move {
            if let Err(e) = server.serve(service).await {
                tracing::error!(error = %e, "the HTTP API stopped");
            }
        })
    };
    let scheme = if http.tls.enabled { "https" } else { "http" };
    tracing::info!(address = %address, "API listening on {scheme}://{address}");
    Ok(ApiServer {
        handle,
        task,
        address,
    })
}
