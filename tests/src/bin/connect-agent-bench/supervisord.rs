//! The side-by-side peer: the same number of idle programs under Debian's supervisord.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::proc_sample;

/// The same number of idle programs (`sleep`) under Debian's supervisord, for the side-by-side
/// figures of docs/PERFORMANCE.md: time until its log says every program entered RUNNING
/// (`startsecs=0`, so no wait of its own is counted), then its RSS and idle CPU as for the agent.
pub(crate) fn supervisord_many(n: usize) {
    let Some(bin) = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("supervisord"))
            .find(|p| p.is_file())
    }) else {
        println!("supervisord: not installed (apt-get install supervisor); skipped");
        return;
    };
    let dir = tempfile::Builder::new()
        .prefix("bench-supervisord")
        .tempdir_in("/tmp")
        .expect("temp dir");
    let d = dir.path().display();
    let mut conf = format!(
        "[unix_http_server]\nfile={d}/sock\n[supervisord]\nnodaemon=true\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\nchildlogdir={d}\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
    );
    for i in 0..n {
        conf.push_str(&format!(
            "[program:p{i:04}]\ncommand=sleep 1000000\nstartsecs=0\nautorestart=true\n"
        ));
    }
    let conf_path = dir.path().join("supervisord.conf");
    std::fs::write(&conf_path, conf).expect("supervisord.conf");
    let log = dir.path().join("supervisord.log");
    let t = Instant::now();
    let mut child = Command::new(bin)
        .arg("-c")
        .arg(&conf_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start supervisord");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let running = std::fs::read_to_string(&log)
            .map(|t| t.matches("entered RUNNING state").count())
            .unwrap_or(0);
        if running >= n {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "supervisord: only {running} of {n} programs RUNNING after 120 s"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let to_running = t.elapsed();
    std::thread::sleep(Duration::from_secs(2));
    let (rss, t0) = proc_sample(child.id());
    let window = Duration::from_secs(10);
    std::thread::sleep(window);
    let (_, t1) = proc_sample(child.id());
    let cpu = (t1 - t0) as f64 / 100.0 / window.as_secs_f64() * 100.0;
    println!(
        "supervisord, {n} programs: all RUNNING after {:.0} ms; RSS {:.1} MB, idle CPU {cpu:.2} % over {}s",
        to_running.as_secs_f64() * 1000.0,
        rss as f64 / 1e6,
        window.as_secs()
    );
    let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM);
    let _ = child.wait();
}
