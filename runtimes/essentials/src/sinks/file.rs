//! Sink `file`: appends one message per line to a file (parent directories created), one write
//! per batch, synced to disk per message, per batch or never. With `format: payload` a payload
//! holding a newline cannot be one line: it is rejected (class `encoding`) for the error policy.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;

use connect_runtime_sdk::component::check_allowed_path;
use connect_runtime_sdk::{ComponentContext, ComponentError, Message, Sink, Written, async_trait};
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
        let config: FileSinkConfig = ctx.config()?;
        check_allowed_path("steps.sink.config.path", &config.path)?;
        Ok(Self::new(config))
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
                ComponentError::retry(format!(
                    "cannot create directory {}: {e}; check permissions",
                    dir.display()
                ))
            })?;
        }
        let file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(|e| {
                ComponentError::retry(format!(
                    "cannot open {} for appending: {e}; check the path and permissions",
                    path.display()
                ))
            })?;
        let total = file.metadata().map(|m| m.len()).unwrap_or(0);
        let complete = complete_length(&file).map_err(|e| {
            ComponentError::retry(format!("cannot read the end of {}: {e}", path.display()))
        })?;
        let len = match complete {
            Some(len) if len < total => {
                // Only an interrupted write leaves a line without its newline; that batch was
                // never confirmed and will be written again, so its fragment goes.
                tracing::warn!(path = %path.display(), removed_bytes = total - len, "removing an unfinished last line left by an interrupted write");
                file.set_len(len).map_err(|e| {
                    ComponentError::retry(format!("cannot truncate {}: {e}", path.display()))
                })?;
                len
            }
            Some(len) => len,
            None => {
                // Text that is not ours: end it so the first message starts a line of its own.
                (&file).write_all(b"\n").map_err(|e| {
                    ComponentError::retry(format!("cannot write to {}: {e}", path.display()))
                })?;
                total + 1
            }
        };
        Ok(Writer {
            file,
            len,
            buf: Vec::new(),
            ends: Vec::new(),
        })
    }
}

/// The file's length without an unterminated last line: up to its last newline, if there is one
/// in the last [`TAIL_SCAN`] bytes; `None` when the tail has no newline at all.
fn complete_length(file: &File) -> std::io::Result<Option<u64>> {
    use std::os::unix::fs::FileExt;
    let len = file.metadata()?.len();
    let mut end = len;
    let mut chunk = vec![0u8; 64 * 1024];
    while end > 0 && len - end < TAIL_SCAN {
        let start = end.saturating_sub(chunk.len() as u64);
        let buf = &mut chunk[..(end - start) as usize];
        file.read_exact_at(buf, start)?;
        if let Some(i) = memchr::memrchr(b'\n', buf) {
            return Ok(Some(start + i as u64 + 1));
        }
        end = start;
    }
    Ok(if len == 0 { Some(0) } else { None })
}

/// How far back [`complete_length`] looks for the last newline.
const TAIL_SCAN: u64 = 16 * 1024 * 1024;

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
    ) -> Result<Written, ComponentError> {
        let mut writer = match self.writer.take() {
            Some(w) => w,
            None => self.open_file()?,
        };
        writer.buf.clear();
        writer.ends.clear();
        let mut written = Written::all();
        for (index, m) in batch.iter().enumerate() {
            if let Some(reason) = self.config.format.unencodable(m) {
                written.reject(index, "encoding", reason);
                continue;
            }
            self.config.format.append(m, &mut writer.buf);
            writer.ends.push(writer.buf.len());
        }
        let fsync = self.config.fsync;
        let (writer, result) = tokio::task::spawn_blocking(move || {
            let result = writer.flush(fsync);
            (writer, result)
        })
        .await
        .map_err(|e| ComponentError::restart(format!("the file writer failed: {e}")))?;
        self.writer = Some(writer);
        result.map(|()| written).map_err(|e| {
            ComponentError::retry(format!(
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
                ComponentError::retry(format!("cannot sync {}: {e}", self.config.path.display()))
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sink(path: &std::path::Path) -> FileSink {
        FileSink::new(FileSinkConfig {
            path: path.to_path_buf(),
            fsync: Fsync::Batch,
            format: LineFormat::Payload,
        })
    }

    fn write(sink: &FileSink, lines: &[&str]) {
        let mut w = sink.open_file().unwrap();
        for l in lines {
            LineFormat::Payload.append(&Message::new(l.to_string()), &mut w.buf);
            w.ends.push(w.buf.len());
        }
        w.flush(Fsync::Always).unwrap();
    }

    #[test]
    fn creates_parent_directories_and_appends_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/out.log");
        write(&sink(&path), &["1", "2"]);
        write(&sink(&path), &["3"]);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "1\n2\n3\n");
    }

    #[test]
    fn an_interrupted_last_line_is_removed_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.log");
        std::fs::write(&path, "1\n2\n{\"half").unwrap();
        write(&sink(&path), &["3"]);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "1\n2\n3\n");
    }

    #[test]
    fn foreign_text_without_any_newline_is_kept_and_ended() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.log");
        std::fs::write(&path, "header").unwrap();
        write(&sink(&path), &["1"]);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "header\n1\n");
    }
}
