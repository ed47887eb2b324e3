//! One output stream of a connector: chunks in, lines longer than the limit cut into several
//! (never dropped), each stamped with its capture time, then written to the rotating file and
//! fed to the tail.

use std::path::PathBuf;
use std::time::SystemTime;

use super::CaptureLimits;
use super::rotating::RotatingFile;
use super::stamp;
use super::tail::Tail;

#[derive(Debug)]
pub(crate) struct StreamCapture {
    file: RotatingFile,
    pub(crate) tail: Tail,
    max_line: usize,
    /// Bytes of the current line written so far.
    col: usize,
    /// The file holds the start of a line whose newline has not come yet.
    line_open: bool,
    write_failed: bool,
}

/// One chunk on its way to the file and the tail.
struct Staged {
    prefix: [u8; stamp::PREFIX_LEN],
    ms: u64,
    out: Vec<u8>,
}

impl StreamCapture {
    pub(crate) fn new(path: PathBuf, limits: &CaptureLimits) -> Self {
        Self {
            file: RotatingFile::new(path, limits.max_file_size, limits.files_kept),
            tail: Tail::new(limits.tail_lines),
            max_line: limits.max_line,
            col: 0,
            line_open: false,
            write_failed: false,
        }
    }

    /// Takes a chunk as read from the pipe at `at` (any size, lines may span chunks).
    pub(crate) fn feed(&mut self, chunk: &[u8], at: SystemTime) {
        let (prefix, ms) = stamp::prefix(at);
        let mut staged = Staged {
            prefix,
            ms,
            out: Vec::with_capacity(chunk.len() + stamp::PREFIX_LEN * 4),
        };
        let mut start = 0; // first byte not yet emitted
        let mut seg = 0; // first byte of the current line inside `chunk`
        let ends = memchr::memchr_iter(b'\n', chunk).chain(std::iter::once(chunk.len()));
        for end in ends {
            while self.col + (end - seg) > self.max_line {
                let cut = seg + (self.max_line - self.col);
                self.emit(&mut staged, &chunk[start..cut]);
                self.emit(&mut staged, b"\n");
                start = cut;
                seg = cut;
                self.col = 0;
            }
            if end == chunk.len() {
                self.col += end - seg;
            } else {
                self.col = 0;
                seg = end + 1;
            }
        }
        self.emit(&mut staged, &chunk[start..]);
        self.write(&staged.out);
    }

    /// The process is gone: an unterminated last line is completed.
    pub(crate) fn finish(&mut self) {
        if self.line_open {
            self.write(b"\n");
            self.line_open = false;
        }
        self.col = 0;
        self.tail.finish();
    }

    /// Feeds the tail and stages the bytes for the file, a capture-time prefix before each line.
    fn emit(&mut self, staged: &mut Staged, bytes: &[u8]) {
        self.tail.feed(bytes, staged.ms);
        let mut rest = bytes;
        while !rest.is_empty() {
            if !self.line_open {
                staged.out.extend_from_slice(&staged.prefix);
                self.line_open = true;
            }
            match memchr::memchr(b'\n', rest) {
                Some(i) => {
                    staged.out.extend_from_slice(&rest[..=i]);
                    self.line_open = false;
                    rest = &rest[i + 1..];
                }
                None => {
                    staged.out.extend_from_slice(rest);
                    rest = &[];
                }
            }
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if let Err(e) = self.file.write(bytes) {
            if !self.write_failed {
                tracing::warn!(error = %e, "cannot write a connector log file; output is kept in memory only until it works again");
            }
            self.write_failed = true;
        } else {
            self.write_failed = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_cut_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.log");
        let limits = CaptureLimits {
            max_file_size: 1 << 20,
            files_kept: 1,
            max_line: 100,
            tail_lines: 10,
        };
        let mut c = StreamCapture::new(path.clone(), &limits);
        let long: Vec<u8> = (0..250u32).map(|i| b'a' + (i % 26) as u8).collect();
        let at = stamp::at_millis(1_764_635_112_345);
        c.feed(b"short\n", at);
        c.feed(&long[..120], at);
        c.feed(&long[120..], at);
        c.feed(b"\nend", at);
        c.finish();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text
            .lines()
            .map(|l| {
                assert!(l.starts_with("2025-12-02T00:25:12.345Z "), "{l}");
                stamp::split(l).1
            })
            .collect();
        assert_eq!(lines.len(), 5, "{lines:?}");
        assert_eq!(lines[1].len(), 100);
        assert_eq!(lines[3].len(), 50);
        assert_eq!(lines[1..4].concat().as_bytes(), &long[..]);
        assert_eq!(c.tail.last(2), [lines[3], "end"]);
    }
}
