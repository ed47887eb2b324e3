//! Capture time on every stored line: each line of a log file starts with the time the agent
//! read it (RFC 3339, UTC, milliseconds, then one space), so both streams of a connector can be
//! merged in the order they were written, from memory or from the files.

use std::time::{SystemTime, UNIX_EPOCH};

/// Length of the prefix: `2026-12-02T00:45:12.345Z `.
pub(crate) const PREFIX_LEN: usize = 25;

/// The prefix for lines read at `at`, and the same time in milliseconds since the epoch.
pub(crate) fn prefix(at: SystemTime) -> ([u8; PREFIX_LEN], u64) {
    let mut out = [b' '; PREFIX_LEN];
    let text = humantime::format_rfc3339_millis(at).to_string();
    let n = text.len().min(PREFIX_LEN - 1);
    out[..n].copy_from_slice(&text.as_bytes()[..n]);
    (out, millis(at))
}

pub(crate) fn millis(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Splits a stored line into its capture time and text. Lines without the prefix (files written
/// before it existed) get time 0 and stay whole.
pub(crate) fn split(stored: &str) -> (u64, &str) {
    let stamped = stored.len() >= PREFIX_LEN
        && stored.as_bytes()[PREFIX_LEN - 1] == b' '
        && stored.is_char_boundary(PREFIX_LEN - 1);
    if stamped && let Ok(at) = humantime::parse_rfc3339(&stored[..PREFIX_LEN - 1]) {
        return (millis(at), &stored[PREFIX_LEN..]);
    }
    (0, stored)
}

/// The time `ms` milliseconds after the epoch.
#[cfg(test)]
pub(crate) fn at_millis(ms: u64) -> SystemTime {
    UNIX_EPOCH + std::time::Duration::from_millis(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_splits_back_into_its_time() {
        let at = at_millis(1_764_635_112_345);
        let (p, ms) = prefix(at);
        assert_eq!(ms, 1_764_635_112_345);
        let stored = format!("{}hello world", std::str::from_utf8(&p).unwrap());
        assert_eq!(stored.len(), PREFIX_LEN + 11);
        assert_eq!(split(&stored), (ms, "hello world"));
        assert_eq!(split("plain old line"), (0, "plain old line"));
        assert_eq!(split(""), (0, ""));
        let odd = "2026-12-02T00:45:12.345Zx and more text here";
        assert_eq!(split(odd), (0, odd));
    }
}
