//! One read buffer per supervision thread instead of one per pipe: a quiet connector holds no
//! buffer at all, and a busy one borrows the thread's for the length of a read.

use std::cell::RefCell;
use std::io;

/// A pipe never holds more than its capacity (64 KiB on Linux unless raised), so one read never
/// returns more; the agent channel's sockets are read in the same slices.
const SIZE: usize = 64 * 1024;

/// Reads per wake-up before other work of the thread gets its turn.
const READS_PER_TURN: usize = 8;

thread_local! {
    static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// What a non-blocking source did when drained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Drained {
    /// Nothing more to read now (or this turn's reads are used up): wait for readiness again.
    Open,
    /// End of stream or an error: the source is done.
    Closed,
}

/// Reads what `try_read` gives without blocking, each chunk handed to `sink` (which returns
/// false to stop reading: the source counts as closed).
pub(crate) fn drain(
    mut try_read: impl FnMut(&mut [u8]) -> io::Result<usize>,
    mut sink: impl FnMut(&[u8]) -> bool,
) -> Drained {
    BUFFER.with(|cell| {
        let mut buf = cell.borrow_mut();
        if buf.is_empty() {
            buf.resize(SIZE, 0);
        }
        for _ in 0..READS_PER_TURN {
            match try_read(&mut buf) {
                Ok(0) => return Drained::Closed,
                Ok(n) => {
                    if !sink(&buf[..n]) {
                        return Drained::Closed;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Drained::Open,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Drained::Closed,
            }
        }
        Drained::Open
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hands_over_chunks_until_would_block_or_end() {
        let mut chunks = vec![
            Ok(3),
            Ok(2),
            Err(io::Error::from(io::ErrorKind::WouldBlock)),
        ]
        .into_iter();
        let mut got = Vec::new();
        let r = drain(
            |b| {
                let n = chunks.next().unwrap()?;
                b[..n].fill(b'x');
                Ok(n)
            },
            |c| {
                got.push(c.len());
                true
            },
        );
        assert_eq!((r, got), (Drained::Open, vec![3, 2]));
        assert_eq!(drain(|_| Ok(0), |_| true), Drained::Closed);
        assert_eq!(drain(|_| Ok(1), |_| false), Drained::Closed);
        // A source that never runs dry yields after a bounded number of reads.
        let mut reads = 0;
        assert_eq!(
            drain(
                |_| {
                    reads += 1;
                    Ok(1)
                },
                |_| true
            ),
            Drained::Open
        );
        assert_eq!(reads, READS_PER_TURN);
    }
}
