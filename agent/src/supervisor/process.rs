//! Starting a process the way posix_spawn does — `clone(CLONE_VM | CLONE_VFORK)` and `execve`,
//! no copy of the agent's memory — plus what posix_spawn cannot do: PR_SET_PDEATHSIG and its
//! own process group, and confinement (a user to drop to, a Landlock ruleset; `crate::sandbox`).
//! The child is waited for through a pidfd, so exits are seen at once. It shares the agent's fd
//! table and keeps only the few fds it needs (`super::child_fds`).

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::net::unix::pipe;

/// Stack of the short-lived clone child (it only prepares fds and signals, then execs).
const CHILD_STACK: usize = 64 * 1024;

/// A running child: its pid and a pidfd that turns readable when it exits.
#[derive(Debug)]
pub(crate) struct Process {
    pid: libc::pid_t,
    pidfd: AsyncFd<OwnedFd>,
    reaped: bool,
}

pub(crate) struct Started {
    pub process: Process,
    pub stdout: pipe::Receiver,
    pub stderr: pipe::Receiver,
}

/// What the child reads; everything is prepared before the clone, the child only uses it.
struct ChildArgs {
    path: *const libc::c_char,
    argv: *const *const libc::c_char,
    envp: *const *const libc::c_char,
    /// Working directory of the new process.
    cwd: *const libc::c_char,
    stdin: RawFd,
    stdout: RawFd,
    stderr: RawFd,
    report: RawFd,
    /// With a shared fd table: the first fd number the child does not keep; 0: a copied table.
    keep_below: u32,
    parent: libc::pid_t,
    /// The nice value to return to: the agent's own, where its threads run raised.
    nice: Option<i32>,
    confine: Confine,
}

/// What the child does to itself before exec, prepared by the parent (`crate::sandbox`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Confine {
    /// A Landlock ruleset fd to restrict itself with; -1: none.
    pub ruleset: RawFd,
    /// `(uid, gid)` to drop to.
    pub run_as: Option<(u32, u32)>,
}

impl Confine {
    #[cfg(test)]
    pub(crate) const NONE: Self = Self {
        ruleset: -1,
        run_as: None,
    };
}

/// Starts `path` with `args` (argv[0] included) and `env` (`KEY=VALUE`) in directory `cwd`,
/// stdin from /dev/null, stdout and stderr into pipes, in a new process group, SIGKILLed when
/// the calling thread's process dies.
#[cfg(test)]
pub(crate) fn start(
    path: &CString,
    args: &[CString],
    env: &[CString],
    cwd: &CString,
) -> io::Result<Started> {
    start_confined(path, args, env, cwd, Confine::NONE)
}

/// [`start`], the child first dropping to a user and restricting itself with a ruleset.
pub(crate) fn start_confined(
    path: &CString,
    args: &[CString],
    env: &[CString],
    cwd: &CString,
    confine: Confine,
) -> io::Result<Started> {
    let (out_r, out_w) = pipe2()?;
    let (err_r, err_w) = pipe2()?;
    let (rep_r, rep_w) = pipe2()?;
    let lent = super::child_fds::lend(&out_w, &err_w, &rep_w)?;
    drop((out_w, err_w, rep_w));
    let share_fds = super::child_fds::unshare_supported();
    let argv: Vec<*const libc::c_char> = args
        .iter()
        .map(|a| a.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect();
    let envp: Vec<*const libc::c_char> = env
        .iter()
        .map(|a| a.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect();
    let child_args = ChildArgs {
        path: path.as_ptr(),
        argv: argv.as_ptr(),
        envp: envp.as_ptr(),
        cwd: cwd.as_ptr(),
        stdin: lent.stdin,
        stdout: lent.stdout,
        stderr: lent.stderr,
        report: lent.report,
        keep_below: if share_fds { lent.keep_below } else { 0 },
        // SAFETY: getpid has no preconditions.
        parent: unsafe { libc::getpid() },
        nice: crate::sched::runtimes_nice(),
        confine,
    };
    let share = if share_fds { libc::CLONE_FILES } else { 0 };
    // SAFETY: with CLONE_VFORK this thread sleeps until the child has exec'd or exited, so
    // `child_args`, `argv` and `envp` outlive every use by the child.
    let pid = unsafe {
        clone_vfork(
            child_main,
            (&child_args as *const ChildArgs).cast_mut().cast(),
            share,
        )
    };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    // The agent keeps no write end: the child's stdout and stderr end when the child's do.
    drop(lent);
    // The report pipe is closed by a successful exec; otherwise it carries errno.
    let mut errno = [0u8; 4];
    // SAFETY: reading into a local buffer from an fd we own.
    let n = unsafe { libc::read(rep_r.as_raw_fd(), errno.as_mut_ptr().cast(), 4) };
    if n == 4 {
        let mut status = 0;
        // SAFETY: reaping our own child, which has exited.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        return Err(io::Error::from_raw_os_error(i32::from_ne_bytes(errno)));
    }
    // SAFETY: pidfd_open on our own, not yet reaped child.
    let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, libc::PIDFD_NONBLOCK) };
    let registered = cvt_fd(i32::try_from(pidfd).unwrap_or(-1)).and_then(|fd| {
        // SAFETY: the AsyncFd owns the fd, which stays open and the same until it is dropped.
        Ok(unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE)? })
    });
    let pidfd = match registered {
        Ok(fd) => fd,
        Err(e) => {
            // Without a pidfd the child could never be waited for: do not leave it behind.
            // SAFETY: signalling and reaping our own child.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
                libc::waitpid(pid, std::ptr::null_mut(), 0);
            }
            return Err(e);
        }
    };
    Ok(Started {
        process: Process {
            pid,
            pidfd,
            reaped: false,
        },
        stdout: pipe::Receiver::from_owned_fd(out_r)?,
        stderr: pipe::Receiver::from_owned_fd(err_r)?,
    })
}

/// `clone(CLONE_VM | CLONE_VFORK | extra)`: runs `child(arg)` on a stack of its own in the
/// agent's memory and returns once it has exec'd or exited.
///
/// # Safety
/// `child` must do only async-signal-safe work and end in `execve` or `_exit`; `arg` must stay
/// valid until this returns.
pub(super) unsafe fn clone_vfork(
    child: extern "C" fn(*mut libc::c_void) -> libc::c_int,
    arg: *mut libc::c_void,
    extra: libc::c_int,
) -> libc::pid_t {
    // Not zero-filled: the child touches only the few pages it uses, so a spawn neither
    // writes 64 KiB nor leaves them resident in the allocator's arena.
    let mut stack: Vec<std::mem::MaybeUninit<u8>> = Vec::with_capacity(CHILD_STACK);
    // SAFETY: all signals are blocked around the clone so no handler of the agent runs on the
    // child's stack; with CLONE_VFORK this thread sleeps until the child has exec'd or exited,
    // so `stack` outlives every use by the child.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
        let top = stack.as_mut_ptr().add(CHILD_STACK).cast::<u8>();
        let top = top.sub(top as usize % 16);
        let pid = libc::clone(
            child,
            top.cast(),
            libc::CLONE_VM | libc::CLONE_VFORK | extra | libc::SIGCHLD,
            arg,
        );
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        pid
    }
}

impl Process {
    pub(crate) fn id(&self) -> u32 {
        self.pid as u32
    }

    /// Waits for the exit and reaps the child; cancel-safe.
    pub(crate) async fn wait(&mut self) -> io::Result<ExitStatus> {
        loop {
            let mut guard = self.pidfd.readable().await?;
            let mut status = 0;
            // SAFETY: reaping our own child without blocking.
            let r = unsafe { libc::waitpid(self.pid, &mut status, libc::WNOHANG) };
            if r == self.pid {
                self.reaped = true;
                return Ok(ExitStatus::from_raw(status));
            }
            if r < 0 {
                return Err(io::Error::last_os_error());
            }
            guard.clear_ready();
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if !self.reaped {
            // Never leave a zombie: kill the group and reap (only reached if a task is aborted).
            // SAFETY: signalling and reaping our own child.
            unsafe {
                libc::kill(-self.pid, libc::SIGKILL);
                libc::waitpid(self.pid, std::ptr::null_mut(), 0);
            }
        }
    }
}

/// The clone child: runs on its own stack in the agent's memory until `execve`.
/// SIGKILL this child when the agent's forking thread dies; if the agent is already gone,
/// nobody would ever kill it, so it ends here.
///
/// # Safety
/// Only in the clone child, with `a` the parent's arguments.
unsafe fn arm_death_signal(a: &ChildArgs) {
    // SAFETY: prctl, getppid and _exit are async-signal-safe.
    unsafe {
        if libc::prctl(
            libc::PR_SET_PDEATHSIG,
            libc::SIGKILL as libc::c_ulong,
            0,
            0,
            0,
        ) != 0
        {
            fail(a);
        }
        if libc::getppid() != a.parent {
            libc::_exit(1);
        }
    }
}

/// Only async-signal-safe calls; failures are reported as errno on `report`.
extern "C" fn child_main(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` points at the parent's `ChildArgs`, alive while the parent is suspended.
    unsafe {
        let a = &*(arg as *const ChildArgs);
        if libc::setpgid(0, 0) != 0 {
            fail(a);
        }
        // Lowering a priority is always permitted (and done before any change of user).
        if let Some(nice) = a.nice
            && libc::setpriority(libc::PRIO_PROCESS, 0, nice) != 0
        {
            fail(a);
        }
        arm_death_signal(a);
        // Handlers of the agent mean nothing here, and Rust ignores SIGPIPE: start clean.
        let mut dfl: libc::sigaction = std::mem::zeroed();
        dfl.sa_sigaction = libc::SIG_DFL;
        for sig in 1..libc::SIGRTMAX() {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                libc::sigaction(sig, &dfl, std::ptr::null_mut());
            }
        }
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
        if libc::chdir(a.cwd) != 0 {
            fail(a);
        }
        // Order: groups, group, user; then Landlock (which needs no_new_privs); then exec.
        if let Some((uid, gid)) = a.confine.run_as {
            if crate::sandbox::drop_to(uid, gid) != 0 {
                fail(a);
            }
            // A change of user clears the death signal: arm it again.
            arm_death_signal(a);
        }
        if a.confine.ruleset >= 0 && crate::sandbox::restrict_self(a.confine.ruleset) != 0 {
            fail(a);
        }
        // Until here the fd table may be the agent's own: nothing above changed it. Now a
        // table of the fds below `keep_below` only, then the three standard streams.
        if a.keep_below > 0 && super::child_fds::keep_only_below(a.keep_below) != 0 {
            fail(a);
        }
        if libc::dup2(a.stdin, 0) < 0 || libc::dup2(a.stdout, 1) < 0 || libc::dup2(a.stderr, 2) < 0
        {
            fail(a);
        }
        libc::execve(a.path, a.argv, a.envp);
        fail(a)
    }
}

unsafe fn fail(a: &ChildArgs) -> ! {
    // SAFETY: errno is readable; write and _exit are async-signal-safe.
    unsafe {
        let errno = (*libc::__errno_location()).to_ne_bytes();
        libc::write(a.report, errno.as_ptr().cast(), 4);
        libc::_exit(127)
    }
}

fn pipe2() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills the array on success.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both fds were just created and are owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

pub(super) fn cvt_fd(fd: RawFd) -> io::Result<OwnedFd> {
    if fd < 0 {
        Err(io::Error::last_os_error())
    } else {
        // SAFETY: a fresh fd returned by the kernel.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt;

    use super::*;

    fn c(s: &str) -> CString {
        CString::new(s).unwrap()
    }

    #[tokio::test]
    async fn runs_a_program_with_its_env_pipes_and_exit_status() {
        let args = [
            c("sh"),
            c("-c"),
            c("echo out $GREETING $(pwd); echo err >&2; exit 3"),
        ];
        let mut s = start(&c("/bin/sh"), &args, &[c("GREETING=hi")], &c("/tmp")).unwrap();
        let mut out = String::new();
        s.stdout.read_to_string(&mut out).await.unwrap();
        let mut err = String::new();
        s.stderr.read_to_string(&mut err).await.unwrap();
        assert_eq!((out.as_str(), err.as_str()), ("out hi /tmp\n", "err\n"));
        assert_eq!(s.process.wait().await.unwrap().code(), Some(3));
    }

    #[tokio::test]
    async fn starts_at_the_agents_own_priority_from_a_raised_thread() {
        let p = crate::sched::raise_agent_threads();
        // Another test may have raised another thread first: raise this one as the agent's are.
        if let Some(nice) = p.raised {
            // SAFETY: setpriority(PRIO_PROCESS, 0) changes only this thread.
            unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, nice) };
        }
        let args = [c("sh"), c("-c"), c(crate::sched::tests::NICE_OF_SELF)];
        let mut s = start(&c("/bin/sh"), &args, &[c("PATH=/usr/bin:/bin")], &c("/")).unwrap();
        let mut out = String::new();
        s.stdout.read_to_string(&mut out).await.unwrap();
        assert_eq!(out.trim(), p.original.to_string(), "{p:?}");
        assert_eq!(s.process.wait().await.unwrap().code(), Some(0));
    }

    #[tokio::test]
    async fn leads_its_own_group_and_reports_signals_and_exec_errors() {
        let args = [c("sh"), c("-c"), c("ps -o pgid= -p $$; kill -TERM $$")];
        let mut s = start(&c("/bin/sh"), &args, &[c("PATH=/usr/bin:/bin")], &c("/")).unwrap();
        let mut out = String::new();
        s.stdout.read_to_string(&mut out).await.unwrap();
        assert_eq!(out.trim(), s.process.id().to_string());
        assert_eq!(
            s.process.wait().await.unwrap().signal(),
            Some(libc::SIGTERM)
        );
        let e = start(&c("/nonexistent/runtime"), &[c("x")], &[], &c("/"))
            .err()
            .unwrap();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }
}
