//! The agent's HTTP API (axum): connectors, config versions, logs, metrics, runtimes and the
//! Iggy-runtime-compatible views, behind optional API-key auth, CORS and TLS.

mod auth;
mod body;
mod configs;
mod conn_limit;
mod connectors;
mod cors;
mod csrf;
mod error;
pub(crate) mod iggy;
mod logs;
mod nesting;
mod openapi;
mod prometheus;
mod realtime;
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
    #[error("cannot start the API's threads: {0}")]
    Runtime(#[source] std::io::Error),
}

/// A running API server; [`ApiServer::shutdown`] stops it (open log streams get a second).
///
/// It runs on its own async runtime (`api-*` threads): request handling can be slow or
/// flooded without delaying the supervisor's runtime, which reads the agent channel, stamps
/// heartbeats and runs the watchdogs.
pub struct ApiServer {
    handle: axum_server::Handle<std::net::SocketAddr>,
    task: tokio::task::JoinHandle<()>,
    runtime: ApiRuntime,
    pub address: std::net::SocketAddr,
}

/// The API's runtime, shut down without waiting when dropped: it is dropped from async code
/// (the daemon's), where a blocking shutdown would panic; this also covers a failed start.
struct ApiRuntime(Option<tokio::runtime::Runtime>);

impl Drop for ApiRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

impl ApiServer {
    pub async fn shutdown(self) {
        self.handle.graceful_shutdown(Some(Duration::from_secs(1)));
        let _ = self.task.await;
        drop(self.runtime);
    }
}

/// A request head must arrive within `[http] header_read_timeout`: hyper starts that timer
/// whenever a connection waits for a head, so it also closes idle keep-alive connections.
fn configure(
    builder: &mut hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>,
    http: &crate::config::HttpSection,
) {
    builder
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(http.header_read_timeout);
}

/// Threads of the API's own runtime.
const API_THREADS: usize = 2;

/// Binds `[http] address` now (so a busy port fails the start) and serves in the background.
pub fn serve(agent: Agent) -> Result<ApiServer, ServeError> {
    let http = agent.config().http.clone();
    let app = router(agent, &http)?;
    let bind = |source| ServeError::Bind {
        address: http.address.clone(),
        source,
    };
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder
        .worker_threads(API_THREADS)
        .thread_name("api")
        // A thread a real-time worker starts begins at nice 0 (reset on fork).
        .on_thread_start(crate::sched::raise_this_thread)
        .enable_all();
    let realtime = http.realtime.then(realtime::Realtime::new);
    if let Some(realtime) = &realtime {
        let (park, unpark, stop) = (realtime.clone(), realtime.clone(), realtime.clone());
        builder
            .on_thread_park(move || park.enroll_this_thread())
            .on_thread_unpark(move || unpark.arm_guard())
            .on_thread_stop(move || stop.leave_this_thread());
    }
    let runtime = builder.build().map_err(ServeError::Runtime)?;
    let runtime = ApiRuntime(Some(runtime));
    let rt = runtime.0.as_ref().expect("just built");
    if let Some(realtime) = realtime {
        rt.spawn(realtime.guard());
    }
    let entered = rt.enter();
    let listener = std::net::TcpListener::bind(&http.address).map_err(bind)?;
    listener.set_nonblocking(true).map_err(bind)?;
    let address = listener.local_addr().map_err(bind)?;
    let handle = axum_server::Handle::new();
    let service = app.into_make_service();
    let limit = conn_limit::ConnLimit::new(conn_limit::effective(http.max_connections));
    let task = if http.tls.enabled {
        let mut server = axum_server::from_tcp_rustls(listener, tls::config(&http.tls)?)
            .map_err(bind)?
            .map(|tls| tls.acceptor(limit))
            .handle(handle.clone());
        configure(server.http_builder(), &http);
        rt.spawn(async move {
            if let Err(e) = server.serve(service).await {
                tracing::error!(error = %e, "the HTTPS API stopped");
            }
        })
    } else {
        let mut server = axum_server::from_tcp(listener)
            .map_err(bind)?
            .acceptor(limit)
            .handle(handle.clone());
        configure(server.http_builder(), &http);
        rt.spawn(async move {
            if let Err(e) = server.serve(service).await {
                tracing::error!(error = %e, "the HTTP API stopped");
            }
        })
    };
    let scheme = if http.tls.enabled { "https" } else { "http" };
    tracing::info!(address = %address, "API listening on {scheme}://{address}");
    drop(entered);
    Ok(ApiServer {
        handle,
        task,
        runtime,
        address,
    })
}
