//! Source `generate`: numbered messages from a template, as fast as the sink confirms them or
//! one per interval, with the last confirmed number as its durable cursor.

use std::time::Duration;

use bytes::Bytes;
use connect_runtime_sdk::component::now_us;
use connect_runtime_sdk::document::duration;
use connect_runtime_sdk::{Batch, ComponentContext, ComponentError, Message, Source, async_trait};
use serde::{Deserialize, Serialize};
use tokio::time::{Interval, MissedTickBehavior};

use super::template::{Template, now_rfc3339};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GenerateConfig {
    pub(crate) count: u64,
    #[serde(with = "duration")]
    pub(crate) interval: Duration,
    pub(crate) payload: String,
}

/// The saved position: the last sequence number confirmed downstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct GenerateCursor {
    pub(crate) seq: u64,
}

pub(crate) struct Generate {
    count: u64,
    template: Template,
    /// The number of the next message to make.
    next: u64,
    interval: Duration,
    /// One message per tick when `interval` is set; made on the first poll (inside the runtime).
    ticker: Option<Interval>,
}

impl Generate {
    /// The registered factory: config plus the saved cursor.
    pub(crate) fn from_context(ctx: &ComponentContext) -> Result<Self, ComponentError> {
        let config: GenerateConfig = ctx.config()?;
        let cursor: Option<GenerateCursor> = ctx.load_cursor()?;
        Self::new(config, cursor)
    }

    pub(crate) fn new(
        config: GenerateConfig,
        cursor: Option<GenerateCursor>,
    ) -> Result<Self, ComponentError> {
        let template = Template::parse(&config.payload)
            .map_err(|e| ComponentError::invalid_config(format!("payload: {e}")))?;
        let next = cursor.map_or(1, |c| c.seq.saturating_add(1));
        if let Some(c) = cursor {
            tracing::info!(
                confirmed = c.seq,
                "generate continues after the last confirmed message"
            );
        }
        Ok(Self {
            count: config.count,
            template,
            next,
            interval: config.interval,
            ticker: None,
        })
    }

    /// Makes up to `max` messages, or `None` once `count` messages were made.
    pub(crate) fn make_batch(&mut self, max: usize) -> Option<Batch> {
        let remaining = if self.count == 0 {
            u64::MAX
        } else {
            (self.count + 1).saturating_sub(self.next)
        };
        let n = remaining.min(max.max(1) as u64);
        if n == 0 {
            return None;
        }
        let n = n as usize;
        let now = if self.template.uses_now() {
            now_rfc3339()
        } else {
            String::new()
        };
        let mut buf = Vec::with_capacity(self.template.size_hint() * n);
        let mut ends = Vec::with_capacity(n);
        for seq in self.next..self.next + n as u64 {
            self.template.render(seq, &now, &mut buf);
            ends.push(buf.len());
        }
        let buf = Bytes::from(buf);
        let timestamp_us = now_us();
        let mut start = 0;
        let messages = ends
            .into_iter()
            .map(|end| {
                let payload = buf.slice(start..end);
                start = end;
                Message {
                    payload,
                    timestamp_us,
                    ..Message::default()
                }
            })
            .collect();
        self.next += n as u64;
        let cursor = GenerateCursor { seq: self.next - 1 };
        Some(Batch {
            messages,
            cursor: Some(serde_json::json!(cursor)),
        })
    }
}

#[async_trait]
impl Source for Generate {
    async fn poll(
        &mut self,
        ctx: &ComponentContext,
        max: usize,
    ) -> Result<Option<Batch>, ComponentError> {
        if self.interval.is_zero() {
            return Ok(self.make_batch(max));
        }
        if self.count != 0 && self.next > self.count {
            return Ok(None);
        }
        let interval = self.interval;
        let ticker = self.ticker.get_or_insert_with(|| {
            let mut t = tokio::time::interval(interval);
            t.set_missed_tick_behavior(MissedTickBehavior::Delay);
            t
        });
        let ticked = tokio::select! {
            _ = ticker.tick() => true,
            _ = ctx.cancellation().cancelled() => false,
        };
        Ok(if ticked { self.make_batch(1) } else { None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(count: u64, payload: &str) -> GenerateConfig {
        GenerateConfig {
            count,
            interval: Duration::ZERO,
            payload: payload.into(),
        }
    }

    fn payloads(b: &Batch) -> Vec<String> {
        b.messages
            .iter()
            .map(|m| String::from_utf8(m.payload.to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn finite_count_is_split_into_batches_then_ends() {
        let mut g = Generate::new(config(5, "m{{seq}}"), None).unwrap();
        let b1 = g.make_batch(3).unwrap();
        assert_eq!(payloads(&b1), ["m1", "m2", "m3"]);
        assert_eq!(b1.cursor, Some(serde_json::json!({"seq": 3})));
        let b2 = g.make_batch(3).unwrap();
        assert_eq!(payloads(&b2), ["m4", "m5"]);
        assert!(g.make_batch(3).is_none(), "count reached");
    }

    #[test]
    fn continues_after_the_saved_cursor() {
        let mut g = Generate::new(config(0, "{{seq}}"), Some(GenerateCursor { seq: 41 })).unwrap();
        assert_eq!(payloads(&g.make_batch(2).unwrap()), ["42", "43"]);
        let mut done =
            Generate::new(config(10, "{{seq}}"), Some(GenerateCursor { seq: 10 })).unwrap();
        assert!(
            done.make_batch(100).is_none(),
            "everything was confirmed before the restart"
        );
    }

    #[test]
    fn default_template_makes_json() {
        let mut g = Generate::new(config(0, r#"{"seq": {{seq}}}"#), None).unwrap();
        let b = g.make_batch(1000).unwrap();
        assert_eq!(b.messages.len(), 1000);
        let v: serde_json::Value = serde_json::from_slice(&b.messages[999].payload).unwrap();
        assert_eq!(v, serde_json::json!({"seq": 1000}));
    }

    #[test]
    fn a_bad_template_is_a_config_error() {
        let err = Generate::new(config(0, "{{nope}}"), None).err().unwrap();
        assert!(
            matches!(err, ComponentError::InvalidConfig(ref m) if m.starts_with("payload:")),
            "{err}"
        );
    }
}
