//! How the pipeline retries a failed sink write or source poll: a bounded number of attempts
//! with exponential backoff. Runtimes change it with `Components::retry`.

use std::time::Duration;

use crate::backoff::Backoff;

/// Attempts per batch (the first try included) before the runtime gives up and exits with the
/// transient-failure code, so the agent restarts it from the last confirmed position.
pub const DEFAULT_ATTEMPTS: u32 = 5;
/// Wait after the first failure; doubled after each further one.
pub const DEFAULT_INITIAL_BACKOFF: Duration = Duration::from_millis(100);
/// Upper bound of the wait between attempts.
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries per batch, at least 1 (1 = no retry).
    pub attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: DEFAULT_ATTEMPTS,
            initial_backoff: DEFAULT_INITIAL_BACKOFF,
            max_backoff: DEFAULT_MAX_BACKOFF,
        }
    }
}

impl RetryPolicy {
    /// Whether another try follows failed attempt number `attempt` (1-based).
    pub(crate) fn retries_after(&self, attempt: u32) -> bool {
        attempt < self.attempts.max(1)
    }

    /// The wait after failed attempt number `attempt` (1-based).
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        Backoff::new(self.initial_backoff, self.max_backoff).delay(attempt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_attempts_are_bounded() {
        let p = RetryPolicy::default();
        let waits: Vec<_> = (1..=8).map(|a| p.backoff(a).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        assert!(p.retries_after(4) && !p.retries_after(5));
        assert!(!RetryPolicy { attempts: 0, ..p }.retries_after(1));
    }
}
