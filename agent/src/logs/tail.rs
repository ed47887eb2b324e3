//! The last lines of a stream in memory, each cut to a small size so a connector costs little.

use std::collections::VecDeque;

/// Longest line kept in the tail (the file has the whole line).
pub const TAIL_LINE_MAX: usize = 1024;

#[derive(Debug, Default)]
pub struct Tail {
    lines: VecDeque<Box<str>>,
    capacity: usize,
    /// The line being written (no newline seen yet), cut to [`TAIL_LINE_MAX`].
    partial: Vec<u8>,
}

impl Tail {
    pub fn new(capacity: usize) -> Self {
        Self {
            lines: VecDeque::new(),
            capacity,
            partial: Vec::new(),
        }
    }

    /// Feeds a chunk of output; only the last `capacity` lines are ever looked at.
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.capacity == 0 {
            return;
        }
        // The last `capacity + 1` newlines bound every line that can survive.
        let mut nls: Vec<usize> = memchr::memrchr_iter(b'\n', chunk)
            .take(self.capacity + 1)
            .collect();
        nls.reverse();
        let Some(&last_nl) = nls.last() else {
            self.extend_partial(chunk);
            return;
        };
        let whole = nls.len() <= self.capacity; // saw every newline of the chunk
        let mut start = if whole { 0 } else { nls[0] + 1 };
        let ends = if whole { &nls[..] } else { &nls[1..] };
        for (i, &end) in ends.iter().enumerate() {
            if i == 0 && whole {
                self.extend_partial(&chunk[start..end]);
                let line = std::mem::take(&mut self.partial);
                self.push(&line);
            } else {
                let line = &chunk[start..end];
                self.push(&line[..line.len().min(TAIL_LINE_MAX)]);
            }
            start = end + 1;
        }
        if !whole {
            self.partial.clear();
        }
        self.extend_partial(&chunk[last_nl + 1..]);
    }

    fn extend_partial(&mut self, bytes: &[u8]) {
        let room = TAIL_LINE_MAX.saturating_sub(self.partial.len());
        self.partial
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn push(&mut self, line: &[u8]) {
        if self.lines.len() == self.capacity {
            self.lines.pop_front();
        }
        let text = String::from_utf8_lossy(line);
        self.lines.push_back(text.trim_end_matches('\r').into());
    }

    /// Ends a run: a last line without a newline still counts.
    pub fn finish(&mut self) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.push(&line);
        }
    }

    /// The last `n` lines, oldest first.
    pub fn last(&self, n: usize) -> Vec<String> {
        self.lines
            .iter()
            .skip(self.lines.len().saturating_sub(n))
            .map(|l| l.to_string())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_exactly_the_last_lines_across_chunks() {
        let mut t = Tail::new(3);
        t.feed(b"one\ntw");
        t.feed(b"o\nthree\n");
        assert_eq!(t.last(10), ["one", "two", "three"]);
        t.feed(b"four\nfive\nsix\nseven\nei");
        assert_eq!(t.last(10), ["five", "six", "seven"]);
        t.feed(b"ght\n");
        assert_eq!(t.last(2), ["seven", "eight"]);
        t.feed(b"tail");
        t.finish();
        assert_eq!(t.last(1), ["tail"]);
    }

    #[test]
    fn long_lines_are_cut_in_memory() {
        let mut t = Tail::new(2);
        let long = vec![b'x'; 5000];
        t.feed(&long);
        t.feed(b"\n");
        assert_eq!(t.last(1)[0].len(), TAIL_LINE_MAX);
    }
}
