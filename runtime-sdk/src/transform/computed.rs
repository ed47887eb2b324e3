//! Values computed per message by `add_fields`/`update_fields`: timestamps and UUIDs.

use serde_json::Value;

use crate::component::now_us;
use crate::document::transform::Computed;

pub(crate) fn compute(kind: Computed) -> Value {
    match kind {
        Computed::TimestampMs => Value::from(now_us() / 1000),
        Computed::TimestampRfc3339 => Value::String(rfc3339(now_us())),
        Computed::Uuid => Value::String(uuid::Uuid::new_v4().to_string()),
    }
}

/// `2026-11-23T14:15:13.123456Z` for microseconds since the Unix epoch.
pub(crate) fn rfc3339(us: u64) -> String {
    let secs = us / 1_000_000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        us % 1_000_000
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339_in_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000Z");
        // 2024-02-29T12:34:56.789Z, a leap day.
        assert_eq!(
            rfc3339(1_709_210_096_789_000),
            "2024-02-29T12:34:56.789000Z"
        );
    }

    #[test]
    fn computes_each_kind() {
        assert!(compute(Computed::TimestampMs).as_u64().unwrap() > 1_700_000_000_000);
        assert!(
            compute(Computed::TimestampRfc3339)
                .as_str()
                .unwrap()
                .ends_with('Z')
        );
        let id = compute(Computed::Uuid);
        assert!(uuid::Uuid::parse_str(id.as_str().unwrap()).is_ok());
        assert_ne!(id, compute(Computed::Uuid));
    }
}
