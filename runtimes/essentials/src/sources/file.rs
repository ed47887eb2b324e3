//! Source `file`: the lines of a file, following it as it grows (`tail -F`), through rotation
//! (a new inode at the path) and truncation, with `{inode, offset}` as its durable cursor.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use connect_runtime_sdk::component::{check_allowed_path, now_us};
use connect_runtime_sdk::document::duration;
use connect_runtime_sdk::{Batch, ComponentContext, ComponentError, Message, Source, async_trait};
use serde::{Deserialize, Serialize};

/// Bytes read from the file at a time.
const CHUNK: usize = 256 * 1024;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileSourceConfig {
    pub(crate) path: PathBuf,
    pub(crate) from: StartFrom,
    #[serde(with = "duration")]
    pub(crate) poll_interval: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum StartFrom {
    Start,
    End,
}

/// The saved position: the byte after the last confirmed line, in the file with this inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FileCursor {
    pub(crate) inode: u64,
    pub(crate) offset: u64,
}

/// What one step of reading found.
#[derive(Debug)]
pub(crate) enum Step {
    Lines(Batch),
    /// Nothing new yet; look again after the poll interval.
    Idle,
}

/// The open file and the bytes read from it that are not a complete line yet.
struct Open {
    file: File,
    inode: u64,
    /// File offset of `pending[0]`.
    line_start: u64,
    pending: Vec<u8>,
}

pub(crate) struct FileFollow {
    config: FileSourceConfig,
    /// Where to resume; applies only to the first file opened.
    saved: Option<FileCursor>,
    opened_before: bool,
    /// The file did not exist when first looked for: everything in it is new, whatever `from` says.
    missing_at_start: bool,
    open: Option<Open>,
    /// The missing file was reported to the agent (once, until it appears).
    reported_missing: bool,
}

impl FileFollow {
    pub(crate) fn from_context(ctx: &ComponentContext) -> Result<Self, ComponentError> {
        let config: FileSourceConfig = ctx.config()?;
        check_allowed_path("steps.source.config.path", &config.path)?;
        let saved: Option<FileCursor> = ctx.load_cursor()?;
        Ok(Self::new(config, saved))
    }

    pub(crate) fn new(config: FileSourceConfig, saved: Option<FileCursor>) -> Self {
        Self {
            config,
            saved,
            opened_before: false,
            missing_at_start: false,
            open: None,
            reported_missing: false,
        }
    }

    /// Reads what is there: up to `max` complete lines, or `Idle` at the end of the data.
    pub(crate) fn step(&mut self, max: usize) -> Result<Step, ComponentError> {
        let max = max.max(1);
        loop {
            if self.open.is_none() && !self.try_open()? {
                return Ok(Step::Idle);
            }
            let open = self.open.as_mut().expect("opened above");
            if let Some(batch) = take_lines(open, max, false) {
                return Ok(Step::Lines(batch));
            }
            if read_more(open).map_err(|e| io_error(&self.config.path, "read", e))? {
                continue;
            }
            // At the end of the data: has the file at the path changed?
            match std::fs::metadata(&self.config.path) {
                Ok(meta) if meta.ino() != open.inode => {
                    // Rotated: finish the old file (data written before the switch, and a last
                    // line without a newline), then move to the new one from its start.
                    if read_more(open).map_err(|e| io_error(&self.config.path, "read", e))? {
                        continue;
                    }
                    let last = take_lines(open, max, true);
                    tracing::info!(path = %self.config.path.display(), "file was rotated; following the new file from its start");
                    self.open = None;
                    if let Some(batch) = last {
                        return Ok(Step::Lines(batch));
                    }
                }
                Ok(meta) if meta.len() < open.line_start + open.pending.len() as u64 => {
                    tracing::info!(path = %self.config.path.display(), "file was truncated; reading it again from the start");
                    open.file
                        .seek(SeekFrom::Start(0))
                        .map_err(|e| io_error(&self.config.path, "seek in", e))?;
                    open.line_start = 0;
                    open.pending.clear();
                }
                // Unchanged, or removed and not yet replaced: wait.
                _ => return Ok(Step::Idle),
            }
        }
    }

    /// Opens the file at the path if it exists, positioned by the saved cursor or `from`.
    fn try_open(&mut self) -> Result<bool, ComponentError> {
        let mut file = match File::open(&self.config.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.missing_at_start |= !self.opened_before;
                return Ok(false);
            }
            Err(e) => return Err(io_error(&self.config.path, "open", e)),
        };
        let meta = file
            .metadata()
            .map_err(|e| io_error(&self.config.path, "stat", e))?;
        let start = match (self.opened_before, self.saved) {
            (true, _) => 0,
            (false, Some(c)) if c.inode == meta.ino() && c.offset <= meta.len() => c.offset,
            (false, Some(c)) => {
                tracing::warn!(path = %self.config.path.display(), saved_inode = c.inode, saved_offset = c.offset,
                    "the file is not the one the saved position belongs to (rotated or truncated while stopped); reading it from the start");
                0
            }
            (false, None) if self.config.from == StartFrom::End && !self.missing_at_start => {
                meta.len()
            }
            (false, None) => 0,
        };
        file.seek(SeekFrom::Start(start))
            .map_err(|e| io_error(&self.config.path, "seek in", e))?;
        self.opened_before = true;
        self.open = Some(Open {
            file,
            inode: meta.ino(),
            line_start: start,
            pending: Vec::new(),
        });
        Ok(true)
    }
}

fn io_error(path: &std::path::Path, action: &str, e: std::io::Error) -> ComponentError {
    ComponentError::retry(format!("cannot {action} {}: {e}", path.display()))
}

/// Appends the next chunk of the file to `pending`; false at the end of the data.
fn read_more(open: &mut Open) -> std::io::Result<bool> {
    let len = open.pending.len();
    open.pending.resize(len + CHUNK, 0);
    let n = loop {
        match open.file.read(&mut open.pending[len..]) {
            Ok(n) => break n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                open.pending.truncate(len);
                return Err(e);
            }
        }
    };
    open.pending.truncate(len + n);
    Ok(n > 0)
}

/// Up to `max` complete lines from the front of `pending` (with `flush`, a final unterminated one too).
fn take_lines(open: &mut Open, max: usize, flush: bool) -> Option<Batch> {
    let mut ends = Vec::new();
    let mut consumed = 0;
    for nl in memchr::memchr_iter(b'\n', &open.pending) {
        ends.push(nl);
        consumed = nl + 1;
        if ends.len() == max {
            break;
        }
    }
    if flush && ends.len() < max && consumed < open.pending.len() {
        ends.push(open.pending.len());
        consumed = open.pending.len();
    }
    if ends.is_empty() {
        return None;
    }
    let data = Bytes::copy_from_slice(&open.pending[..consumed]);
    open.pending.drain(..consumed);
    open.line_start += consumed as u64;
    let timestamp_us = now_us();
    let mut start = 0;
    let messages = ends
        .into_iter()
        .map(|end| {
            let mut line = data.slice(start..end);
            start = end + 1;
            if line.last() == Some(&b'\r') {
                line.truncate(line.len() - 1);
            }
            Message {
                payload: line,
                timestamp_us,
                ..Message::default()
            }
        })
        .collect();
    let cursor = FileCursor {
        inode: open.inode,
        offset: open.line_start,
    };
    Some(Batch {
        messages,
        cursor: Some(serde_json::json!(cursor)),
    })
}

impl FileFollow {
    /// Says once that the file does not exist yet (logged, and the connector shows degraded
    /// with the reason), and that it is back once it appears.
    fn report_missing(&mut self, ctx: &ComponentContext) {
        let missing = self.open.is_none() && !self.config.path.exists();
        if missing && !self.reported_missing {
            ctx.runtime().problem(
                "input_missing",
                &format!(
                    "{} does not exist yet; waiting for it to appear",
                    self.config.path.display()
                ),
            );
        } else if !missing && self.reported_missing {
            ctx.runtime().recovered();
        }
        self.reported_missing = missing;
    }
}

#[async_trait]
impl Source for FileFollow {
    async fn poll(
        &mut self,
        ctx: &ComponentContext,
        max: usize,
    ) -> Result<Option<Batch>, ComponentError> {
        let step = self.step(max)?;
        self.report_missing(ctx);
        if let Step::Lines(batch) = step {
            return Ok(Some(batch));
        }
        tokio::select! {
            _ = tokio::time::sleep(self.config.poll_interval) => {}
            _ = ctx.cancellation().cancelled() => return Ok(None),
        }
        // Nothing yet: an empty batch lets the pipeline commit the confirmed position while
        // the file is idle, then it polls again.
        match self.step(max)? {
            Step::Lines(batch) => Ok(Some(batch)),
            Step::Idle => Ok(Some(Batch::default())),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn follow(path: &std::path::Path, from: StartFrom, saved: Option<FileCursor>) -> FileFollow {
        FileFollow::new(
            FileSourceConfig {
                path: path.to_path_buf(),
                from,
                poll_interval: Duration::from_millis(10),
            },
            saved,
        )
    }

    fn lines(step: Step) -> (Vec<String>, FileCursor) {
        match step {
            Step::Lines(b) => (
                b.messages
                    .iter()
                    .map(|m| String::from_utf8(m.payload.to_vec()).unwrap())
                    .collect(),
                serde_json::from_value(b.cursor.unwrap()).unwrap(),
            ),
            Step::Idle => panic!("expected lines, got idle"),
        }
    }

    fn append(path: &std::path::Path, text: &str) {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }

    #[test]
    fn reads_complete_lines_only_and_waits_for_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.log");
        let mut f = follow(&path, StartFrom::Start, None);
        assert!(
            matches!(f.step(10).unwrap(), Step::Idle),
            "a missing file is waited for"
        );
        append(&path, "a\nb\r\nc");
        let (got, cursor) = lines(f.step(10).unwrap());
        assert_eq!(got, ["a", "b"]);
        assert_eq!(cursor.offset, 5);
        assert!(matches!(f.step(10).unwrap(), Step::Idle));
        append(&path, "d\n");
        assert_eq!(lines(f.step(10).unwrap()).0, ["cd"]);
    }

    #[test]
    fn batches_are_bounded_by_max() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.log");
        append(&path, "1\n2\n3\n");
        let mut f = follow(&path, StartFrom::Start, None);
        assert_eq!(lines(f.step(2).unwrap()).0, ["1", "2"]);
        assert_eq!(lines(f.step(2).unwrap()).0, ["3"]);
    }

    #[test]
    fn from_end_skips_existing_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.log");
        append(&path, "old\n");
        let mut f = follow(&path, StartFrom::End, None);
        assert!(matches!(f.step(10).unwrap(), Step::Idle));
        append(&path, "new\n");
        assert_eq!(lines(f.step(10).unwrap()).0, ["new"]);
    }

    #[test]
    fn from_end_reads_a_file_created_after_the_start_from_its_beginning() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.log");
        let mut f = follow(&path, StartFrom::End, None);
        assert!(matches!(f.step(10).unwrap(), Step::Idle));
        append(&path, "first\n");
        assert_eq!(lines(f.step(10).unwrap()).0, ["first"]);
    }

    #[test]
    fn resumes_at_the_saved_cursor_of_the_same_file_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.log");
        append(&path, "a\nb\nc\n");
        let inode = std::fs::metadata(&path).unwrap().ino();
        let mut f = follow(
            &path,
            StartFrom::Start,
            Some(FileCursor { inode, offset: 2 }),
        );
        assert_eq!(lines(f.step(10).unwrap()).0, ["b", "c"]);
        let mut other = follow(
            &path,
            StartFrom::End,
            Some(FileCursor {
                inode: inode + 1,
                offset: 2,
            }),
        );
        assert_eq!(
            lines(other.step(10).unwrap()).0,
            ["a", "b", "c"],
            "a different file is read from its start"
        );
    }

    #[test]
    fn follows_rotation_after_finishing_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.log");
        append(&path, "1\n");
        let mut f = follow(&path, StartFrom::Start, None);
        assert_eq!(lines(f.step(10).unwrap()).0, ["1"]);
        append(&path, "2\nlast-without-newline");
        std::fs::rename(&path, dir.path().join("in.log.1")).unwrap();
        append(&path, "3\n");
        assert_eq!(lines(f.step(10).unwrap()).0, ["2"]);
        assert_eq!(lines(f.step(10).unwrap()).0, ["last-without-newline"]);
        let (got, cursor) = lines(f.step(10).unwrap());
        assert_eq!(got, ["3"]);
        assert_eq!(cursor.inode, std::fs::metadata(&path).unwrap().ino());
    }

    #[test]
    fn rereads_a_truncated_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.log");
        append(&path, "aaaa\nbbbb\n");
        let mut f = follow(&path, StartFrom::Start, None);
        assert_eq!(lines(f.step(10).unwrap()).0, ["aaaa", "bbbb"]);
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(0)
            .unwrap();
        append(&path, "c\n");
        assert_eq!(lines(f.step(10).unwrap()).0, ["c"]);
    }
}
