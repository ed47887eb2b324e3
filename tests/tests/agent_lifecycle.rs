//! The agent's own life: SIGTERM and SIGKILL leave no runtime behind, state and active versions
//! survive a restart, and a flooding runtime neither slows the others nor grows its logs unbounded.

mod support;

use std::time::{Duration, Instant};

use connect_tests::wait_for;
use nix::sys::signal::Signal;
use support::{TestAgent, gone, pid_of, sigkill};

#[test]
fn sigterm_stops_every_child_and_exits_zero() {
    let mut agent = TestAgent::new("");
    for id in ["a", "b", "c"] {
        agent.add_testrt(id, "idle", "");
    }
    agent.start();
    let pids: Vec<u64> = ["a", "b", "c"]
        .iter()
        .map(|id| pid_of(&agent.wait_state(id, "running")))
        .collect();
    let agent_status = |agent: &TestAgent| {
        std::process::Command::new(connect_tests::workspace_bin("connect-agent"))
            .args(["status", "--config"])
            .arg(&agent.config)
            .output()
            .unwrap()
    };
    let live = agent_status(&agent);
    let table = String::from_utf8_lossy(&live.stdout);
    assert!(
        live.status.success() && table.contains("running"),
        "{table}"
    );
    let t = Instant::now();
    agent.signal(Signal::SIGTERM);
    let status = agent.wait_exit(Duration::from_secs(5));
    assert!(status.success(), "{status:?}\n{}", agent.agent_log());
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "took {:?}, longer than the grace period",
        t.elapsed()
    );
    for pid in pids {
        assert!(gone(pid), "runtime {pid} survived the agent");
    }
    let after = agent_status(&agent);
    assert!(
        !after.status.success(),
        "status must fail once the agent is gone"
    );
    assert!(String::from_utf8_lossy(&after.stderr).contains("is not running"));
    let doc = agent.status().unwrap();
    assert!(
        doc["connectors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["state"] == "stopped"),
        "{doc:#?}"
    );
}

#[test]
fn no_runtime_survives_a_sigkilled_agent() {
    let mut agent = TestAgent::new("");
    agent.add_testrt("a", "idle", "");
    agent.write_connector(
        "sh",
        "id: sh\nruntime: shellrt\nsteps:\n  source: { type: ticker }\n  sink: { type: stdout }\n",
    );
    agent.start();
    let pids: Vec<u64> = ["a", "sh"]
        .iter()
        .map(|id| pid_of(&agent.wait_state(id, "running")))
        .collect();
    agent.signal(Signal::SIGKILL);
    agent.wait_exit(Duration::from_secs(5));
    wait_for(
        Duration::from_secs(5),
        "every runtime to die with the agent",
        || pids.iter().all(|p| gone(*p)).then_some(()),
    );
}

#[test]
fn state_and_active_versions_survive_an_agent_restart() {
    let mut agent = TestAgent::new("");
    agent.add_testrt("keep", "idle", "description: first\n");
    agent.add_testrt("off", "idle", "enabled: false\n");
    agent.start();
    let c = agent.wait_state("keep", "running");
    assert_eq!(c["version"], 1);
    agent.wait_state("off", "stopped");

    // A changed file becomes version 2 on SIGHUP and restarts that connector.
    agent.add_testrt("keep", "idle", "description: second\n");
    agent.signal(Signal::SIGHUP);
    let c2 = agent.wait_connector("keep", "running version 2", |c| {
        c["version"] == 2 && c["state"] == "running"
    });
    assert_ne!(c2["pid"], c["pid"]);

    agent.signal(Signal::SIGKILL);
    agent.wait_exit(Duration::from_secs(5));
    let old = pid_of(&c2);
    wait_for(Duration::from_secs(5), "the old runtime to die", || {
        gone(old).then_some(())
    });

    agent.start();
    let c3 = agent.wait_running_again("keep", old);
    assert_eq!(c3["version"], 2, "{c3:#?}");
    let off = agent.wait_state("off", "stopped");
    assert!(off.get("pid").is_none(), "{off:#?}");
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(agent.state_dir().join("agent.json")).unwrap())
            .unwrap();
    let keep = &state["connectors"]["keep"];
    assert_eq!(keep["active"], 2);
    assert_eq!(keep["versions"].as_array().unwrap().len(), 2);
    assert_eq!(state["connectors"]["off"]["desired"], "stopped");
    // The config dir is read, never written.
    let names: Vec<_> = std::fs::read_dir(agent.connectors_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn a_flooding_runtime_neither_slows_the_others_nor_grows_its_logs_unbounded() {
    const MAX_FILE: u64 = 4 * 1024 * 1024;
    let mut agent = TestAgent::new("[logs]\nmax_file_size = \"4MiB\"\nfiles_kept = 2\n");
    agent.write_connector(
        "flood",
        "id: flood\nruntime: testrt\nsteps:\n  source: { type: behave, config: { mode: flood, lines: 1000000 } }\n  sink: { type: discard }\n",
    );
    agent.add_testrt("quiet", "idle", "restart: { initial_backoff: 100ms }\n");
    agent.start();
    let quiet = agent.wait_state("quiet", "running");
    agent.wait_state("flood", "running");

    // While the flood goes on, a crash of another connector is handled as fast as ever.
    let pid = pid_of(&quiet);
    let killed = Instant::now();
    sigkill(pid);
    agent.wait_running_again("quiet", pid);
    let took = killed.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "restart during the flood took {took:?}"
    );

    let log = agent.state_dir().join("logs/flood.stdout.log");
    wait_for(Duration::from_secs(60), "the flood to finish", || {
        std::fs::read_to_string(&log)
            .ok()
            .filter(|t| t.ends_with("flood done\n"))
    });
    let mut total = 0;
    let mut files = 0;
    for entry in std::fs::read_dir(agent.state_dir().join("logs")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if name.starts_with("flood.stdout.log") {
            let len = entry.metadata().unwrap().len();
            assert!(len <= MAX_FILE, "{name} has {len} bytes");
            total += len;
            files += 1;
        }
    }
    assert_eq!(files, 3, "the current file and two rotated ones");
    assert!(total <= 3 * MAX_FILE);
    // The newest file ends with the last lines, whole and in order.
    let text = std::fs::read_to_string(&log).unwrap();
    // Each stored line starts with its capture time: `2026-12-02T00:45:12.345Z `.
    let lines: Vec<&str> = text.lines().map(|l| &l[25..]).collect();
    assert_eq!(lines[lines.len() - 2].len(), 99);
    assert!(
        lines[lines.len() - 2].starts_with("line 0000999999 "),
        "{}",
        lines[lines.len() - 2]
    );
    let c = agent.connector("quiet").unwrap();
    assert_eq!(
        (c["state"].as_str(), c["restarts"].as_u64()),
        (Some("running"), Some(1)),
        "the quiet connector was disturbed: {c:#?}"
    );
    let f = agent.connector("flood").unwrap();
    assert_eq!(
        (f["state"].as_str(), f["restarts"].as_u64()),
        (Some("running"), Some(0)),
        "{f:#?}"
    );
}

#[test]
fn sighup_starts_new_connectors_stops_removed_ones_and_restarts_changed_ones() {
    let mut agent = TestAgent::new("");
    agent.add_testrt("stays", "idle", "");
    agent.add_testrt("goes", "idle", "");
    agent.add_testrt("changes", "idle", "enabled: false\n");
    agent.start();
    let stays = pid_of(&agent.wait_state("stays", "running"));
    let goes = pid_of(&agent.wait_state("goes", "running"));
    agent.wait_state("changes", "stopped");

    std::fs::remove_file(agent.connectors_dir().join("goes.yml")).unwrap();
    agent.add_testrt("comes", "idle", "");
    agent.add_testrt("changes", "idle", "enabled: true\n");
    agent.signal(Signal::SIGHUP);
    agent.wait_state("comes", "running");
    let changed = agent.wait_state("changes", "running");
    assert_eq!(changed["version"], 2);
    wait_for(
        Duration::from_secs(10),
        "the removed connector to leave",
        || agent.connector("goes").is_none().then_some(()),
    );
    wait_for(
        Duration::from_secs(5),
        "the removed connector's runtime to exit",
        || gone(goes).then_some(()),
    );
    let s = agent.connector("stays").unwrap();
    assert_eq!(
        (s["pid"].as_u64(), s["restarts"].as_u64()),
        (Some(stays), Some(0)),
        "an unchanged connector was touched: {s:#?}"
    );
}
