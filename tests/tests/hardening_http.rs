//! HTTP correctness: CSRF (media types and origins), reserved ids, delete removing state and
//! logs, CORS settings that must fail with a field-named error, `WWW-Authenticate`, OPTIONS
//! without CORS and short echoes in 404s.

mod support;

use std::time::Duration;

use connect_tests::{spawn_agent, workspace_bin};
use support::*;

#[test]
fn simple_cross_site_requests_cannot_change_state() {
    let mut agent = TestAgent::with_api(
        "[http.cors]\nenabled = true\nallowed_origins = [\"https://ops.example\"]\nallowed_methods = [\"GET\", \"POST\", \"DELETE\"]\n",
    );
    agent.start();
    let url = |p: &str| format!("{}{p}", agent.url);
    let doc = testrt_connector("csrf", "idle");
    let http = client();
    // Media types a page can send without a preflight are refused.
    for ct in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let mut r = http.post(url("/connectors")).body(doc.clone());
        if let Some(ct) = ct {
            r = r.header("content-type", ct);
        }
        let v = expect(r.send().unwrap(), 415, &format!("POST with {ct:?}"));
        assert_error(&v, "unsupported_media_type");
        assert!(v["message"].as_str().unwrap().contains("application/json"));
    }
    assert!(agent.connector("csrf").is_none(), "nothing was created");

    agent.post_json("/connectors", &doc, 201);
    agent.wait_state("csrf", "running");
    // A foreign origin cannot stop, delete or create, with or without a body.
    for (method, path) in [
        (reqwest::Method::POST, "/connectors/csrf/stop"),
        (reqwest::Method::DELETE, "/connectors/csrf"),
        (reqwest::Method::POST, "/reload"),
    ] {
        let r = http
            .request(method.clone(), url(path))
            .header("origin", "https://evil.example")
            .send()
            .unwrap();
        assert_error(
            &expect(r, 403, &format!("{method} {path}")),
            "forbidden_origin",
        );
    }
    assert_eq!(agent.connector("csrf").unwrap()["state"], "running");
    // Reading is not a change; the agent's own origin and the CORS list may change state.
    let r = http
        .get(url("/connectors"))
        .header("origin", "https://evil.example")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let own = agent.url.trim_end_matches('/').to_string();
    let r = http
        .post(url("/connectors/csrf/stop"))
        .header("origin", own)
        .send()
        .unwrap();
    expect(r, 202, "stop from the agent's own origin");
    let r = http
        .post(url("/connectors/csrf/start"))
        .header("origin", "https://ops.example")
        .send()
        .unwrap();
    expect(r, 202, "start from an origin [http.cors] allows");
}

#[test]
fn route_names_are_reserved_ids_and_old_ones_stay_deletable() {
    let mut agent = TestAgent::with_api("");
    // A connector with the reserved id from the config dir, as an older agent accepted it.
    agent.add_testrt("validate", "idle", "");
    agent.start();
    let v = agent.post_json("/connectors", &testrt_connector("validate", "idle"), 400);
    assert!(
        v.to_string().contains("reserved") && v["details"].to_string().contains("validate"),
        "{v:#}"
    );
    let shown = agent.get_json("/connectors/validate", 200);
    assert_eq!(shown["id"], "validate");
    agent.wait_state("validate", "running");
    let deleted = expect(
        agent.delete("/connectors/validate"),
        200,
        "DELETE /connectors/validate",
    );
    assert_eq!(deleted["deleted"], true);
    assert_eq!(agent.get("/connectors/validate").status(), 404);
}

fn generate(id: &str, marker: &str) -> String {
    format!(
        "id: {id}\nruntime: essentials\nsteps:\n  source: {{ type: generate, config: {{ count: 3, payload: '{marker} {{{{seq}}}}' }} }}\n  sink: {{ type: stdout }}\n"
    )
}

fn stdout_log(agent: &TestAgent, id: &str) -> String {
    std::fs::read_to_string(agent.state_dir().join(format!("logs/{id}.stdout.log")))
        .unwrap_or_default()
}

#[test]
fn delete_removes_cursors_and_logs_unless_asked_to_keep_them() {
    let mut agent = TestAgent::with_api("");
    let essentials =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtimes/essentials");
    let bin_dir = workspace_bin("connect-agent")
        .parent()
        .unwrap()
        .to_path_buf();
    agent.add_runtimes(&essentials, &bin_dir);
    agent.start();

    agent.post_json("/connectors", &generate("gen", "first"), 201);
    agent.wait_state("gen", "completed");
    assert_eq!(stdout_log(&agent, "gen").matches("first ").count(), 3);
    let state = agent.state_dir().join("connectors/gen");
    assert!(state.is_dir(), "the generate source keeps a cursor");
    let r = expect(agent.delete("/connectors/gen"), 200, "DELETE");
    assert_eq!(r["state_kept"], false);
    assert!(r["message"].as_str().unwrap().contains("removed"), "{r:#}");
    assert!(!state.exists(), "the cursor directory is gone");
    assert_eq!(stdout_log(&agent, "gen"), "", "the log files are gone");

    // Same id again: starts from the beginning, shows only its own output.
    agent.post_json("/connectors", &generate("gen", "second"), 201);
    agent.wait_state("gen", "completed");
    let log = stdout_log(&agent, "gen");
    assert_eq!(log.matches("second ").count(), 3, "{log}");
    assert!(!log.contains("first "), "{log}");

    let r = expect(
        agent.delete("/connectors/gen?keep_state=true"),
        200,
        "DELETE keep",
    );
    assert_eq!(r["state_kept"], true);
    assert!(r["message"].as_str().unwrap().contains("kept"), "{r:#}");
    assert!(state.is_dir());
    assert!(stdout_log(&agent, "gen").contains("second 3"));
    expect(
        agent.delete("/connectors/gen?keep_state=maybe"),
        400,
        "bad keep_state",
    );
}

#[test]
fn forbidden_cors_combinations_are_config_errors_not_panics() {
    let cases = [
        (
            "allow_credentials = true\nallowed_origins = [\"*\"]\nallowed_methods = [\"GET\"]",
            "allowed_origins",
        ),
        (
            "allow_credentials = true\nallowed_origins = [\"https://a.example\"]\nallowed_methods = [\"GET\"]\nallowed_headers = [\"*\"]",
            "allowed_headers",
        ),
        (
            "allow_credentials = true\nallowed_origins = [\"https://a.example\"]\nallowed_methods = [\"*\"]",
            "allowed_methods",
        ),
        (
            "allow_credentials = true\nallowed_origins = [\"https://a.example\"]\nallowed_methods = []",
            "allowed_methods",
        ),
        (
            "allow_credentials = true\nallowed_origins = [\"https://a.example\"]\nallowed_methods = [\"GET\"]\nexposed_headers = [\"*\"]",
            "exposed_headers",
        ),
        ("allowed_origins = []", "allowed_origins"),
    ];
    for (cors, field) in cases {
        let mut agent = TestAgent::with_api(&format!("[http.cors]\nenabled = true\n{cors}\n"));
        agent.child = Some(spawn_agent(&agent.config, &agent.log_path(), &[]));
        let status = agent.wait_exit(Duration::from_secs(20));
        let log = agent.agent_log();
        assert_eq!(status.code(), Some(1), "{cors}: {status:?}\n{log}");
        assert!(
            log.contains(&format!("http.cors.{field}")) && !log.contains("panicked"),
            "{cors}: the error names the field:\n{log}"
        );
    }
}

#[test]
fn unauthorized_options_and_not_found_answers_are_well_formed() {
    let mut agent = TestAgent::with_api("api_key = \"k3y\"");
    agent.start();
    let http = client();
    let r = http
        .get(format!("{}/connectors", agent.url))
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    let challenge = r
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string());
    assert!(
        challenge
            .as_deref()
            .is_some_and(|c| c.starts_with("Bearer")),
        "401 without WWW-Authenticate: {challenge:?}"
    );

    let r = http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/connectors", agent.url),
        )
        .send()
        .unwrap();
    assert_eq!(r.status(), 204, "OPTIONS without CORS");
    let allow = r
        .headers()
        .get("allow")
        .map(|v| v.to_str().unwrap().to_string());
    assert!(
        allow
            .as_deref()
            .is_some_and(|a| a.contains("GET") && a.contains("POST")),
        "{allow:?}"
    );

    let long = "a".repeat(5000);
    let v = agent.get_json(&format!("/connectors/{long}"), 404);
    let message = v["message"].as_str().unwrap();
    assert!(
        message.len() < 300,
        "the 404 echoes the whole id: {} bytes",
        message.len()
    );
    assert!(message.contains(&"a".repeat(64)) && !message.contains(&"a".repeat(65)));
}
