//! Capture of runtime output: lines cut to a maximum length, stamped with their capture time,
//! written to size-rotated files per connector and stream, with the last lines kept in memory.

mod capture;
pub mod reader;
mod rotating;
pub(crate) mod stamp;
mod tail;
mod view;

pub(crate) use capture::StreamCapture;
pub use tail::Tail;
pub use view::{LogLine, Streams, merge};

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    pub fn name(self) -> &'static str {
        match self {
            Self::Stdout => "stdout",
            Self::Stderr => "stderr",
        }
    }
}

/// Limits of one stream's capture.
#[derive(Debug, Clone)]
pub(crate) struct CaptureLimits {
    pub max_file_size: u64,
    pub files_kept: u32,
    pub max_line: usize,
    pub tail_lines: usize,
}
