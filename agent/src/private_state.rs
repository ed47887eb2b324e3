//! The state directory is owner-only: it holds config versions with their secrets, cursors and
//! logs. At start, directories in it are set to 0700 and files to 0600 when they allow more
//! (state left by an older agent, or by a looser umask).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Deepest level walked: `state/connectors/<id>/…` and `state/logs/…` are far shallower.
const MAX_DEPTH: usize = 8;

/// Creates `dir` (0700) if needed and tightens every mode under it; returns how many changed.
pub(crate) fn secure(dir: &Path) -> std::io::Result<usize> {
    connect_model::atomic::create_private_dir(dir)?;
    let mut changed = 0;
    tighten(dir, 0, &mut changed)?;
    Ok(changed)
}

fn tighten(path: &Path, depth: usize, changed: &mut usize) -> std::io::Result<()> {
    // Symlinks are left alone: their targets are not the agent's to change.
    let meta = std::fs::symlink_metadata(path)?;
    let mode = meta.permissions().mode() & 0o7777;
    let wanted = if meta.is_dir() {
        0o700
    } else if meta.is_file() {
        mode & 0o700
    } else {
        return Ok(());
    };
    if mode & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(wanted))?;
        *changed += 1;
    }
    if meta.is_dir() && depth < MAX_DEPTH {
        for entry in std::fs::read_dir(path)? {
            // A file removed meanwhile (a rotated log) is not an error.
            if let Err(e) = tighten(&entry?.path(), depth + 1, changed)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                return Err(e);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &std::path::Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn loose_modes_become_owner_only() {
        let root = tempfile::tempdir().unwrap();
        let state = root.path().join("state");
        std::fs::create_dir_all(state.join("connectors/a")).unwrap();
        std::fs::write(state.join("agent.json"), "{}").unwrap();
        std::fs::write(state.join("connectors/a/cursor"), "1").unwrap();
        for p in ["", "connectors", "connectors/a"] {
            std::fs::set_permissions(state.join(p), std::fs::Permissions::from_mode(0o755))
                .unwrap();
        }
        for p in ["agent.json", "connectors/a/cursor"] {
            std::fs::set_permissions(state.join(p), std::fs::Permissions::from_mode(0o644))
                .unwrap();
        }
        assert_eq!(super::secure(&state).unwrap(), 5);
        assert_eq!(mode(&state), 0o700);
        assert_eq!(mode(&state.join("connectors/a")), 0o700);
        assert_eq!(mode(&state.join("agent.json")), 0o600);
        assert_eq!(mode(&state.join("connectors/a/cursor")), 0o600);
        assert_eq!(super::secure(&state).unwrap(), 0);
    }
}
