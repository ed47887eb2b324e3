//! Running the `messaging` binary as a real child process with a base64 connector document,
//! and reading what reached a Redis stream (the recorder most tests write to).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub use connect_tests::runtime_run::free_port;
use connect_tests::{encode, wait_for};

/// Long enough for a loaded 2-core machine, short enough to fail a hung test.
pub const WAIT: Duration = Duration::from_secs(90);

/// A connector run of the binary in a private directory (state, stdout and stderr logs).
pub struct Messaging {
    pub dir: tempfile::TempDir,
    document: String,
}

impl Messaging {
    /// `steps` is the YAML of the `steps:` mapping, indented by two spaces.
    pub fn new(id: &str, steps: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let document = format!("id: {id}\nruntime: messaging\nsteps:\n{steps}");
        Self { dir, document }
    }

    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_messaging"));
        for (k, _) in std::env::vars() {
            if k.starts_with("CONNECT_") || k.starts_with("OTEL_") {
                cmd.env_remove(k);
            }
        }
        cmd.arg(encode(&self.document))
            .env("CONNECT_STATE_DIR", self.dir.path().join("state"))
            .env("CONNECT_SHUTDOWN_TIMEOUT", "10s")
            .stdin(Stdio::null());
        cmd
    }

    /// Starts the runtime with stdout and stderr appended to files in its directory.
    pub fn spawn(&self) -> Running {
        self.spawn_with(&[])
    }

    pub fn spawn_with(&self, env: &[(&str, &str)]) -> Running {
        let open = |name: &str| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.dir.path().join(name))
                .unwrap()
        };
        let child = self
            .command()
            .envs(env.iter().copied())
            .stdout(open("stdout.log"))
            .stderr(open("stderr.log"))
            .spawn()
            .unwrap();
        Running { child: Some(child) }
    }

    /// Everything the runtime logged (info on stdout, warnings and errors on stderr).
    pub fn logs(&self) -> String {
        let read = |n: &str| std::fs::read_to_string(self.dir.path().join(n)).unwrap_or_default();
        read("stdout.log") + &read("stderr.log")
    }
}

/// A running runtime, killed when dropped so a failing test leaves no process behind.
pub struct Running {
    child: Option<Child>,
}

impl Running {
    /// SIGKILL and reap; fails the test if the process had already exited by itself.
    pub fn kill(mut self, logs: impl FnOnce() -> String) {
        use std::os::unix::process::ExitStatusExt;
        let mut child = self.child.take().unwrap();
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert_eq!(
            status.signal(),
            Some(9),
            "the runtime exited before the kill ({status}):\n{}",
            logs()
        );
    }

    /// Fails the test with the logs if the runtime exited.
    pub fn assert_running(&mut self, logs: impl FnOnce() -> String) {
        if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
            panic!("the runtime exited ({status}):\n{}", logs());
        }
    }

    /// SIGTERM, then the exit code (within the bounded wait).
    pub fn terminate(mut self) -> Option<i32> {
        let mut child = self.child.take().unwrap();
        let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        wait_for(WAIT, "the runtime to exit after SIGTERM", || {
            child.try_wait().unwrap()
        })
        .code()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The payload of test message `seq`: JSON with padding to about 100 bytes.
pub fn payload(seq: u64) -> String {
    format!("{{\"seq\":{seq},\"pad\":\"{}\"}}", "x".repeat(78))
}

/// The `seq` of a payload made by [`payload`].
pub fn seq_of(payload: &[u8]) -> u64 {
    let v: serde_json::Value = serde_json::from_slice(payload)
        .unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(payload)));
    v["seq"].as_u64().expect("seq")
}

/// A Redis connection (the recorder and the feeder of several tests).
pub fn redis_conn(url: &str) -> redis::Connection {
    redis::Client::open(url)
        .unwrap()
        .get_connection()
        .expect("connect to the test redis")
}

/// Appends test messages `range` to a stream, pipelined.
pub fn redis_fill(url: &str, stream: &str, range: std::ops::Range<u64>) {
    let mut c = redis_conn(url);
    let seqs: Vec<u64> = range.collect();
    for chunk in seqs.chunks(5000) {
        let mut pipe = redis::pipe();
        for &s in chunk {
            pipe.cmd("XADD")
                .arg(stream)
                .arg("*")
                .arg("payload")
                .arg(payload(s))
                .ignore();
        }
        pipe.query::<()>(&mut c).unwrap();
    }
}

/// How many entries a stream has.
pub fn redis_len(url: &str, stream: &str) -> u64 {
    redis::cmd("XLEN")
        .arg(stream)
        .query(&mut redis_conn(url))
        .unwrap()
}

/// The seqs of a stream's entries, in stream order.
pub fn redis_seqs(url: &str, stream: &str) -> Vec<u64> {
    let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
        .arg(stream)
        .arg("-")
        .arg("+")
        .query(&mut redis_conn(url))
        .unwrap();
    reply
        .ids
        .iter()
        .map(|e| match e.map.get("payload") {
            Some(redis::Value::BulkString(b)) => seq_of(b),
            other => panic!("entry {} has no payload: {other:?}", e.id),
        })
        .collect()
}

/// Waits until the stream holds at least `n` entries.
pub fn wait_for_len(
    url: &str,
    stream: &str,
    n: u64,
    running: &mut Running,
    logs: impl Fn() -> String,
) {
    wait_for(
        WAIT,
        &format!("{n} entries in redis stream {stream}"),
        || {
            running.assert_running(&logs);
            (redis_len(url, stream) >= n).then_some(())
        },
    );
}

/// At-least-once, in order, duplicates only as replays after the kills: returns the replays.
pub fn assert_delivery(seqs: &[u64], n: u64, kills: usize) {
    let replays = connect_tests::assert_at_least_once_in_order(seqs, n);
    assert!(
        replays <= kills,
        "{replays} replays for {kills} kills: duplicates away from a kill"
    );
}
