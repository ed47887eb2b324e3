//! `Runtime::from_env()?.launch(workload)`: the plumbing every runtime shares — arguments,
//! decoding and validation, secrets, logging, signals, the agent channel and exit codes.

mod agent_channel;
mod context;
mod metrics;
mod settings;
mod shutdown;
mod telemetry;
mod workload;

use std::path::PathBuf;
use std::sync::Arc;

use futures::FutureExt;
use tokio_util::sync::CancellationToken;

pub use context::Context;
pub use metrics::Metrics;
pub use settings::{EnvError, IggyDefaults, LogFormat, RuntimeSettings};
pub use workload::{Workload, WorkloadError};

use crate::contract::{
    CONTRACT_VERSION, Env, ExitCode, Invocation, ProcessEnv, invocation, secret_ref,
};
use crate::document::{ConnectorConfig, decode};
use crate::metadata::RuntimeMetadata;
use crate::validation::FieldErrors;

/// A runtime process, configured from its environment.
pub struct Runtime {
    settings: RuntimeSettings,
    program: String,
    metadata: Option<Arc<RuntimeMetadata>>,
}

impl Runtime {
    /// Reads `CONNECT_*` and `OTEL_*` variables; every bad one is reported in the error.
    pub fn from_env() -> Result<Self, EnvError> {
        Self::from_env_source(&ProcessEnv)
    }

    /// The same from any [`Env`] (tests pass a map).
    pub fn from_env_source(env: &impl Env) -> Result<Self, EnvError> {
        let program = std::env::args()
            .next()
            .and_then(|a| {
                std::path::Path::new(&a)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| "runtime".into());
        Ok(Self {
            settings: RuntimeSettings::from_env(env)?,
            program,
            metadata: None,
        })
    }

    /// Validates component configs against these `.connect` definitions (runtimes built on the
    /// component registry get this from the registry).
    pub fn with_metadata(mut self, metadata: RuntimeMetadata) -> Self {
        self.metadata = Some(Arc::new(metadata));
        self
    }

    /// Runs with the process's own arguments and exits with the contract's exit code.
    pub fn launch<W: Workload>(self, workload: W) -> ! {
        let code = self.launch_with_args(std::env::args().skip(1), workload);
        std::process::exit(code.code())
    }

    /// Runs with explicit arguments (after the program name) and returns the exit code.
    pub fn launch_with_args<W: Workload, I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        args: I,
        workload: W,
    ) -> ExitCode {
        if self.metadata.is_none() {
            self.metadata = workload.metadata().cloned().map(Arc::new);
        }
        let invocation = match invocation::parse(args) {
            Ok(i) => i,
            Err(e) => {
                eprintln!("error: {e}\n\n{}", invocation::usage(&self.program));
                return ExitCode::Usage;
            }
        };
        let (encoded, validate_only) = match invocation {
            Invocation::Help => {
                println!("{}", self.help());
                return ExitCode::Success;
            }
            Invocation::Version => {
                let (name, version) = self.identity();
                println!("{name} {version} (runtime contract {CONTRACT_VERSION})");
                return ExitCode::Success;
            }
            Invocation::Validate(c) => (c, true),
            Invocation::Run(c) => (c, false),
        };
        let config = match self.prepare(&encoded) {
            Ok(c) => c,
            Err(message) => {
                eprintln!("error: {message}");
                return ExitCode::InvalidConfig;
            }
        };
        if validate_only {
            println!("config of connector `{}` is valid", config.id);
            return ExitCode::Success;
        }
        let service = self.identity().0;
        let metrics = Metrics::default();
        let stdout_is_data = workload.stdout_is_data(&config);
        let _telemetry = telemetry::init(&self.settings, &service, stdout_is_data, &metrics);
        for name in &self.settings.unknown_vars {
            tracing::warn!(variable = %name, "unknown CONNECT_* variable ignored; see docs/runtime-contract.md for the ones a runtime reads");
        }
        // The workload runs on this thread (`block_on`), what it spawns (the pipeline's writer,
        // the agent channel) on one worker: two threads that both work, where a worker pair
        // left this one idle and cost a third thread in every runtime (docs/PERFORMANCE.md).
        let rt = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                tracing::error!(error = %e, "cannot start the async runtime");
                return ExitCode::Internal;
            }
        };
        let code = rt.block_on(self.run(config, workload, metrics));
        // Stop the async runtime before the telemetry guard flushes with its blocking client.
        drop(rt);
        code
    }

    fn identity(&self) -> (String, String) {
        match &self.metadata {
            Some(m) => (m.runtime.name.clone(), m.runtime.version.clone()),
            None => (self.program.clone(), "unknown".into()),
        }
    }

    fn help(&self) -> String {
        let mut text = invocation::usage(&self.program);
        if let Some(m) = &self.metadata {
            text.push_str(&format!(
                "\n\n{} {}: {}",
                m.runtime.label,
                m.runtime.version,
                m.runtime.description.trim()
            ));
            for (kind, list) in [("sources", &m.sources), ("sinks", &m.sinks)] {
                let names: Vec<_> = list.keys().map(String::as_str).collect();
                text.push_str(&format!(
                    "\n  {kind}: {}",
                    if names.is_empty() {
                        "none".into()
                    } else {
                        names.join(", ")
                    }
                ));
            }
        }
        text
    }

    /// Decode, resolve secret references, validate against the runtime's definitions.
    fn prepare(&self, encoded: &str) -> Result<ConnectorConfig, String> {
        let config = decode::from_base64(encoded).map_err(|e| e.to_string())?;
        let mut errors = FieldErrors::default();
        if let Some(expected) = &self.settings.connector_id
            && expected != config.id.as_str()
        {
            errors.push(
                "id",
                format!(
                    "the agent runs connector `{expected}` but the config is for `{}`",
                    config.id
                ),
            );
        }
        let mut steps = serde_json::to_value(&config.steps).map_err(|e| e.to_string())?;
        secret_ref::resolve(&mut steps, "steps", &ProcessEnv, &mut errors);
        let mut policy = serde_json::to_value(&config.errors).map_err(|e| e.to_string())?;
        secret_ref::resolve(&mut policy, "errors", &ProcessEnv, &mut errors);
        let mut config = ConnectorConfig {
            steps: serde_json::from_value(steps)
                .map_err(|e| format!("invalid connector config:\n{e}"))?,
            errors: serde_json::from_value(policy)
                .map_err(|e| format!("invalid connector config:\n{e}"))?,
            ..config
        };
        if let Some(m) = &self.metadata {
            if config.runtime.name() != m.runtime.name {
                errors.push(
                    "runtime",
                    format!(
                        "this is runtime `{}`, not `{}`",
                        m.runtime.name,
                        config.runtime.name()
                    ),
                );
            }
            match crate::metadata::validate_connector(&config, m) {
                Ok(filled) => config = filled,
                Err(e) => errors.0.extend(e.0),
            }
        }
        errors
            .into_result(config)
            .map_err(|e| format!("invalid connector config:\n{e}"))
    }

    async fn run<W: Workload>(
        self,
        config: ConnectorConfig,
        workload: W,
        metrics: Metrics,
    ) -> ExitCode {
        let cancel = CancellationToken::new();
        shutdown::on_signals(cancel.clone());
        let state_dir = self
            .settings
            .state_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("connect-state").join(config.id.as_str()));
        if let Err(e) = std::fs::create_dir_all(&state_dir) {
            tracing::error!(dir = %state_dir.display(), error = %e, "cannot create the state directory; set CONNECT_STATE_DIR to a writable path");
            return ExitCode::Transient;
        }
        let (runtime, runtime_version) = self.identity();
        let channel_stop = CancellationToken::new();
        let (agent, channel) = agent_channel::spawn(
            self.settings.agent_socket.clone(),
            agent_channel::Identity {
                connector_id: config.id.to_string(),
                instance_id: self.settings.instance_id.clone(),
                runtime,
                runtime_version,
            },
            metrics.clone(),
            self.settings.heartbeat_interval,
            channel_stop.clone(),
        );
        let shutdown_timeout = self.settings.shutdown_timeout;
        let ctx = Context {
            settings: Arc::new(self.settings),
            connector: Arc::new(config),
            metadata: self.metadata,
            cancel: cancel.clone(),
            metrics: metrics.clone(),
            state_dir,
            agent,
        };
        tracing::info!(connector = %ctx.connector.id, instance = %ctx.settings.instance_id, "starting");
        let span = tracing::info_span!("connector", id = %ctx.connector.id, instance = %ctx.settings.instance_id);
        telemetry::join_agent_trace(&span);
        // Polled here, on the thread that runs the runtime; a panic is caught as a task's
        // would be, and dropping the future is what aborting a task did.
        let result = {
            let mut work = std::pin::pin!(
                std::panic::AssertUnwindSafe(tracing::Instrument::instrument(
                    workload.run(ctx),
                    span
                ))
                .catch_unwind()
            );
            tokio::select! {
                r = &mut work => r,
                _ = cancel.cancelled() => {
                    tracing::info!(timeout = %crate::document::duration::format(shutdown_timeout), "stopping: draining in-flight work");
                    match tokio::time::timeout(shutdown_timeout, &mut work).await {
                        Ok(r) => r,
                        Err(_) => {
                            tracing::error!("the workload did not stop within CONNECT_SHUTDOWN_TIMEOUT; exiting without a full drain");
                            Ok(Err(WorkloadError::internal("shutdown timeout exceeded")))
                        }
                    }
                }
            }
        };
        let code = match result {
            Ok(Ok(())) => {
                tracing::info!("stopped");
                ExitCode::Success
            }
            Ok(Err(e)) => {
                metrics.record_error(&e);
                tracing::error!(error = %e, exit_code = e.exit_code().code(), "workload failed");
                e.exit_code()
            }
            Err(_panic) => {
                let message = "the workload panicked";
                metrics.record_error(message);
                tracing::error!("{message}");
                ExitCode::Internal
            }
        };
        channel_stop.cancel();
        let _ = tokio::time::timeout(std::time::Duration::from_secs(1), channel).await;
        code
    }
}
