//! Delay before the n-th consecutive restart: doubling from `initial` up to `max`, with up to
//! 20 % jitter taken off (never below `initial`), so crash-looping connectors spread out.

use std::time::Duration;

pub(crate) fn delay(
    initial: Duration,
    max: Duration,
    failures: u32,
    jitter: &mut Jitter,
) -> Duration {
    let exp = failures.saturating_sub(1).min(31);
    let base = initial.saturating_mul(1u32 << exp).min(max);
    let cut = base.mul_f64(0.2 * jitter.next_unit());
    base.saturating_sub(cut).max(initial).min(max)
}

/// A small xorshift generator; jitter needs spread, not cryptographic randomness.
#[derive(Debug)]
pub(crate) struct Jitter(u64);

impl Jitter {
    pub(crate) fn seeded(seed: u64) -> Self {
        Self(seed | 1)
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

    #[test]
    fn doubles_within_bounds_with_jitter() {
        let mut j = Jitter::seeded(42);
        let (i, m) = (Duration::from_millis(100), Duration::from_secs(1));
        assert_eq!(delay(i, m, 1, &mut j), i);
        for n in 2..6u32 {
            let d = delay(i, m, n, &mut j);
            let base = (i * (1 << (n - 1))).min(m);
            assert!(d <= base && d >= base.mul_f64(0.8).max(i), "{n}: {d:?}");
        }
        assert!(delay(i, m, 40, &mut j) <= m);
    }
}
