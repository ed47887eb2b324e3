//! Idle and half-sent connections cannot take the agent's descriptors: a header-read timeout
//! closes them, a connection limit below the descriptor limit keeps a reserve, and a runtime
//! restarted meanwhile starts (out of descriptors would be retried, never `failed`).

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::time::{Duration, Instant};

use connect_tests::{wait_for, workspace_bin};
use support::*;

/// The agent's descriptor limit in this test: a few thousand sockets would exceed it tenfold.
const AGENT_NOFILE: u64 = 256;
const SOCKETS: usize = 3000;

fn set_nofile(soft: u64, hard: u64) -> std::io::Result<()> {
    let lim = libc::rlimit {
        rlim_cur: soft,
        rlim_max: hard,
    };
    // SAFETY: a plain syscall reading a local struct.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

fn nofile_hard() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into a local struct.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    lim.rlim_max
}

/// Starts the agent under `ulimit -n AGENT_NOFILE` and returns its API URL.
fn start_limited(agent: &mut TestAgent) -> String {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(agent.log_path())
        .expect("agent log");
    let mut cmd = std::process::Command::new(workspace_bin("connect-agent"));
    cmd.args(["start", "--config"])
        .arg(&agent.config)
        .env_remove("CONNECT_CONFIG_PATH")
        .env("CONNECT_AGENT_LOG", "info")
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone().expect("log fd"))
        .stderr(log);
    // SAFETY: setrlimit is a plain syscall, async-signal-safe between fork and exec.
    unsafe {
        cmd.pre_exec(|| set_nofile(AGENT_NOFILE, AGENT_NOFILE));
    }
    agent.child = Some(cmd.spawn().expect("spawn connect-agent"));
    let deadline = Instant::now() + WAIT;
    loop {
        let log = agent.agent_log();
        if let Some(url) = log
            .split("API listening on ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
        {
            return url.to_string();
        }
        assert!(
            Instant::now() < deadline,
            "the agent's API did not listen within {WAIT:?}; log:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn status_of(agent: &TestAgent, id: &str) -> serde_json::Value {
    agent
        .status()
        .and_then(|s| {
            s["connectors"]
                .as_array()
                .and_then(|l| l.iter().find(|c| c["id"] == id).cloned())
        })
        .unwrap_or_default()
}

#[test]
fn thousands_of_idle_sockets_neither_starve_restarts_nor_stay_open() {
    let hard = nofile_hard();
    set_nofile(hard, hard).expect("raise the test's own limit");
    assert!(
        hard > SOCKETS as u64 + 100,
        "the test needs {SOCKETS} descriptors; hard limit is {hard}"
    );

    // The default [http] header_read_timeout (10 s) closes idle and half-sent connections.
    let mut agent = TestAgent::with_api("");
    agent.add_testrt("fd-a", "idle", "");
    let url = start_limited(&mut agent);
    agent.url = url.clone();
    let first = agent.wait_state("fd-a", "running");
    let (pid, restarts) = (pid_of(&first), first["restarts"].as_u64().unwrap());

    let addr = url.trim_start_matches("http://").to_string();
    let sock_addr: std::net::SocketAddr = addr.parse().expect("address");
    let mut sockets = Vec::with_capacity(SOCKETS);
    let mut failed = 0;
    for _ in 0..SOCKETS {
        // An agent that stopped accepting fills its backlog: connecting then times out.
        let Ok(mut s) = TcpStream::connect_timeout(&sock_addr, Duration::from_millis(500)) else {
            failed += 1;
            if failed == 5 {
                break;
            }
            continue;
        };
        failed = 0;
        // Half a request head: the slowloris shape.
        let _ = s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n");
        sockets.push(s);
    }
    assert!(
        sockets.len() > AGENT_NOFILE as usize,
        "only {} sockets connected",
        sockets.len()
    );
    let opened = Instant::now();

    // A runtime killed now is restarted: its spawn finds descriptors.
    sigkill(pid);
    let again = wait_for(WAIT, "fd-a to run again with a new process", || {
        let c = status_of(&agent, "fd-a");
        assert_ne!(
            c["state"],
            "failed",
            "the restart failed: {c:#}\n{}",
            agent.agent_log()
        );
        (c["state"] == "running" && c["pid"].as_u64().is_some_and(|p| p != pid)).then_some(c)
    });
    assert!(again["restarts"].as_u64().unwrap() > restarts);

    // Every socket is closed by the agent: refused at the limit, or timed out at 10 s.
    let deadline = opened + Duration::from_secs(16);
    let mut open = 0;
    for s in &mut sockets {
        let left = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(10));
        s.set_read_timeout(Some(left)).unwrap();
        let mut buf = [0u8; 512];
        loop {
            match s.read(&mut buf) {
                Ok(0) => break,
                // A 408 or similar before the close is fine.
                Ok(_) => continue,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    open += 1;
                    break;
                }
                Err(_) => break,
            }
        }
    }
    assert_eq!(
        open, 0,
        "{open} idle sockets were still open after the header-read timeout"
    );
    drop(sockets);

    let probe = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let health = probe
        .get(format!("{url}/health"))
        .send()
        .expect("/health after the flood");
    assert_eq!(health.status(), 200);
    let ready = probe
        .get(format!("{url}/ready"))
        .send()
        .expect("/ready after the flood");
    assert_eq!(ready.status(), 200, "{}", ready.text().unwrap_or_default());
}

/// A descriptor the agent inherits without close-on-exec (a shell or a service manager may pass
/// some on) does not reach its runtimes, though a runtime starts with the agent's lowest fds.
#[test]
fn a_descriptor_the_agent_inherits_does_not_reach_its_runtimes() {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    let marker = tempfile::NamedTempFile::new().unwrap();
    // SAFETY: duplicating an open fd into the lowest free number from 3, without close-on-exec.
    let inherited = unsafe { libc::fcntl(marker.as_file().as_raw_fd(), libc::F_DUPFD, 3) };
    assert!(inherited >= 3, "{}", std::io::Error::last_os_error());
    // SAFETY: just created, owned by nobody else.
    let inherited = unsafe { OwnedFd::from_raw_fd(inherited) };
    let mut agent = TestAgent::new("");
    agent.add_testrt("a", "idle", "");
    agent.start();
    drop(inherited);
    let pid = pid_of(&agent.wait_state("a", "running"));
    let fds: Vec<_> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .collect();
    assert!(
        !fds.iter().any(|target| target == marker.path()),
        "the runtime holds the agent's inherited fd: {fds:?}"
    );
}
