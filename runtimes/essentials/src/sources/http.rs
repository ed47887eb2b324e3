//! Source `http`: polls a URL at an interval and emits the response body (or each element of a
//! JSON array), retrying failed requests with exponential backoff and honouring Retry-After.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use bytes::Bytes;
use connect_runtime_sdk::backoff::{Backoff, Delays};
use connect_runtime_sdk::component::now_us;
use connect_runtime_sdk::document::duration;
use connect_runtime_sdk::{Batch, ComponentContext, ComponentError, Message, Source, async_trait};
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use reqwest::{Method, Url};
use serde::Deserialize;
use tokio::time::Instant;

use crate::http_common;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HttpSourceConfig {
    pub(crate) url: String,
    pub(crate) method: String,
    #[serde(default)]
    pub(crate) headers: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) body: Option<String>,
    #[serde(with = "duration")]
    pub(crate) interval: Duration,
    #[serde(with = "duration")]
    pub(crate) timeout: Duration,
    pub(crate) split: bool,
    #[serde(with = "duration")]
    pub(crate) initial_backoff: Duration,
    #[serde(with = "duration")]
    pub(crate) max_backoff: Duration,
}

pub(crate) struct HttpPoll {
    client: reqwest::Client,
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Option<String>,
    interval: Duration,
    split: bool,
    backoff: Delays,
    next_due: Option<Instant>,
    /// Messages of the last response beyond the `max` of the poll that fetched it.
    pending: VecDeque<Message>,
}

/// Why one request did not produce messages.
enum Failure {
    /// Try again after a backoff (and at least `retry_after`).
    Retry {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// The endpoint refuses the request; retrying the same request cannot help.
    Refused(String),
}

impl HttpPoll {
    pub(crate) fn from_context(ctx: &ComponentContext) -> Result<Self, ComponentError> {
        Self::new(ctx.config()?)
    }

    pub(crate) fn new(config: HttpSourceConfig) -> Result<Self, ComponentError> {
        Ok(Self {
            client: http_common::client(config.timeout)?,
            method: http_common::method(&config.method)?,
            url: http_common::url(&config.url)?,
            headers: http_common::headers(&config.headers)?,
            body: config.body,
            interval: config.interval,
            split: config.split,
            backoff: Backoff::new(config.initial_backoff, config.max_backoff).delays(),
            next_due: None,
            pending: VecDeque::new(),
        })
    }

    async fn fetch(&self) -> Result<Vec<Message>, Failure> {
        let mut request = self
            .client
            .request(self.method.clone(), self.url.clone())
            .headers(self.headers.clone());
        if let Some(body) = &self.body {
            request = request.body(body.clone());
        }
        let response = request.send().await.map_err(|e| Failure::Retry {
            reason: http_common::describe_error(&e),
            retry_after: None,
        })?;
        let status = response.status();
        if !status.is_success() {
            let reason = format!("{} {} answered {status}", self.method, self.url);
            return Err(if http_common::is_retryable(status) {
                Failure::Retry {
                    reason,
                    retry_after: http_common::retry_after(response.headers()),
                }
            } else {
                Failure::Refused(format!("{reason}; check the url, method, headers and body"))
            });
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = response.bytes().await.map_err(|e| Failure::Retry {
            reason: format!(
                "reading the response body: {}",
                http_common::describe_error(&e)
            ),
            retry_after: None,
        })?;
        Ok(self.messages(body, content_type))
    }

    /// The body as one message, or one per array element when splitting; none for an empty body.
    fn messages(&self, body: Bytes, content_type: Option<String>) -> Vec<Message> {
        if body.is_empty() {
            return Vec::new();
        }
        let timestamp_us = now_us();
        let message = |payload: Bytes| {
            let mut m = Message {
                payload,
                timestamp_us,
                ..Message::default()
            };
            if let Some(ct) = &content_type {
                m.headers.insert("content-type".into(), ct.clone());
            }
            m
        };
        if self.split
            && let Ok(serde_json::Value::Array(items)) = serde_json::from_slice(&body)
        {
            return items
                .iter()
                .map(|item| message(Bytes::from(serde_json::to_vec(item).unwrap_or_default())))
                .map(|mut m| {
                    m.headers
                        .insert("content-type".into(), "application/json".into());
                    m
                })
                .collect();
        }
        vec![message(body)]
    }
}

#[async_trait]
impl Source for HttpPoll {
    async fn poll(
        &mut self,
        ctx: &ComponentContext,
        max: usize,
    ) -> Result<Option<Batch>, ComponentError> {
        loop {
            if !self.pending.is_empty() {
                let n = self.pending.len().min(max.max(1));
                let messages = self.pending.drain(..n).collect();
                return Ok(Some(Batch {
                    messages,
                    cursor: None,
                }));
            }
            if let Some(due) = self.next_due {
                tokio::select! {
                    _ = tokio::time::sleep_until(due) => {}
                    _ = ctx.cancellation().cancelled() => return Ok(None),
                }
            }
            let started = Instant::now();
            match self.fetch().await {
                Ok(messages) => {
                    self.backoff.reset();
                    self.next_due = Some(started + self.interval);
                    self.pending.extend(messages);
                }
                Err(Failure::Retry {
                    reason,
                    retry_after,
                }) => {
                    let delay = http_common::at_least(self.backoff.next_delay(), retry_after);
                    tracing::warn!(error = %reason, retry_in = %duration::format(delay), "poll failed; retrying");
                    ctx.metrics().record_error(&reason);
                    self.next_due = Some(Instant::now() + delay);
                }
                Err(Failure::Refused(reason)) => return Err(ComponentError::restart(reason)),
            }
        }
    }
}
