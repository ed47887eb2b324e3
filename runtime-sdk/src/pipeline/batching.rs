//! Batch sizes, linger and buffering of the driver, from the connector's steps or defaults.

use std::time::Duration;

use crate::document::{Input, Output, Steps};

/// Messages per sink write (and per source poll) when the steps do not say (`batch_length`).
pub const DEFAULT_BATCH_LENGTH: usize = 1000;
/// How long a partial batch waits for more messages before a sink write.
pub const DEFAULT_LINGER: Duration = Duration::from_millis(5);
/// Source batches buffered between the reader and the writer: the only queue, so memory stays
/// bounded by about `CHANNEL_BATCHES` × batch length messages.
pub const CHANNEL_BATCHES: usize = 4;
/// Minimum time between two cursor commits while data flows (the last one is always committed
/// at the end). Bounds the commit cost (an fsync, or an offset store on the Iggy server) at
/// the price of replaying at most this much data after a crash.
pub const COMMIT_INTERVAL: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Batching {
    /// `max` of each source poll.
    pub poll_max: usize,
    /// Messages per sink write.
    pub write_max: usize,
    pub linger: Duration,
}

impl Batching {
    pub(crate) fn for_steps(steps: &Steps) -> Self {
        let (write_max, linger) = match steps.output() {
            Output::Sink(s) => (
                s.batch_length.map_or(DEFAULT_BATCH_LENGTH, |n| n as usize),
                s.linger.unwrap_or(DEFAULT_LINGER),
            ),
            Output::Producer(p) => (p.batch_length as usize, p.linger),
        };
        let poll_max = match steps.input() {
            Input::Source(s) => s.batch_length.map_or(write_max, |n| n as usize),
            Input::Consumer(c) => c.batch_length as usize,
        };
        Self {
            poll_max: poll_max.max(1),
            write_max: write_max.max(1),
            linger,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batching(doc: &str) -> Batching {
        Batching::for_steps(&crate::document::decode::from_str(doc).unwrap().steps)
    }

    #[test]
    fn sink_steps_set_the_write_size_and_sources_follow_unless_they_say() {
        let b = batching(
            "id: x\nruntime: r\nsteps:\n  source: { type: a }\n  sink: { type: b, batch_length: 8000, linger: 20ms }\n",
        );
        assert_eq!(
            (b.poll_max, b.write_max, b.linger),
            (8000, 8000, Duration::from_millis(20))
        );
        let b = batching(
            "id: x\nruntime: r\nsteps:\n  source: { type: a, batch_length: 10 }\n  sink: { type: b }\n",
        );
        assert_eq!(
            (b.poll_max, b.write_max, b.linger),
            (10, DEFAULT_BATCH_LENGTH, DEFAULT_LINGER)
        );
    }
}
