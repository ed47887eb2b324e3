//! Sink `file`: appends one message per line to a file (parent directories created), one write
//! per batch, synced to disk per message, per batch or never.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;

use connect_runtime_sdk::{ComponentContext, ComponentError, Message, Sink, async_trait};
use serde::Deserialize;

use crate::line_format::LineFormat;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileSinkConfig {
    pub(crate) path: PathBuf,
    pub(crate) fsync: Fsync,
    pub(crate) format: LineFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Fsync {
    Always,
    Batch,
    Never,
}

/// The open file, its length as this sink wrote it, and the reusable batch buffer.
struct Writer {
    file: File,
    len: u64,
    buf: Vec<u8>,
    ends: Vec<usize>,
}

pub(crate) struct FileSink {
    config: FileSinkConfig,
    /// `None` before `open` and while a write is in flight.
    writer: Option<Writer>,
}

impl FileSink {
    pub(crate) fn from_context(ctx: &ComponentContext) -> Result<Self, ComponentError> {
        Ok(Self::new(ctx.config()?))
    }

    pub(crate) fn new(config: FileSinkConfig) -> Self {
        Self {
            config,
            writer: None,
        }
    }

    fn open_file(&self) -> Result<Writer, ComponentError> {
        let path = &self.config.path;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                ComponentError::transient(format!(
                    "cannot create directory {}: {e}; check permissions",
                    dir.display()
                ))
            })?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| {
                ComponentError::transient(format!(
                    "cannot open {} for appending: {e}; check the path and permissions",
                    path.display()
                ))
            })?;
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        Ok(Writer {
            file,
            len,
            buf: Vec::new(),
            ends: Vec::new(),
        })
    }
}

impl Writer {
    /// Writes the buffered lines and syncs them as configured. On failure the file is cut back
    /// to its length before the batch, so a retried batch is not written twice.
    fn flush(&mut self, fsync: Fsync) -> std::io::Result<()> {
        let result = match fsync {
            Fsync::Always => {
                let mut start = 0;
                self.ends.iter().try_for_each(|&end| {
                    let r = self
                        .file
                        .write_all(&self.buf[start..end])
                        .and_then(|()| self.file.sync_data());
                    start = end;
                    r
                })
            }
            Fsync::Batch => self
                .file
                .write_all(&self.buf)
                .and_then(|()| self.file.sync_data()),
            Fsync::Never => self.file.write_all(&self.buf),
        };
        match result {
            Ok(()) => self.len += self.buf.len() as u64,
            Err(_) => {
                let _ = self.file.set_len(self.len);
            }
        }
        result
    }
}

#[async_trait]
impl Sink for FileSink {
    async fn open(&mut self, _ctx: &ComponentContext) -> Result<(), ComponentError> {
        self.writer = Some(self.open_file()?);
        Ok(())
    }

    async fn write(
        &mut self,
        _ctx: &ComponentContext,
        batch: &[Message],
    ) -> Result<(), ComponentError> {
        let mut writer = match self.writer.take() {
            Some(w) => w,
            None => self.open_file()?,
        };
        writer.buf.clear();
        writer.ends.clear();
        for m in batch {
            self.config.format.append(m, &mut writer.buf);
            writer.ends.push(writer.buf.len());
        }
        let fsync = self.config.fsync;
        let (writer, result) = tokio::task::spawn_blocking(move || {
            let result = writer.flush(fsync);
            (writer, result)
        })
        .await
        .map_err(|e| ComponentError::permanent(format!("the file writer failed: {e}")))?;
        self.writer = Some(writer);
        result.map_err(|e| {
            ComponentError::transient(format!(
                "cannot write to {}: {e}",
                self.config.path.display()
            ))
        })
    }

    async fn close(&mut self, _ctx: &ComponentContext) -> Result<(), ComponentError> {
        if let Some(w) = self.writer.take()
            && self.config.fsync != Fsync::Never
        {
            w.file.sync_all().map_err(|e| {
                ComponentError::transient(format!(
                    "cannot sync {}: {e}",
                    self.config.path.display()
                ))
            })?;
        }
        Ok(())
    }
}
