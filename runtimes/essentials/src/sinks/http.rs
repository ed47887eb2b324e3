//! Sink `http`: sends messages to an endpoint, one request per message or per batch (NDJSON or
//! a JSON array); retries connection errors, timeouts, 429 and 5xx with exponential backoff,
//! honouring Retry-After. A batch counts as delivered only after a success code.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use connect_runtime_sdk::backoff::Backoff;
use connect_runtime_sdk::document::duration;
use connect_runtime_sdk::{ComponentContext, ComponentError, Message, Sink, Written, async_trait};
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Method, Url};
use serde::Deserialize;

use crate::http_common;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HttpSinkConfig {
    pub(crate) url: String,
    pub(crate) method: String,
    #[serde(default)]
    pub(crate) headers: BTreeMap<String, String>,
    pub(crate) batch_mode: BatchMode,
    #[serde(with = "duration")]
    pub(crate) timeout: Duration,
    pub(crate) success_codes: Vec<u16>,
    pub(crate) max_retries: u32,
    #[serde(with = "duration")]
    pub(crate) initial_backoff: Duration,
    #[serde(with = "duration")]
    pub(crate) max_backoff: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum BatchMode {
    Single,
    Ndjson,
    JsonArray,
}

pub(crate) struct HttpSink {
    client: reqwest::Client,
    method: Method,
    url: Url,
    headers: HeaderMap,
    mode: BatchMode,
    success_codes: Vec<u16>,
    max_retries: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
}

impl HttpSink {
    pub(crate) fn from_context(ctx: &ComponentContext) -> Result<Self, ComponentError> {
        Self::new(ctx.config()?)
    }

    pub(crate) fn new(config: HttpSinkConfig) -> Result<Self, ComponentError> {
        let mut headers = http_common::headers(&config.headers)?;
        if !headers.contains_key(CONTENT_TYPE) {
            let ct = match config.batch_mode {
                BatchMode::Single => None,
                BatchMode::Ndjson => Some("application/x-ndjson"),
                BatchMode::JsonArray => Some("application/json"),
            };
            if let Some(ct) = ct {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static(ct));
            }
        }
        Ok(Self {
            client: http_common::client(config.timeout)?,
            method: http_common::method(&config.method)?,
            url: http_common::url(&config.url)?,
            headers,
            mode: config.batch_mode,
            success_codes: config.success_codes,
            max_retries: config.max_retries,
            initial_backoff: config.initial_backoff,
            max_backoff: config.max_backoff,
        })
    }

    /// Sends one body until a success code, a refusal, or the retries run out. A refusal (a 4xx
    /// other than 408 and 429) is the content's fault: `Ok(Some(refusal))`.
    async fn send(
        &self,
        ctx: &ComponentContext,
        body: Bytes,
    ) -> Result<Option<Refusal>, ComponentError> {
        let mut delays = Backoff::new(self.initial_backoff, self.max_backoff).delays();
        let mut retries = 0u32;
        loop {
            let request = self
                .client
                .request(self.method.clone(), self.url.clone())
                .headers(self.headers.clone())
                .body(body.clone());
            let (reason, retry_after) = match request.send().await {
                Ok(response) if self.success_codes.contains(&response.status().as_u16()) => {
                    return Ok(None);
                }
                Ok(response) if http_common::is_retryable(response.status()) => (
                    format!(
                        "{} {} answered {}",
                        self.method,
                        self.url,
                        response.status()
                    ),
                    http_common::retry_after(response.headers()),
                ),
                Ok(response) => {
                    let status = response.status();
                    let text = response.text().await.unwrap_or_default();
                    let snippet: String = text.chars().take(200).collect();
                    let reason = format!(
                        "{} {} answered {status} ({snippet}); the endpoint refuses this content",
                        self.method, self.url
                    );
                    if status.is_client_error() {
                        return Ok(Some(Refusal {
                            class: format!("http.{}", status.as_u16()),
                            reason,
                        }));
                    }
                    return Err(ComponentError::restart(format!(
                        "{reason}: check the url, headers, batch_mode and success_codes"
                    )));
                }
                Err(e) => (http_common::describe_error(&e), None),
            };
            retries += 1;
            if self.max_retries != 0 && retries > self.max_retries {
                // Permanent for the pipeline, which would otherwise retry the retries: the
                // runtime exits and the agent restarts it from the last confirmed position.
                return Err(ComponentError::restart(format!(
                    "{reason}; gave up after {} retries",
                    self.max_retries
                )));
            }
            let delay = http_common::at_least(delays.next_delay(), retry_after);
            tracing::warn!(error = %reason, retry = retries, retry_in = %duration::format(delay), "delivery failed; retrying");
            ctx.metrics().record_error(&reason);
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = ctx.cancellation().cancelled() => {
                    return Err(ComponentError::retry(format!("stopped while retrying: {reason}")));
                }
            }
        }
    }
}

/// The endpoint refused a body for its content.
struct Refusal {
    class: String,
    reason: String,
}

/// One body for a whole batch.
pub(crate) fn batch_body(mode: BatchMode, batch: &[Message]) -> Bytes {
    let size: usize = batch.iter().map(|m| m.payload.len() + 3).sum();
    let mut out = Vec::with_capacity(size + 2);
    match mode {
        BatchMode::Single | BatchMode::Ndjson => {
            for m in batch {
                out.extend_from_slice(&m.payload);
                out.push(b'\n');
            }
        }
        BatchMode::JsonArray => {
            out.push(b'[');
            for (i, m) in batch.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                match serde_json::from_slice::<serde_json::Value>(&m.payload) {
                    Ok(v) => {
                        let _ = serde_json::to_writer(&mut out, &v);
                    }
                    Err(_) => {
                        let _ =
                            serde_json::to_writer(&mut out, &String::from_utf8_lossy(&m.payload));
                    }
                }
            }
            out.push(b']');
        }
    }
    Bytes::from(out)
}

#[async_trait]
impl Sink for HttpSink {
    async fn write(
        &mut self,
        ctx: &ComponentContext,
        batch: &[Message],
    ) -> Result<Written, ComponentError> {
        let mut written = Written::all();
        if batch.is_empty() {
            return Ok(written);
        }
        match self.mode {
            BatchMode::Single => {
                for (index, m) in batch.iter().enumerate() {
                    if let Some(refusal) = self.send(ctx, m.payload.clone()).await? {
                        written.reject(index, refusal.class, refusal.reason);
                    }
                }
            }
            // One body for the batch: a refusal refuses every message in it.
            mode => {
                if let Some(refusal) = self.send(ctx, batch_body(mode, batch)).await? {
                    for index in 0..batch.len() {
                        written.reject(index, refusal.class.clone(), &refusal.reason);
                    }
                }
            }
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndjson_puts_one_payload_per_line() {
        let body = batch_body(
            BatchMode::Ndjson,
            &[Message::new("a"), Message::new(r#"{"b":1}"#)],
        );
        assert_eq!(&body[..], b"a\n{\"b\":1}\n");
    }

    #[test]
    fn json_array_keeps_json_and_quotes_text() {
        let body = batch_body(
            BatchMode::JsonArray,
            &[Message::new(r#"{"b": 1}"#), Message::new("plain \"text\"")],
        );
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v, serde_json::json!([{"b": 1}, "plain \"text\""]));
    }
}
