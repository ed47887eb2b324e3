//! CPU time and resident memory of a process, read from `/proc/<pid>/stat`.

use serde::Serialize;

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ProcessStats {
    /// User plus system CPU time consumed so far.
    pub cpu_seconds: f64,
    pub rss_bytes: u64,
}

/// `None` when the process is gone (or /proc is unavailable).
pub fn read(pid: u32) -> Option<ProcessStats> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse(&text)
}

/// The agent itself.
pub fn own() -> Option<ProcessStats> {
    read(std::process::id())
}

fn parse(stat: &str) -> Option<ProcessStats> {
    // The command name may contain spaces and parentheses; fields start after the last `)`.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_ascii_whitespace().collect();
    // Field numbers of proc(5) minus 3 (pid, comm and state precede `rest`'s first field).
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let rss_pages: u64 = fields.get(21)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let (ticks, page) = unsafe {
        (
            libc::sysconf(libc::_SC_CLK_TCK),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    Some(ProcessStats {
        cpu_seconds: (utime + stime) as f64 / ticks.max(1) as f64,
        rss_bytes: rss_pages * u64::try_from(page).unwrap_or(4096),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_this_process() {
        let s = super::own().expect("/proc is mounted");
        assert!(s.rss_bytes > 0);
        assert!(s.cpu_seconds >= 0.0);
    }
}
