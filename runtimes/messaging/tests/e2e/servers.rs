//! Private broker instances for the tests: Debian's `mosquitto`, `nats-server` and
//! `redis-server`, each on a free loopback port with its own temporary directory and a config
//! that fits the guarantees under test. One shared instance of each per test binary; restart
//! tests own theirs. Every instance dies with the test binary (parent-death signal, and an
//! exit hook for the shared ones).

use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use connect_tests::wait_for;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::support::free_port;

/// The systems under test and the Debian package of each server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Mosquitto,
    Nats,
    Redis,
}

impl Kind {
    fn program(self) -> (&'static str, &'static str) {
        match self {
            Kind::Mosquitto => ("mosquitto", "mosquitto"),
            Kind::Nats => ("nats-server", "nats-server"),
            Kind::Redis => ("redis-server", "redis-server"),
        }
    }
}

/// A server binary from its Debian package; fails (never skips) when it is not installed.
pub fn binary(name: &str, package: &str) -> PathBuf {
    let path_dirs = std::env::var("PATH").unwrap_or_default();
    let dirs = ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"]
        .into_iter()
        .map(PathBuf::from)
        .chain(std::env::split_paths(&path_dirs));
    for d in dirs {
        let p = d.join(name);
        if p.is_file() {
            return p;
        }
    }
    panic!(
        "`{name}` is not installed: apt-get install -y --no-install-recommends {package} (.ci/run installs it)"
    );
}

/// A running (or stopped, between restarts) server.
pub struct Server {
    pub kind: Kind,
    pub port: u16,
    pub dir: PathBuf,
    /// Keeps data across restarts (mosquitto persistence, Redis AOF with fsync always).
    durable: bool,
    /// Appended to mosquitto's config (another listener, TLS).
    extra: String,
    child: Option<Child>,
}

/// Shared instances' pids and directories, cleaned up when the test binary exits.
static AT_EXIT: Mutex<Vec<(u32, PathBuf)>> = Mutex::new(Vec::new());

extern "C" fn clean_up() {
    if let Ok(list) = AT_EXIT.lock() {
        for (pid, dir) in list.iter() {
            let _ = kill(Pid::from_raw(*pid as i32), Signal::SIGKILL);
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl Server {
    pub fn new(kind: Kind, durable: bool) -> Self {
        Self::with_config(kind, durable, |_| String::new())
    }

    /// A server whose mosquitto config gets `extra(dir)` appended.
    pub fn with_config(kind: Kind, durable: bool, extra: impl FnOnce(&Path) -> String) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("connect-messaging-")
            .tempdir()
            .unwrap()
            .keep();
        let extra = extra(&dir);
        let mut s = Self {
            kind,
            port: free_port(),
            dir,
            durable,
            extra,
            child: None,
        };
        s.start();
        s
    }

    pub fn url(&self) -> String {
        let scheme = match self.kind {
            Kind::Mosquitto => "mqtt",
            Kind::Nats => "nats",
            Kind::Redis => "redis",
        };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    fn command(&self) -> Command {
        let (name, package) = self.kind.program();
        let mut cmd = Command::new(binary(name, package));
        let dir = self.dir.display().to_string();
        let port = self.port.to_string();
        match self.kind {
            Kind::Mosquitto => {
                let conf = self.dir.join("mosquitto.conf");
                let text = mosquitto_conf(self.port, &self.dir, self.durable) + &self.extra;
                std::fs::write(&conf, text).unwrap();
                cmd.arg("-c").arg(conf);
            }
            Kind::Nats => {
                cmd.args(["-a", "127.0.0.1", "-p", &port, "-js", "-sd", &dir]);
            }
            Kind::Redis => {
                let aof = if self.durable { "yes" } else { "no" };
                cmd.args(["--port", &port, "--bind", "127.0.0.1", "--dir", &dir]);
                cmd.args(["--save", "", "--appendonly", aof, "--appendfsync", "always"]);
                cmd.args(["--daemonize", "no", "--protected-mode", "no"]);
            }
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("server.log"))
            .unwrap();
        cmd.stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(std::io::Error::from)
            });
        }
        cmd
    }

    /// Starts the server (from a thread that lives as long as the binary, so the parent-death
    /// signal fires only when the binary ends) and waits until it accepts connections.
    pub fn start(&mut self) {
        let mut cmd = self.command();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            tx.send(cmd.spawn()).unwrap();
            loop {
                std::thread::park();
            }
        });
        let child = rx.recv().unwrap().expect("start the server");
        self.child = Some(child);
        let port = self.port;
        let child = self.child.as_mut().unwrap();
        let log = self.dir.join("server.log");
        wait_for(
            Duration::from_secs(30),
            &format!("{:?} to accept connections on {port}", self.kind),
            || {
                if let Some(status) = child.try_wait().unwrap() {
                    panic!(
                        "{:?} exited ({status}):\n{}",
                        self.kind,
                        std::fs::read_to_string(&log).unwrap_or_default()
                    );
                }
                TcpStream::connect(("127.0.0.1", port)).ok().map(drop)
            },
        );
        if self.kind == Kind::Redis {
            // Accepting connections is not serving: an AOF is loaded first.
            let url = self.url();
            wait_for(Duration::from_secs(30), "redis to load its data", || {
                let pong: redis::RedisResult<String> = redis::Client::open(url.as_str())
                    .and_then(|c| c.get_connection())
                    .and_then(|mut c| redis::cmd("PING").query(&mut c));
                pong.ok()
            });
        }
    }

    /// Stops the server with `signal` and waits for it to exit.
    pub fn stop(&mut self, signal: Signal) {
        let mut child = self.child.take().expect("running");
        kill(Pid::from_raw(child.id() as i32), signal).unwrap();
        wait_for(Duration::from_secs(30), "the server to exit", || {
            child.try_wait().unwrap()
        });
    }

    /// Keeps the server for the whole binary: killed and its directory removed at exit.
    fn shared(self) -> Self {
        static HOOK: OnceLock<()> = OnceLock::new();
        HOOK.get_or_init(|| {
            // SAFETY: registering a plain extern "C" function.
            unsafe { libc::atexit(clean_up) };
        });
        let pid = self.child.as_ref().unwrap().id();
        AT_EXIT.lock().unwrap().push((pid, self.dir.clone()));
        self
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn mosquitto_conf(port: u16, dir: &Path, persistence: bool) -> String {
    format!(
        "listener {port} 127.0.0.1\nallow_anonymous true\nuser root\n\
         # A persistent session's queue is never cut, and many messages may await acknowledgement.\n\
         max_queued_messages 0\nmax_inflight_messages 0\n\
         persistence {persistence}\npersistence_location {}/\nautosave_interval 0\n",
        dir.display()
    )
}

/// The binary's shared mosquitto (no persistence).
pub fn mosquitto() -> &'static Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| Server::new(Kind::Mosquitto, false).shared())
}

/// The binary's shared nats-server with JetStream.
pub fn nats() -> &'static Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| Server::new(Kind::Nats, true).shared())
}

/// The binary's shared redis-server (no persistence).
pub fn redis() -> &'static Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| Server::new(Kind::Redis, false).shared())
}
