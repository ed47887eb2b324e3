//! One harness for the end-to-end tests: a real `connect-agent` process in a temporary
//! directory, driven the way an operator would (a config file, connector files, signals, the
//! HTTP API over real sockets), with the test runtime under two names (`testrt`, and `apirt`
//! whose components declare secret fields).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

use connect_tests::{spawn_agent, wait_for, workspace_bin};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use reqwest::blocking::{Client, Response};
use serde_json::Value;

mod secrets;
use secrets::{APIRT_SINK, APIRT_SOURCE};
// Each test binary uses part of the harness.
#[allow(unused_imports)]
pub use secrets::{
    ENV_SECRET, IGGY_SECRET, SINK_SECRET, SOURCE_SECRET, assert_no_secret, secret_connector,
};

pub const WAIT: Duration = Duration::from_secs(20);
/// Fast heartbeats and short timeouts, so supervision shows within a test's patience.
const SUPERVISOR: &str = "[supervisor]\ngrace_period = \"2s\"\nheartbeat_interval = \"100ms\"\nheartbeat_timeout = \"1s\"\nstart_timeout = \"10s\"\n";
/// The API tests also restart quickly.
const API_SUPERVISOR: &str = "[supervisor]\ngrace_period = \"2s\"\nheartbeat_interval = \"100ms\"\nheartbeat_timeout = \"2s\"\nstart_timeout = \"10s\"\ninitial_backoff = \"100ms\"\nmax_backoff = \"1s\"\n";

pub struct TestAgent {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub child: Option<Child>,
    /// The API's base URL once started with the API on; empty otherwise.
    pub url: String,
    pub http: Client,
    pub key: Option<String>,
}

impl TestAgent {
    /// An agent without its API, observed through the status file; `extra` adds or overrides
    /// TOML sections (a `[supervisor]` section replaces the fast defaults).
    pub fn new(extra: &str) -> Self {
        let supervisor = if extra.contains("[supervisor]") {
            ""
        } else {
            SUPERVISOR
        };
        Self::write("agent", &format!("{supervisor}\n{extra}"), None)
    }

    /// An agent with its API on a kernel-chosen port; `http_extra` is appended to `[http]`
    /// (an `api_key = "…"` line makes every request carry that key).
    pub fn with_api(http_extra: &str) -> Self {
        let key = http_extra.lines().find_map(|l| {
            l.trim()
                .strip_prefix("api_key = ")
                .map(|k| k.trim_matches('"').to_string())
        });
        let extra = format!(
            "{API_SUPERVISOR}\n[http]\nenabled = true\naddress = \"127.0.0.1:0\"\n{http_extra}\n"
        );
        Self::write("api", &extra, key)
    }

    fn write(prefix: &str, extra: &str, key: Option<String>) -> Self {
        let dir = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir_in("/tmp")
            .expect("temp dir");
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let bin_dir = workspace_bin("connect-test-runtime")
            .parent()
            .expect("bin dir")
            .to_path_buf();
        let apirt = dir.path().join("runtimes/apirt/.connect");
        for sub in ["sources", "sinks"] {
            std::fs::create_dir_all(apirt.join(sub)).expect("runtime dirs");
        }
        std::fs::write(
            apirt.join("runtime.yml"),
            "model_version: \"1\"\nname: apirt\nlabel: API test runtime\nversion: 0.1.0\nauthor:\n  name: connect contributors\ndescription: The test runtime with secret fields.\nexecutable: connect-test-runtime\n",
        )
        .expect("runtime.yml");
        std::fs::write(apirt.join("sources/behave.yml"), APIRT_SOURCE).expect("source spec");
        std::fs::write(apirt.join("sinks/discard.yml"), APIRT_SINK).expect("sink spec");
        std::fs::create_dir_all(dir.path().join("connectors")).expect("connectors dir");
        let config = dir.path().join("agent.toml");
        let text = format!(
            r#"[state]
path = "{state}"

[connectors]
config_dir = "{connectors}"

[runtimes]
paths = ["{testrt}", "{apirt}"]
bin_dirs = ["{bin_dir}"]

{extra}
"#,
            state = dir.path().join("state").display(),
            connectors = dir.path().join("connectors").display(),
            testrt = root.join("runtimes").display(),
            apirt = dir.path().join("runtimes").display(),
            bin_dir = bin_dir.display(),
        );
        std::fs::write(&config, text).expect("agent.toml");
        Self {
            dir,
            config,
            child: None,
            url: String::new(),
            http: client(),
            key,
        }
    }

    /// Adds a runtime directory (holding `<name>/.connect/`) and a directory of binaries to
    /// the ones the agent searches.
    pub fn add_runtimes(&self, paths: &Path, bin_dir: &Path) {
        let text = std::fs::read_to_string(&self.config).expect("agent.toml");
        let text = text
            .replacen(
                "paths = [",
                &format!("paths = [\"{}\", ", paths.display()),
                1,
            )
            .replacen(
                "bin_dirs = [",
                &format!("bin_dirs = [\"{}\", ", bin_dir.display()),
                1,
            );
        std::fs::write(&self.config, text).expect("agent.toml");
    }

    /// Adds a key to the config's `[runtimes]` section (which the harness writes itself).
    pub fn runtimes_setting(&self, line: &str) {
        let text = std::fs::read_to_string(&self.config).expect("agent.toml");
        let text = text.replacen("[runtimes]\n", &format!("[runtimes]\n{line}\n"), 1);
        std::fs::write(&self.config, text).expect("agent.toml");
    }

    pub fn connectors_dir(&self) -> PathBuf {
        self.dir.path().join("connectors")
    }

    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("agent.log")
    }

    pub fn agent_log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Writes a connector file: `name` as given when it has an extension, else `<name>.yml`.
    pub fn write_connector(&self, name: &str, yaml: &str) {
        let file = if Path::new(name).extension().is_some() {
            name.to_string()
        } else {
            format!("{name}.yml")
        };
        std::fs::write(self.connectors_dir().join(file), yaml).expect("write connector file");
    }

    /// Writes `<id>.yml` for the test runtime with the given source mode and extra YAML.
    pub fn add_testrt(&self, id: &str, mode: &str, extra: &str) {
        self.write_connector(id, &format!("{}{extra}", testrt_connector(id, mode)));
    }

    /// Starts the agent; with the API on, waits until it listens.
    pub fn start(&mut self) -> &mut Self {
        self.start_with_env(&[])
    }

    /// Starts the agent with extra variables in its own environment.
    pub fn start_with_env(&mut self, env: &[(&str, &str)]) -> &mut Self {
        assert!(self.child.is_none(), "the agent is already running");
        let _ = std::fs::remove_file(self.log_path());
        let mut vars = vec![("CONNECT_AGENT_LOG", "info")];
        vars.extend_from_slice(env);
        self.child = Some(spawn_agent(&self.config, &self.log_path(), &vars));
        if self.http_enabled() {
            self.url = self.wait_listening();
        }
        self
    }

    fn http_enabled(&self) -> bool {
        std::fs::read_to_string(&self.config).is_ok_and(|t| t.contains("\n[http]\nenabled = true"))
    }

    /// The API's URL, read from the agent's log line once it listens.
    fn wait_listening(&mut self) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(url) = self
                .agent_log()
                .split("API listening on ")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
            {
                return url.to_string();
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().expect("try_wait"))
            {
                panic!(
                    "the agent exited ({status}) before its API listened; log:\n{}",
                    self.agent_log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "the agent's API did not start within {WAIT:?}; log:\n{}",
                self.agent_log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
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

    /// SIGTERM, then waits for the agent to exit.
    pub fn stop(&mut self) {
        if self.child.is_some() {
            self.signal(Signal::SIGTERM);
            self.wait_exit(WAIT);
        }
    }

    /// The status file, if the agent wrote one.
    pub fn status(&self) -> Option<Value> {
        let text = std::fs::read_to_string(self.state_dir().join("status.json")).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Connector `id` as the API shows it, or from the status file when the API is off.
    pub fn connector(&self, id: &str) -> Option<Value> {
        if !self.url.is_empty() {
            let r = self.get(&format!("/connectors/{id}"));
            return (r.status() == 200).then(|| r.json().expect("json"));
        }
        let status = self.status()?;
        status["connectors"]
            .as_array()?
            .iter()
            .find(|c| c["id"] == id)
            .cloned()
    }

    /// Waits until connector `id` satisfies `pred` (`Null` while it does not exist); fails
    /// naming `what` and the last status.
    pub fn wait_connector(&self, id: &str, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let c = self.connector(id).unwrap_or(Value::Null);
            if pred(&c) {
                return c;
            }
            assert!(
                Instant::now() < deadline,
                "timed out after {WAIT:?} waiting for {id} to be {what}; last: {c:#}\nagent log:\n{}",
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

    fn with_key(&self, r: reqwest::blocking::RequestBuilder) -> reqwest::blocking::RequestBuilder {
        match &self.key {
            Some(k) => r.header("api-key", k),
            None => r,
        }
    }

    pub fn get(&self, path: &str) -> Response {
        self.with_key(self.http.get(format!("{}{path}", self.url)))
            .send()
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    pub fn post(&self, path: &str, body: &str) -> Response {
        self.with_key(with_content_type(
            self.http.post(format!("{}{path}", self.url)),
            body,
        ))
        .send()
        .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    pub fn put(&self, path: &str, body: &str) -> Response {
        self.with_key(with_content_type(
            self.http.put(format!("{}{path}", self.url)),
            body,
        ))
        .send()
        .unwrap_or_else(|e| panic!("PUT {path}: {e}"))
    }

    pub fn delete(&self, path: &str) -> Response {
        self.with_key(self.http.delete(format!("{}{path}", self.url)))
            .send()
            .unwrap_or_else(|e| panic!("DELETE {path}: {e}"))
    }

    /// GET that must answer `status`; returns the body as JSON.
    pub fn get_json(&self, path: &str, status: u16) -> Value {
        expect(self.get(path), status, &format!("GET {path}"))
    }

    pub fn post_json(&self, path: &str, body: &str, status: u16) -> Value {
        expect(self.post(path, body), status, &format!("POST {path}"))
    }
}

impl Drop for TestAgent {
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

/// A body of JSON (starting with `{`) or YAML, labelled as such (the agent refuses other
/// media types); an empty body goes without a type.
pub fn with_content_type(
    r: reqwest::blocking::RequestBuilder,
    body: &str,
) -> reqwest::blocking::RequestBuilder {
    if body.is_empty() {
        return r;
    }
    let ct = if body.trim_start().starts_with('{') {
        "application/json"
    } else {
        "application/yaml"
    };
    r.header("content-type", ct).body(body.to_string())
}

pub fn client() -> Client {
    Client::builder()
        .timeout(WAIT)
        .build()
        .expect("http client")
}

/// Asserts the status (with the body in the message) and parses JSON.
pub fn expect(r: Response, status: u16, what: &str) -> Value {
    let got = r.status().as_u16();
    let text = r.text().unwrap_or_default();
    assert_eq!(got, status, "{what}: expected {status}, got {got}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {text}"))
}

/// Asserts the one error shape and the code.
pub fn assert_error(v: &Value, code: &str) {
    assert_eq!(v["code"], code, "{v:#}");
    assert!(
        v["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{v:#}"
    );
    assert!(
        v.get("details").is_some(),
        "error without details key: {v:#}"
    );
}

pub fn testrt_connector(id: &str, mode: &str) -> String {
    format!(
        "id: {id}\nruntime: testrt\nsteps:\n  source: {{ type: behave, config: {{ mode: {mode} }} }}\n  sink: {{ type: discard }}\n"
    )
}
