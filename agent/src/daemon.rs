//! The daemon's edge: config, logging, the async runtime, signals (SIGHUP reload, SIGTERM and
//! SIGINT stop every child and exit 0) around the [`supervisor::Agent`] handle.

use std::path::PathBuf;

use anyhow::Context as _;
use tokio::signal::unix::{SignalKind, signal};

use crate::config::{self, AgentConfig};
use crate::supervisor::Agent;

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn load_config(flag: Option<PathBuf>) -> anyhow::Result<(AgentConfig, config::ConfigSource)> {
    let source = config::locate(flag.as_deref(), &env_var);
    let config = config::load(&source, &env_var)?;
    Ok((config, source))
}

pub fn run(flag: Option<PathBuf>) -> anyhow::Result<()> {
    let (config, source) = load_config(flag)?;
    let _telemetry = crate::telemetry::init(&config.logs.level, &config.telemetry);
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    let names: Vec<String> = std::env::vars_os()
        .filter_map(|(k, _)| k.into_string().ok())
        .collect();
    for warning in config::unknown_variables(names.iter().map(String::as_str)) {
        tracing::warn!("{warning}");
    }
    crate::sandbox::announce(&config);
    raise_fd_limit();
    crate::supervisor::close_inherited_on_exec();
    limit_malloc_arenas();
    let priority = crate::sched::raise_agent_threads();
    match priority.raised {
        Some(nice) => tracing::info!(
            nice,
            runtimes_nice = priority.original,
            "the agent's threads run above its runtimes"
        ),
        None => tracing::info!(
            nice = priority.original,
            "the agent's threads run at its runtimes' priority: in a storm of restarts the API may answer late; CAP_SYS_NICE (or root) lets the agent raise them"
        ),
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let result = rt.block_on(serve(config, source));
    // The async runtime stops before the telemetry guard flushes with its blocking client.
    drop(rt);
    result
}

async fn serve(config: AgentConfig, source: config::ConfigSource) -> anyhow::Result<()> {
    // Signal handlers first, so a SIGTERM during startup is not lost.
    let mut term = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    let mut hup = signal(SignalKind::hangup()).context("cannot handle SIGHUP")?;
    let config_dir = config.connectors.config_dir.clone();
    let (agent, report) = Agent::start(config).await?;
    let api = match agent
        .config()
        .http
        .enabled
        .then(|| crate::api::serve(agent.clone()))
        .transpose()
    {
        Ok(api) => api,
        Err(e) => {
            agent.shutdown().await;
            return Err(e.into());
        }
    };
    tracing::info!(
        config = %source,
        config_dir = %config_dir.display(),
        connectors = report.added.len() + report.changed.len() + report.unchanged.len(),
        invalid = report.invalid.len(),
        runtimes = agent.runtimes().all().count(),
        "agent started"
    );
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = hup.recv() => match agent.reload().await {
                Ok(r) => tracing::info!(added = ?r.added, changed = ?r.changed, removed = ?r.removed, invalid = r.invalid.len(), "config dir reloaded"),
                Err(e) => tracing::error!(error = %e, "reload failed"),
            },
        }
    }
    if let Some(api) = api {
        api.shutdown().await;
    }
    tracing::info!("stopping every connector");
    agent.shutdown().await;
    tracing::info!("agent stopped");
    Ok(())
}

pub fn print_status(flag: Option<PathBuf>, json: bool) -> anyhow::Result<()> {
    let (config, _) = load_config(flag)?;
    let path = config.state.path.join(crate::supervisor::status_file::FILE);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "cannot read {}; is the agent running with this config?",
            path.display()
        )
    })?;
    let doc: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a status document", path.display()))?;
    // A file left by an agent that is gone is not a healthy agent (a container health check):
    // say so alone, without the stale table.
    let pid = doc["agent_pid"].as_u64().unwrap_or(0);
    if pid == 0 || !std::path::Path::new(&format!("/proc/{pid}")).exists() {
        anyhow::bail!(
            "the agent (pid {pid}) that wrote {} is not running; start it with `connect-agent start --config …`",
            path.display()
        );
    }
    if json {
        println!("{text}");
    } else {
        print_table(&doc);
    }
    Ok(())
}

fn print_table(doc: &serde_json::Value) {
    println!(
        "{:<32} {:<10} {:>8} {:>8} {:>7}  ERROR",
        "CONNECTOR", "STATE", "VERSION", "RESTARTS", "PID"
    );
    for c in doc["connectors"].as_array().into_iter().flatten() {
        let field = |k: &str| {
            c[k].as_str()
                .map(str::to_string)
                .unwrap_or_else(|| c[k].to_string().replace("null", "-"))
        };
        println!(
            "{:<32} {:<10} {:>8} {:>8} {:>7}  {}",
            field("id"),
            field("state"),
            field("version"),
            field("restarts"),
            field("pid"),
            c["error"].as_str().unwrap_or("")
        );
    }
}

/// Every connector holds a few descriptors (pipes, log files, the channel); lift the soft limit to the hard one.
fn raise_fd_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain syscalls on a local struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// The agent's threads (async workers, spawners, log readers) would each get a glibc malloc
/// arena; two keep the resident set small at the same speed (RSS is part of the agent's budget).
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator tunable; called before the other threads start.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}
