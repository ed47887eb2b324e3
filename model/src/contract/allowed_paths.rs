//! The file-access policy's one rule, shared by the agent (at validation) and the SDK (after
//! `${env:…}`/`${file:…}` references are resolved): a path is allowed when, resolved the way the
//! kernel would open it — relative against the base directory, `..` and symlinks followed, a
//! path that does not exist yet through its longest existing ancestor — it lies inside one of
//! the roots. `CONNECT_ALLOWED_PATHS` carries the roots to a runtime, colon-separated.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

/// Separator of the roots in `CONNECT_ALLOWED_PATHS` and `CONNECT_RUNTIMES_ALLOWED_PATHS`.
pub const SEPARATOR: char = ':';

/// Symlinks followed in one resolution before it gives up (the kernel's own limit).
const MAX_LINKS: u32 = 40;

/// The roots a path must resolve inside.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedPaths {
    roots: Vec<PathBuf>,
}

/// A path that resolves outside every root; the message names the field, the roots and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{path}` resolves to {resolved}, outside the allowed paths ({roots}); use a path under one of them, or add a directory to the agent's [runtimes] allowed_paths"
)]
pub struct PathOutside {
    pub path: String,
    pub resolved: String,
    pub roots: String,
}

impl AllowedPaths {
    /// Roots as given; each is resolved when a path is checked against it.
    pub fn new(roots: impl IntoIterator<Item = PathBuf>) -> Self {
        Self {
            roots: roots.into_iter().collect(),
        }
    }

    /// Colon-separated roots (`CONNECT_ALLOWED_PATHS`); empty entries are skipped.
    pub fn parse(value: &str) -> Self {
        Self::new(
            value
                .split(SEPARATOR)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(PathBuf::from),
        )
    }

    /// The value of `CONNECT_ALLOWED_PATHS` for these roots.
    pub fn to_env(&self) -> String {
        let list: Vec<String> = self.roots.iter().map(|r| r.display().to_string()).collect();
        list.join(&SEPARATOR.to_string())
    }

    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// These roots plus one more (a connector's state directory).
    pub fn with(&self, extra: &Path) -> Self {
        let mut roots = self.roots.clone();
        roots.push(extra.to_path_buf());
        Self { roots }
    }

    /// `Ok` with the resolved path when `path` (relative ones against `base`) lies inside a root.
    pub fn check(&self, path: &str, base: &Path) -> Result<PathBuf, PathOutside> {
        let outside = |resolved: String| PathOutside {
            path: path.to_string(),
            resolved,
            roots: self.to_env().replace(SEPARATOR, ", "),
        };
        let resolved = resolve(Path::new(path), base).map_err(outside)?;
        let inside = self
            .roots
            .iter()
            .filter_map(|r| resolve(r, base).ok())
            .any(|root| resolved.starts_with(root));
        if inside {
            Ok(resolved)
        } else {
            Err(outside(resolved.display().to_string()))
        }
    }
}

/// Where `path` leads: relative against `base`, each component looked up in turn, symlinks
/// replaced by their targets and `..` taken from the directory reached so far; components past
/// the longest existing ancestor are taken as written. An error (a symlink loop) says why.
pub fn resolve(path: &Path, base: &Path) -> Result<PathBuf, String> {
    let mut todo: VecDeque<OsString> = VecDeque::new();
    push_front(&mut todo, path);
    if path.is_relative() {
        push_front(&mut todo, base);
    }
    let mut current = PathBuf::from("/");
    let mut links = 0;
    while let Some(part) = todo.pop_front() {
        match part.to_str() {
            Some("/") => current = PathBuf::from("/"),
            Some(".") | Some("") => {}
            Some("..") => {
                current.pop();
            }
            _ => {
                let next = current.join(&part);
                match std::fs::symlink_metadata(&next) {
                    Ok(meta) if meta.file_type().is_symlink() => {
                        links += 1;
                        if links > MAX_LINKS {
                            return Err(format!(
                                "{} (more than {MAX_LINKS} symbolic links)",
                                next.display()
                            ));
                        }
                        let target = std::fs::read_link(&next)
                            .map_err(|e| format!("{} (unreadable link: {e})", next.display()))?;
                        push_front(&mut todo, &target);
                    }
                    _ => current = next,
                }
            }
        }
    }
    Ok(current)
}

/// Puts the components of `path` before the ones still to do (`/` first for an absolute one).
fn push_front(todo: &mut VecDeque<OsString>, path: &Path) {
    for c in path.components().rev() {
        let part = match c {
            Component::RootDir | Component::Prefix(_) => OsString::from("/"),
            Component::CurDir => continue,
            Component::ParentDir => OsString::from(".."),
            Component::Normal(n) => n.to_os_string(),
        };
        todo.push_front(part);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_dot_and_symlinks_are_followed_and_missing_tails_kept() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir_all(root.join("allowed/sub")).unwrap();
        std::fs::create_dir_all(root.join("other")).unwrap();
        std::os::unix::fs::symlink(root.join("other"), root.join("allowed/link")).unwrap();
        std::os::unix::fs::symlink("../../other", root.join("allowed/sub/rel")).unwrap();
        let allowed = AllowedPaths::new([root.join("allowed")]);
        let base = root.join("allowed");
        // Inside: absolute, relative to the base, not existing yet.
        assert!(allowed.check("out.log", &base).is_ok());
        assert!(allowed.check("sub/new/deeper/x.log", &base).is_ok());
        let ok = allowed
            .check(&root.join("allowed/sub/../x").display().to_string(), &base)
            .unwrap();
        assert_eq!(ok, root.join("allowed/x"));
        // Outside: `..`, an absolute link, a relative link, a missing directory then `..`.
        for escape in [
            "../other/x",
            "link/x",
            "sub/rel/x",
            "missing/../../other/x",
            "/etc/passwd",
        ] {
            let e = allowed.check(escape, &base).unwrap_err();
            assert!(
                e.resolved
                    .starts_with(&*root.join("other").display().to_string())
                    || e.resolved == "/etc/passwd",
                "{escape}: {e}"
            );
            assert!(e.to_string().contains("allowed_paths"), "{e}");
        }
        // A root that is itself a symlink still admits what lies under its target.
        let via_link = AllowedPaths::new([root.join("allowed/link")]);
        assert!(
            via_link
                .check(&root.join("other/y").display().to_string(), &base)
                .is_ok()
        );
    }

    #[test]
    fn symlink_loops_are_refused_and_env_values_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::os::unix::fs::symlink(root.join("b"), root.join("a")).unwrap();
        std::os::unix::fs::symlink(root.join("a"), root.join("b")).unwrap();
        let allowed = AllowedPaths::new([root.clone()]);
        let e = allowed.check("a/x", &root).unwrap_err();
        assert!(e.resolved.contains("symbolic links"), "{e}");
        let parsed = AllowedPaths::parse("/srv/data: :/var/lib/connect/x:");
        assert_eq!(
            parsed.roots(),
            [
                PathBuf::from("/srv/data"),
                PathBuf::from("/var/lib/connect/x")
            ]
        );
        assert_eq!(AllowedPaths::parse(&parsed.to_env()), parsed);
    }
}
