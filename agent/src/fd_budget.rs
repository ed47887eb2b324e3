//! Descriptor exhaustion, seen from two sides: a runtime that could not be started for want
//! of descriptors (EMFILE/ENFILE, retried with backoff, never `failed`) and the process's own
//! count against its limit. While either says exhausted, `/ready` answers 503.

use std::sync::atomic::{AtomicBool, Ordering};

/// Descriptors that must stay free for the agent to count as ready.
const MARGIN: usize = 16;

static SPAWN_EXHAUSTED: AtomicBool = AtomicBool::new(false);

/// Whether an I/O error means the process or the system ran out of descriptors.
pub(crate) fn is_exhaustion(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
}

/// The last spawn failed for want of descriptors (`true`) or a spawn succeeded (`false`).
pub(crate) fn note_spawn(exhausted: bool) {
    SPAWN_EXHAUSTED.store(exhausted, Ordering::Relaxed);
}

/// Why the agent is out of descriptors, if it is.
pub(crate) fn exhausted() -> Option<String> {
    if SPAWN_EXHAUSTED.load(Ordering::Relaxed) {
        return Some("a runtime could not be started: too many open files".into());
    }
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into a local struct.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return None;
    }
    let limit = usize::try_from(lim.rlim_cur).unwrap_or(usize::MAX);
    match std::fs::read_dir("/proc/self/fd") {
        Ok(entries) => {
            let open = entries.count();
            (open + MARGIN >= limit).then(|| format!("{open} of {limit} file descriptors are open"))
        }
        Err(e) if is_exhaustion(&e) => Some(format!("no file descriptor is free ({e})")),
        Err(_) => None,
    }
}
