//! Spawning a runtime process the contract's way, and signalling its process group.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;

use connect_runtime_sdk::model::RestartConfig;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::process::{Child, ChildStderr, ChildStdout, Command};

/// The kernel's limit on one argument (MAX_ARG_STRLEN, 32 pages), terminating NUL included.
pub(crate) const MAX_ARG_STRLEN: usize = 128 * 1024;

/// Everything needed to start one version of a connector.
#[derive(Debug, Clone)]
pub(crate) struct LaunchSpec {
    pub binary: PathBuf,
    /// `<runtime-binary> <encoded>`: base64 of the connector's JSON.
    pub encoded: Arc<str>,
    /// The connector's own `env`.
    pub env: Vec<(String, String)>,
    pub restart: RestartConfig,
    pub version: u32,
}

/// Environment every child gets, prepared once.
#[derive(Debug, Clone)]
pub(crate) struct ChildEnv {
    /// `CONNECT_*` variables of the agent's own environment: never inherited.
    pub strip: Vec<OsString>,
    /// The contract's variables shared by every connector.
    pub common: Vec<(String, String)>,
    pub state_root: PathBuf,
    /// `OTEL_SERVICE_NAME` prefix when telemetry is on.
    pub otel_service_prefix: Option<String>,
}

pub(crate) struct Spawned {
    pub child: Child,
    pub pid: u32,
    pub stdout: ChildStdout,
    pub stderr: ChildStderr,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum SpawnError {
    #[error(
        "the encoded config is {len} bytes; a runtime argument is limited to {MAX_ARG_STRLEN} bytes by the kernel (MAX_ARG_STRLEN); make the config smaller (move large values into ${{file:...}} references)"
    )]
    TooLarge { len: usize },
    #[error("cannot create the state directory {path}: {source}")]
    StateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the agent's spawner threads are gone; restart the agent")]
    NoSpawner,
    #[error("cannot start {binary}: {source}")]
    Exec {
        binary: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

pub(crate) fn spawn(
    id: &str,
    instance_id: &str,
    spec: &LaunchSpec,
    env: &ChildEnv,
) -> Result<Spawned, SpawnError> {
    if spec.encoded.len() + 1 > MAX_ARG_STRLEN {
        return Err(SpawnError::TooLarge {
            len: spec.encoded.len(),
        });
    }
    let state_dir = env.state_root.join(id);
    std::fs::create_dir_all(&state_dir).map_err(|source| SpawnError::StateDir {
        path: state_dir.clone(),
        source,
    })?;
    let mut cmd = Command::new(&spec.binary);
    cmd.arg(&*spec.encoded)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(false);
    for name in &env.strip {
        cmd.env_remove(name);
    }
    cmd.envs(spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    cmd.envs(env.common.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    use connect_runtime_sdk::contract::env::vars;
    cmd.env(vars::CONNECTOR_ID, id)
        .env(vars::INSTANCE_ID, instance_id)
        .env(vars::STATE_DIR, &state_dir);
    if let Some(prefix) = &env.otel_service_prefix {
        cmd.env(vars::OTEL_SERVICE_NAME, format!("{prefix}-{id}"));
    }
    let agent_pid = std::process::id();
    // SAFETY: only async-signal-safe calls (prctl, getppid, _exit) run between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            // The agent died between fork and prctl: nobody would ever kill this child.
            if libc::getppid() != agent_pid as libc::pid_t {
                libc::_exit(1);
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().map_err(|source| SpawnError::Exec {
        binary: spec.binary.clone(),
        source,
    })?;
    let pid = child.id().expect("a just-spawned child has a pid");
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    Ok(Spawned {
        child,
        pid,
        stdout,
        stderr,
    })
}

/// Sends `signal` to the whole process group led by `pid`; a group already gone is fine.
pub(crate) fn signal_group(pid: u32, signal: Signal) {
    let Ok(raw) = i32::try_from(pid) else { return };
    let _ = killpg(Pid::from_raw(raw), signal);
}
