//! Word that some connector's status changed: the status file writer waits for it, and API
//! clients subscribe to a counter instead of polling.

use tokio::sync::{Notify, watch};

#[derive(Debug)]
pub(crate) struct Changes {
    notify: Notify,
    seq: watch::Sender<u64>,
}

impl Changes {
    pub(crate) fn new() -> Self {
        Self {
            notify: Notify::new(),
            seq: watch::Sender::new(0),
        }
    }

    pub(crate) fn bump(&self) {
        self.notify.notify_one();
        self.seq.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Resolves after the next change (one waiter: the status file writer).
    pub(crate) async fn notified(&self) {
        self.notify.notified().await;
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.seq.subscribe()
    }
}
