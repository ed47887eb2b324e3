//! A real HTTP server on loopback for the http source and sink tests: it records every request
//! and answers from a script (status codes, Retry-After) before answering 200 with a body.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// A request as the server saw it, with the status it answered.
#[derive(Debug, Clone)]
pub struct Received {
    pub at: Instant,
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub status: u16,
}

/// A scripted failure: the status and an optional Retry-After value; status [`HANG`] never answers.
pub type Planned = (u16, Option<&'static str>);

/// A planned "status" that keeps the request waiting instead of answering.
pub const HANG: u16 = 0;

type BodyFn = Box<dyn Fn(usize) -> String + Send + Sync>;

struct Shared {
    received: Mutex<Vec<Received>>,
    plan: Mutex<VecDeque<Planned>>,
    /// The body of the n-th successful answer (from 0).
    body: BodyFn,
    successes: Mutex<usize>,
}

pub struct TestServer {
    runtime: Option<tokio::runtime::Runtime>,
    pub port: u16,
    shared: Arc<Shared>,
}

impl TestServer {
    /// Listens on `port` (0 picks one), answering `plan` first, then 200 with `body(n)`.
    pub fn start(
        port: u16,
        plan: &[Planned],
        body: impl Fn(usize) -> String + Send + Sync + 'static,
    ) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let shared = Arc::new(Shared {
            received: Mutex::new(Vec::new()),
            plan: Mutex::new(plan.iter().copied().collect()),
            body: Box::new(body),
            successes: Mutex::new(0),
        });
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(("127.0.0.1", port)))
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let app = Router::new().fallback(answer).with_state(shared.clone());
        runtime.spawn(async move { axum::serve(listener, app).await });
        Self {
            runtime: Some(runtime),
            port,
            shared,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Bodies of the requests answered with 200.
    pub fn delivered_bodies(&self) -> Vec<String> {
        self.received()
            .into_iter()
            .filter(|r| r.status == 200)
            .map(|r| String::from_utf8(r.body).unwrap())
            .collect()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

async fn answer(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let planned = shared.plan.lock().unwrap().pop_front();
    let (status, response) = match planned {
        Some((HANG, _)) => {
            record(&shared, method, uri, headers, body, HANG);
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
            return StatusCode::GATEWAY_TIMEOUT.into_response();
        }
        Some((status, retry_after)) => {
            let code = StatusCode::from_u16(status).unwrap();
            let mut response = (code, "scripted failure").into_response();
            if let Some(ra) = retry_after {
                response
                    .headers_mut()
                    .insert("retry-after", HeaderValue::from_static(ra));
            }
            (status, response)
        }
        None => {
            let mut n = shared.successes.lock().unwrap();
            let text = (shared.body)(*n);
            *n += 1;
            (
                200,
                ([("content-type", "application/json")], text).into_response(),
            )
        }
    };
    record(&shared, method, uri, headers, body, status);
    response
}

fn record(shared: &Shared, method: Method, uri: Uri, headers: HeaderMap, body: Bytes, status: u16) {
    shared.received.lock().unwrap().push(Received {
        at: Instant::now(),
        method: method.to_string(),
        path: uri.path().to_string(),
        headers,
        body: body.to_vec(),
        status,
    });
}
