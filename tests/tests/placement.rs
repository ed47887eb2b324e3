//! Placement over many agents with real agents sharing one connectors directory (each with its
//! own state directory): every `one` connector runs exactly once across the cluster, the
//! others show it `placed_elsewhere` with `placed_on` and refuse to start it; after one agent
//! goes and the rest restart with one member less, every connector runs exactly once again
//! and only the gone agent's connectors moved. Gated on Iggy: two agents running one `all`
//! outlet share a 4-partition topic without losing a message.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use connect_tests::{encode, iggy_address, output_seqs, workspace_bin};
use serde_json::Value;
use support::{TestAgent, assert_error};

/// `one` connectors (the default for a source input). With three members they land on all
/// three agents, and `poll-a` is on agent 2 (fixed by the hash, see `agent/src/placement.rs`).
const ONE: [&str; 6] = ["poll-a", "poll-b", "poll-c", "poll-d", "poll-e", "poll-f"];
const PATIENCE: Duration = Duration::from_secs(30);

/// An agent of a `members`-agent cluster reading `shared` as its connectors directory.
/// `ordinal: None` leaves it to the host name.
fn member(agent: &TestAgent, shared: &Path, members: u32, ordinal: Option<u32>) {
    let text = std::fs::read_to_string(&agent.config).expect("agent.toml");
    let own = format!("config_dir = \"{}\"", agent.connectors_dir().display());
    assert!(text.contains(&own), "the harness writes config_dir: {text}");
    let mut text = text.replacen(&own, &format!("config_dir = \"{}\"", shared.display()), 1);
    text.push_str(&format!("\n[cluster]\nmembers = {members}\n"));
    if let Some(k) = ordinal {
        text.push_str(&format!("ordinal = {k}\n"));
    }
    std::fs::write(&agent.config, text).expect("agent.toml");
}

/// Runtime processes whose parent is one of `agents` and whose connector id is `id`.
fn processes(id: &str, agents: &[u32]) -> Vec<u32> {
    let marker = format!("CONNECT_CONNECTOR_ID={id}");
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // The parent pid is the second field after the command name's closing parenthesis.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if !ppid.is_some_and(|p| agents.contains(&p)) {
            continue;
        }
        let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        if environ
            .split(|b| *b == 0)
            .any(|var| var == marker.as_bytes())
        {
            found.push(pid);
        }
    }
    found
}

/// Waits until every id in `one` runs on exactly one of `agents` (indexed by ordinal) as one
/// process, the others showing it `placed_elsewhere` on that agent; returns the owners.
fn wait_placed(agents: &[&TestAgent], one: &[&str]) -> BTreeMap<String, u32> {
    let pids: Vec<u32> = agents.iter().map(|a| a.pid().as_raw() as u32).collect();
    let deadline = Instant::now() + PATIENCE;
    loop {
        let mut owners = BTreeMap::new();
        let mut problems = Vec::new();
        for id in one {
            let views: Vec<Value> = agents
                .iter()
                .map(|a| a.get_json(&format!("/connectors/{id}"), 200))
                .collect();
            let running: Vec<usize> = (0..views.len())
                .filter(|&k| views[k]["state"] == "running")
                .collect();
            let [owner] = running[..] else {
                problems.push(format!("{id}: running on agents {running:?}"));
                continue;
            };
            for (k, v) in views.iter().enumerate().filter(|(k, _)| *k != owner) {
                if v["state"] != "placed_elsewhere" || v["placed_on"] != owner as u64 {
                    problems.push(format!(
                        "{id} on agent {k}: {} placed_on {}",
                        v["state"], v["placed_on"]
                    ));
                }
            }
            let procs = processes(id, &pids);
            if procs.len() != 1 || views[owner]["pid"] != u64::from(procs[0]) {
                problems.push(format!(
                    "{id}: processes {procs:?}, agent {owner} reports pid {}",
                    views[owner]["pid"]
                ));
            }
            owners.insert(id.to_string(), owner as u32);
        }
        if problems.is_empty() {
            return owners;
        }
        assert!(
            Instant::now() < deadline,
            "placement did not settle within {PATIENCE:?}:\n{}",
            problems.join("\n")
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn each_one_connector_runs_exactly_once_across_three_agents_and_again_on_two() {
    let mut agents: Vec<TestAgent> = (0..3).map(|_| TestAgent::with_api("")).collect();
    let shared = agents[0].connectors_dir();
    for (k, agent) in agents.iter().enumerate() {
        // The third takes its ordinal from the StatefulSet pod name, as in deploy/kubernetes.
        member(agent, &shared, 3, (k < 2).then_some(k as u32));
    }
    let doc = |id: &str, extra: &str| {
        format!(
            "id: {id}\nruntime: testrt\nsteps:\n  source: {{ type: behave, config: {{ mode: idle }} }}\n  sink: {{ type: discard }}\n{extra}"
        )
    };
    for id in ONE {
        agents[0].write_connector(id, &doc(id, ""));
    }
    agents[0].write_connector("fanout", &doc("fanout", "placement: all\n"));
    agents[0].write_connector("pinned", &doc("pinned", "placement: { agent: 1 }\n"));
    agents[0].start();
    agents[1].start();
    agents[2].start_with_env(&[("HOSTNAME", "connect-agent-2")]);

    let all: Vec<&TestAgent> = agents.iter().collect();
    let mut placed: Vec<&str> = ONE.to_vec();
    placed.push("pinned");
    let owners = wait_placed(&all, &placed);
    assert_eq!(owners["pinned"], 1, "{owners:?}");
    let used: BTreeSet<u32> = ONE.iter().map(|id| owners[*id]).collect();
    assert_eq!(
        used.len(),
        3,
        "the `one` connectors spread over the three: {owners:?}"
    );
    let pids: Vec<u32> = agents.iter().map(|a| a.pid().as_raw() as u32).collect();
    for (k, agent) in agents.iter().enumerate() {
        let c = agent.wait_state("fanout", "running");
        assert!(c["placed_on"].is_null(), "agent {k}: {c}");
    }
    assert_eq!(
        processes("fanout", &pids).len(),
        3,
        "`all` runs on every agent"
    );

    // Another agent's connector: visible and editable here, but not started here.
    let (id, owner) = ONE
        .iter()
        .map(|id| (*id, owners[*id]))
        .find(|(_, o)| *o != 0)
        .expect("a `one` connector not on agent 0");
    for action in ["start", "restart", "stop"] {
        let r = agents[0].post(&format!("/connectors/{id}/{action}"), "");
        assert_eq!(r.status().as_u16(), 409, "{action} of {id} on agent 0");
        let v: Value = r.json().expect("error body");
        assert_error(&v, "placed_elsewhere");
        let message = v["message"].as_str().unwrap_or("");
        assert!(
            message.contains(&format!("agent {owner}")),
            "{action}: {message}"
        );
    }
    let version = agents[0].post_json(
        &format!("/connectors/{id}/configs"),
        &serde_json::to_string(&serde_json::json!({
            "id": id, "runtime": "testrt", "description": "edited on a non-owner",
            "steps": {"source": {"type": "behave", "config": {"mode": "idle"}}, "sink": {"type": "discard"}}
        }))
        .unwrap(),
        201,
    );
    assert_eq!(version["version"], 2, "{version}");
    let r = agents[0].put(
        &format!("/connectors/{id}/configs/active"),
        "{\"version\": 2}",
    );
    assert!(r.status().is_success(), "activate: {}", r.status());
    let c = agents[0].get_json(&format!("/connectors/{id}"), 200);
    assert_eq!(
        (&c["state"], &c["version"], &c["placed_on"]),
        (
            &Value::from("placed_elsewhere"),
            &Value::from(2),
            &Value::from(owner)
        ),
        "{c}"
    );
    let metrics = agents[0].get("/metrics").text().expect("metrics");
    let elsewhere_here = placed.iter().filter(|id| owners[**id] != 0).count();
    assert!(
        metrics.contains(&format!(
            "connect_connectors{{state=\"placed_elsewhere\"}} {elsewhere_here}"
        )),
        "{metrics}"
    );
    let listed = Command::new(workspace_bin("connect-agent"))
        .args(["connector", "list"])
        .env("CONNECT_AGENT_URL", &agents[0].url)
        .env_remove("CONNECT_API_KEY")
        .env_remove("CONNECT_CONFIG_PATH")
        .output()
        .expect("run the CLI");
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.contains(&format!("placed_elsewhere (agent {owner})")),
        "{listed}"
    );

    // Agent 2 goes; the other two restart as a cluster of two.
    agents[2].stop();
    for agent in &mut agents[..2] {
        agent.stop();
        agent.start_with_env(&[("CONNECT_CLUSTER_MEMBERS", "2")]);
    }
    let two: Vec<&TestAgent> = agents[..2].iter().collect();
    let after = wait_placed(&two, &placed);
    for id in ONE {
        if owners[id] == 2 {
            assert!(after[id] < 2, "{id}");
        } else {
            assert_eq!(
                after[id], owners[id],
                "{id} moved although its agent stayed"
            );
        }
    }
    assert_eq!(after["pinned"], 1);
    assert!(
        ONE.iter().any(|id| owners[*id] == 2),
        "some connector moved"
    );
}

/// `n` messages `{"seq":…}` into `stream`/`topic` (4 partitions, created if missing) through the
/// pipeline probe's producer step; its cursor lives in `state`, so a second call continues.
fn produce(state: &Path, iggy: &str, stream: &str, n: u64) {
    let document = format!(
        "id: fill\nruntime: pipeline-probe\nsteps:\n  source: {{ type: count, config: {{ count: {n}, batch: 500 }} }}\n  producer: {{ stream: {stream}, topic: events, create_topic: true, partitions: 4 }}\n"
    );
    let mut cmd = Command::new(workspace_bin("pipeline-probe"));
    for (k, _) in std::env::vars() {
        if k.starts_with("CONNECT_") || k.starts_with("OTEL_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .arg(encode(&document))
        .env("CONNECT_STATE_DIR", state)
        .env("CONNECT_IGGY_ADDRESS", iggy)
        .env("CONNECT_SHUTDOWN_TIMEOUT", "5s")
        .output()
        .expect("run pipeline-probe");
    assert!(
        out.status.success(),
        "producing {n} messages failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn two_agents_running_one_all_outlet_share_a_four_partition_topic_without_loss() {
    let Some(iggy) =
        iggy_address("two_agents_running_one_all_outlet_share_a_four_partition_topic_without_loss")
    else {
        return;
    };
    const N: u64 = 20_000;
    let dir = tempfile::tempdir().expect("temp dir");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    let stream = format!("connect-placement-{}-{nanos}", std::process::id());
    let producer_state = dir.path().join("producer-state");
    // The topic first (one message), so the outlets find it when they start.
    produce(&producer_state, &iggy, &stream, 1);

    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtimes");
    let bins = workspace_bin("essentials")
        .parent()
        .expect("bin dir")
        .to_path_buf();
    let mut agents: Vec<TestAgent> = (0..2).map(|_| TestAgent::with_api("")).collect();
    let shared = agents[0].connectors_dir();
    let outputs: Vec<PathBuf> = (0..2)
        .map(|k| dir.path().join(format!("out-{k}.jsonl")))
        .collect();
    for (k, agent) in agents.iter().enumerate() {
        member(agent, &shared, 2, Some(k as u32));
        agent.add_runtimes(&repo, &bins);
        agent.runtimes_setting("inherit_env = [\"PLACEMENT_OUT\"]");
        let text = std::fs::read_to_string(&agent.config).expect("agent.toml");
        let text = text + &format!("\n[iggy]\naddress = \"{iggy}\"\n");
        std::fs::write(&agent.config, text).expect("agent.toml");
    }
    // No placement key: an Iggy consumer input defaults to `all`.
    agents[0].write_connector(
        "outlet",
        &format!(
            "id: outlet\nruntime: essentials\nsteps:\n  consumer: {{ stream: {stream}, topic: events, consumer_group: placement, batch_length: 100 }}\n  sink: {{ type: file, config: {{ path: \"${{env:PLACEMENT_OUT}}\" }} }}\n"
        ),
    );
    for (agent, out) in agents.iter_mut().zip(&outputs) {
        agent.start_with_env(&[("PLACEMENT_OUT", out.to_str().expect("utf-8 path"))]);
    }
    for agent in &agents {
        agent.wait_state("outlet", "running");
    }
    // Both are in the consumer group before the rest arrives, so both get partitions.
    produce(&producer_state, &iggy, &stream, N);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let seen: BTreeSet<u64> = outputs.iter().flat_map(|o| output_seqs(o)).collect();
        if seen.len() as u64 == N {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {N} distinct messages arrived across the two agents",
            seen.len()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let per_agent: Vec<usize> = outputs.iter().map(|o| output_seqs(o).len()).collect();
    assert!(
        per_agent.iter().all(|n| *n > 0),
        "both agents consumed part of the topic: {per_agent:?}"
    );
    let seen: BTreeSet<u64> = outputs.iter().flat_map(|o| output_seqs(o)).collect();
    assert_eq!(
        seen,
        (0..N).collect::<BTreeSet<u64>>(),
        "every message, none lost"
    );
}
