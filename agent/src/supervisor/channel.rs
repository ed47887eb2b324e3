//! The agent side of the agent channel: a Unix socket every runtime connects to, sending
//! newline-delimited JSON (`ready`, `heartbeat`, `event`) routed to its connector by id.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use connect_model::contract::AgentMessage;
use tokio::net::{UnixListener, UnixStream};

use tokio_util::sync::CancellationToken;

use super::registry::Registry;
use super::scratch::{self, Drained};

/// Longest accepted line; a runtime sending more is cut off.
const MAX_LINE: u64 = 64 * 1024;
/// `sun_path` holds 108 bytes including the terminating NUL.
const MAX_SOCKET_PATH: usize = 107;

#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    #[error(
        "agent socket path {0} is longer than {MAX_SOCKET_PATH} bytes; set [supervisor] socket to a shorter path"
    )]
    PathTooLong(PathBuf),
    #[error(
        "cannot listen on agent socket {path}: {source}; is another agent using the same [state] path?"
    )]
    Bind {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Binds the socket, replacing a stale file left by an agent that was killed.
pub fn bind(path: &Path) -> Result<UnixListener, ChannelError> {
    if path.as_os_str().len() > MAX_SOCKET_PATH {
        return Err(ChannelError::PathTooLong(path.to_path_buf()));
    }
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if std::os::unix::net::UnixStream::connect(path).is_ok() {
        return Err(ChannelError::Bind {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::AddrInUse,
                "a live agent answers on it",
            ),
        });
    }
    let _ = std::fs::remove_file(path);
    UnixListener::bind(path).map_err(|source| ChannelError::Bind {
        path: path.to_path_buf(),
        source,
    })
}

/// Accepts runtimes' connections until `stop` is cancelled; each connection is a task that
/// ends when its runtime hangs up.
pub(crate) async fn serve(
    listener: UnixListener,
    registry: Arc<Registry>,
    stop: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            _ = stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _)) => {
                tokio::spawn(connection(stream, registry.clone()));
            }
            Err(e) => {
                tracing::warn!(error = %e, "agent socket accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}

/// One runtime's connection: read when the socket is ready, through the thread's scratch
/// buffer; only an unfinished line is kept between reads (usually none), so an idle
/// connection holds no buffer.
async fn connection(stream: UnixStream, registry: Arc<Registry>) {
    let mut lines = Lines::default();
    while stream.readable().await.is_ok() {
        let drained = scratch::drain(
            |buf| stream.try_read(buf),
            |chunk| lines.feed(chunk, &registry),
        );
        if drained == Drained::Closed {
            if !lines.partial.is_empty() {
                tracing::warn!("agent channel: the connection ended in the middle of a line");
            }
            return;
        }
    }
}

/// Splits a connection's bytes into lines and routes each message.
#[derive(Default)]
struct Lines {
    /// The start of a line whose newline has not arrived yet.
    partial: Vec<u8>,
}

impl Lines {
    /// Handles a chunk; returns false when the connection must be closed (a line too long).
    fn feed(&mut self, mut chunk: &[u8], registry: &Registry) -> bool {
        while let Some(nl) = memchr::memchr(b'\n', chunk) {
            if self.partial.is_empty() {
                route(&chunk[..nl], registry);
            } else {
                self.partial.extend_from_slice(&chunk[..nl]);
                let line = std::mem::take(&mut self.partial);
                route(&line, registry);
            }
            chunk = &chunk[nl + 1..];
        }
        self.partial.extend_from_slice(chunk);
        if self.partial.len() as u64 > MAX_LINE {
            tracing::warn!(
                "agent channel: a line longer than {MAX_LINE} bytes; closing the connection"
            );
            return false;
        }
        true
    }
}

/// One line from a runtime: a contract message goes to its connector's slot.
fn route(line: &[u8], registry: &Registry) {
    let Ok(text) = std::str::from_utf8(line) else {
        return;
    };
    let message = match AgentMessage::from_line(text.trim_end()) {
        Ok(m) => m,
        Err(e) => {
            tracing::debug!(error = %e, "agent channel: ignoring a line that is not a contract message");
            return;
        }
    };
    let id = match &message {
        AgentMessage::Ready { connector_id, .. }
        | AgentMessage::Heartbeat { connector_id, .. }
        | AgentMessage::Event { connector_id, .. } => connector_id,
    };
    if let Some(slot) = registry.get(id.as_str()) {
        slot.on_message(message);
    }
}
