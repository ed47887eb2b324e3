//! At most `[http] max_connections` connections at once, fewer when the descriptor limit is
//! low: a connection beyond the limit is closed as soon as it is accepted, so idle sockets can
//! never take the descriptors the runtimes need (pipes, log files, the channel).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use axum_server::accept::Accept;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Descriptors kept for everything but API connections: per connector about eight (three
/// pipes, two log files, the channel, a pidfd), plus the agent's own files and sockets.
pub(crate) const RESERVE_FIXED: u64 = 64;

/// The connection limit for `configured` under the process's descriptor limit: at most half
/// the descriptors left after the fixed reserve go to API connections.
pub(crate) fn effective(configured: usize) -> usize {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into a local struct.
    let soft = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0 {
        lim.rlim_cur
    } else {
        return configured;
    };
    let share = usize::try_from(soft.saturating_sub(RESERVE_FIXED) / 2).unwrap_or(usize::MAX);
    configured.min(share.max(1))
}

/// The acceptor that counts connections.
#[derive(Clone)]
pub(crate) struct ConnLimit {
    slots: Arc<Semaphore>,
    limit: usize,
    refused: Arc<AtomicU64>,
}

impl ConnLimit {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(limit)),
            limit,
            refused: Arc::default(),
        }
    }
}

impl<I, S> Accept<I, S> for ConnLimit {
    type Stream = Counted<I>;
    type Service = S;
    type Future = std::future::Ready<io::Result<(Counted<I>, S)>>;

    fn accept(&self, stream: I, service: S) -> Self::Future {
        match self.slots.clone().try_acquire_owned() {
            Ok(permit) => std::future::ready(Ok((
                Counted {
                    inner: stream,
                    _permit: permit,
                },
                service,
            ))),
            Err(_) => {
                drop(stream);
                let n = self.refused.fetch_add(1, Ordering::Relaxed);
                // One line per thousand refusals: a flood must not flood the log too.
                if n.is_multiple_of(1000) {
                    tracing::warn!(
                        limit = self.limit,
                        refused = n + 1,
                        "API connection limit reached: closing new connections ([http] max_connections)"
                    );
                }
                std::future::ready(Err(io::Error::other("API connection limit reached")))
            }
        }
    }
}

/// A connection holding one slot until it is closed.
pub(crate) struct Counted<I> {
    inner: I,
    _permit: OwnedSemaphorePermit,
}

impl<I: AsyncRead + Unpin> AsyncRead for Counted<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Counted<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
