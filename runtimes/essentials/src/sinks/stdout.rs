//! Sink `stdout`: one message per line on the runtime's standard output, one write per batch.
//! The runtime is registered with `sink_on_stdout`, so its logs go to stderr while this runs.

use std::io::Write;

use connect_runtime_sdk::{ComponentContext, ComponentError, Message, Sink, Written, async_trait};
use serde::Deserialize;

use crate::line_format::LineFormat;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StdoutConfig {
    pub(crate) format: LineFormat,
}

pub(crate) struct Stdout {
    format: LineFormat,
    /// Reused between batches; `None` only while a write is in flight.
    buf: Option<Vec<u8>>,
}

impl Stdout {
    pub(crate) fn from_context(ctx: &ComponentContext) -> Result<Self, ComponentError> {
        let config: StdoutConfig = ctx.config()?;
        Ok(Self {
            format: config.format,
            buf: Some(Vec::new()),
        })
    }
}

#[async_trait]
impl Sink for Stdout {
    async fn write(
        &mut self,
        _ctx: &ComponentContext,
        batch: &[Message],
    ) -> Result<Written, ComponentError> {
        let mut buf = self.buf.take().unwrap_or_default();
        buf.clear();
        for m in batch {
            self.format.append(m, &mut buf);
        }
        // A slow reader blocks the write: that is the backpressure, kept off the async workers.
        let (buf, result) = tokio::task::spawn_blocking(move || {
            let mut out = std::io::stdout().lock();
            let result = out.write_all(&buf).and_then(|()| out.flush());
            (buf, result)
        })
        .await
        .map_err(|e| ComponentError::restart(format!("the stdout writer failed: {e}")))?;
        self.buf = Some(buf);
        result.map(|()| Written::all()).map_err(|e| match e.kind() {
            std::io::ErrorKind::BrokenPipe => {
                ComponentError::restart("stdout was closed by its reader")
            }
            _ => ComponentError::retry(format!("cannot write to stdout: {e}")),
        })
    }
}
