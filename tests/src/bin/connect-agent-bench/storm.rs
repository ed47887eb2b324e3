//! The restart storm: every runtime SIGKILLed at once, `/health` probed throughout.

use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::{Agent, idle, median, now_ms, p99};

/// One `/health` probe: how long it took, and how much of that the TCP connect (the kernel's
/// handshake, which completes without the agent) took.
#[derive(Clone, Copy, Default)]
struct Probe {
    total_us: u64,
    connect_us: u64,
    /// How long the probe thread itself waited for a CPU meanwhile (a client's own delay, not
    /// the agent's).
    waited_us: u64,
    /// When it started, in ms after the kill.
    at_ms: u64,
}

/// Nanoseconds the calling thread has spent runnable but waiting for a CPU
/// (`/proc/thread-self/schedstat`, second field); 0 where the kernel does not keep it.
fn waited_for_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// The probe stands for a load balancer or kubelet, which run outside the agent's group of
/// processes, not for one more process among 1,000 runtimes: where permitted it runs in the
/// real-time class (it sleeps 10 ms between probes and works for well under 1 ms), else above
/// them, so that its own wait for a CPU is not counted as the agent's latency. What is left of
/// that wait is measured (`Probe::waited_us`).
fn raise_this_thread() -> &'static str {
    use nix::libc;
    let fifo = libc::sched_param { sched_priority: 1 };
    // SAFETY: on Linux, pid 0 names the calling thread only; the parameters are valid.
    if unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &fifo) } == 0 {
        return "SCHED_FIFO priority 1";
    }
    // SAFETY: setpriority(PRIO_PROCESS, 0) changes only this thread.
    if unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, -10) } == 0 {
        return "nice -10 (no right to the real-time class)";
    }
    "nice 0 (no right to raise it)"
}

/// CPU time all of this machine's CPUs were runnable but not run by the hypervisor (steal), and
/// the CPU time that passed, in clock ticks (`/proc/stat`, first line).
fn steal_and_total_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|t| t.parse().ok())
        .collect();
    (
        ticks.get(7).copied().unwrap_or(0),
        ticks.iter().take(8).sum(),
    )
}

/// `GET /health` on a new connection (as a load balancer's probe does); the status line and
/// the time to connect.
fn health(port: u16) -> (String, Duration) {
    use std::io::{Read, Write};
    let t = Instant::now();
    let Ok(mut conn) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return ("connection refused".into(), t.elapsed());
    };
    let connected = t.elapsed();
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = conn.write_all(b"GET /health HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n");
    let mut answer = String::new();
    let _ = conn.read_to_string(&mut answer);
    (
        answer.lines().next().unwrap_or_default().to_string(),
        connected,
    )
}

/// A restart storm: every runtime SIGKILLed at once (as when a peer they share goes down).
/// Measures how long each takes to be ready again beyond its own (jittered) backoff, how the
/// spawns spread, and the agent's `/health` latency throughout, probed every 10 ms.
pub(crate) fn restart_storm(n: usize) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let restart =
        "restart: { initial_backoff: 1s, max_backoff: 10s, max_consecutive_failures: 0 }\n";
    let connectors: Vec<_> = (0..n).map(|i| idle(&format!("c{i:04}"), restart)).collect();
    let agent = Agent::start(
        &connectors,
        &format!("[http]\nenabled = true\naddress = \"127.0.0.1:{port}\"\n"),
    );
    let before = agent.wait_every(
        Duration::from_millis(100),
        Duration::from_secs(120),
        "every connector running",
        |s| s.len() == n && s.iter().all(|c| c["state"] == "running"),
    );
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let probe = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            println!("  /health probe thread: {}", raise_this_thread());
            let mut took = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let at_ms = now_ms();
                let waited = waited_for_cpu_ns();
                let t = Instant::now();
                let (answer, connect) = health(port);
                assert!(
                    answer.starts_with("HTTP/1.1 200"),
                    "/health did not answer 200 during the storm: {answer:?}"
                );
                took.push(Probe {
                    total_us: t.elapsed().as_micros() as u64,
                    connect_us: connect.as_micros() as u64,
                    waited_us: waited_for_cpu_ns().saturating_sub(waited) / 1000,
                    at_ms,
                });
                std::thread::sleep(Duration::from_millis(10));
            }
            took
        })
    };
    println!(
        "  the agent's API threads: {} class",
        if connect_tests::api_thread_policies(agent.pid()).contains(&1) {
            "real-time (SCHED_FIFO)"
        } else {
            "normal"
        }
    );
    let pids: Vec<u64> = before.iter().filter_map(|c| c["pid"].as_u64()).collect();
    let steal_before = steal_and_total_ticks();
    let killed = now_ms();
    for pid in &pids {
        let _ = kill(Pid::from_raw(*pid as i32), Signal::SIGKILL);
    }
    let after = agent.wait_every(
        Duration::from_millis(100),
        Duration::from_secs(120),
        "every connector running again",
        |s| {
            s.len() == n
                && s.iter().all(|c| {
                    c["state"] == "running" && c["restarts"].as_u64().is_some_and(|r| r >= 1)
                })
        },
    );
    let steal_after = steal_and_total_ticks();
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let probes = probe.join().expect("the /health probe failed");
    let slowest = probes
        .iter()
        .copied()
        .max_by_key(|p| p.total_us)
        .unwrap_or_default();
    let mut health: Vec<u64> = probes.iter().map(|p| p.total_us).collect();
    let mut beyond: Vec<u64> = after
        .iter()
        .filter_map(|c| {
            Some(
                c["ready_at_ms"]
                    .as_u64()?
                    .saturating_sub(killed + c["backoff_ms"].as_u64()?),
            )
        })
        .collect();
    let starts: Vec<u64> = after
        .iter()
        .filter_map(|c| c["started_at_ms"].as_u64())
        .collect();
    let backoffs: Vec<u64> = after
        .iter()
        .filter_map(|c| c["backoff_ms"].as_u64())
        .collect();
    let last_ready = after
        .iter()
        .filter_map(|c| c["ready_at_ms"].as_u64())
        .max()
        .unwrap_or(killed);
    println!(
        "restart storm: {n} runtimes SIGKILLed at once; backoffs {}–{} ms (jitter); spawns spread over {} ms; all ready again {} ms after the kill",
        backoffs.iter().min().unwrap_or(&0),
        backoffs.iter().max().unwrap_or(&0),
        starts.iter().max().unwrap_or(&0) - starts.iter().min().unwrap_or(&0),
        last_ready - killed
    );
    // A virtual machine's CPUs can be taken by its host: such time slows everything measured.
    println!(
        "  CPU time taken by the host (steal) from the kill until all were ready: {:.0} %",
        (steal_after.0 - steal_before.0) as f64 * 100.0
            / (steal_after.1 - steal_before.1).max(1) as f64
    );
    let worst = *beyond.iter().max().unwrap_or(&0);
    println!(
        "  ready beyond each connector's own backoff: median {} ms, p99 {} ms, max {worst} ms (budget 2000 ms)",
        median(&mut beyond),
        p99(&mut beyond),
    );
    let count = health.len();
    println!(
        "  /health during the storm ({count} probes): median {:.1} ms, p99 {:.1} ms, max {:.1} ms (budget 50 ms)",
        median(&mut health) as f64 / 1000.0,
        p99(&mut health) as f64 / 1000.0,
        *health.iter().max().unwrap_or(&0) as f64 / 1000.0
    );
    let mut served: Vec<u64> = probes
        .iter()
        .map(|p| p.total_us.saturating_sub(p.waited_us))
        .collect();
    println!(
        "  /health less the probe thread's own wait for a CPU: p99 {:.1} ms, max {:.1} ms",
        p99(&mut served) as f64 / 1000.0,
        *served.iter().max().unwrap_or(&0) as f64 / 1000.0
    );
    println!("  slowest probe: {}", describe(&slowest, killed));
    let over: Vec<String> = probes
        .iter()
        .filter(|p| p.total_us > 50_000)
        .map(|p| describe(p, killed))
        .collect();
    println!(
        "  probes over 50 ms: {} of {count}{}{}",
        over.len(),
        if over.is_empty() { "" } else { ": " },
        over.join("; ")
    );
    agent.stop();
}

/// A probe's time, when it started and where its time went.
fn describe(p: &Probe, killed: u64) -> String {
    format!(
        "{:.1} ms at +{} ms after the kill ({:.1} ms to connect, {:.1} ms the probe thread waiting for a CPU)",
        p.total_us as f64 / 1000.0,
        p.at_ms.saturating_sub(killed),
        p.connect_us as f64 / 1000.0,
        p.waited_us as f64 / 1000.0
    )
}
