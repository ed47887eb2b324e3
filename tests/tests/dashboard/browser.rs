//! A headless Chromium driven over the Chrome DevTools Protocol (a WebSocket to the browser,
//! one page attached in flat mode): navigate, evaluate JavaScript, wait for the page, take
//! screenshots. Fails with a message naming the Debian package when the browser is missing.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

/// How long one CDP answer or one page condition may take.
const PATIENCE: Duration = Duration::from_secs(30);

pub struct Browser {
    child: Child,
    socket: WebSocket<TcpStream>,
    session: String,
    next_id: u64,
    /// Console errors and uncaught exceptions of the page, for failure messages.
    pub problems: Vec<String>,
    _profile: tempfile::TempDir,
}

/// The browser binary: `CHROMIUM` when set, else the first of the usual names on PATH.
fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return PathBuf::from(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if let Some(found) = std::env::split_paths(&path)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
        {
            return found;
        }
    }
    panic!(
        "no chromium binary on PATH: the dashboard test drives a real headless browser; install \
         the Debian package `chromium` (apt-get install -y --no-install-recommends chromium, as \
         .ci/run does) or set CHROMIUM=/path/to/chrome"
    );
}

impl Browser {
    pub fn launch() -> Self {
        let profile = tempfile::Builder::new()
            .prefix("chromium")
            .tempdir_in("/tmp")
            .expect("browser profile dir");
        let bin = binary();
        let child = Command::new(&bin)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--remote-debugging-port=0",
                "--window-size=1400,1000",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        // Chromium writes "<port>\n<path>" once it listens.
        let port_file = profile.path().join("DevToolsActivePort");
        let (port, path) =
            connect_tests::wait_for(PATIENCE, "chromium's DevToolsActivePort", || {
                let text = std::fs::read_to_string(&port_file).ok()?;
                let mut lines = text.lines();
                Some((lines.next()?.to_string(), lines.next()?.to_string()))
            });
        let stream = TcpStream::connect(format!("127.0.0.1:{port}")).expect("connect to chromium");
        stream
            .set_read_timeout(Some(PATIENCE))
            .expect("socket timeout");
        let (socket, _) = tungstenite::client(format!("ws://127.0.0.1:{port}{path}"), stream)
            .expect("DevTools WebSocket handshake");
        let mut browser = Self {
            child,
            socket,
            session: String::new(),
            next_id: 0,
            problems: Vec::new(),
            _profile: profile,
        };
        let target = browser.call("Target.createTarget", json!({ "url": "about:blank" }));
        let attached = browser.call(
            "Target.attachToTarget",
            json!({ "targetId": target["targetId"], "flatten": true }),
        );
        browser.session = attached["sessionId"]
            .as_str()
            .expect("session id")
            .to_string();
        browser.call("Page.enable", json!({}));
        browser.call("Runtime.enable", json!({}));
        browser
    }

    /// One CDP command (on the page once attached); its `result`. Events seen meanwhile are
    /// kept when they report a page problem.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if !self.session.is_empty() {
            message["sessionId"] = json!(self.session);
        }
        self.socket
            .send(Message::text(message.to_string()))
            .unwrap_or_else(|e| panic!("send {method} to chromium: {e}"));
        let deadline = Instant::now() + PATIENCE;
        loop {
            assert!(
                Instant::now() < deadline,
                "chromium did not answer {method} within {PATIENCE:?}"
            );
            let frame = self
                .socket
                .read()
                .unwrap_or_else(|e| panic!("waiting for chromium's answer to {method}: {e}"));
            let Message::Text(text) = frame else { continue };
            let v: Value = serde_json::from_str(text.as_str()).expect("CDP message is JSON");
            if v["id"] == id {
                if let Some(e) = v.get("error") {
                    panic!("chromium refused {method}: {e}");
                }
                return v["result"].clone();
            }
            self.note_event(&v);
        }
    }

    fn note_event(&mut self, v: &Value) {
        match v["method"].as_str() {
            Some("Runtime.exceptionThrown") => self.problems.push(format!(
                "exception: {}",
                v["params"]["exceptionDetails"]["exception"]["description"]
            )),
            Some("Runtime.consoleAPICalled") if v["params"]["type"] == "error" => self
                .problems
                .push(format!("console.error: {}", v["params"]["args"])),
            _ => {}
        }
    }

    pub fn navigate(&mut self, url: &str) {
        self.call("Page.navigate", json!({ "url": url }));
    }

    /// Evaluates `expression` (promises awaited) and returns its value.
    pub fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({ "expression": expression, "awaitPromise": true, "returnByValue": true }),
        );
        if let Some(e) = r.get("exceptionDetails") {
            panic!("the page threw evaluating `{expression}`: {e}");
        }
        r["result"]["value"].clone()
    }

    /// Waits until `condition` (a JS expression) is truthy; fails naming `what` with the page's
    /// text and problems.
    pub fn wait(&mut self, what: &str, condition: &str) {
        let deadline = Instant::now() + PATIENCE;
        let guarded =
            format!("(() => {{ try {{ return !!({condition}); }} catch {{ return false; }} }})()");
        loop {
            if self.eval(&guarded) == json!(true) {
                return;
            }
            if Instant::now() >= deadline {
                let text = self.eval("document.body ? document.body.innerText : ''");
                panic!(
                    "timed out after {PATIENCE:?} waiting for {what} ({condition}); page:\n{}\nproblems: {:#?}",
                    text.as_str().unwrap_or_default(),
                    self.problems
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Clicks the element `selector` names (it must exist).
    pub fn click(&mut self, selector: &str) {
        let found = self.eval(&format!(
            "(() => {{ const e = document.querySelector({s}); if (!e) return false; e.click(); return true; }})()",
            s = json!(selector)
        ));
        assert_eq!(found, json!(true), "no element {selector} to click");
    }

    /// Sets an input's or select's value as a user would and fires `input` and `change`.
    pub fn fill(&mut self, selector: &str, value: &str) {
        let found = self.eval(&format!(
            "(() => {{ const e = document.querySelector({s}); if (!e) return false; e.value = {v}; \
             e.dispatchEvent(new Event('input', {{bubbles: true}})); \
             e.dispatchEvent(new Event('change', {{bubbles: true}})); return true; }})()",
            s = json!(selector),
            v = json!(value)
        ));
        assert_eq!(found, json!(true), "no element {selector} to fill");
    }

    /// A PNG of the viewport into `dir/name.png`.
    pub fn screenshot(&mut self, dir: &Path, name: &str) -> PathBuf {
        let r = self.call("Page.captureScreenshot", json!({ "format": "png" }));
        let png = base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().expect("screenshot data"))
            .expect("screenshot base64");
        std::fs::create_dir_all(dir).expect("screenshot dir");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
