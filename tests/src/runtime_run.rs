//! A runtime binary run the way the agent runs it, by hand: one base64 argument, a private
//! directory for its state and its stdout/stderr files, none of the caller's `CONNECT_*` or
//! `OTEL_*` variables, bounded waits on what it writes, and a kill when a test fails.

use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use crate::{encode, wait_for};

/// Long enough for a loaded 2-core machine, short enough to fail a hung test.
pub const WAIT: Duration = Duration::from_secs(60);

/// A connector run of the binary: a temporary directory with `state/`, the runtime's stdout
/// and stderr as files, and any files a test puts there.
pub struct RuntimeRun {
    pub dir: tempfile::TempDir,
    binary: PathBuf,
    runtime: String,
    document: String,
    env: Vec<(String, String)>,
}

impl RuntimeRun {
    /// Connector `e2e` of `runtime` (the program `binary`); `steps` is the YAML of the `steps:`
    /// mapping, indented by two spaces; `{dir}` is replaced by the run's directory.
    pub fn new(binary: impl Into<PathBuf>, runtime: &str, steps: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let document = Self::document(&dir, runtime, steps);
        Self {
            dir,
            binary: binary.into(),
            runtime: runtime.to_string(),
            document,
            env: Vec::new(),
        }
    }

    /// Changes the connector's steps for the next start; state and files stay.
    pub fn set_steps(&mut self, steps: &str) {
        self.document = Self::document(&self.dir, &self.runtime, steps);
    }

    /// Adds a variable to the runtime's environment.
    pub fn with_env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    fn document(dir: &tempfile::TempDir, runtime: &str, steps: &str) -> String {
        let steps = steps.replace("{dir}", &dir.path().display().to_string());
        format!("id: e2e\nruntime: {runtime}\nsteps:\n{steps}")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn command(&self) -> Command {
        let mut cmd = Command::new(&self.binary);
        for (k, _) in std::env::vars() {
            if k.starts_with("CONNECT_") || k.starts_with("OTEL_") {
                cmd.env_remove(k);
            }
        }
        cmd.arg(encode(&self.document))
            .env("CONNECT_STATE_DIR", self.path("state"))
            .env("CONNECT_SHUTDOWN_TIMEOUT", "10s")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null());
        cmd
    }

    /// Starts the runtime with stdout and stderr appended to `stdout.log` and `stderr.log`.
    pub fn spawn(&self) -> Running {
        let open = |name: &str| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.path(name))
                .unwrap()
        };
        let child = self
            .command()
            .stdout(open("stdout.log"))
            .stderr(open("stderr.log"))
            .spawn()
            .unwrap();
        Running { child: Some(child) }
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.path("stderr.log")).unwrap_or_default()
    }

    /// Everything the runtime logged: info lines go to stdout, warnings and errors to stderr.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(self.path("stdout.log")).unwrap_or_default() + &self.stderr()
    }

    /// Waits until the runtime's stderr contains `text` `times` times.
    pub fn wait_for_log(&self, text: &str, times: usize) {
        wait_for(
            WAIT,
            &format!("{times}× `{text}` in the runtime's stderr"),
            || (self.stderr().matches(text).count() >= times).then_some(()),
        );
    }
}

/// A running runtime, killed when dropped so a failing test leaves no process behind.
pub struct Running {
    child: Option<Child>,
}

impl Running {
    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// SIGKILL and reap; fails the test if the process had already exited by itself.
    pub fn kill(mut self) {
        use std::os::unix::process::ExitStatusExt;
        let mut child = self.child.take().unwrap();
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert_eq!(
            status.signal(),
            Some(9),
            "the runtime exited before the kill ({status}); kill earlier"
        );
    }

    /// SIGTERM, then the exit status (within the bounded wait).
    pub fn terminate(mut self) -> ExitStatus {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.pid()).unwrap());
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        self.wait()
    }

    /// The exit status, failing the test if the process does not exit within [`WAIT`].
    pub fn wait(&mut self) -> ExitStatus {
        let child = self.child.as_mut().unwrap();
        let status = wait_for(WAIT, "the runtime to exit", || child.try_wait().unwrap());
        self.child = None;
        status
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

/// A loopback port with nothing listening on it (yet).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
