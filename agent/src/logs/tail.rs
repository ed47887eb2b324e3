//! The last lines of a stream in memory, each cut to a small size so a connector costs little,
//! each with the time it was captured.

use std::collections::VecDeque;

/// Longest line kept in the tail (the file has the whole line).
pub const TAIL_LINE_MAX: usize = 1024;

#[derive(Debug, Default)]
pub struct Tail {
    lines: VecDeque<(u64, Box<str>)>,
    capacity: usize,
    /// The line being written (no newline seen yet), cut to [`TAIL_LINE_MAX`].
    partial: Vec<u8>,
    /// When the line being written started (ms since the epoch).
    partial_ms: u64,
}

impl Tail {
    pub fn new(capacity: usize) -> Self {
        Self {
            lines: VecDeque::new(),
            capacity,
            partial: Vec::new(),
            partial_ms: 0,
        }
    }

    /// Feeds a chunk of output read at `ms`; only the last `capacity` lines are ever looked at.
    pub fn feed(&mut self, chunk: &[u8], ms: u64) {
        if self.capacity == 0 {
            return;
        }
        // The last `capacity + 1` newlines bound every line that can survive.
        let mut nls: Vec<usize> = memchr::memrchr_iter(b'\n', chunk)
            .take(self.capacity + 1)
            .collect();
        nls.reverse();
        let Some(&last_nl) = nls.last() else {
            self.extend_partial(chunk, ms);
            return;
        };
        let whole = nls.len() <= self.capacity; // saw every newline of the chunk
        let mut start = if whole { 0 } else { nls[0] + 1 };
        let ends = if whole { &nls[..] } else { &nls[1..] };
        for (i, &end) in ends.iter().enumerate() {
            if i == 0 && whole {
                self.extend_partial(&chunk[start..end], ms);
                let line = std::mem::take(&mut self.partial);
                self.push(self.partial_ms, &line);
            } else {
                let line = &chunk[start..end];
                self.push(ms, &line[..line.len().min(TAIL_LINE_MAX)]);
            }
            start = end + 1;
        }
        if !whole {
            self.partial.clear();
        }
        self.extend_partial(&chunk[last_nl + 1..], ms);
    }

    fn extend_partial(&mut self, bytes: &[u8], ms: u64) {
        if self.partial.is_empty() {
            self.partial_ms = ms;
        }
        let room = TAIL_LINE_MAX.saturating_sub(self.partial.len());
        self.partial
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn push(&mut self, ms: u64, line: &[u8]) {
        if self.lines.len() == self.capacity {
            self.lines.pop_front();
        }
        let text = String::from_utf8_lossy(line);
        self.lines
            .push_back((ms, text.trim_end_matches('\r').into()));
    }

    /// Ends a run: a last line without a newline still counts.
    pub fn finish(&mut self) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.push(self.partial_ms, &line);
        }
    }

    /// The last `n` lines with their capture times, oldest first.
    pub fn last_stamped(&self, n: usize) -> Vec<(u64, String)> {
        self.lines
            .iter()
            .skip(self.lines.len().saturating_sub(n))
            .map(|(ms, l)| (*ms, l.to_string()))
            .collect()
    }

    /// The last `n` lines, oldest first.
    pub fn last(&self, n: usize) -> Vec<String> {
        self.last_stamped(n).into_iter().map(|(_, l)| l).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_exactly_the_last_lines_across_chunks() {
        let mut t = Tail::new(3);
        t.feed(b"one\ntw", 1);
        t.feed(b"o\nthree\n", 2);
        assert_eq!(t.last(10), ["one", "two", "three"]);
        t.feed(b"four\nfive\nsix\nseven\nei", 3);
        assert_eq!(t.last(10), ["five", "six", "seven"]);
        t.feed(b"ght\n", 4);
        assert_eq!(t.last(2), ["seven", "eight"]);
        t.feed(b"tail", 5);
        t.finish();
        assert_eq!(t.last(1), ["tail"]);
        // A line is stamped when it started: `eight` began in the chunk read at 3.
        assert_eq!(
            t.last_stamped(2),
            [(3, "eight".to_string()), (5, "tail".to_string())]
        );
    }

    #[test]
    fn long_lines_are_cut_in_memory() {
        let mut t = Tail::new(2);
        let long = vec![b'x'; 5000];
        t.feed(&long, 1);
        t.feed(b"\n", 2);
        assert_eq!(t.last(1)[0].len(), TAIL_LINE_MAX);
    }
}
