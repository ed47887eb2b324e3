//! The agent supervising real runtimes: restarts with growing then reset backoff, invalid
//! configs failing without a loop, hung runtimes killed, and a runtime written in bash.

mod support;

use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use support::{TestAgent, gone, pid_of, sigkill};

/// The status file is rewritten on state changes only; heartbeats and uptimes are read live
/// through the API.
const LIVE_API: &str = "[http]\nenabled = true\naddress = \"127.0.0.1:0\"\n";

#[test]
fn a_sigkilled_runtime_restarts_with_growing_then_reset_backoff() {
    let mut agent = TestAgent::new(LIVE_API);
    agent.add_testrt(
        "crashy",
        "idle",
        "restart: { policy: on-failure, initial_backoff: 200ms, max_backoff: 5s, stable_after: 3s, max_consecutive_failures: 0 }\n",
    );
    agent.start();
    let mut c = agent.wait_state("crashy", "running");
    let mut backoffs = Vec::new();
    for round in 1..=3u64 {
        let pid = pid_of(&c);
        sigkill(pid);
        let b = agent.wait_connector("crashy", "in backoff or restarted", |c| {
            c["restarts"] == round - 1 && c["state"] == "backoff" || c["restarts"] == round
        });
        assert!(b["signal"] == "SIGKILL" || b["restarts"] == round, "{b:#?}");
        c = agent.wait_running_again("crashy", pid);
        assert_eq!(c["restarts"], round);
        assert_eq!(c["consecutive_failures"], round);
        backoffs.push(c["backoff_ms"].as_u64().expect("backoff_ms"));
    }
    // 200ms, then doubling, each stretched by at most 20 % of jitter.
    assert!((200..=240).contains(&backoffs[0]), "{backoffs:?}");
    assert!((400..=480).contains(&backoffs[1]), "{backoffs:?}");
    assert!((800..=960).contains(&backoffs[2]), "{backoffs:?}");

    // A run longer than stable_after (3s) resets the backoff: wait until the runtime itself
    // reports that long an uptime in a heartbeat.
    let pid = pid_of(&c);
    let c = agent.wait_connector("crashy", "up for longer than stable_after", |c| {
        c["pid"] == pid
            && c["heartbeat"]["runtime_uptime_ms"]
                .as_u64()
                .is_some_and(|up| up >= 3200)
    });
    let pid = pid_of(&c);
    sigkill(pid);
    let c = agent.wait_running_again("crashy", pid);
    let reset = c["backoff_ms"].as_u64().expect("backoff_ms");
    assert!((200..=240).contains(&reset), "{c:#?}");
    assert_eq!(c["consecutive_failures"], 1, "{c:#?}");
    assert_eq!(c["restarts"], 4);
    assert!(gone(pid));
}

#[test]
fn an_invalid_config_exit_ends_in_failed_without_a_restart_loop() {
    let mut agent = TestAgent::new(LIVE_API);
    agent.add_testrt(
        "bad",
        "invalid",
        "restart: { initial_backoff: 50ms, max_backoff: 100ms }\n",
    );
    agent.add_testrt("good", "idle", "");
    agent.start();
    let c = agent.wait_state("bad", "failed");
    assert_eq!(c["exit_code"], 78, "{c:#?}");
    assert_eq!(c["restarts"], 0);
    assert!(
        c["error"].as_str().unwrap().contains("invalid config"),
        "{c:#?}"
    );
    let stderr = c["last_stderr"]
        .as_array()
        .expect("last stderr lines")
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(stderr.contains("endpoint"), "{stderr}");
    let good = agent.wait_state("good", "running");
    // Ten heartbeats of `good` (100ms apart) pass through the same supervision that would run
    // `bad`'s 50ms backoffs: many restarts would fit in that time, none may happen.
    let beats = good["heartbeats"].as_u64().unwrap_or(0);
    agent.wait_connector("good", "ten heartbeats further", |c| {
        c["heartbeats"].as_u64().is_some_and(|n| n >= beats + 10)
    });
    let c = agent.connector("bad").unwrap();
    assert_eq!(
        (c["state"].as_str(), c["restarts"].as_u64()),
        (Some("failed"), Some(0)),
        "{c:#?}"
    );
}

#[test]
fn invalid_files_are_reported_and_the_others_still_run() {
    let mut agent = TestAgent::new("");
    agent.add_testrt("fine", "idle", "");
    agent.write_connector("typo", "id: typo\nruntime: testrt\nsteps:\n  source: { type: behave, config: { mode: sideways } }\n  sink: { type: discard }\n");
    agent.write_connector(
        "broken",
        "id: broken\nruntime: testrt\nsteps: { source: { type: behave } }\nbogus: 1\n",
    );
    agent.write_connector("nort", "id: nort\nruntime: nosuch\nsteps:\n  source: { type: behave }\n  sink: { type: discard }\n");
    agent.start();
    agent.wait_state("fine", "running");
    let typo = agent.wait_state("typo", "failed");
    assert!(
        typo.get("started_at_ms").is_none(),
        "an invalid config was spawned: {typo:#?}"
    );
    let e = typo["error"].as_str().unwrap();
    assert!(
        e.contains("typo.yml") && e.contains("steps.source.config.mode"),
        "{e}"
    );
    let broken = agent.wait_state("broken", "failed");
    let e = broken["error"].as_str().unwrap();
    assert!(e.contains("broken.yml") && e.contains("bogus"), "{e}");
    let nort = agent.wait_state("nort", "failed");
    assert!(
        nort["error"].as_str().unwrap().contains("nosuch"),
        "{nort:#?}"
    );
    assert!(agent.state_dir().join("agent.json").exists());
}

#[test]
fn a_hung_runtime_is_killed_and_restarted() {
    let mut agent = TestAgent::new(
        "[supervisor]\ngrace_period = \"300ms\"\nheartbeat_interval = \"100ms\"\nheartbeat_timeout = \"600ms\"\nstart_timeout = \"10s\"\n",
    );
    agent.add_testrt("stuck", "idle", "restart: { initial_backoff: 100ms }\n");
    agent.start();
    let c = agent.wait_state("stuck", "running");
    let pid = pid_of(&c);
    // A stopped process sends no heartbeats: to the agent it hangs.
    let stopped_at = Instant::now();
    kill(Pid::from_raw(pid as i32), Signal::SIGSTOP).unwrap();
    let c = agent.wait_running_again("stuck", pid);
    assert!(
        stopped_at.elapsed() >= Duration::from_millis(600),
        "restarted before the heartbeat timeout"
    );
    assert_eq!(c["restarts"], 1);
    assert!(
        c["error"].as_str().unwrap().contains("heartbeats"),
        "{c:#?}"
    );
    assert!(gone(pid), "the hung process was not killed");
}

#[test]
fn a_runtime_written_in_bash_runs_under_the_agent() {
    let mut agent = TestAgent::new("");
    agent.write_connector("shell", "id: shell\nruntime: shellrt\nsteps:\n  source: { type: ticker }\n  sink: { type: stdout }\n");
    agent.start();
    let c = agent.wait_state("shell", "running");
    let pid = pid_of(&c);
    // Heartbeats keep it alive well past the heartbeat timeout (1s).
    let log = agent.state_dir().join("logs/shell.stdout.log");
    connect_tests::wait_for(
        Duration::from_secs(10),
        "15 ticks in the shell runtime's log",
        || {
            std::fs::read_to_string(&log)
                .ok()
                .filter(|t| t.contains("tick 15"))
        },
    );
    let c = agent.connector("shell").unwrap();
    assert_eq!(
        (
            c["state"].as_str(),
            c["pid"].as_u64(),
            c["restarts"].as_u64()
        ),
        (Some("running"), Some(pid), Some(0)),
        "{c:#?}"
    );
    agent.signal(Signal::SIGTERM);
    assert!(agent.wait_exit(Duration::from_secs(5)).success());
    assert!(gone(pid));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("shellrt: stopped"),
        "the script did not stop cleanly:\n{text}"
    );
    // The script checks every variable strictly and the environment against the contract's list.
    assert!(
        text.contains("shellrt: environment as the contract says"),
        "{text}"
    );
    // Runtimes run in the agent's base directory (here the config file's directory).
    let base = agent.config.parent().unwrap().display().to_string();
    assert!(
        text.contains(&format!("shellrt: working directory {base}\n")),
        "expected the working directory {base}:\n{text}"
    );
}

/// `connect-floor-runtime`, which the agent bench's `floor` scenario measures, honours the
/// contract: ready, heartbeats past the timeout, exit 0 on SIGTERM.
#[test]
fn the_floor_runtime_keeps_the_contract() {
    // Through the API: routine heartbeats do not rewrite status.json.
    let mut agent = TestAgent::with_api("");
    agent.write_connector(
        "floor",
        "id: floor\nruntime: floorrt\nsteps:\n  source: { type: idle }\n  sink: { type: discard }\n",
    );
    agent.start();
    let pid = pid_of(&agent.wait_state("floor", "running"));
    // 25 heartbeats at 100 ms outlast the 2 s heartbeat timeout.
    let c = agent.wait_connector("floor", "25 heartbeats", |c| {
        c["heartbeats"].as_u64() >= Some(25)
    });
    assert_eq!(
        (c["pid"].as_u64(), c["restarts"].as_u64()),
        (Some(pid), Some(0)),
        "{c:#?}"
    );
    agent.signal(Signal::SIGTERM);
    assert!(agent.wait_exit(Duration::from_secs(5)).success());
    assert!(gone(pid));
    let status = agent.status().expect("the final status.json");
    assert_eq!(status["connectors"][0]["exit_code"], 0, "{status:#?}");
}

#[test]
fn children_get_the_contract_environment_and_none_of_the_agents_own() {
    let mut agent = TestAgent::new("");
    agent.runtimes_setting("inherit_env = [\"KEEP_ME\"]");
    agent.add_testrt("envy", "env", "env: { GREETING: hello }\n");
    agent.write_connector(
        "envy-iggy",
        "id: envy-iggy\nruntime: testrt\nsteps:\n  source: { type: behave, config: { mode: env } }\n  producer: { stream: s, topic: t }\n",
    );
    agent.start_with_env(&[
        ("CONNECT_STRAY", "leak"),
        ("CONNECT_LOGS_FILES_KEPT", "2"),
        ("AGENT_PRIVATE_TOKEN", "leak"),
        ("KEEP_ME", "kept"),
        ("LANG", "C.UTF-8"),
    ]);
    let env_of = |id: &str| {
        agent.wait_state(id, "running");
        let log = agent.state_dir().join(format!("logs/{id}.stdout.log"));
        connect_tests::wait_for(
            Duration::from_secs(10),
            "the environment in the log",
            || {
                std::fs::read_to_string(&log)
                    .ok()
                    .filter(|t| t.contains("env CONNECT_STATE_DIR="))
            },
        )
    };
    let text = env_of("envy");
    for expected in [
        "env CONNECT_CONNECTOR_ID=envy",
        "env CONNECT_HEARTBEAT_INTERVAL=100ms",
        "env CONNECT_AGENT_SOCKET=",
        "env CONNECT_STATE_DIR=",
        "env CONNECT_INSTANCE_ID=",
        "env GREETING=hello",
        "env KEEP_ME=kept",
        "env LANG=C.UTF-8",
        "env PATH=",
    ] {
        assert!(text.contains(expected), "missing {expected} in:\n{text}");
    }
    for leaked in [
        "CONNECT_STRAY",
        "CONNECT_LOGS_FILES_KEPT",
        "AGENT_PRIVATE_TOKEN",
        "CONNECT_IGGY_PASSWORD",
        "CONNECT_IGGY_ADDRESS",
    ] {
        assert!(
            !text.contains(leaked),
            "{leaked} reached a connector without an Iggy step:\n{text}"
        );
    }
    let text = env_of("envy-iggy");
    for expected in [
        "env CONNECT_IGGY_ADDRESS=127.0.0.1:8090",
        "env CONNECT_IGGY_USERNAME=iggy",
        "env CONNECT_IGGY_PASSWORD=",
    ] {
        assert!(text.contains(expected), "missing {expected} in:\n{text}");
    }
}

#[test]
fn a_config_over_the_kernel_argument_limit_is_refused_with_a_clear_error() {
    let mut agent = TestAgent::new("");
    agent.add_testrt(
        "huge",
        "idle",
        &format!("description: {}\n", "x".repeat(140 * 1024)),
    );
    agent.add_testrt("small", "idle", "");
    agent.start();
    let c = agent.wait_state("huge", "failed");
    let e = c["error"].as_str().unwrap();
    assert!(
        e.contains("MAX_ARG_STRLEN") && e.contains("huge.yml"),
        "{e}"
    );
    assert!(c.get("pid").is_none());
    agent.wait_state("small", "running");
}
