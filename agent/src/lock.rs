//! The one place that decides what a poisoned lock means in the agent: keep going. The locks
//! guard plain data (statuses, slots, job queues) that a panicking holder cannot leave half-made,
//! and supervision must outlive a bug in one request.

use std::sync::LockResult;

/// The value behind a lock, whether or not a holder panicked.
pub(crate) fn unpoisoned<T>(result: LockResult<T>) -> T {
    result.unwrap_or_else(std::sync::PoisonError::into_inner)
}
