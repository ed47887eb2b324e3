//! A real `connect-agent` with its HTTP API on a kernel-chosen port, in a temporary directory,
//! with the test runtime under two names (`testrt`, and `apirt` whose components declare
//! secret fields); requests go over real HTTP with reqwest.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use connect_tests::{spawn_agent, workspace_bin};
use reqwest::blocking::{Client, Response};
use serde_json::Value;

pub const WAIT: Duration = Duration::from_secs(20);
/// Values that must never appear in a response.
pub const SOURCE_SECRET: &str = "s3cr3t-source-password";
pub const SINK_SECRET: &str = "s3cr3t-sink-token";
pub const ENV_SECRET: &str = "s3cr3t-env-value";
pub const IGGY_SECRET: &str = "s3cr3t-iggy-password";

pub struct ApiAgent {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub child: Option<Child>,
    pub url: String,
    pub http: Client,
    pub key: Option<String>,
}

const APIRT_SOURCE: &str = r#"model_version: "1"
name: behave
label: Behave
kind: source
status: experimental
description: The test runtime's source, with a secret field.
fields:
  - name: mode
    label: Mode
    type: string
    default: idle
    constraints:
      - enum: [idle, flood, invalid, crash, exit0]
  - name: lines
    label: Lines printed by flood
    type: int
    default: 0
  - name: password
    label: Password
    type: string
    optional: true
    secret: true
"#;

const APIRT_SINK: &str = r#"model_version: "1"
name: discard
label: Discard
kind: sink
status: experimental
description: Drops everything; has a secret token.
fields:
  - name: token
    label: Token
    type: string
    optional: true
    secret: true
"#;

impl ApiAgent {
    /// Writes the config (`extra` TOML is appended to `[http]`) and the `apirt` runtime.
    pub fn new(http_extra: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("api")
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

[supervisor]
grace_period = "2s"
heartbeat_interval = "100ms"
heartbeat_timeout = "2s"
start_timeout = "10s"
initial_backoff = "100ms"
max_backoff = "1s"

[http]
enabled = true
address = "127.0.0.1:0"
{http_extra}
"#,
            state = dir.path().join("state").display(),
            connectors = dir.path().join("connectors").display(),
            testrt = root.join("runtimes").display(),
            apirt = dir.path().join("runtimes").display(),
            bin_dir = bin_dir.display(),
        );
        std::fs::write(&config, text).expect("agent.toml");
        let key = http_extra.lines().find_map(|l| {
            l.trim()
                .strip_prefix("api_key = ")
                .map(|k| k.trim_matches('"').to_string())
        });
        Self {
            dir,
            config,
            child: None,
            url: String::new(),
            http: client(),
            key,
        }
    }

    pub fn connectors_dir(&self) -> PathBuf {
        self.dir.path().join("connectors")
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("agent.log")
    }

    pub fn agent_log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Starts the agent and waits until its API answers `/health`.
    pub fn start(&mut self) -> &mut Self {
        assert!(self.child.is_none(), "the agent is already running");
        let _ = std::fs::remove_file(self.log_path());
        let child = spawn_agent(
            &self.config,
            &self.log_path(),
            &[("CONNECT_AGENT_LOG", "info")],
        );
        self.child = Some(child);
        let deadline = Instant::now() + WAIT;
        let url = loop {
            if let Some(url) = self
                .agent_log()
                .split("API listening on ")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .map(str::to_string)
            {
                break url;
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
        };
        self.url = url;
        self
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(child.id() as i32),
                nix::sys::signal::Signal::SIGTERM,
            )
            .expect("SIGTERM the agent");
            let deadline = Instant::now() + WAIT;
            while child.try_wait().expect("try_wait").is_none() {
                assert!(
                    Instant::now() < deadline,
                    "the agent did not exit after SIGTERM"
                );
                std::thread::sleep(Duration::from_millis(10));
            }
        }
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
        self.with_key(
            self.http
                .post(format!("{}{path}", self.url))
                .body(body.to_string()),
        )
        .send()
        .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    pub fn put(&self, path: &str, body: &str) -> Response {
        self.with_key(
            self.http
                .put(format!("{}{path}", self.url))
                .body(body.to_string()),
        )
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

    /// Waits until connector `id` satisfies `pred`, as seen through the API.
    pub fn wait_connector(&self, id: &str, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let r = self.get(&format!("/connectors/{id}"));
            let c: Value = if r.status() == 200 {
                r.json().expect("json")
            } else {
                Value::Null
            };
            if pred(&c) {
                return c;
            }
            assert!(
                Instant::now() < deadline,
                "timed out after {WAIT:?} waiting for {id} to be {what}; last: {c:#}\nagent log:\n{}",
                self.agent_log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn wait_state(&self, id: &str, state: &str) -> Value {
        self.wait_connector(id, state, |c| c["state"] == state)
    }

    pub fn write_connector(&self, file: &str, yaml: &str) {
        std::fs::write(self.connectors_dir().join(file), yaml).expect("write connector file");
    }
}

impl Drop for ApiAgent {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
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

/// An `apirt` connector (source→sink) carrying every kind of secret.
pub fn secret_connector(id: &str, mode: &str) -> String {
    format!(
        "id: {id}\nruntime: apirt\ndescription: has secrets\nsteps:\n  source: {{ type: behave, config: {{ mode: {mode}, password: {SOURCE_SECRET} }} }}\n  sink: {{ type: discard, config: {{ token: {SINK_SECRET} }} }}\nenv:\n  SOME_KEY: {ENV_SECRET}\n"
    )
}

pub fn testrt_connector(id: &str, mode: &str) -> String {
    format!(
        "id: {id}\nruntime: testrt\nsteps:\n  source: {{ type: behave, config: {{ mode: {mode} }} }}\n  sink: {{ type: discard }}\n"
    )
}

/// Fails when any secret of [`secret_connector`] appears in `text`.
pub fn assert_no_secret(text: &str, what: &str) {
    for s in [SOURCE_SECRET, SINK_SECRET, ENV_SECRET, IGGY_SECRET] {
        assert!(!text.contains(s), "{what} leaks a secret ({s}): {text}");
    }
}
