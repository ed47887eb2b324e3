//! Measures the agent against the performance budget (docs/PERFORMANCE.md): 200 connectors to
//! Running, agent RSS and idle CPU, restart latency after SIGKILL, log capture throughput, and
//! a restart storm.
//! Run from a release build: `cargo build --release --workspace --bins && target/release/connect-agent-bench`;
//! `connect-agent-bench 1000 storm` kills every runtime at once and watches them come back;
//! `connect-agent-bench 1000 supervisord` runs as many idle programs under supervisord;
//! `connect-agent-bench 1000 floor` runs them on `connect-floor-runtime`, a runtime that only
//! says ready, so the figures are the agent's own.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

mod storm;
mod supervisord;

struct Agent {
    dir: tempfile::TempDir,
    child: Child,
}

impl Agent {
    fn start(connectors: &[(String, String)], extra: &str) -> Self {
        let bin_dir = std::env::current_exe()
            .expect("own path")
            .parent()
            .expect("bin dir")
            .to_path_buf();
        // TMPDIR decides where (docs/PERFORMANCE.md: ext4 without a journal makes creating
        // files slow for a minute after many were deleted, as the previous run did).
        let dir = tempfile::Builder::new()
            .prefix("bench")
            .tempdir()
            .expect("temp dir");
        let runtimes = Path::new(env!("CARGO_MANIFEST_DIR")).join("runtimes");
        std::fs::create_dir_all(dir.path().join("connectors")).expect("connectors dir");
        for (id, yaml) in connectors {
            std::fs::write(
                dir.path().join("connectors").join(format!("{id}.yml")),
                yaml,
            )
            .expect("connector file");
        }
        let config = dir.path().join("agent.toml");
        std::fs::write(
            &config,
            format!(
                "[state]\npath = \"{}\"\n[connectors]\nconfig_dir = \"{}\"\n[runtimes]\npaths = [\"{}\"]\nbin_dirs = [\"{}\"]\n{extra}",
                dir.path().join("state").display(),
                dir.path().join("connectors").display(),
                runtimes.display(),
                bin_dir.display()
            ),
        )
        .expect("agent.toml");
        let child = Command::new(agent_binary(&bin_dir))
            .args(["start", "--config"])
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start connect-agent (build it with cargo build --release --workspace --bins)");
        Self { dir, child }
    }

    fn status(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.path().join("state/status.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .and_then(|v| v["connectors"].as_array().cloned())
            .unwrap_or_default()
    }

    /// Polls `status.json` every 10 ms until `pred` holds.
    fn wait(&self, timeout: Duration, what: &str, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        self.wait_every(Duration::from_millis(10), timeout, what, pred)
    }

    /// Polls `status.json` every `every`. Scenarios with many connectors poll every 100 ms and
    /// take their figures from the agent's own timestamps (`started_at_ms`, `ready_at_ms`):
    /// parsing a 1,000-connector file every 10 ms would take CPU from the runtimes measured.
    fn wait_every(
        &self,
        every: Duration,
        timeout: Duration,
        what: &str,
        pred: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let s = self.status();
            if pred(&s) {
                return s;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(every);
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn stop(mut self) {
        let _ = kill(Pid::from_raw(self.pid() as i32), Signal::SIGTERM);
        let _ = self.child.wait();
    }
}

/// An idle connector (id, document) of `runtime` with its `source` type.
fn connector(id: &str, runtime: &str, source: &str, extra: &str) -> (String, String) {
    (
        id.to_string(),
        format!(
            "id: {id}\nruntime: {runtime}\nsteps:\n  source: {{ type: {source} }}\n  sink: {{ type: discard }}\n{extra}"
        ),
    )
}

/// An idle connector on the SDK's test runtime.
fn idle(id: &str, extra: &str) -> (String, String) {
    connector(id, "testrt", "behave", extra)
}

/// (rss bytes, cpu ticks) of a process.
fn proc_sample(pid: u32) -> (u64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    let rss = f.get(21).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0) * 4096;
    (rss, ticks)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn median(v: &mut [u64]) -> u64 {
    v.sort_unstable();
    v[v.len() / 2]
}

fn p99(v: &mut [u64]) -> u64 {
    v.sort_unstable();
    v[(v.len() * 99 / 100).min(v.len() - 1)]
}

/// The agent under test: `CONNECT_BENCH_AGENT` (another build, for a side-by-side run), else
/// the `connect-agent` next to this benchmark.
fn agent_binary(bin_dir: &Path) -> PathBuf {
    std::env::var_os("CONNECT_BENCH_AGENT")
        .map(PathBuf::from)
        .unwrap_or_else(|| bin_dir.join("connect-agent"))
}

/// Which runtime the many-connector scenario starts.
#[derive(Clone, Copy)]
enum Runtime {
    /// The SDK's test runtime: what a real runtime costs to start.
    Sdk,
    /// `connect-floor-runtime`: the agent's own share.
    Floor,
}

fn many_connectors(n: usize, runtime: Runtime) {
    let bin_dir = std::env::current_exe().expect("own path");
    let agent_bin = agent_binary(bin_dir.parent().expect("bin dir"));
    let size = std::fs::metadata(&agent_bin).map_or(0, |m| m.len());
    println!(
        "agent binary {} ({:.1} MB)",
        agent_bin.display(),
        size as f64 / 1e6
    );
    let connectors: Vec<_> = (0..n)
        .map(|i| match runtime {
            Runtime::Sdk => idle(&format!("c{i:03}"), ""),
            // The floor runtime does nothing but say ready.
            Runtime::Floor => connector(&format!("c{i:03}"), "floorrt", "idle", ""),
        })
        .collect();
    let start_ms = now_ms();
    let agent = Agent::start(&connectors, "");
    let s = agent.wait_every(
        Duration::from_millis(100),
        Duration::from_secs(60),
        "every connector running",
        |s| s.len() == n && s.iter().all(|c| c["state"] == "running"),
    );
    let last_ready = s.iter().filter_map(|c| c["ready_at_ms"].as_u64()).max();
    let to_running = Duration::from_millis(last_ready.unwrap_or(start_ms).saturating_sub(start_ms));
    let started: Vec<u64> = s
        .iter()
        .filter_map(|c| c["started_at_ms"].as_u64())
        .collect();
    let mut ready_after: Vec<u64> = s
        .iter()
        .filter_map(|c| Some(c["ready_at_ms"].as_u64()? - c["started_at_ms"].as_u64()?))
        .collect();
    if n > 0 {
        println!(
            "  spawns spread over {} ms; spawn to ready median {} ms, max {} ms",
            started.iter().max().unwrap() - started.iter().min().unwrap(),
            median(&mut ready_after),
            ready_after.iter().max().unwrap()
        );
    }
    std::thread::sleep(Duration::from_secs(2));
    let (rss, t0) = proc_sample(agent.pid());
    let window = Duration::from_secs(10);
    std::thread::sleep(window);
    let (_, t1) = proc_sample(agent.pid());
    let cpu = (t1 - t0) as f64 / 100.0 / window.as_secs_f64() * 100.0;
    let runtime_rss: Vec<u64> = agent
        .status()
        .iter()
        .filter_map(|c| c["pid"].as_u64())
        .map(|p| proc_sample(p as u32).0)
        .collect();
    let avg_rt = runtime_rss.iter().sum::<u64>() / runtime_rss.len().max(1) as u64;
    println!(
        "{n} connectors: all running after {:.0} ms (agent start included)",
        to_running.as_secs_f64() * 1000.0
    );
    println!(
        "  agent RSS {:.1} MB, idle agent CPU {cpu:.2} % over {}s, idle runtime RSS {:.1} MB on average",
        rss as f64 / 1e6,
        window.as_secs(),
        avg_rt as f64 / 1e6
    );
    agent.stop();
}

fn restart_latency(rounds: usize) {
    let agent = Agent::start(
        &[idle(
            "victim",
            "restart: { initial_backoff: 100ms, max_backoff: 100ms, stable_after: 0s, max_consecutive_failures: 0 }\n",
        )],
        "[supervisor]\nheartbeat_interval = \"1s\"\nheartbeat_timeout = \"5s\"\n",
    );
    let mut to_spawn = Vec::new();
    let mut to_ready = Vec::new();
    let mut c = agent.wait(Duration::from_secs(10), "victim running", |s| {
        s.first().is_some_and(|c| c["state"] == "running")
    })[0]
        .clone();
    for _ in 0..rounds {
        let pid = c["pid"].as_u64().unwrap();
        let killed = now_ms();
        kill(Pid::from_raw(pid as i32), Signal::SIGKILL).unwrap();
        c = agent.wait(Duration::from_secs(10), "victim running again", |s| {
            s.first()
                .is_some_and(|c| c["state"] == "running" && c["pid"].as_u64() != Some(pid))
        })[0]
            .clone();
        let backoff = c["backoff_ms"].as_u64().unwrap();
        to_spawn.push(
            c["started_at_ms"]
                .as_u64()
                .unwrap()
                .saturating_sub(killed + backoff),
        );
        to_ready.push(
            c["ready_at_ms"]
                .as_u64()
                .unwrap()
                .saturating_sub(killed + backoff),
        );
    }
    println!(
        "restart after SIGKILL, beyond the 100 ms backoff ({rounds} rounds): new process median {} ms, p99 {} ms; ready again median {} ms, p99 {} ms",
        median(&mut to_spawn),
        p99(&mut to_spawn),
        median(&mut to_ready),
        p99(&mut to_ready)
    );
    agent.stop();
}

fn log_capture(lines: u64) {
    let flood = (
        "flood".to_string(),
        format!(
            "id: flood\nruntime: testrt\nsteps:\n  source: {{ type: behave, config: {{ mode: flood, lines: {lines} }} }}\n  sink: {{ type: discard }}\n"
        ),
    );
    let agent = Agent::start(
        &[flood],
        "[logs]\nmax_file_size = \"64MiB\"\nfiles_kept = 8\n",
    );
    let s = agent.wait(Duration::from_secs(30), "flood running", |s| {
        s.first().is_some_and(|c| c["state"] == "running")
    });
    let ready = s[0]["ready_at_ms"].as_u64().unwrap();
    let log: PathBuf = agent.dir.path().join("state/logs/flood.stdout.log");
    let deadline = Instant::now() + Duration::from_secs(120);
    let done = loop {
        let ends = std::fs::File::open(&log).ok().and_then(|f| {
            use std::io::{Read, Seek, SeekFrom};
            let mut f = f;
            f.seek(SeekFrom::End(-11)).ok()?;
            let mut b = [0u8; 11];
            f.read_exact(&mut b).ok()?;
            Some(&b == b"flood done\n")
        });
        if ends == Some(true) {
            break now_ms();
        }
        assert!(Instant::now() < deadline, "flood did not finish");
        std::thread::sleep(Duration::from_millis(1));
    };
    let secs = (done - ready).max(1) as f64 / 1000.0;
    let (rss, _) = proc_sample(agent.pid());
    println!(
        "log capture: {lines} lines of 100 B in {:.0} ms from ready: {:.2} M lines/s ({:.0} MB/s); agent RSS after {:.1} MB",
        secs * 1000.0,
        lines as f64 / secs / 1e6,
        lines as f64 * 100.0 / secs / 1e6,
        rss as f64 / 1e6
    );
    agent.stop();
}

fn main() {
    let n = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let only = std::env::args().nth(2).unwrap_or_default();
    if only.is_empty() || only == "many" {
        many_connectors(n, Runtime::Sdk);
    }
    if only == "floor" {
        many_connectors(n, Runtime::Floor);
    }
    if only.is_empty() || only == "restart" {
        restart_latency(50);
    }
    if only.is_empty() || only == "logs" {
        log_capture(3_000_000);
    }
    if only == "storm" {
        storm::restart_storm(n);
    }
    if only == "supervisord" {
        supervisord::supervisord_many(n);
    }
}
