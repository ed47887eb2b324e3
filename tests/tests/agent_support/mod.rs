//! A real `connect-agent` process in a temporary directory, driven the way an operator would:
//! a config file, connector files, signals; observed through the status file it writes.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

use connect_tests::{spawn_agent, wait_for, workspace_bin};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

pub const WAIT: Duration = Duration::from_secs(20);

pub struct AgentProcess {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub child: Option<Child>,
}

impl AgentProcess {
    /// A config with fast heartbeats and short timeouts; `extra` adds or overrides TOML sections.
    pub fn new(extra: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("agent")
            .tempdir_in("/tmp")
            .expect("temp dir");
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let bin_dir = workspace_bin("connect-test-runtime")
            .parent()
            .expect("bin dir")
            .to_path_buf();
        let config = dir.path().join("agent.toml");
        let base = format!(
            r#"[state]
path = "{state}"

[connectors]
config_dir = "{connectors}"

[runtimes]
paths = ["{runtimes}"]
bin_dirs = ["{bin_dir}"]
"#,
            state = dir.path().join("state").display(),
            connectors = dir.path().join("connectors").display(),
            runtimes = root.join("runtimes").display(),
            bin_dir = bin_dir.display(),
        );
        let supervisor = if extra.contains("[supervisor]") {
            String::new()
        } else {
            "\n[supervisor]\ngrace_period = \"2s\"\nheartbeat_interval = \"100ms\"\nheartbeat_timeout = \"1s\"\nstart_timeout = \"10s\"\n".to_string()
        };
        std::fs::write(&config, format!("{base}{supervisor}\n{extra}")).expect("write agent.toml");
        std::fs::create_dir_all(dir.path().join("connectors")).expect("connectors dir");
        Self {
            dir,
            config,
            child: None,
        }
    }

    pub fn connectors_dir(&self) -> PathBuf {
        self.dir.path().join("connectors")
    }

    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// Writes `<id>.yml` for the test runtime with the given source mode and extra YAML.
    pub fn add_testrt(&self, id: &str, mode: &str, extra: &str) {
        self.write_connector(
            id,
            &format!("id: {id}\nruntime: testrt\nsteps:\n  source: {{ type: behave, config: {{ mode: {mode} }} }}\n  sink: {{ type: discard }}\n{extra}"),
        );
    }

    pub fn write_connector(&self, id: &str, yaml: &str) {
        std::fs::write(self.connectors_dir().join(format!("{id}.yml")), yaml)
            .expect("write connector");
    }

    pub fn start(&mut self) {
        self.start_with_env(&[]);
    }

    /// Starts the agent with extra variables in its own environment.
    pub fn start_with_env(&mut self, env: &[(&str, &str)]) {
        assert!(self.child.is_none(), "the agent is already running");
        let child = spawn_agent(&self.config, &self.dir.path().join("agent.log"), env);
        self.child = Some(child);
    }

    pub fn pid(&self) -> Pid {
        Pid::from_raw(self.child.as_ref().expect("agent running").id() as i32)
    }

    pub fn signal(&self, sig: Signal) {
        kill(self.pid(), sig).expect("signal the agent");
    }

    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let child = self.child.as_mut().expect("agent running");
        let status = wait_for(timeout, "the agent to exit", || {
            child.try_wait().expect("try_wait")
        });
        self.child = None;
        status
    }

    pub fn agent_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("agent.log")).unwrap_or_default()
    }

    /// The status file, if the agent wrote one.
    pub fn status(&self) -> Option<Value> {
        let text = std::fs::read_to_string(self.state_dir().join("status.json")).ok()?;
        serde_json::from_str(&text).ok()
    }

    pub fn connector(&self, id: &str) -> Option<Value> {
        let status = self.status()?;
        status["connectors"]
            .as_array()?
            .iter()
            .find(|c| c["id"] == id)
            .cloned()
    }

    /// Waits until connector `id` satisfies `pred`; fails naming `what` and the last status.
    pub fn wait_connector(&self, id: &str, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let c = self.connector(id);
            if let Some(c) = &c
                && pred(c)
            {
                return c.clone();
            }
            assert!(
                Instant::now() < deadline,
                "timed out after {WAIT:?} waiting for {id} to be {what}; last status: {c:#?}\nagent log:\n{}",
                self.agent_log()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn wait_state(&self, id: &str, state: &str) -> Value {
        self.wait_connector(id, state, |c| c["state"] == state)
    }

    /// Running with a pid other than `old`.
    pub fn wait_running_again(&self, id: &str, old: u64) -> Value {
        self.wait_connector(id, "running with a new process", |c| {
            c["state"] == "running" && c["pid"].as_u64().is_some_and(|p| p != old)
        })
    }
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Whether a process is gone (a zombie waiting for a reaper counts as gone).
pub fn gone(pid: u64) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

pub fn pid_of(c: &Value) -> u64 {
    c["pid"]
        .as_u64()
        .unwrap_or_else(|| panic!("no pid in {c:#?}"))
}

pub fn sigkill(pid: u64) {
    kill(Pid::from_raw(pid as i32), Signal::SIGKILL).expect("SIGKILL the runtime");
}
