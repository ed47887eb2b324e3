//! Output for people (aligned tables) and for scripts (`-o json|yaml`).

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Yaml,
}

/// Prints `value` as JSON or YAML; `None` when the caller should print its table.
pub fn structured(format: Format, value: &Value) -> Option<()> {
    match format {
        Format::Table => None,
        Format::Json => {
            println!(
                "{}",
                serde_json::to_string_pretty(value).unwrap_or_default()
            );
            Some(())
        }
        Format::Yaml => {
            print!(
                "{}",
                connect_model::yaml::to_string(value).unwrap_or_default()
            );
            Some(())
        }
    }
}

/// A cell: strings bare, null as `-`, anything else as JSON.
pub fn cell(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Columns padded to their widest cell; the last column is not padded.
pub fn table(headers: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for row in rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let last = cells.len().saturating_sub(1);
        let text: Vec<String> = cells
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                if i == last {
                    c
                } else {
                    format!("{c:<w$}", w = widths[i])
                }
            })
            .collect();
        println!("{}", text.join("  ").trim_end());
    };
    line(headers.iter().map(|h| h.to_string()).collect());
    for row in rows {
        line(row.clone());
    }
}

/// Milliseconds since the Unix epoch as an RFC 3339 time (UTC, whole seconds).
/// A time for people: RFC 3339 in local time with its offset when stdout is a terminal, UTC
/// (`Z`) when the output goes to a program or a file.
pub(super) fn rfc3339(ms: u64) -> String {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal()
        && let Some(local) = local_rfc3339(ms)
    {
        return local;
    }
    utc_rfc3339(ms)
}

fn utc_rfc3339(ms: u64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    humantime::format_rfc3339_seconds(at).to_string()
}

/// `2026-12-02T03:07:18+01:00` from the C library's idea of local time (TZ, /etc/localtime).
fn local_rfc3339(ms: u64) -> Option<String> {
    let secs = libc::time_t::try_from(ms / 1000).ok()?;
    // SAFETY: localtime_r writes only into `tm`, which outlives the call.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&secs, &mut tm).is_null() {
            return None;
        }
        tm
    };
    let offset_min = tm.tm_gmtoff / 60;
    let (sign, abs) = if offset_min < 0 {
        ('-', -offset_min)
    } else {
        ('+', offset_min)
    };
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        abs / 60,
        abs % 60
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_are_rfc3339_not_epoch_milliseconds() {
        assert_eq!(super::utc_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            super::utc_rfc3339(1_796_162_838_918),
            "2026-12-01T22:07:18Z"
        );
        // Local time names the same instant with its offset (UTC here unless TZ says otherwise).
        let local = super::local_rfc3339(1_796_162_838_918).unwrap();
        let parsed = humantime::parse_rfc3339_weak(&local[..19]).unwrap();
        let offset_s: i64 = {
            let sign = if &local[19..20] == "-" { -1 } else { 1 };
            sign * (local[20..22].parse::<i64>().unwrap() * 3600
                + local[23..25].parse::<i64>().unwrap() * 60)
        };
        let utc = parsed
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
            - offset_s;
        assert_eq!(utc, 1_796_162_838, "{local}");
    }
}
