//! The sections of `agent.toml`, each with defaults that work with no file at all.

use std::path::PathBuf;
use std::time::Duration;

use connect_model::document::duration;
use serde::{Deserialize, Serialize};

use super::ByteSize;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AgentConfig {
    pub iggy: IggySection,
    pub state: StateSection,
    pub connectors: ConnectorsSection,
    pub http: HttpSection,
    pub runtimes: RuntimesSection,
    pub logs: LogsSection,
    pub supervisor: SupervisorSection,
    pub telemetry: TelemetrySection,
    pub cluster: super::ClusterSection,
    /// What relative paths resolve against (see `base_dir.rs`); set when the config is loaded.
    #[serde(skip)]
    pub base_dir: PathBuf,
    /// Iggy connectors runtime keys found in the file and ignored, for the startup log.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// Default Iggy connection handed to every runtime (`CONNECT_IGGY_*`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IggySection {
    pub address: String,
    pub username: String,
    pub password: String,
    /// A personal access token; used instead of username/password when set.
    pub token: String,
    pub tls: IggyTlsSection,
}

impl Default for IggySection {
    fn default() -> Self {
        Self {
            address: "127.0.0.1:8090".into(),
            username: "iggy".into(),
            password: "iggy".into(),
            token: String::new(),
            tls: IggyTlsSection::default(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IggyTlsSection {
    pub enabled: bool,
    pub ca_file: String,
    pub domain: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StateSection {
    /// Durable agent state, per-connector state dirs, the agent socket and (by default) logs.
    pub path: PathBuf,
}

impl Default for StateSection {
    fn default() -> Self {
        Self {
            path: "connect-state".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConnectorsSection {
    /// Only `local` (a directory of connector files) exists.
    pub config_type: String,
    /// Every `*.yml|*.yaml|*.json` here is a connector; read, never written.
    pub config_dir: PathBuf,
}

impl Default for ConnectorsSection {
    fn default() -> Self {
        Self {
            config_type: "local".into(),
            config_dir: ".connect/connectors".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSection {
    pub enabled: bool,
    pub address: String,
    pub api_key: String,
    /// `GET /` answers the Iggy connectors runtime's text instead of connect's JSON.
    pub iggy_compat_root: bool,
    /// Connections served at once; more are closed as soon as they are accepted. The agent
    /// lowers it further when its descriptor limit is low, keeping a reserve for runtimes.
    pub max_connections: usize,
    /// A connection that has not sent a whole request head within this time is closed: a
    /// half-sent head, or a keep-alive connection left idle between requests.
    #[serde(with = "duration")]
    pub header_read_timeout: Duration,
    /// The API's worker threads run in the real-time class while they use little CPU (when
    /// the agent may), so health probes are answered in a storm of restarts.
    pub realtime: bool,
    pub cors: CorsSection,
    pub tls: HttpTlsSection,
}

impl Default for HttpSection {
    fn default() -> Self {
        Self {
            enabled: false,
            address: "127.0.0.1:8081".into(),
            api_key: String::new(),
            iggy_compat_root: false,
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(10),
            realtime: true,
            cors: CorsSection::default(),
            tls: HttpTlsSection::default(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CorsSection {
    pub enabled: bool,
    pub allowed_methods: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub allowed_headers: Vec<String>,
    pub exposed_headers: Vec<String>,
    pub allow_credentials: bool,
    pub allow_private_network: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpTlsSection {
    pub enabled: bool,
    pub cert_file: String,
    pub key_file: String,
}

/// Where runtimes live: directories holding `.connect/runtime.yml`, or parents of such directories.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuntimesSection {
    pub paths: Vec<PathBuf>,
    /// Where a binary not next to its `.connect/` is looked for (the first that has it wins).
    pub bin_dirs: Vec<PathBuf>,
    /// Variables of the agent's environment passed on to every runtime, beyond the fixed
    /// allow-list (PATH, HOME, LANG, LC_*, TZ, OTEL_*).
    pub inherit_env: Vec<String>,
    /// Roots every path field of a connector must resolve inside (its state directory is
    /// always allowed); empty: any path. Also the only places a sandboxed runtime may write.
    pub allowed_paths: Vec<PathBuf>,
    /// `landlock` confines each runtime's writes to its state directory and `allowed_paths`
    /// (when those are set and the kernel supports Landlock); `off` does not.
    pub sandbox: String,
    /// When the agent runs as root: the user (name or id) runtimes run as; empty: the agent's.
    pub user: String,
    /// The group runtimes run as; empty: the user's primary group.
    pub group: String,
    /// `user`/`group` resolved to ids when the config is loaded.
    #[serde(skip)]
    pub run_as: Option<crate::sandbox::RunAs>,
}

impl Default for RuntimesSection {
    fn default() -> Self {
        Self {
            paths: vec!["runtimes".into()],
            bin_dirs: vec!["target/release".into(), "target/debug".into()],
            inherit_env: Vec::new(),
            allowed_paths: Vec::new(),
            sandbox: "landlock".into(),
            user: String::new(),
            group: String::new(),
            run_as: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogsSection {
    /// Log files of connectors; empty: `<state.path>/logs`.
    pub path: PathBuf,
    /// A log file is rotated before it grows past this size.
    pub max_file_size: ByteSize,
    /// Rotated files kept per stream (`.1` … `.N`) beside the current one.
    pub files_kept: u32,
    /// Last lines of each stream kept in memory per connector.
    pub tail_lines: usize,
    /// Longer lines are cut into several lines of at most this length.
    pub max_line_length: ByteSize,
    /// `CONNECT_LOG_LEVEL` for runtimes, and the agent's own level.
    pub level: String,
    /// `CONNECT_LOG_FORMAT` for runtimes: text or json.
    pub format: String,
}

impl Default for LogsSection {
    fn default() -> Self {
        Self {
            path: PathBuf::new(),
            max_file_size: ByteSize(10 * 1024 * 1024),
            files_kept: 3,
            tail_lines: 64,
            max_line_length: ByteSize(16 * 1024),
            level: "info".into(),
            format: "text".into(),
        }
    }
}

/// Defaults of supervision; a connector's own `restart` section wins over these backoffs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SupervisorSection {
    /// Time between SIGTERM and SIGKILL of a runtime's process group.
    #[serde(with = "duration")]
    pub grace_period: Duration,
    /// `CONNECT_HEARTBEAT_INTERVAL` for runtimes.
    #[serde(with = "duration")]
    pub heartbeat_interval: Duration,
    /// A running runtime silent this long is a hang: it is killed and restarted.
    #[serde(with = "duration")]
    pub heartbeat_timeout: Duration,
    /// A runtime that sends nothing this long after its start is a hang too.
    #[serde(with = "duration")]
    pub start_timeout: Duration,
    #[serde(with = "duration")]
    pub initial_backoff: Duration,
    #[serde(with = "duration")]
    pub max_backoff: Duration,
    /// The agent channel; empty: `<state.path>/agent.sock`.
    pub socket: PathBuf,
}

impl Default for SupervisorSection {
    fn default() -> Self {
        Self {
            grace_period: Duration::from_secs(10),
            heartbeat_interval: Duration::from_secs(5),
            heartbeat_timeout: Duration::from_secs(15),
            start_timeout: Duration::from_secs(60),
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            socket: PathBuf::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetrySection {
    pub enabled: bool,
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` for runtimes.
    pub endpoint: String,
    /// Prefix of `OTEL_SERVICE_NAME` (`<name>-<connector id>`).
    pub service_name: String,
}

impl Default for TelemetrySection {
    fn default() -> Self {
        Self {
            enabled: false,
            endpoint: String::new(),
            service_name: "connect".into(),
        }
    }
}

impl AgentConfig {
    /// Rules across fields; the first problem as (field, reason).
    pub(crate) fn validate(&self) -> Result<(), (String, String)> {
        let err = |f: &str, r: String| Err((f.to_string(), r));
        if self.connectors.config_type != "local" {
            return err(
                "connectors.config_type",
                format!(
                    "`{}` is not supported; use \"local\"",
                    self.connectors.config_type
                ),
            );
        }
        if self.logs.max_file_size.0 < 4096 {
            return err("logs.max_file_size", "must be at least 4KiB".into());
        }
        if self.logs.max_line_length.0 < 80
            || self.logs.max_line_length.0 > self.logs.max_file_size.0 / 2
        {
            return err(
                "logs.max_line_length",
                "must be between 80 bytes and half of logs.max_file_size".into(),
            );
        }
        if !matches!(self.logs.format.as_str(), "text" | "json") {
            return err(
                "logs.format",
                format!("`{}` is not text or json", self.logs.format),
            );
        }
        let s = &self.supervisor;
        for (f, d) in [
            ("supervisor.grace_period", s.grace_period),
            ("supervisor.heartbeat_interval", s.heartbeat_interval),
            ("supervisor.heartbeat_timeout", s.heartbeat_timeout),
            ("supervisor.start_timeout", s.start_timeout),
        ] {
            if d.is_zero() {
                return err(f, "must be greater than zero".into());
            }
        }
        if s.heartbeat_timeout <= s.heartbeat_interval {
            return err(
                "supervisor.heartbeat_timeout",
                "must be longer than supervisor.heartbeat_interval".into(),
            );
        }
        if !matches!(self.runtimes.sandbox.as_str(), "landlock" | "off") {
            return err(
                "runtimes.sandbox",
                format!("`{}` is not landlock or off", self.runtimes.sandbox),
            );
        }
        super::cors_rules::check(&self.http.cors)?;
        if self.http.max_connections == 0 {
            return err("http.max_connections", "must be at least 1".into());
        }
        if self.http.header_read_timeout.is_zero() {
            return err(
                "http.header_read_timeout",
                "must be greater than zero".into(),
            );
        }
        if s.max_backoff < s.initial_backoff {
            return err(
                "supervisor.max_backoff",
                "must be at least supervisor.initial_backoff".into(),
            );
        }
        Ok(())
    }

    pub fn logs_dir(&self) -> PathBuf {
        if self.logs.path.as_os_str().is_empty() {
            self.state.path.join("logs")
        } else {
            self.logs.path.clone()
        }
    }

    pub fn socket_path(&self) -> PathBuf {
        if self.supervisor.socket.as_os_str().is_empty() {
            self.state.path.join("agent.sock")
        } else {
            self.supervisor.socket.clone()
        }
    }
}
