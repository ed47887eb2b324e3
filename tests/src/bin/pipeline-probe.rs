//! A runtime that exercises the SDK pipeline for the tests: a counting source with a durable
//! cursor (like `generate`) and a sink appending lines to a file with fsync (like `file`),
//! which can be told to fail.

use std::io::Write;
use std::time::Duration;

use connect_runtime_sdk::runtime::EnvError;
use connect_runtime_sdk::{
    Batch, ComponentContext, ComponentError, Components, Message, Runtime, RuntimeMetadata, Sink,
    Source, Written, async_trait,
};
use include_dir::include_dir;
use serde_json::Value;

fn main() -> Result<(), EnvError> {
    let metadata = RuntimeMetadata::from_embedded(&include_dir!(
        "$CARGO_MANIFEST_DIR/pipeline-probe/.connect"
    ))
    .expect("the embedded .connect metadata is valid (checked by tests)");
    Runtime::from_env()?.launch(
        Components::new(metadata)
            .source("count", Count::new)
            .sink("lines", Lines::new),
    )
}

/// Emits `{"seq":N}`; its cursor is the next N.
struct Count {
    next: u64,
    count: u64,
    batch: usize,
    interval: Duration,
}

impl Count {
    fn new(ctx: &ComponentContext) -> Result<Self, ComponentError> {
        let config = ctx.raw_config();
        let interval = config["interval"]
            .as_str()
            .map(connect_runtime_sdk::document::duration::parse)
            .transpose()
            .map_err(ComponentError::invalid_config)?
            .unwrap_or_default();
        Ok(Self {
            next: ctx.load_cursor::<u64>()?.unwrap_or(0),
            count: config["count"].as_u64().unwrap_or(0),
            batch: config["batch"].as_u64().unwrap_or(100) as usize,
            interval,
        })
    }
}

#[async_trait]
impl Source for Count {
    async fn poll(
        &mut self,
        _ctx: &ComponentContext,
        max: usize,
    ) -> Result<Option<Batch>, ComponentError> {
        if self.count > 0 && self.next >= self.count {
            return Ok(None);
        }
        if !self.interval.is_zero() {
            tokio::time::sleep(self.interval).await;
        }
        let mut end = self.next + self.batch.min(max) as u64;
        if self.count > 0 {
            end = end.min(self.count);
        }
        let messages = (self.next..end)
            .map(|n| Message::new(format!("{{\"seq\":{n}}}")))
            .collect();
        self.next = end;
        Ok(Some(Batch {
            messages,
            cursor: Some(Value::from(end)),
        }))
    }
}

/// Appends payloads as lines; a batch is confirmed only after `fsync`.
struct Lines {
    path: std::path::PathBuf,
    file: Option<std::fs::File>,
    fail_times: u64,
    fail: String,
    buffer: Vec<u8>,
}

impl Lines {
    fn new(ctx: &ComponentContext) -> Result<Self, ComponentError> {
        let config = ctx.raw_config();
        Ok(Self {
            path: config["path"].as_str().unwrap_or_default().into(),
            file: None,
            fail_times: config["fail_times"].as_u64().unwrap_or(0),
            fail: config["fail"].as_str().unwrap_or("never").to_string(),
            buffer: Vec::new(),
        })
    }
}

#[async_trait]
impl Sink for Lines {
    /// Opens for appending and cuts off a torn last line left by a crash.
    async fn open(&mut self, _ctx: &ComponentContext) -> Result<(), ComponentError> {
        let io = |e: std::io::Error| ComponentError::retry(format!("{}: {e}", self.path.display()));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        let content = std::fs::read(&self.path).map_err(io)?;
        let keep = content
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        if keep < content.len() {
            file.set_len(keep as u64).map_err(io)?;
        }
        self.file = Some(file);
        Ok(())
    }

    async fn write(
        &mut self,
        _ctx: &ComponentContext,
        batch: &[Message],
    ) -> Result<Written, ComponentError> {
        match self.fail.as_str() {
            "permanent" => {
                return Err(ComponentError::restart("the probe sink was told to fail"));
            }
            "transient" => {
                return Err(ComponentError::retry("the probe sink was told to fail"));
            }
            _ => {}
        }
        if self.fail_times > 0 {
            self.fail_times -= 1;
            return Err(ComponentError::retry(
                "the probe sink fails this write on purpose",
            ));
        }
        self.buffer.clear();
        for m in batch {
            self.buffer.extend_from_slice(&m.payload);
            self.buffer.push(b'\n');
        }
        let file = self.file.as_mut().expect("opened before the first write");
        file.write_all(&self.buffer)
            .and_then(|()| file.sync_data())
            .map(|()| Written::all())
            .map_err(|e| ComponentError::retry(format!("{}: {e}", self.path.display())))
    }
}
