//! The one task per connector: spawn, watch (`ready`, heartbeats, exit, output), stop with
//! SIGTERM → grace → SIGKILL of the group, and restart per policy with backoff.

use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::Arc;
use std::time::Duration;

use connect_model::ExitCode;
use connect_model::backoff::{Backoff, Jitter};
use connect_model::document::RestartPolicy;
use nix::sys::signal::Signal;
use tokio::time::{Instant, sleep_until};

use super::child::{self, ChildEnv, LaunchSpec};
use super::mailbox::Mail;
use super::output;
use super::slot::{ChannelEvent, Command, Slot};
use super::spawner::Spawner;
use super::status::State;
use crate::logs::Stream;
use crate::telemetry::StartSpan;

/// Settings every task shares.
#[derive(Debug)]
pub(crate) struct Supervision {
    pub env: Arc<ChildEnv>,
    pub spawner: Spawner,
    pub grace: Duration,
    pub heartbeat_timeout: Duration,
    pub start_timeout: Duration,
}

const STDERR_LINES_KEPT: usize = 10;

/// Why a run ended other than by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Stop,
    Restart,
    Reconfigure(bool),
    Shutdown,
    Remove,
    Hang,
}

struct Outcome {
    status: Option<ExitStatus>,
    ending: Option<Ending>,
    ran_for: Duration,
    spawn_error: Option<String>,
    /// The spawn failed for want of descriptors: retried with backoff, never `failed`.
    spawn_transient: bool,
}

enum Next {
    Run,
    Idle,
    Exit,
}

pub(crate) struct Task {
    pub id: String,
    pub slot: Arc<Slot>,
    pub sup: Arc<Supervision>,
    pub spec: LaunchSpec,
}

impl Task {
    pub(crate) async fn run(mut self, run: bool) {
        let seed = self.id.bytes().fold(crate::clock::now_ms(), |h, b| {
            h.rotate_left(5) ^ u64::from(b)
        });
        let mut jitter = Jitter::seeded(seed);
        let mut failures = 0u32;
        let mut next = if run {
            Next::Run
        } else {
            self.slot.update(|s| s.set_state(State::Stopped));
            Next::Idle
        };
        // Boxed as the command brought it: the task's state stays small while nothing is pending.
        let mut pending: Option<Box<LaunchSpec>> = None;
        loop {
            next = match next {
                Next::Exit => return,
                Next::Idle => match self.slot.mailbox().command().await {
                    Command::Shutdown | Command::Remove => Next::Exit,
                    Command::Start | Command::Restart => {
                        failures = 0;
                        Next::Run
                    }
                    Command::Stop => {
                        self.slot.update(|s| s.set_state(State::Stopped));
                        Next::Idle
                    }
                    Command::Reconfigure(spec, run) => {
                        self.apply(*spec);
                        failures = 0;
                        if run { Next::Run } else { Next::Idle }
                    }
                    Command::Signal(_) => Next::Idle,
                },
                Next::Run => {
                    let outcome = self.run_once(&mut pending).await;
                    if let Some(spec) = pending.take() {
                        self.apply(*spec);
                    }
                    self.after_run(outcome, &mut failures, &mut jitter).await
                }
            };
        }
    }

    fn apply(&mut self, spec: LaunchSpec) {
        let version = spec.version;
        self.spec = spec;
        self.slot.update(|s| {
            s.version = version;
            s.error = None;
        });
    }

    /// One process from spawn to reaped.
    async fn run_once(&mut self, pending: &mut Option<Box<LaunchSpec>>) -> Outcome {
        let instance = uuid::Uuid::new_v4().to_string();
        let started = Instant::now();
        let mut start = Some(StartSpan::begin(&self.id, &instance, self.spec.version));
        self.spec.trace_context = start
            .as_ref()
            .map(StartSpan::trace_context)
            .unwrap_or_default();
        let spawned = self
            .sup
            .spawner
            .spawn(&self.id, &instance, &self.spec, &self.sup.env)
            .await;
        crate::fd_budget::note_spawn(spawned.as_ref().is_err_and(|e| e.is_transient()));
        let spawned = match spawned {
            Ok(s) => s,
            Err(e) => {
                if let Some(start) = start.take() {
                    start.failed(&e.to_string());
                }
                return Outcome {
                    status: None,
                    ending: None,
                    ran_for: Duration::ZERO,
                    spawn_transient: e.is_transient(),
                    spawn_error: Some(e.to_string()),
                };
            }
        };
        let child::Spawned {
            mut child,
            pid,
            stdout,
            stderr,
        } = spawned;
        self.slot.update(|s| {
            s.set_state(State::Starting);
            s.pid = Some(pid);
            s.instance_id = Some(instance.clone());
            s.started_at_ms = Some(crate::clock::now_ms());
            s.ready_at_ms = None;
            s.heartbeat = None;
        });

        let (mut out_open, mut err_open) = (true, true);
        let mut deadline = started + self.sup.start_timeout;
        let mut ending: Option<Ending> = None;
        let slot = self.slot.clone();
        let status = loop {
            tokio::select! {
                biased;
                status = child.wait() => break status.ok(),
                mail = slot.mailbox().next() => match mail {
                Mail::Command(cmd) => {
                    let why = match cmd {
                        Command::Stop => Some(Ending::Stop),
                        Command::Restart => Some(Ending::Restart),
                        Command::Shutdown => Some(Ending::Shutdown),
                        Command::Remove => Some(Ending::Remove),
                        Command::Reconfigure(spec, run) => { *pending = Some(spec); Some(Ending::Reconfigure(run)) }
                        Command::Signal(sig) => { child::signal_group(pid, sig); None }
                        Command::Start => None,
                    };
                    if let Some(why) = why {
                        // A later, stronger reason (shutdown, remove) wins over an earlier one.
                        let first = ending.is_none() || ending == Some(Ending::Hang);
                        if first || matches!(why, Ending::Shutdown | Ending::Remove) {
                            ending = Some(why);
                        }
                        if first {
                            deadline = self.terminate(pid);
                        }
                    }
                }
                Mail::Event(ev) => {
                    if ending.is_none() {
                        match ev {
                            ChannelEvent::Ready { instance: i } if i == instance => {
                                self.slot.update(|s| {
                                    if s.state == State::Starting {
                                        s.set_state(State::Running);
                                        s.ready_at_ms = Some(crate::clock::now_ms());
                                    }
                                });
                                if let Some(start) = start.take() {
                                    start.ready();
                                }
                                deadline = Instant::now() + self.sup.heartbeat_timeout;
                            }
                            ChannelEvent::Heartbeat { instance: i } if i == instance => {
                                deadline = Instant::now() + self.sup.heartbeat_timeout;
                            }
                            _ => {}
                        }
                    }
                }
                },
                r = stdout.readable(), if out_open => out_open = output::captured(&self.slot, Stream::Stdout, &stdout, r),
                r = stderr.readable(), if err_open => err_open = output::captured(&self.slot, Stream::Stderr, &stderr, r),
                _ = sleep_until(deadline) => {
                    if ending.is_none() {
                        let silent = self.sup.heartbeat_timeout;
                        tracing::warn!(connector = %self.id, pid, "no heartbeat within {}: killing the runtime as hung", connect_model::document::duration::format(silent));
                        ending = Some(Ending::Hang);
                        deadline = self.terminate(pid);
                    } else {
                        child::signal_group(pid, Signal::SIGKILL);
                        deadline = Instant::now() + self.sup.grace;
                    }
                }
            }
        };
        let ran_for = started.elapsed();
        // Whatever the leader left behind in its group goes too: no orphans.
        child::signal_group(pid, Signal::SIGKILL);
        output::drain(&self.slot, &stdout, out_open, Stream::Stdout).await;
        output::drain(&self.slot, &stderr, err_open, Stream::Stderr).await;
        self.slot.capture(Stream::Stdout).finish();
        self.slot.capture(Stream::Stderr).finish();
        Outcome {
            status,
            ending,
            ran_for,
            spawn_error: None,
            spawn_transient: false,
        }
    }

    fn terminate(&self, pid: u32) -> Instant {
        self.slot.update(|s| s.set_state(State::Stopping));
        child::signal_group(pid, Signal::SIGTERM);
        Instant::now() + self.sup.grace
    }

    async fn after_run(&mut self, o: Outcome, failures: &mut u32, jitter: &mut Jitter) -> Next {
        let code = o.status.and_then(|s| s.code());
        let signal = o.status.and_then(|s| s.signal()).map(signal_name);
        self.slot.update(|s| {
            s.pid = None;
            s.exit_code = code;
            s.signal = signal.clone();
            s.exited_at_ms = Some(crate::clock::now_ms());
        });
        match o.ending {
            Some(Ending::Stop) => return self.settle(State::Stopped, None),
            Some(Ending::Shutdown | Ending::Remove) => {
                self.settle(State::Stopped, None);
                return Next::Exit;
            }
            Some(Ending::Restart) => {
                *failures = 0;
                self.slot.update(|s| s.restarts += 1);
                return Next::Run;
            }
            Some(Ending::Reconfigure(run)) => {
                *failures = 0;
                if !run {
                    return self.settle(State::Stopped, None);
                }
                self.slot.update(|s| s.restarts += 1);
                return Next::Run;
            }
            Some(Ending::Hang) | None => {}
        }
        if let Some(e) = o.spawn_error {
            if !o.spawn_transient {
                return self.settle(State::Failed, Some(e));
            }
            // Out of descriptors is the agent's condition, not the connector's: the backoff
            // grows, the failure count that gives up does not.
            let attempt = failures.saturating_add(1);
            *failures = attempt.min(restart_cap(&self.spec.restart));
            let how = format!("the runtime could not be started ({e})");
            return self.back_off(how, false, failures, attempt, jitter).await;
        }
        let restart = &self.spec.restart;
        if o.ran_for >= restart.stable_after {
            *failures = 0;
        }
        let how = match (o.ending, code, &signal) {
            (Some(Ending::Hang), _, _) => "was killed after missing heartbeats (hung)".to_string(),
            (_, Some(c), _) => match ExitCode::from_code(c) {
                Some(known) => format!("exited with code {c} ({})", known.describe()),
                None => format!("exited with code {c}"),
            },
            (_, None, Some(sig)) => format!("was killed by {sig}"),
            _ => "ended without an exit status".to_string(),
        };
        let success = code == Some(0) && o.ending.is_none();
        if let Some(c) = code.and_then(ExitCode::from_code)
            && c.is_permanent()
        {
            self.keep_stderr();
            return self.settle(State::Failed, Some(format!("the runtime {how}; not restarted: fix the connector config or the agent environment, then start it again")));
        }
        if success && restart.policy != RestartPolicy::Always {
            return self.settle(State::Completed, None);
        }
        if !success {
            self.keep_stderr();
            if restart.policy == RestartPolicy::Never {
                return self.settle(
                    State::Failed,
                    Some(format!("the runtime {how}; restart policy is never")),
                );
            }
            *failures += 1;
            if restart.max_consecutive_failures > 0 && *failures >= restart.max_consecutive_failures
            {
                return self.settle(
                    State::Failed,
                    Some(format!("the runtime {how}; gave up after {failures} consecutive failures (crash loop); see last_stderr and the log files")),
                );
            }
        }
        let how = format!("the runtime {how}");
        let attempt = *failures;
        self.back_off(how, success, failures, attempt, jitter).await
    }

    /// Waits the jittered backoff for `attempt`, then runs again (or obeys a command).
    async fn back_off(
        &mut self,
        how: String,
        success: bool,
        failures: &mut u32,
        attempt: u32,
        jitter: &mut Jitter,
    ) -> Next {
        let restart = &self.spec.restart;
        let delay = Backoff::new(restart.initial_backoff, restart.max_backoff)
            .jittered(attempt.max(1), jitter);
        tracing::info!(connector = %self.id, "{how}; restarting in {}", connect_model::document::duration::format(delay));
        let f = attempt;
        self.slot.update(|s| {
            s.set_state(State::Backoff);
            s.backoff_ms = Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
            s.consecutive_failures = f;
            s.error = if success { None } else { Some(how) };
        });
        let until = Instant::now() + delay;
        loop {
            tokio::select! {
                _ = sleep_until(until) => {
                    self.slot.update(|s| s.restarts += 1);
                    return Next::Run;
                }
                cmd = self.slot.mailbox().command() => match cmd {
                    Command::Shutdown | Command::Remove => {
                        self.settle(State::Stopped, None);
                        return Next::Exit;
                    }
                    Command::Stop => return self.settle(State::Stopped, None),
                    Command::Start | Command::Restart => {
                        *failures = 0;
                        self.slot.update(|s| s.restarts += 1);
                        return Next::Run;
                    }
                    Command::Reconfigure(spec, run) => {
                        self.apply(*spec);
                        *failures = 0;
                        if run { return Next::Run; }
                        return self.settle(State::Stopped, None);
                    }
                    Command::Signal(_) => {}
                },
            }
        }
    }

    fn keep_stderr(&self) {
        let lines = self
            .slot
            .capture(Stream::Stderr)
            .tail
            .last(STDERR_LINES_KEPT);
        self.slot.update(|s| s.last_stderr = lines);
    }

    fn settle(&self, state: State, error: Option<String>) -> Next {
        if let Some(e) = &error {
            tracing::warn!(connector = %self.id, "{e}");
        }
        self.slot.update(|s| {
            s.set_state(state);
            if error.is_some() || state != State::Failed {
                s.error = error;
            }
        });
        Next::Idle
    }
}

/// The most consecutive failures a retry that must never give up may count.
fn restart_cap(restart: &connect_model::document::RestartConfig) -> u32 {
    match restart.max_consecutive_failures {
        0 => u32::MAX,
        max => max.saturating_sub(1).max(1),
    }
}

fn signal_name(sig: i32) -> String {
    Signal::try_from(sig)
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|_| format!("signal {sig}"))
}
