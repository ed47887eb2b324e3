//! The API's worker threads run in Linux's real-time class while they use little CPU, so a
//! health probe is answered within milliseconds even while a thousand runtimes exit at once.
//!
//! A nice value is not enough there: when every runtime is SIGKILLed together, the kernel wakes
//! all of their threads at once, and the fair scheduler (EEVDF) ran the exiting threads first
//! for 60 – 290 ms, whatever the API threads' nice value and even with the runtimes in a CPU
//! cgroup of their own; a thread in the real-time class runs before any of them
//! (docs/PERFORMANCE.md). The class is bounded: a guard measures the workers' CPU time every
//! [`WINDOW`] and moves them back to the normal class (at the agent's raised nice value) as soon
//! as they use more than [`BUDGET`] of it — a request flood, a large scrape — and returns them
//! once a window passes with less than half of it. No request can so hold a CPU for more than
//! about one window. The guard runs only while the API works (a worker waking arms it, a quiet
//! window disarms it), so an idle agent is not woken for it. The agent needs the right (root,
//! `CAP_SYS_NICE` or `RLIMIT_RTPRIO` ≥ 1); without it, or with `[http] realtime = false`,
//! nothing changes and no guard runs.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;

/// How often the workers' CPU time is read: also the longest a busy API stays real-time.
pub(crate) const WINDOW: Duration = Duration::from_millis(50);
/// CPU time the workers may use together per window and stay real-time (20 % of one CPU).
pub(crate) const BUDGET: Duration = Duration::from_millis(10);

/// The scheduling class the guard keeps the workers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    RealTime,
    Normal,
    /// The agent may not use the real-time class: the guard stops.
    Refused,
}

/// A worker thread of the API's runtime, enrolled when it first parks.
struct Worker {
    tid: libc::pid_t,
    thread: libc::pthread_t,
    /// CPU time at the last check.
    cpu: Duration,
}

struct State {
    workers: Vec<Worker>,
    class: Class,
}

/// Shared by the runtime's thread hooks and the guard task.
#[derive(Clone)]
pub(crate) struct Realtime(Arc<Shared>);

struct Shared {
    state: Mutex<State>,
    /// The guard is checking (set by a worker waking, cleared by the guard when quiet).
    armed: AtomicBool,
    wake: Notify,
}

thread_local! {
    static ENROLLED: Cell<bool> = const { Cell::new(false) };
}

impl Realtime {
    pub(crate) fn new() -> Self {
        Self(Arc::new(Shared {
            state: Mutex::new(State {
                workers: Vec::new(),
                class: Class::RealTime,
            }),
            armed: AtomicBool::new(false),
            wake: Notify::new(),
        }))
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// For `on_thread_unpark`: a worker has work, so the guard checks until the API is quiet.
    pub(crate) fn arm_guard(&self) {
        if !self.0.armed.load(Ordering::Relaxed) && !self.0.armed.swap(true, Ordering::AcqRel) {
            self.0.wake.notify_one();
        }
    }

    /// For `on_thread_park`: a worker joins the first time it parks (blocking-pool threads
    /// never park, so they stay in the normal class). Later calls cost a thread-local read.
    pub(crate) fn enroll_this_thread(&self) {
        if ENROLLED.replace(true) {
            return;
        }
        let mut state = self.state();
        // SAFETY: gettid and pthread_self have no preconditions.
        let (tid, thread) = unsafe { (libc::gettid(), libc::pthread_self()) };
        let cpu = cpu_time(thread).unwrap_or_default();
        if state.class == Class::RealTime {
            if !set_class(tid, Class::RealTime) {
                state.class = Class::Refused;
                tracing::info!(
                    "the API's threads stay in the normal scheduling class: the agent has no right to the real-time class (root, CAP_SYS_NICE or LimitRTPRIO=1 give it); in a storm of restarts /health may answer late"
                );
            } else if state.workers.is_empty() {
                tracing::info!(
                    budget_ms = BUDGET.as_millis() as u64,
                    window_ms = WINDOW.as_millis() as u64,
                    "the API's threads run in the real-time class while they use little CPU"
                );
            }
        }
        state.workers.push(Worker { tid, thread, cpu });
    }

    /// For `on_thread_stop`: the thread leaves before it exits, so no check reads a clock of a
    /// thread that is gone.
    pub(crate) fn leave_this_thread(&self) {
        if ENROLLED.replace(false) {
            // SAFETY: gettid has no preconditions.
            let tid = unsafe { libc::gettid() };
            self.state().workers.retain(|w| w.tid != tid);
        }
    }

    /// One check: the workers' CPU time since the last one decides their class; returns the
    /// class and that time.
    pub(crate) fn check(&self) -> (Class, Duration) {
        let mut state = self.state();
        if state.class == Class::Refused {
            return (Class::Refused, Duration::ZERO);
        }
        let mut used = Duration::ZERO;
        for worker in &mut state.workers {
            if let Some(now) = cpu_time(worker.thread) {
                used += now.saturating_sub(worker.cpu);
                worker.cpu = now;
            }
        }
        let next = match state.class {
            Class::RealTime if used > BUDGET => Class::Normal,
            Class::Normal if used < BUDGET / 2 => Class::RealTime,
            same => same,
        };
        if next != state.class {
            for worker in &state.workers {
                set_class(worker.tid, next);
            }
            tracing::debug!(
                used_ms = used.as_secs_f64() * 1000.0,
                window_ms = WINDOW.as_millis() as u64,
                class = ?next,
                "the API's threads change scheduling class"
            );
            state.class = next;
        }
        (next, used)
    }

    /// The guard: once armed, checks every [`WINDOW`] until a quiet window in the real-time
    /// class; stops with the runtime or when the class is refused.
    pub(crate) async fn guard(self) {
        loop {
            self.0.wake.notified().await;
            loop {
                tokio::time::sleep(WINDOW).await;
                match self.check() {
                    (Class::Refused, _) => return,
                    (Class::RealTime, used) if used < BUDGET / 2 => break,
                    _ => {}
                }
            }
            // A worker waking from here on arms it again (a permit is kept if none waits yet).
            self.0.armed.store(false, Ordering::Release);
        }
    }
}

/// CPU time a thread of this process has used; `None` if its clock cannot be read.
fn cpu_time(thread: libc::pthread_t) -> Option<Duration> {
    let mut clock: libc::clockid_t = 0;
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `thread` is a live thread of this process: a worker leaves the list (under the
    // same lock as this read) before it exits; both out-pointers are valid.
    let read = unsafe {
        libc::pthread_getcpuclockid(thread, &mut clock) == 0
            && libc::clock_gettime(clock, &mut now) == 0
    };
    read.then(|| Duration::new(now.tv_sec as u64, now.tv_nsec as u32))
}

/// Moves thread `tid` into `class`; `false` when the kernel refuses. The real-time class is
/// the lowest priority of `SCHED_FIFO`, reset on fork, so that threads the worker starts (the
/// blocking pool) begin in the normal class; the normal class keeps the thread's nice value.
fn set_class(tid: libc::pid_t, class: Class) -> bool {
    let (policy, priority) = match class {
        Class::RealTime => (libc::SCHED_FIFO | libc::SCHED_RESET_ON_FORK, 1),
        Class::Normal | Class::Refused => (libc::SCHED_OTHER, 0),
    };
    let param = libc::sched_param {
        sched_priority: priority,
    };
    // SAFETY: on Linux, sched_setscheduler with a thread id changes that thread only; `param`
    // is valid for the call.
    unsafe { libc::sched_setscheduler(tid, policy, &param) == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy_of_this_thread() -> i32 {
        // SAFETY: no preconditions; 0 is the calling thread.
        unsafe { libc::sched_getscheduler(0) & !libc::SCHED_RESET_ON_FORK }
    }

    /// Spins until the calling thread has used `cpu` of CPU time.
    fn burn(cpu: Duration) {
        // SAFETY: pthread_self has no preconditions.
        let this = unsafe { libc::pthread_self() };
        let start = cpu_time(this).expect("own CPU clock");
        while cpu_time(this).expect("own CPU clock") - start < cpu {
            std::hint::black_box(0u64.wrapping_add(1));
        }
    }

    #[test]
    fn a_worker_leaves_the_real_time_class_when_busy_and_returns_when_quiet() {
        std::thread::spawn(|| {
            let realtime = Realtime::new();
            realtime.enroll_this_thread();
            if realtime.check().0 == Class::Refused {
                assert_eq!(policy_of_this_thread(), libc::SCHED_OTHER);
                eprintln!(
                    "SKIPPED: this test runs without the right to the real-time class (CAP_SYS_NICE)"
                );
                return;
            }
            assert_eq!(policy_of_this_thread(), libc::SCHED_FIFO);
            // A thread it starts begins in the normal class.
            let child = std::thread::spawn(policy_of_this_thread).join().unwrap();
            assert_eq!(child, libc::SCHED_OTHER);

            burn(BUDGET * 2);
            assert_eq!(realtime.check().0, Class::Normal);
            assert_eq!(policy_of_this_thread(), libc::SCHED_OTHER);
            // A busy window keeps it there; a quiet one brings it back.
            burn(BUDGET);
            assert_eq!(realtime.check().0, Class::Normal);
            assert_eq!(realtime.check().0, Class::RealTime);
            assert_eq!(policy_of_this_thread(), libc::SCHED_FIFO);

            realtime.leave_this_thread();
            assert!(realtime.state().workers.is_empty());
        })
        .join()
        .expect("the worker-like thread");
    }
}
