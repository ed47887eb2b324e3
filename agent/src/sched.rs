//! The agent's threads run at a higher priority than its runtimes when the agent may raise it
//! (root, `CAP_SYS_NICE`, or an `RLIMIT_NICE` that allows it). They use little CPU, but in a
//! restart storm hundreds of starting runtimes keep every CPU busy, and at equal weight
//! Linux's EEVDF scheduler kept the API's and the supervisor's threads waiting for a CPU for
//! 70 – 270 ms after they woke (`perf sched`); at nice −10 they wait a few milliseconds.
//! A runtime goes back to the agent's own nice value in the clone child, before its exec
//! (`process::start_confined`), so runtimes run at exactly the priority the operator gave the
//! agent. Without the permission nothing changes.

use std::sync::OnceLock;

/// How far above its runtimes the agent's threads run (nice steps).
const RAISE: i32 = 10;

/// The agent's nice value at start, and the one its threads were raised to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Priority {
    pub original: i32,
    pub raised: Option<i32>,
}

static PRIORITY: OnceLock<Priority> = OnceLock::new();

/// Raises the calling thread, the main thread before the async runtimes start, and records
/// whether the agent may. Every thread started after it inherits the raised value (Linux keeps
/// a nice value per thread and copies it to new threads and processes).
pub(crate) fn raise_agent_threads() -> Priority {
    *PRIORITY.get_or_init(|| {
        let original = nice_of_this_thread();
        let target = (original - RAISE).max(-20);
        let raised = set_this_thread(target).then_some(target);
        Priority { original, raised }
    })
}

/// Sets the calling thread to the raised nice value, where the agent's threads were raised: for
/// a thread whose creator's real-time class reset its nice value to 0 (`SCHED_RESET_ON_FORK`).
pub(crate) fn raise_this_thread() {
    if let Some(raised) = PRIORITY.get().and_then(|p| p.raised) {
        set_this_thread(raised);
    }
}

/// The nice value a runtime must return to before its exec: the agent's own, where its
/// threads were raised.
pub(crate) fn runtimes_nice() -> Option<i32> {
    PRIORITY
        .get()
        .and_then(|p| p.raised.is_some().then_some(p.original))
}

fn nice_of_this_thread() -> i32 {
    // SAFETY: errno is the calling thread's; getpriority(PRIO_PROCESS, 0) reads this thread's
    // nice value on Linux (−1 is a valid value, so errno tells a failure).
    unsafe {
        *libc::__errno_location() = 0;
        let nice = libc::getpriority(libc::PRIO_PROCESS, 0);
        if nice == -1 && *libc::__errno_location() != 0 {
            0
        } else {
            nice
        }
    }
}

/// Sets the calling thread's nice value; `false` when not permitted.
fn set_this_thread(nice: i32) -> bool {
    // SAFETY: setpriority(PRIO_PROCESS, 0) changes only the calling thread on Linux.
    unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, nice) == 0 }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The nice value of the process that runs `cut` on its own stat line.
    pub(crate) const NICE_OF_SELF: &str = "cut -d' ' -f19 /proc/self/stat";

    #[test]
    fn raised_threads_run_above_the_agents_own_priority() {
        std::thread::spawn(|| {
            let p = raise_agent_threads();
            assert_eq!(
                nice_of_this_thread(),
                p.raised.unwrap_or(p.original),
                "{p:?}"
            );
            let Some(raised) = p.raised else {
                eprintln!(
                    "SKIPPED: this test runs without the right to raise priority (CAP_SYS_NICE)"
                );
                assert_eq!(runtimes_nice(), None);
                return;
            };
            assert!(raised < p.original);
            assert_eq!(runtimes_nice(), Some(p.original));
            // A thread the raised one starts (an async worker, say) is raised too.
            let worker = std::thread::spawn(nice_of_this_thread)
                .join()
                .expect("worker-like thread");
            assert_eq!(worker, raised);
        })
        .join()
        .expect("main-like thread");
    }
}
