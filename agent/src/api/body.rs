//! Request bodies: read with a size limit, refused when they nest too deeply, then decoded
//! (JSON or YAML, through the model's single decode path) on the blocking pool, a bounded
//! number at a time, so a costly body never occupies the async workers.

use std::sync::OnceLock;
use std::time::Duration;

use axum::body::Body;
use axum::http::StatusCode;
use connect_model::ConnectorConfig;
use connect_model::document::decode::{self, DecodeError};
use serde_json::Value;
use tokio::sync::Semaphore;

use super::error::ApiError;
use super::nesting::{self, MAX_DEPTH};
use crate::catalog::RestartDefaults;
use crate::document_check::DocumentCheck;
use crate::supervisor::Agent;

/// Largest body accepted; a connector document is far smaller (the runtime argument limit is 128 KiB).
pub(crate) const MAX_BODY: usize = 1024 * 1024;
/// How long a body waits for a decoding slot before the request is refused as busy.
const QUEUE_WAIT: Duration = Duration::from_secs(10);

/// Bodies decoded at once: half the cores, at least one, so decoding never takes every CPU.
fn decoders() -> &'static Semaphore {
    static DECODERS: OnceLock<Semaphore> = OnceLock::new();
    DECODERS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Semaphore::new((cores / 2).max(1))
    })
}

async fn text(body: Body) -> Result<String, ApiError> {
    let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the body is larger than {MAX_BODY} bytes; send a smaller document"),
        )
    })?;
    String::from_utf8(bytes.to_vec()).map_err(|_| {
        ApiError::bad_request("the body is not UTF-8 text; send a JSON or YAML document")
    })
}

/// Reads the body, checks its nesting, and runs `decode` on it in the blocking pool.
async fn off_workers<T: Send + 'static>(
    body: Body,
    decode: impl FnOnce(&str) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let text = text(body).await?;
    let busy = || {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "the agent is decoding other request bodies; retry in a few seconds",
        )
    };
    let _permit = tokio::time::timeout(QUEUE_WAIT, decoders().acquire())
        .await
        .map_err(|_| busy())?
        .map_err(|_| busy())?;
    tokio::task::spawn_blocking(move || {
        if nesting::exceeds(&text, MAX_DEPTH) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "too_deep",
                format!(
                    "the body nests lists or maps more than {MAX_DEPTH} levels deep (the limit); a connector document needs far fewer, flatten it"
                ),
            ));
        }
        decode(&text)
    })
    .await
    .map_err(ApiError::internal)?
}

/// Parses JSON or YAML into a value, the way every other path does.
fn value(text: &str) -> Result<Value, ApiError> {
    decode::parse_text(text).map_err(|e| match e {
        DecodeError::Empty => {
            ApiError::bad_request("the body is empty; send a connector document (JSON or YAML)")
        }
        other => ApiError::bad_request(format!("the body: {other}")),
    })
}

/// A JSON or YAML body as a value.
pub(crate) async fn json_value(body: Body) -> Result<Value, ApiError> {
    off_workers(body, value).await
}

/// A connector document, checked the way every path checks it: every problem of the
/// document and of its components against its runtime, at once.
pub(crate) async fn connector(agent: &Agent, body: Body) -> Result<ConnectorConfig, ApiError> {
    let s = &agent.config().supervisor;
    let defaults = RestartDefaults {
        initial_backoff: s.initial_backoff,
        max_backoff: s.max_backoff,
    };
    let runtimes = agent.runtimes();
    off_workers(body, move |text| {
        let check = DocumentCheck {
            defaults,
            runtimes: &runtimes,
        };
        check
            .value(value(text)?)
            .map_err(|e| ApiError::invalid_config(&e))
    })
    .await
}
