//! What a reader of a connector's logs gets: lines of one or both streams, each with its stream
//! and capture time, merged in capture order.

use serde::Serialize;

use super::Stream;

/// One captured line as the API and the CLI show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct LogLine {
    pub stream: Stream,
    pub ts_ms: u64,
    pub line: String,
}

/// Which streams a reader wants (`stream=both|stdout|stderr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Streams {
    Both,
    One(Stream),
}

impl Streams {
    pub const ALLOWED: &'static str = "both, stdout or stderr";

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "both" => Some(Self::Both),
            "stdout" => Some(Self::One(Stream::Stdout)),
            "stderr" => Some(Self::One(Stream::Stderr)),
            _ => None,
        }
    }

    pub fn list(self) -> &'static [Stream] {
        match self {
            Self::Both => &[Stream::Stdout, Stream::Stderr],
            Self::One(Stream::Stdout) => &[Stream::Stdout],
            Self::One(Stream::Stderr) => &[Stream::Stderr],
        }
    }
}

/// The last `n` lines of several streams' lines (each oldest first), in capture order; lines
/// captured in the same millisecond keep stdout before stderr.
pub fn merge(parts: Vec<Vec<LogLine>>, n: usize) -> Vec<LogLine> {
    let mut all: Vec<LogLine> = parts.into_iter().flatten().collect();
    all.sort_by_key(|l| l.ts_ms);
    let skip = all.len().saturating_sub(n);
    all.split_off(skip)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(stream: Stream, ts_ms: u64, text: &str) -> LogLine {
        LogLine {
            stream,
            ts_ms,
            line: text.into(),
        }
    }

    #[test]
    fn streams_merge_in_capture_order_and_keep_the_newest() {
        let out = vec![
            line(Stream::Stdout, 1, "a"),
            line(Stream::Stdout, 5, "c"),
            line(Stream::Stdout, 9, "e"),
        ];
        let err = vec![line(Stream::Stderr, 5, "d"), line(Stream::Stderr, 3, "b")];
        let got = merge(vec![out, err], 4);
        let texts: Vec<&str> = got.iter().map(|l| l.line.as_str()).collect();
        assert_eq!(texts, ["b", "c", "d", "e"]);
        assert_eq!(got[1].stream, Stream::Stdout);
        assert_eq!(got[2].stream, Stream::Stderr);
        assert_eq!(Streams::parse("both"), Some(Streams::Both));
        assert_eq!(Streams::parse("all"), None);
    }
}
