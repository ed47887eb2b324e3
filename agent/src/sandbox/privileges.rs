//! `[runtimes] user` / `group`: the ids runtimes run as when the agent is root, resolved once
//! when the config is loaded (an unknown name is a config error), the parent's share of the
//! state a runtime needs (its state directory owned by that user, the path to it traversable,
//! the agent socket writable by the group), and the child's raw `setgroups`/`setgid`/`setuid`.

use std::ffi::CString;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Ids a runtime runs as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunAs {
    pub uid: u32,
    pub gid: u32,
}

/// Deepest level of a state directory walked when handing it over.
const MAX_DEPTH: usize = 8;

impl RunAs {
    /// `None` when both are empty; names or numeric ids; the group defaults to the user's
    /// primary group, the user to the agent's own. Errors are `(field, reason)`.
    pub(crate) fn resolve(user: &str, group: &str) -> Result<Option<Self>, (String, String)> {
        let (user, group) = (user.trim(), group.trim());
        if user.is_empty() && group.is_empty() {
            return Ok(None);
        }
        let (uid, primary) = if user.is_empty() {
            // SAFETY: no preconditions.
            unsafe { (libc::geteuid(), libc::getegid()) }
        } else {
            lookup_user(user).ok_or_else(|| {
                (
                    "runtimes.user".to_string(),
                    format!("there is no user `{user}` on this system; name an existing user (or a numeric uid) or create it"),
                )
            })?
        };
        let gid = if group.is_empty() {
            primary
        } else {
            lookup_group(group).ok_or_else(|| {
                (
                    "runtimes.group".to_string(),
                    format!("there is no group `{group}` on this system; name an existing group (or a numeric gid) or create it"),
                )
            })?
        };
        Ok(Some(Self { uid, gid }))
    }
}

fn lookup_user(name: &str) -> Option<(u32, u32)> {
    let c = CString::new(name).ok()?;
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: zeroed passwd is a valid out parameter; the buffer outlives the call.
    unsafe {
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut out: *mut libc::passwd = std::ptr::null_mut();
        libc::getpwnam_r(c.as_ptr(), &mut pwd, buf.as_mut_ptr(), buf.len(), &mut out);
        if !out.is_null() {
            return Some((pwd.pw_uid, pwd.pw_gid));
        }
        let uid: u32 = name.parse().ok()?;
        libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut out);
        // A numeric id without an entry runs with the same id as its group.
        Some(if out.is_null() {
            (uid, uid)
        } else {
            (uid, pwd.pw_gid)
        })
    }
}

fn lookup_group(name: &str) -> Option<u32> {
    let c = CString::new(name).ok()?;
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: zeroed group is a valid out parameter; the buffer outlives the call.
    unsafe {
        let mut grp: libc::group = std::mem::zeroed();
        let mut out: *mut libc::group = std::ptr::null_mut();
        libc::getgrnam_r(c.as_ptr(), &mut grp, buf.as_mut_ptr(), buf.len(), &mut out);
        if !out.is_null() {
            return Some(grp.gr_gid);
        }
    }
    name.parse().ok()
}

/// Makes what a runtime running as `ids` needs reachable: the directories above its state
/// directory traversable (0711: not listable), the state directory and everything in it owned by
/// it, and the agent socket connectable by its group (0660).
pub(crate) fn share_with(
    ids: RunAs,
    state_root: &Path,
    state_dir: &Path,
    socket: &Path,
) -> std::io::Result<()> {
    for dir in [state_root.parent(), Some(state_root)]
        .into_iter()
        .flatten()
    {
        let mode = std::fs::metadata(dir)?.permissions().mode() & 0o7777;
        if mode & 0o011 != 0o011 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode | 0o011))?;
        }
    }
    chown_tree(state_dir, ids, 0)?;
    std::os::unix::fs::chown(socket, None, Some(ids.gid))?;
    std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o660))
}

fn chown_tree(path: &Path, ids: RunAs, depth: usize) -> std::io::Result<()> {
    std::os::unix::fs::lchown(path, Some(ids.uid), Some(ids.gid))?;
    let meta = std::fs::symlink_metadata(path)?;
    if meta.is_dir() && depth < MAX_DEPTH {
        for entry in std::fs::read_dir(path)? {
            chown_tree(&entry?.path(), ids, depth + 1)?;
        }
    }
    Ok(())
}

/// In the clone child: supplementary groups, group, then user — raw syscalls, because libc's
/// wrappers would signal every thread of the agent, whose memory the child shares.
///
/// # Safety
/// Async-signal-safe; callable after `clone(CLONE_VM)`.
pub(crate) unsafe fn drop_to(uid: u32, gid: u32) -> libc::c_long {
    // SAFETY: plain syscalls; `groups` lives on this stack for the call.
    unsafe {
        let groups = [gid as libc::gid_t];
        if libc::syscall(libc::SYS_setgroups, 1usize, groups.as_ptr()) != 0 {
            return -1;
        }
        if libc::syscall(libc::SYS_setgid, gid) != 0 {
            return -1;
        }
        libc::syscall(libc::SYS_setuid, uid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ids_resolve_and_unknown_names_are_field_errors() {
        assert_eq!(RunAs::resolve("", "").unwrap(), None);
        let root = RunAs::resolve("root", "").unwrap().unwrap();
        assert_eq!(root, RunAs { uid: 0, gid: 0 });
        assert_eq!(
            RunAs::resolve("0", "0").unwrap().unwrap(),
            RunAs { uid: 0, gid: 0 }
        );
        let (field, reason) = RunAs::resolve("no-such-user-xyz", "").unwrap_err();
        assert_eq!(field, "runtimes.user");
        assert!(
            reason.contains("no-such-user-xyz") && reason.contains("create"),
            "{reason}"
        );
        let (field, _) = RunAs::resolve("root", "no-such-group-xyz").unwrap_err();
        assert_eq!(field, "runtimes.group");
    }
}
