//! The machine's figures the Iggy runtime's `/stats` carries: CPU use of all cores and memory,
//! bounded by the cgroup's memory limit when one applies; read from `/proc` and `/sys`.

/// Busy share of all CPUs since boot, in percent (`/proc/stat`); 0 when unreadable.
pub(crate) fn total_cpu_usage() -> f32 {
    let Ok(text) = std::fs::read_to_string("/proc/stat") else {
        return 0.0;
    };
    let Some(line) = text.lines().find(|l| l.starts_with("cpu ")) else {
        return 0.0;
    };
    let fields: Vec<u64> = line
        .split_ascii_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    let total: u64 = fields.iter().sum();
    // idle + iowait
    let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
    if total == 0 {
        return 0.0;
    }
    (total.saturating_sub(idle) as f64 * 100.0 / total as f64) as f32
}

/// (total, available) memory in bytes: `/proc/meminfo`, capped by the cgroup v2 limit.
pub(crate) fn memory() -> (u64, u64) {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_ascii_whitespace().next())
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    let (mut total, mut available) = (field("MemTotal:"), field("MemAvailable:"));
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
    };
    if let Some(limit) = read("/sys/fs/cgroup/memory.max").filter(|l| *l < total) {
        let used = read("/sys/fs/cgroup/memory.current").unwrap_or(0);
        total = limit;
        available = available.min(limit.saturating_sub(used));
    }
    (total, available)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_this_machine() {
        let (total, available) = super::memory();
        assert!(total > 0 && available <= total, "{total} {available}");
        let cpu = super::total_cpu_usage();
        assert!((0.0..=100.0).contains(&cpu), "{cpu}");
    }
}
