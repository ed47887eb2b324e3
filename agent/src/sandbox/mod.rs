//! What a runtime may touch: the path policy checked at validation (`[runtimes]
//! allowed_paths`), the Landlock ruleset that confines a runtime's writes to those roots and its
//! state directory, and the user and group it runs as when the agent is root. The parent
//! prepares everything; the clone child only issues raw syscalls (`process.rs`).

mod file_access;
mod landlock;
mod privileges;

use std::path::Path;

pub(crate) use file_access::FileAccess;
pub(crate) use landlock::{Ruleset, restrict_self};
pub use privileges::RunAs;
pub(crate) use privileges::{drop_to, share_with};

use crate::config::AgentConfig;

/// How every runtime of this agent is confined, decided once from the config.
#[derive(Debug, Clone, Default)]
pub(crate) struct Confinement {
    /// The allowed roots (without a connector's state directory); `None`: no policy.
    pub file_access: Option<FileAccess>,
    /// The Landlock ABI in use; `None`: no sandbox.
    pub landlock_abi: Option<u32>,
    /// Ids to drop to (only when the agent is root).
    pub run_as: Option<RunAs>,
}

impl Confinement {
    pub(crate) fn from_config(config: &AgentConfig) -> Self {
        let file_access = FileAccess::from_config(config);
        let landlock_abi = match (&file_access, config.runtimes.sandbox.as_str()) {
            (Some(_), "landlock") => landlock::abi(),
            _ => None,
        };
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        Self {
            file_access,
            landlock_abi,
            run_as: config.runtimes.run_as.filter(|_| root),
        }
    }

    /// The Landlock ruleset for a runtime whose state directory is `state_dir`.
    pub(crate) fn ruleset(&self, state_dir: &Path) -> std::io::Result<Option<Ruleset>> {
        match (&self.file_access, self.landlock_abi) {
            (Some(access), Some(abi)) => {
                Ruleset::build(abi, access.allowed.with(state_dir).roots()).map(Some)
            }
            _ => Ok(None),
        }
    }
}

/// The startup log lines about file access: the policy, the sandbox's ABI or why there is none,
/// the user runtimes run as, and a warning when an API reachable from other hosts meets no policy.
pub(crate) fn announce(config: &AgentConfig) {
    let c = Confinement::from_config(config);
    let r = &config.runtimes;
    match &c.file_access {
        None => {
            let address = &config.http.address;
            let loopback = address
                .parse::<std::net::SocketAddr>()
                .map(|a| a.ip().is_loopback())
                .unwrap_or_else(|_| address.starts_with("localhost:"));
            if config.http.enabled && !loopback {
                tracing::warn!(
                    address = %address,
                    "[runtimes] allowed_paths is not set while the API listens beyond loopback: a connector created through the API may read or write any file the agent can; set [runtimes] allowed_paths (or CONNECT_RUNTIMES_ALLOWED_PATHS) to the directories connectors may use"
                );
            }
        }
        Some(access) => {
            tracing::info!(allowed_paths = %access.allowed.to_env(), "path fields must resolve inside the allowed paths or the connector's state directory");
            match (r.sandbox.as_str(), c.landlock_abi) {
                ("off", _) => tracing::info!(
                    "sandbox off: runtimes are not confined by Landlock ([runtimes] sandbox = \"off\")"
                ),
                (_, Some(abi)) => tracing::info!(
                    landlock_abi = abi,
                    "sandbox: Landlock confines each runtime's writes to its state directory and the allowed paths"
                ),
                (_, None) => tracing::warn!(
                    "sandbox: this kernel does not support Landlock (or it is disabled); runtimes are not confined, only path fields are checked"
                ),
            }
        }
    }
    match (&r.run_as, c.run_as) {
        (Some(_), Some(ids)) => {
            tracing::info!(uid = ids.uid, gid = ids.gid, user = %r.user, "runtimes run as this user and group")
        }
        (Some(_), None) => {
            tracing::warn!(user = %r.user, "[runtimes] user/group are ignored: the agent does not run as root, so runtimes keep its user")
        }
        _ => {}
    }
}
