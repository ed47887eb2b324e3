//! A runtime process the contract's way — argument, environment, state dir — and signals
//! to its process group.

use std::collections::BTreeMap;
use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::Arc;

use std::time::Duration;

use connect_model::contract::env::vars;
use connect_model::document::RestartConfig;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::net::unix::pipe;

use super::process::{self, Process};
use crate::config::AgentConfig;

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
    /// `CONNECT_SECRET_<n>` variables: the literal secrets the encoded config references.
    pub secrets: SecretEnv,
    pub restart: RestartConfig,
    pub version: u32,
    /// Whether the runtime gets the agent's Iggy connection and credentials.
    pub iggy: bool,
    /// `TRACEPARENT`/`TRACESTATE` of the current start (set by the task before each spawn).
    pub trace_context: Vec<(String, String)>,
}

/// Variables holding secret values; `Debug` shows their names only.
#[derive(Clone, Default)]
pub(crate) struct SecretEnv(pub Vec<(String, String)>);

impl std::fmt::Debug for SecretEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(k, _)| k))
            .finish()
    }
}

/// Environment every child gets, prepared once.
#[derive(Debug, Clone)]
pub(crate) struct ChildEnv {
    /// The allow-listed part of the agent's own environment (never its `CONNECT_*` variables).
    pub inherited: Vec<(OsString, OsString)>,
    /// The agent's Iggy connection, for connectors that use Iggy only.
    pub iggy: Vec<(String, String)>,
    /// The contract's variables shared by every connector.
    pub common: Vec<(String, String)>,
    pub state_root: PathBuf,
    /// The runtimes' working directory: the agent's base directory, so a connector's relative
    /// paths mean what they mean in the agent's config.
    pub work_dir: PathBuf,
    /// `OTEL_SERVICE_NAME` prefix when telemetry is on.
    pub otel_service_prefix: Option<String>,
}

impl ChildEnv {
    /// The contract's environment shared by every child, from the agent's config.
    pub(crate) fn from_config(config: &AgentConfig, socket: &std::path::Path) -> Self {
        let inherited = std::env::vars_os()
            .filter(|(k, _)| {
                k.to_str()
                    .is_some_and(|k| inherits(k, &config.runtimes.inherit_env))
            })
            .collect();
        let fmt = connect_model::document::duration::format;
        let iggy = &config.iggy;
        let mut common = vec![
            (vars::LOG_LEVEL.to_string(), config.logs.level.clone()),
            (vars::LOG_FORMAT.to_string(), config.logs.format.clone()),
            (
                vars::AGENT_SOCKET.to_string(),
                absolute(socket).display().to_string(),
            ),
            (
                vars::HEARTBEAT_INTERVAL.to_string(),
                fmt(config.supervisor.heartbeat_interval),
            ),
            // The runtime drains within 80 % of the grace period, before SIGKILL could hit it.
            (
                vars::SHUTDOWN_TIMEOUT.to_string(),
                fmt(config
                    .supervisor
                    .grace_period
                    .mul_f64(0.8)
                    .max(Duration::from_millis(1))),
            ),
        ];
        let mut iggy_vars = vec![
            (vars::IGGY_ADDRESS.to_string(), iggy.address.clone()),
            (vars::IGGY_USERNAME.to_string(), iggy.username.clone()),
            (vars::IGGY_PASSWORD.to_string(), iggy.password.clone()),
            (
                vars::IGGY_TLS_ENABLED.to_string(),
                iggy.tls.enabled.to_string(),
            ),
        ];
        for (name, value) in [
            (vars::IGGY_TOKEN, &iggy.token),
            (vars::IGGY_TLS_CA_FILE, &iggy.tls.ca_file),
            (vars::IGGY_TLS_DOMAIN, &iggy.tls.domain),
        ] {
            if !value.is_empty() {
                iggy_vars.push((name.to_string(), value.clone()));
            }
        }
        let telemetry = config.telemetry.enabled && !config.telemetry.endpoint.is_empty();
        if telemetry {
            common.push((
                vars::OTEL_ENDPOINT.to_string(),
                config.telemetry.endpoint.clone(),
            ));
        }
        Self {
            inherited,
            iggy: iggy_vars,
            common,
            state_root: absolute(&config.state.path.join("connectors")),
            // A config built in code has no base directory yet: the agent's own directory.
            work_dir: absolute(if config.base_dir.as_os_str().is_empty() {
                std::path::Path::new(".")
            } else {
                &config.base_dir
            }),
            otel_service_prefix: telemetry.then(|| config.telemetry.service_name.clone()),
        }
    }
}

/// The fixed allow-list of the agent's own variables a runtime gets, plus `[runtimes] inherit_env`.
fn inherits(name: &str, extra: &[String]) -> bool {
    const FIXED: [&str; 4] = ["PATH", "HOME", "LANG", "TZ"];
    FIXED.contains(&name)
        || name.starts_with("LC_")
        || name.starts_with("OTEL_")
        || extra.iter().any(|e| e == name)
}

fn absolute(p: &std::path::Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

pub(crate) struct Spawned {
    pub child: Process,
    pub pid: u32,
    pub stdout: pipe::Receiver,
    pub stderr: pipe::Receiver,
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
    #[error("an argument or variable of the runtime contains a NUL byte")]
    Nul,
    #[error("cannot start {binary}: {source}")]
    Exec {
        binary: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The one size rule of the runtime argument (base64 of the config, `len` bytes).
pub(crate) fn check_argument_size(len: usize) -> Result<(), SpawnError> {
    if len + 1 > MAX_ARG_STRLEN {
        return Err(SpawnError::TooLarge { len });
    }
    Ok(())
}

impl SpawnError {
    /// Out of descriptors: worth retrying once connections or files are closed.
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            Self::StateDir { source, .. } | Self::Exec { source, .. } => {
                crate::fd_budget::is_exhaustion(source)
            }
            _ => false,
        }
    }
}

/// Starts `<binary> <encoded>` with the contract's environment: stdin from /dev/null, output
/// piped, own process group, SIGKILL when the agent dies.
pub(crate) fn spawn(
    id: &str,
    instance_id: &str,
    spec: &LaunchSpec,
    env: &ChildEnv,
) -> Result<Spawned, SpawnError> {
    check_argument_size(spec.encoded.len())?;
    let state_dir = env.state_root.join(id);
    connect_model::atomic::create_private_dir(&state_dir).map_err(|source| {
        SpawnError::StateDir {
            path: state_dir.clone(),
            source,
        }
    })?;
    use connect_model::contract::env::vars;
    let mut vars_map: BTreeMap<OsString, OsString> = env.inherited.iter().cloned().collect();
    let mut set = |k: &str, v: &OsStr| {
        vars_map.insert(k.into(), v.to_os_string());
    };
    for (k, v) in spec.env.iter().chain(&spec.secrets.0) {
        set(k, v.as_ref());
    }
    for (k, v) in &env.common {
        set(k, v.as_ref());
    }
    if spec.iggy {
        for (k, v) in &env.iggy {
            set(k, v.as_ref());
        }
    }
    set(vars::CONNECTOR_ID, id.as_ref());
    set(vars::INSTANCE_ID, instance_id.as_ref());
    set(vars::STATE_DIR, state_dir.as_os_str());
    for (k, v) in &spec.trace_context {
        set(k, v.as_ref());
    }
    if let Some(prefix) = &env.otel_service_prefix {
        set(vars::OTEL_SERVICE_NAME, format!("{prefix}-{id}").as_ref());
    }
    let cstr = |b: &[u8]| CString::new(b).map_err(|_| SpawnError::Nul);
    let envp = vars_map
        .iter()
        .map(|(k, v)| cstr(&[k.as_bytes(), b"=", v.as_bytes()].concat()))
        .collect::<Result<Vec<_>, _>>()?;
    let path = cstr(spec.binary.as_os_str().as_bytes())?;
    let argv = [path.clone(), cstr(spec.encoded.as_bytes())?];
    let cwd = cstr(env.work_dir.as_os_str().as_bytes())?;
    let started = process::start(&path, &argv, &envp, &cwd).map_err(|source| SpawnError::Exec {
        binary: spec.binary.clone(),
        source,
    })?;
    Ok(Spawned {
        pid: started.process.id(),
        child: started.process,
        stdout: started.stdout,
        stderr: started.stderr,
    })
}

/// Sends `signal` to the whole process group led by `pid`; a group already gone is fine.
pub(crate) fn signal_group(pid: u32, signal: Signal) {
    let Ok(raw) = i32::try_from(pid) else { return };
    let _ = killpg(Pid::from_raw(raw), signal);
}
