//! The one exponential backoff of connect: the agent's restart delays, the pipeline's retries,
//! the Iggy steps' reconnects and the runtimes' own retries all double from an initial wait up
//! to a cap; the agent also stretches each wait by up to 20 % at random, so connectors that
//! failed together (a shared peer went down) do not all start again at the same instant.

use std::time::Duration;

/// Doubling from `initial` up to `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Backoff {
    /// A cap below `initial` is raised to it.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max: max.max(initial),
        }
    }

    /// The wait after the `failures`-th consecutive failure (1-based; 0 counts as 1).
    pub fn delay(&self, failures: u32) -> Duration {
        let exp = failures.saturating_sub(1).min(31);
        self.initial.saturating_mul(1u32 << exp).min(self.max)
    }

    /// [`Self::delay`] stretched by up to 20 % by `jitter`, never beyond `max` (nor below
    /// `initial`): the first restart is spread too, which a cut off the wait could not do.
    pub fn jittered(&self, failures: u32, jitter: &mut Jitter) -> Duration {
        let base = self.delay(failures);
        let stretch = base.mul_f64(0.2 * jitter.next_unit());
        (base + stretch).min(self.max.max(self.initial))
    }

    /// A running sequence of waits for one operation.
    pub fn delays(self) -> Delays {
        Delays {
            backoff: self,
            failures: 0,
        }
    }
}

/// The waits of one operation that keeps failing; `reset` after it succeeds.
#[derive(Debug, Clone)]
pub struct Delays {
    backoff: Backoff,
    failures: u32,
}

impl Delays {
    /// The wait before the next try.
    pub fn next_delay(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        self.backoff.delay(self.failures)
    }

    /// Failures since the last reset.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

/// A small xorshift generator; jitter needs spread, not cryptographic randomness.
#[derive(Debug, Clone)]
pub struct Jitter(u64);

impl Jitter {
    /// Seeds differing in a few bits (connector ids started in the same millisecond) are
    /// scrambled first (SplitMix64's finish), so even their first draws spread over [0, 1).
    pub fn seeded(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Self((z ^ (z >> 31)) | 1)
    }

    fn next_unit(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn doubles_up_to_the_cap() {
        let b = Backoff::new(ms(100), ms(5000));
        let waits: Vec<_> = (1..=8).map(|n| b.delay(n).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        assert_eq!(b.delay(0), ms(100));
        assert_eq!(b.delay(u32::MAX), ms(5000));
        assert_eq!(Backoff::new(ms(100), ms(10)).delay(3), ms(100));
    }

    #[test]
    fn jitter_adds_at_most_a_fifth_and_spreads_the_first_wait_too() {
        let mut j = Jitter::seeded(42);
        let b = Backoff::new(ms(100), ms(1000));
        let firsts: Vec<_> = (0..50).map(|_| b.jittered(1, &mut j)).collect();
        assert!(
            firsts.iter().all(|d| (ms(100)..=ms(120)).contains(d)),
            "{firsts:?}"
        );
        let spread = *firsts.iter().max().unwrap() - *firsts.iter().min().unwrap();
        assert!(spread >= ms(10), "first waits not spread: {firsts:?}");
        for n in 2..6u32 {
            let d = b.jittered(n, &mut j);
            let base = b.delay(n);
            assert!(d >= base && d <= base.mul_f64(1.2), "{n}: {d:?}");
        }
        assert_eq!(b.jittered(40, &mut j), ms(1000));
    }

    #[test]
    fn close_seeds_spread_from_the_first_draw() {
        let firsts: Vec<f64> = (0..1000u64)
            .map(|i| Jitter::seeded(1_764_650_000_000 ^ i).next_unit())
            .collect();
        let below = |x: f64| firsts.iter().filter(|&&u| u < x).count();
        assert!((400..600).contains(&below(0.5)), "{}", below(0.5));
        assert!(
            (50..150).contains(&below(0.1)) && below(0.9) > 850,
            "{firsts:?}"
        );
    }

    #[test]
    fn a_sequence_counts_failures_and_resets() {
        let mut d = Backoff::new(ms(100), ms(350)).delays();
        let waits: Vec<_> = (0..4).map(|_| d.next_delay()).collect();
        assert_eq!(waits, [ms(100), ms(200), ms(350), ms(350)]);
        assert_eq!(d.failures(), 4);
        d.reset();
        assert_eq!(d.next_delay(), ms(100));
    }
}
