//! A running child's stdout and stderr: read when ready, through the thread's scratch buffer,
//! into the connector's log captures; and what is left once the process group is gone.

use std::time::{Duration, SystemTime};

use tokio::net::unix::pipe;
use tokio::time::Instant;

use super::scratch::{self, Drained};
use super::slot::Slot;
use crate::logs::Stream;

/// Reads what a ready pipe holds; returns whether the pipe is still open.
pub(super) fn captured(
    slot: &Slot,
    stream: Stream,
    pipe: &pipe::Receiver,
    ready: std::io::Result<()>,
) -> bool {
    if ready.is_err() {
        return false;
    }
    let drained = scratch::drain(
        |buf| pipe.try_read(buf),
        |chunk| {
            slot.capture(stream).feed(chunk, SystemTime::now());
            true
        },
    );
    drained == Drained::Open
}

/// Reads what is left in a pipe after the group is gone (bounded, in case a descendant escaped it).
pub(super) async fn drain(slot: &Slot, pipe: &pipe::Receiver, open: bool, stream: Stream) {
    if !open {
        return;
    }
    let until = Instant::now() + Duration::from_millis(500);
    while let Ok(ready) = tokio::time::timeout_at(until, pipe.readable()).await {
        if !captured(slot, stream, pipe, ready) {
            return;
        }
    }
}
