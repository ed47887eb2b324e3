//! Batch sizes, linger and buffering of the driver, from the connector's steps or defaults.

use std::time::Duration;

use crate::model::{Input, Output, Steps};

/// Messages per sink write (and per source poll) when the steps do not say.
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
            Output::Sink(_) => (DEFAULT_BATCH_LENGTH, DEFAULT_LINGER),
            Output::Producer(p) => (p.batch_length as usize, p.linger),
        };
        let poll_max = match steps.input() {
            Input::Source(_) => write_max,
            Input::Consumer(c) => c.batch_length as usize,
        };
        Self {
            poll_max: poll_max.max(1),
            write_max: write_max.max(1),
            linger,
        }
    }
}
