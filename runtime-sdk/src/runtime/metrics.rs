//! The runtime's counters: cheap atomic increments on the data path, read by the heartbeat.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::contract::Counters;

/// A cloneable handle to the process-wide counters.
#[derive(Debug, Clone, Default)]
pub struct Metrics(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    messages_in: AtomicU64,
    messages_out: AtomicU64,
    messages_filtered: AtomicU64,
    messages_failed: AtomicU64,
    messages_dead_lettered: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    batches: AtomicU64,
    latency_total_us: AtomicU64,
    latency_max_us: AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl Metrics {
    pub fn record_in(&self, messages: u64, bytes: u64) {
        self.0.messages_in.fetch_add(messages, Relaxed);
        self.0.bytes_in.fetch_add(bytes, Relaxed);
    }

    pub fn record_out(&self, messages: u64, bytes: u64) {
        self.0.messages_out.fetch_add(messages, Relaxed);
        self.0.bytes_out.fetch_add(bytes, Relaxed);
    }

    pub fn record_filtered(&self, messages: u64) {
        self.0.messages_filtered.fetch_add(messages, Relaxed);
    }

    pub fn record_failed(&self, messages: u64) {
        self.0.messages_failed.fetch_add(messages, Relaxed);
    }

    /// Messages set aside by the error policy (dead-lettered, or dropped without a destination).
    pub fn record_dead_lettered(&self, messages: u64) {
        self.0.messages_dead_lettered.fetch_add(messages, Relaxed);
    }

    /// One batch confirmed downstream, `latency` after its first message arrived.
    pub fn record_batch(&self, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.0.batches.fetch_add(1, Relaxed);
        self.0.latency_total_us.fetch_add(us, Relaxed);
        self.0.latency_max_us.fetch_max(us, Relaxed);
    }

    /// Remembers the current problem for the heartbeats, until [`Self::clear_error`].
    pub fn record_error(&self, error: impl std::fmt::Display) {
        *self.0.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(error.to_string());
    }

    /// The problem is over (the work succeeded again); true when there was one.
    pub fn clear_error(&self) -> bool {
        self.0
            .last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .is_some()
    }

    pub fn last_error(&self) -> Option<String> {
        self.0
            .last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn snapshot(&self) -> Counters {
        let i = &self.0;
        let batches = i.batches.load(Relaxed);
        Counters {
            messages_in: i.messages_in.load(Relaxed),
            messages_out: i.messages_out.load(Relaxed),
            messages_filtered: i.messages_filtered.load(Relaxed),
            messages_failed: i.messages_failed.load(Relaxed),
            messages_dead_lettered: i.messages_dead_lettered.load(Relaxed),
            bytes_in: i.bytes_in.load(Relaxed),
            bytes_out: i.bytes_out.load(Relaxed),
            batches,
            batch_latency_avg_us: i
                .latency_total_us
                .load(Relaxed)
                .checked_div(batches)
                .unwrap_or(0),
            batch_latency_max_us: i.latency_max_us.load(Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_sums_and_averages() {
        let m = Metrics::default();
        m.record_in(3, 300);
        m.record_out(2, 200);
        m.record_filtered(1);
        m.record_batch(Duration::from_micros(10));
        m.record_batch(Duration::from_micros(30));
        m.record_error("boom");
        let c = m.snapshot();
        assert_eq!(
            (
                c.messages_in,
                c.bytes_in,
                c.messages_out,
                c.messages_filtered
            ),
            (3, 300, 2, 1)
        );
        assert_eq!(
            (c.batches, c.batch_latency_avg_us, c.batch_latency_max_us),
            (2, 20, 30)
        );
        assert_eq!(m.last_error().as_deref(), Some("boom"));
    }
}
