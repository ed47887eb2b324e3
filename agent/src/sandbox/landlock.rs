//! Landlock from the parent's side: the ABI the kernel offers, and a ruleset per runtime that
//! handles every write access (so only the rules' directories are writable) and leaves reads,
//! execution and directory listing alone — a runtime still loads its libraries, reads /proc,
//! /etc, certificates and its inputs. The child only calls `restrict_self` (`process.rs`).

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

const CREATE_RULESET_VERSION: u32 = 1 << 0;
const RULE_PATH_BENEATH: libc::c_int = 1;

const WRITE_FILE: u64 = 1 << 1;
const REMOVE_DIR: u64 = 1 << 4;
const REMOVE_FILE: u64 = 1 << 5;
const MAKE_CHAR: u64 = 1 << 6;
const MAKE_DIR: u64 = 1 << 7;
const MAKE_REG: u64 = 1 << 8;
const MAKE_SOCK: u64 = 1 << 9;
const MAKE_FIFO: u64 = 1 << 10;
const MAKE_BLOCK: u64 = 1 << 11;
const MAKE_SYM: u64 = 1 << 12;
/// ABI 2: linking or renaming a file into another directory.
const REFER: u64 = 1 << 13;
/// ABI 3: truncating a file.
const TRUNCATE: u64 = 1 << 14;

/// Rights that make sense on a file (not a directory) rule.
const FILE_RIGHTS: u64 = WRITE_FILE | TRUNCATE;

/// Files every runtime may write wherever it is confined.
const ALWAYS_WRITABLE: [&str; 1] = ["/dev/null"];

#[repr(C)]
struct RulesetAttr {
    handled_access_fs: u64,
}

#[repr(C, packed)]
struct PathBeneathAttr {
    allowed_access: u64,
    parent_fd: i32,
}

/// The Landlock ABI version, or `None` when the kernel has no (enabled) Landlock.
pub(super) fn abi() -> Option<u32> {
    // SAFETY: the version query takes no attribute pointer.
    let v = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<RulesetAttr>(),
            0usize,
            CREATE_RULESET_VERSION,
        )
    };
    u32::try_from(v).ok().filter(|v| *v >= 1)
}

/// The write accesses this ABI knows, all handled (denied unless a rule allows them).
fn handled(abi: u32) -> u64 {
    let mut rights = WRITE_FILE
        | REMOVE_DIR
        | REMOVE_FILE
        | MAKE_CHAR
        | MAKE_DIR
        | MAKE_REG
        | MAKE_SOCK
        | MAKE_FIFO
        | MAKE_BLOCK
        | MAKE_SYM;
    if abi >= 2 {
        rights |= REFER;
    }
    if abi >= 3 {
        rights |= TRUNCATE;
    }
    rights
}

/// A ruleset ready for `landlock_restrict_self` in the child; the fd closes on exec and drop.
#[derive(Debug)]
pub(crate) struct Ruleset {
    fd: OwnedFd,
}

impl Ruleset {
    /// Writes allowed under each of `writable` (missing ones are skipped) and to /dev/null.
    pub(crate) fn build(abi: u32, writable: &[std::path::PathBuf]) -> io::Result<Self> {
        let handled = handled(abi);
        let attr = RulesetAttr {
            handled_access_fs: handled,
        };
        // SAFETY: a valid attribute of the size passed.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_landlock_create_ruleset,
                &attr as *const RulesetAttr,
                std::mem::size_of::<RulesetAttr>(),
                0u32,
            )
        };
        let fd = RawFd::try_from(fd).unwrap_or(-1);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a fresh fd owned by nobody else.
        let ruleset = Self {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        };
        let fixed = ALWAYS_WRITABLE.iter().map(Path::new);
        for path in writable.iter().map(|p| p.as_path()).chain(fixed) {
            match std::fs::metadata(path) {
                Ok(meta) if meta.is_dir() => ruleset.allow(path, handled)?,
                Ok(_) => ruleset.allow(path, handled & FILE_RIGHTS)?,
                // A root that does not exist yet cannot be written under anyway.
                Err(_) => {}
            }
        }
        Ok(ruleset)
    }

    fn allow(&self, path: &Path, rights: u64) -> io::Result<()> {
        let c = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in a path"))?;
        // SAFETY: a valid C string; O_PATH opens without reading.
        let raw = unsafe { libc::open(c.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a fresh fd owned by nobody else.
        let parent = unsafe { OwnedFd::from_raw_fd(raw) };
        let attr = PathBeneathAttr {
            allowed_access: rights,
            parent_fd: parent.as_raw_fd(),
        };
        // SAFETY: valid fds and attribute.
        let r = unsafe {
            libc::syscall(
                libc::SYS_landlock_add_rule,
                self.fd.as_raw_fd(),
                RULE_PATH_BENEATH,
                &attr as *const PathBeneathAttr,
                0u32,
            )
        };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    pub(crate) fn raw(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// In the clone child, before exec: no new privileges, then the ruleset. Raw syscalls only.
///
/// # Safety
/// `fd` must be a Landlock ruleset fd; async-signal-safe, so callable after `clone(CLONE_VM)`.
pub(crate) unsafe fn restrict_self(fd: RawFd) -> libc::c_long {
    // SAFETY: plain syscalls on integers.
    unsafe {
        if libc::syscall(libc::SYS_prctl, libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            return -1;
        }
        libc::syscall(libc::SYS_landlock_restrict_self, fd, 0u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handled_rights_grow_with_the_abi_and_never_include_reads() {
        assert_eq!(handled(1) & (REFER | TRUNCATE), 0);
        assert_eq!(handled(3) & (REFER | TRUNCATE), REFER | TRUNCATE);
        // EXECUTE, READ_FILE and READ_DIR (bits 0, 2, 3) stay unhandled: reads are not confined.
        assert_eq!(handled(7) & 0b1101, 0);
    }

    #[test]
    fn a_ruleset_builds_for_existing_and_missing_roots_when_the_kernel_has_landlock() {
        let Some(abi) = abi() else {
            eprintln!("SKIPPED: this kernel has no Landlock");
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "").unwrap();
        let r = Ruleset::build(
            abi,
            &[dir.path().to_path_buf(), file, "/no/such/dir".into()],
        );
        assert!(r.unwrap().raw() >= 0);
    }
}
