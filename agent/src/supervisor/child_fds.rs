//! The three descriptors a runtime starts with (stdout, stderr, the exec report; stdin is
//! /dev/null), lent into low fd numbers that each spawning thread reserves once. The clone child
//! then shares the agent's fd table and keeps only the numbers below its own
//! (`close_range(.., CLOSE_RANGE_UNSHARE)`), instead of copying the whole table and closing it
//! again on exec: with a thousand runtimes the agent holds four thousand fds, and that copy and
//! close was the largest cost of a spawn.

use std::cell::OnceCell;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::OnceLock;

/// A spawning thread's reserved numbers, each holding /dev/null while not lent.
struct Slots {
    stdout: OwnedFd,
    stderr: OwnedFd,
    report: OwnedFd,
}

thread_local! {
    static SLOTS: OnceCell<Slots> = const { OnceCell::new() };
}

/// /dev/null, read-only: the runtimes' stdin and what a slot holds while not lent. A failed
/// open (out of fds, say) is not kept: the next spawn tries again.
fn dev_null() -> io::Result<RawFd> {
    static NULL: OnceLock<OwnedFd> = OnceLock::new();
    if let Some(fd) = NULL.get() {
        return Ok(fd.as_raw_fd());
    }
    // SAFETY: opening a path with a NUL-terminated literal.
    let fd = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    let fd = super::process::cvt_fd(fd)?;
    // Another thread may have won the race: its fd is kept and this one closes.
    Ok(NULL.get_or_init(|| fd).as_raw_fd())
}

/// Whether the kernel lets a clone child that shares the agent's fd table take a table of its
/// own with only the low fds (Linux 5.9; a seccomp policy may refuse it). Asked once, of a
/// throwaway child: in the agent's own threads the call would split the thread's table from
/// the process's. Without it, each child copies the whole table as before.
pub(super) fn unshare_supported() -> bool {
    static SUPPORTED: OnceLock<bool> = OnceLock::new();
    *SUPPORTED.get_or_init(|| {
        extern "C" fn probe(_: *mut libc::c_void) -> libc::c_int {
            // SAFETY: this child's own table; _exit is async-signal-safe.
            unsafe { libc::_exit(i32::from(keep_only_below(3) != 0)) }
        }
        // SAFETY: `probe` only makes a syscall and exits; it takes no argument.
        let pid =
            unsafe { super::process::clone_vfork(probe, std::ptr::null_mut(), libc::CLONE_FILES) };
        if pid < 0 {
            return false;
        }
        let mut status = 0;
        // SAFETY: reaping our own child, which has exited.
        let reaped = unsafe { libc::waitpid(pid, &mut status, 0) } == pid;
        let supported = reaped && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
        if !supported {
            tracing::info!("the kernel refuses close_range(CLOSE_RANGE_UNSHARE) (Linux 5.9 or a seccomp policy): every runtime start copies the agent's fd table, which costs more with many connectors");
        }
        supported
    })
}

/// Gives the calling task a table of its own with only the fds below `first`; with a shared
/// table nothing above is copied, let alone closed.
///
/// # Safety
/// The fds at and above `first` are gone for the caller.
pub(super) unsafe fn keep_only_below(first: u32) -> libc::c_long {
    // SAFETY: the caller accepts losing the fds at and above `first`.
    unsafe { close_range_from(first, libc::CLOSE_RANGE_UNSHARE) }
}

/// `close_range(first, ~0, flags)` as a raw syscall: async-signal-safe, and no glibc version
/// needed.
///
/// # Safety
/// Without `CLOSE_RANGE_CLOEXEC`, the fds at and above `first` are closed for the caller.
unsafe fn close_range_from(first: u32, flags: libc::c_uint) -> libc::c_long {
    // SAFETY: the caller accepts what `flags` does to the fds at and above `first`.
    unsafe { libc::syscall(libc::SYS_close_range, first, u32::MAX, flags) }
}

/// Marks every fd the agent inherited above stdin, stdout and stderr close-on-exec (a shell or
/// service manager may pass some on), so that none reaches a runtime: a child keeps the fds
/// below its slots, and those are the agent's oldest. Called at start, before any spawn.
pub(crate) fn close_inherited_on_exec() {
    // SAFETY: only sets the close-on-exec flag; Linux 5.11.
    if unsafe { close_range_from(3, libc::CLOSE_RANGE_CLOEXEC) } == 0 {
        return;
    }
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return;
    };
    for fd in dir
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<RawFd>().ok())
    {
        if fd > 2 {
            // SAFETY: reading and setting descriptor flags; a number that is not open (the
            // directory's own, already closed) just fails.
            unsafe {
                let flags = libc::fcntl(fd, libc::F_GETFD);
                if flags >= 0 && flags & libc::FD_CLOEXEC == 0 {
                    libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
                }
            }
        }
    }
}

/// Reserves this thread's numbers now, while the agent holds few fds (spawner threads call it
/// when they start); otherwise the first spawn on the thread does.
pub(crate) fn reserve() -> io::Result<()> {
    SLOTS.with(|cell| {
        if cell.get().is_none() {
            let null = dev_null()?;
            let slot = || {
                // SAFETY: duplicating an open fd into the lowest free number.
                super::process::cvt_fd(unsafe { libc::fcntl(null, libc::F_DUPFD_CLOEXEC, 0) })
            };
            let _ = cell.set(Slots {
                stdout: slot()?,
                stderr: slot()?,
                report: slot()?,
            });
        }
        Ok(())
    })
}

/// The fds a clone child uses, lent for one spawn; dropping it puts /dev/null back, so the
/// agent holds no write end of the child's pipes.
pub(super) struct Lent {
    pub stdin: RawFd,
    pub stdout: RawFd,
    pub stderr: RawFd,
    pub report: RawFd,
    /// The first fd number the child does not need.
    pub keep_below: u32,
}

/// Lends `stdout`, `stderr` and `report` (write ends) into this thread's slots.
pub(super) fn lend(stdout: &OwnedFd, stderr: &OwnedFd, report: &OwnedFd) -> io::Result<Lent> {
    reserve()?;
    let stdin = dev_null()?;
    SLOTS.with(|cell| {
        let slots = cell.get().expect("reserved above");
        let (out, err, rep) = (
            slots.stdout.as_raw_fd(),
            slots.stderr.as_raw_fd(),
            slots.report.as_raw_fd(),
        );
        let highest = stdin.max(out).max(err).max(rep);
        // Built before the first dup3, so a failure part-way releases what was lent.
        let lent = Lent {
            stdin,
            stdout: out,
            stderr: err,
            report: rep,
            keep_below: u32::try_from(highest + 1).unwrap_or(u32::MAX),
        };
        for (from, to) in [(stdout, out), (stderr, err), (report, rep)] {
            // SAFETY: both fds are open; dup3 replaces the slot's /dev/null atomically.
            if unsafe { libc::dup3(from.as_raw_fd(), to, libc::O_CLOEXEC) } < 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(lent)
    })
}

impl Drop for Lent {
    fn drop(&mut self) {
        let Ok(null) = dev_null() else { return };
        for slot in [self.stdout, self.stderr, self.report] {
            // SAFETY: the slot stays open; only what it refers to changes.
            while unsafe { libc::dup3(null, slot, libc::O_CLOEXEC) } < 0 {
                let e = io::Error::last_os_error();
                if !matches!(e.raw_os_error(), Some(libc::EINTR | libc::EBUSY)) {
                    tracing::error!(slot, error = %e, "cannot release a spawn slot");
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::CString;
    use std::os::fd::FromRawFd;

    use tokio::io::AsyncReadExt;

    use super::*;

    #[tokio::test]
    async fn a_runtime_starts_with_its_three_streams_only_and_the_agent_keeps_no_write_end() {
        if !unshare_supported() {
            eprintln!("SKIPPED: this kernel cannot unshare a partial fd table (Linux < 5.9)");
            return;
        }
        // Inheritable fds of the agent, far above the slots: a copied table would pass them on.
        let inheritable: Vec<OwnedFd> = (0..64)
            .map(|_| {
                // SAFETY: duplicating stdin into a fresh number, owned below.
                let fd = unsafe { libc::fcntl(0, libc::F_DUPFD, 512) };
                assert!(fd >= 512, "{}", io::Error::last_os_error());
                // SAFETY: just created, owned by nobody else.
                unsafe { OwnedFd::from_raw_fd(fd) }
            })
            .collect();
        let c = |s: &str| CString::new(s).unwrap();
        let args = [
            c("sh"),
            c("-c"),
            c("cd /proc/self/fd && echo $(printf '%s\\n' * | sort -n)"),
        ];
        let mut s =
            super::super::process::start(&c("/bin/sh"), &args, &[c("PATH=/usr/bin:/bin")], &c("/"))
                .unwrap();
        let mut out = String::new();
        // Ends only once no write end is left, the agent's slots included.
        s.stdout.read_to_string(&mut out).await.unwrap();
        let fds: Vec<u32> = out.split_whitespace().map(|f| f.parse().unwrap()).collect();
        assert!(
            fds.starts_with(&[0, 1, 2]) && fds.iter().all(|&fd| fd < 512),
            "fds of the started program: {out}"
        );
        assert_eq!(s.process.wait().await.unwrap().code(), Some(0));
        drop(inheritable);
    }
}
