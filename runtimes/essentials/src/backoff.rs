//! Exponential backoff between retries, shared by the HTTP source and sink.

use std::time::Duration;

/// Doubles from `initial` up to `max`; `reset` after a success.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    initial: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    pub(crate) fn new(initial: Duration, max: Duration) -> Self {
        let max = max.max(initial);
        Self {
            initial,
            max,
            next: initial,
        }
    }

    /// The wait before the next retry; a server's Retry-After wins when it asks for longer.
    pub(crate) fn next_delay(&mut self, retry_after: Option<Duration>) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(self.max);
        match retry_after {
            Some(asked) => asked.max(delay),
            None => delay,
        }
    }

    pub(crate) fn reset(&mut self) {
        self.next = self.initial;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_maximum_and_resets() {
        let ms = Duration::from_millis;
        let mut b = Backoff::new(ms(100), ms(350));
        let delays: Vec<_> = (0..4).map(|_| b.next_delay(None)).collect();
        assert_eq!(delays, [ms(100), ms(200), ms(350), ms(350)]);
        b.reset();
        assert_eq!(b.next_delay(None), ms(100));
    }

    #[test]
    fn retry_after_wins_when_longer() {
        let ms = Duration::from_millis;
        let mut b = Backoff::new(ms(100), ms(1000));
        assert_eq!(b.next_delay(Some(ms(5000))), ms(5000));
        assert_eq!(b.next_delay(Some(ms(10))), ms(200));
    }
}
