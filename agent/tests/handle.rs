//! The `Agent` handle an HTTP API sits on, driven in-process against the real test runtime:
//! create, validate, versions, stop, delete, metrics, and state across an agent restart.

use std::path::{Path, PathBuf};
use std::time::Duration;

use connect_agent::config::AgentConfig;
use connect_agent::logs::Stream;
use connect_agent::store::Desired;
use connect_agent::{Agent, AgentError, ConnectorStatus, State, Ticket};
use connect_model::document::decode;

fn bin_dir() -> PathBuf {
    // target/<profile>/deps/<test> → target/<profile>
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|d| d.parent()).unwrap().to_path_buf();
    assert!(
        dir.join("connect-test-runtime").exists(),
        "connect-test-runtime is missing in {}; build it with `cargo build --workspace --bins`",
        dir.display()
    );
    dir
}

fn config(dir: &Path) -> AgentConfig {
    let mut c = AgentConfig::default();
    c.state.path = dir.join("state");
    c.connectors.config_dir = dir.join("connectors");
    c.runtimes.paths = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/runtimes")];
    c.runtimes.bin_dirs = vec![bin_dir()];
    c.supervisor.grace_period = Duration::from_secs(2);
    c.supervisor.heartbeat_interval = Duration::from_millis(100);
    c.supervisor.heartbeat_timeout = Duration::from_secs(1);
    c
}

fn doc(id: &str, mode: &str, extra: &str) -> String {
    format!(
        "id: {id}\nruntime: testrt\nsteps:\n  source: {{ type: behave, config: {{ mode: {mode} }} }}\n  sink: {{ type: discard }}\n{extra}"
    )
}

/// Waits on the handle's change counter (no polling) until `pred` holds for `id`.
async fn wait(
    agent: &Agent,
    id: &str,
    what: &str,
    pred: impl Fn(&ConnectorStatus) -> bool,
) -> ConnectorStatus {
    let mut changes = agent.subscribe();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let s = agent.get(id);
        if let Some(s) = &s
            && pred(s)
        {
            return s.clone();
        }
        let changed = tokio::time::timeout_at(deadline, changes.changed()).await;
        assert!(
            matches!(changed, Ok(Ok(()))),
            "timed out waiting for {id} to be {what}: {s:#?}"
        );
    }
}

/// A command's ticket, bounded so a broken ticket fails the test instead of hanging it.
async fn done(ticket: Ticket, what: &str) -> ConnectorStatus {
    tokio::time::timeout(Duration::from_secs(20), ticket.done())
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handle_creates_versions_stops_deletes_and_survives_a_restart() {
    let dir = tempfile::Builder::new()
        .prefix("handle")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::create_dir_all(dir.path().join("connectors")).unwrap();
    std::fs::write(dir.path().join("connectors/f.yml"), doc("f", "idle", "")).unwrap();
    let cfg = config(dir.path());

    let (agent, report) = Agent::start(cfg.clone()).await.unwrap();
    assert_eq!(report.added, ["f"]);
    wait(&agent, "f", "running", |s| s.state == State::Running).await;

    // Create through the handle; a second create is a conflict; a bad config names its field.
    let api = decode::from_str(&doc("api1", "idle", "")).unwrap();
    agent.create_connector(api.clone()).await.unwrap();
    assert!(matches!(
        agent.create_connector(api.clone()).await,
        Err(AgentError::Exists(_))
    ));
    let bad = decode::from_str(&doc("bad", "sideways", "")).unwrap();
    match agent.create_connector(bad).await {
        Err(AgentError::Invalid(errors)) => assert!(
            errors.iter().any(|e| e.path == "steps.source.config.mode"),
            "{errors}"
        ),
        other => panic!("expected field errors, got {other:?}"),
    }
    let first = wait(&agent, "api1", "running", |s| s.state == State::Running).await;

    // A new version, activated, restarts only that connector.
    let mut v2 = api.clone();
    v2.description = "second".into();
    assert_eq!(agent.add_version("api1", v2, true).await.unwrap(), 2);
    let second = wait(&agent, "api1", "running version 2", |s| {
        s.version == 2 && s.state == State::Running && s.pid != first.pid
    })
    .await;
    assert_eq!(agent.get("f").unwrap().restarts, 0);

    // Stop is durable; its ticket resolves once the runtime has exited.
    let ticket = agent.stop_connector("api1").await.unwrap();
    let stopped = done(ticket, "api1 stopped").await;
    assert_eq!((stopped.state, stopped.pid), (State::Stopped, None));
    let pid = second.pid.expect("a running connector has a pid");
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "the runtime {pid} has exited and was reaped when the stop ticket resolved"
    );
    assert_eq!(
        agent.record("api1").await.unwrap().desired,
        Desired::Stopped
    );

    let m = agent.metrics("f").unwrap();
    assert!(m.process.is_some_and(|p| p.rss_bytes > 0), "{m:?}");
    assert!(
        m.heartbeats > 0 || agent.get("f").unwrap().heartbeat.is_some() || m.uptime_ms < 200,
        "{m:?}"
    );
    let totals = agent.totals();
    assert_eq!(totals.connectors, 2);
    assert_eq!(totals.by_state.get("stopped"), Some(&1));
    assert!(agent.logs("f", Stream::Stdout, 10).is_some());

    agent.shutdown().await;
    assert!(
        agent
            .get("f")
            .is_some_and(|s| s.state == State::Stopped && s.pid.is_none())
    );

    // A new agent on the same state brings back both, each as desired, at its active version.
    let (agent, _) = Agent::start(cfg.clone()).await.unwrap();
    wait(&agent, "f", "running", |s| s.state == State::Running).await;
    let api1 = wait(&agent, "api1", "stopped at version 2", |s| {
        s.state == State::Stopped
    })
    .await;
    assert_eq!(api1.version, 2);
    let started = done(agent.start_connector("api1").await.unwrap(), "api1 running").await;
    assert_eq!(started.state, State::Running, "{started:#?}");
    let restarted = done(
        agent.restart_connector("api1").await.unwrap(),
        "api1 restarted",
    )
    .await;
    assert_eq!(restarted.state, State::Running, "{restarted:#?}");
    assert_ne!(restarted.pid, started.pid, "a restart runs a new process");
    let again = done(agent.start_connector("api1").await.unwrap(), "api1 started").await;
    assert_eq!(
        again.pid, restarted.pid,
        "starting a running connector changes nothing"
    );

    // Deleting a file connector hides it durably; deleting an API connector forgets it.
    agent.delete_connector("f").await.unwrap();
    assert!(agent.get("f").is_none());
    agent.reload().await.unwrap();
    assert!(
        agent.get("f").is_none(),
        "a deleted file connector came back on reload"
    );
    agent.delete_connector("api1").await.unwrap();
    assert!(agent.record("api1").await.is_none());
    assert!(matches!(
        agent.delete_connector("api1").await,
        Err(AgentError::NotFound(_))
    ));
    agent.shutdown().await;
}
