//! The least a runtime can do under the contract, without the SDK: no async runtime, no config
//! parsing, no logging. It says `ready`, sends heartbeats and exits 0 on SIGTERM, so
//! `connect-agent-bench N floor` measures the agent's own share of bringing N connectors to
//! Running, apart from what each SDK runtime costs to start.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use connect_runtime_sdk::contract::env::vars;
use connect_runtime_sdk::contract::{AgentMessage, CONTRACT_VERSION, Counters, ExitCode};
use connect_runtime_sdk::document::duration;
use nix::sys::signal::{SigSet, Signal};

const USAGE: &str = "usage: connect-floor-runtime <base64-config> | --validate <base64-config> | --help | --version";

fn main() {
    match std::env::args().nth(1).as_deref() {
        None => {
            eprintln!("{USAGE}");
            std::process::exit(ExitCode::Usage.code());
        }
        Some("--help") => {
            println!("{USAGE}");
            return;
        }
        Some("--version") => {
            println!("connect-floor-runtime 0.1.0 (runtime contract {CONTRACT_VERSION})");
            return;
        }
        // It reads no configuration, so every configuration is valid.
        Some("--validate") => return,
        Some(_) => {}
    }
    // Blocked before the heartbeat thread starts, so SIGTERM is only ever taken by `wait`.
    let mut term = SigSet::empty();
    term.add(Signal::SIGTERM);
    term.thread_block().expect("block SIGTERM");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let (connector_id, instance_id) = (var(vars::CONNECTOR_ID), var(vars::INSTANCE_ID));
    let every = duration::parse(&var(vars::HEARTBEAT_INTERVAL)).unwrap_or(Duration::from_secs(5));
    let socket = std::env::var_os(vars::AGENT_SOCKET);
    if let Some(mut channel) = socket.and_then(|path| UnixStream::connect(path).ok()) {
        let ready = AgentMessage::Ready {
            contract: CONTRACT_VERSION,
            connector_id: connector_id.clone(),
            instance_id: instance_id.clone(),
            pid: std::process::id(),
            runtime: "connect-floor-runtime".into(),
            runtime_version: "0.1.0".into(),
        };
        let _ = channel.write_all(ready.to_line().as_bytes());
        let started = Instant::now();
        std::thread::spawn(move || {
            for seq in 1.. {
                std::thread::sleep(every);
                let beat = AgentMessage::Heartbeat {
                    connector_id: connector_id.clone(),
                    instance_id: instance_id.clone(),
                    seq,
                    uptime_ms: started.elapsed().as_millis() as u64,
                    counters: Counters::default(),
                    last_error: None,
                };
                if channel.write_all(beat.to_line().as_bytes()).is_err() {
                    return;
                }
            }
        });
    }
    let _ = term.wait();
}
