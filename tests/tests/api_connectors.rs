//! The connectors API over real HTTP against a running agent: create, 409, invalid bodies,
//! show, filters, start/stop/restart, validation, delete, config versions and activation.

mod support;

use serde_json::Value;
use support::*;

#[test]
fn create_show_filter_and_delete_an_api_connector() {
    let mut agent = TestAgent::with_api("");
    agent.start();
    let created = agent.post_json("/connectors", &secret_connector("alpha", "idle"), 201);
    assert_eq!(created["id"], "alpha");
    assert_eq!(created["origin"], "api");
    assert_eq!(created["direction"], "bridge");
    assert_no_secret(&created.to_string(), "POST /connectors");

    // The same id again is a conflict, in the one error shape.
    let conflict = expect(
        agent.post("/connectors", &secret_connector("alpha", "idle")),
        409,
        "duplicate create",
    );
    assert_error(&conflict, "conflict");

    // A JSON body works as well as YAML.
    let json_doc = r#"{"id": "beta", "runtime": "testrt", "enabled": false, "steps": {"source": {"type": "behave"}, "sink": {"type": "discard"}}}"#;
    agent.post_json("/connectors", json_doc, 201);

    let running = agent.wait_state("alpha", "running");
    assert!(running["pid"].as_u64().is_some(), "{running:#}");
    assert_eq!(
        running["config"]["steps"]["source"]["config"]["password"],
        connect_runtime_sdk::metadata::MASK
    );
    assert_no_secret(&running.to_string(), "GET /connectors/alpha");
    assert!(running["metrics"].is_object(), "{running:#}");

    let all = agent.get_json("/connectors", 200);
    assert_eq!(all.as_array().map(Vec::len), Some(2), "{all:#}");
    let stopped = agent.get_json("/connectors?state=stopped", 200);
    assert_eq!(ids(&stopped), ["beta"]);
    let by_runtime = agent.get_json("/connectors?runtime=apirt", 200);
    assert_eq!(ids(&by_runtime), ["alpha"]);
    assert_error(
        &agent.get_json("/connectors?colour=red", 400),
        "bad_request",
    );
    for (query, allowed) in [
        ("state=bogus", "running, backoff"),
        ("direction=sideways", "inlet, outlet"),
    ] {
        let e = agent.get_json(&format!("/connectors?{query}"), 400);
        assert_error(&e, "bad_request");
        assert!(
            e["message"].as_str().unwrap().contains(allowed),
            "the allowed values are named: {e:#}"
        );
    }

    // Stop, start, restart.
    let pid = running["pid"].as_u64().unwrap();
    let r = agent.post_json("/connectors/alpha/stop", "", 202);
    assert_eq!(r["desired"], "stopped");
    agent.wait_state("alpha", "stopped");
    agent.post_json("/connectors/alpha/start", "", 202);
    let again = agent.wait_connector("alpha", "running with a new process", |c| {
        c["state"] == "running" && c["pid"].as_u64().is_some_and(|p| p != pid)
    });
    let pid2 = again["pid"].as_u64().unwrap();
    agent.post_json("/connectors/alpha/restart", "", 202);
    agent.wait_connector("alpha", "restarted", |c| {
        c["state"] == "running" && c["pid"].as_u64().is_some_and(|p| p != pid2)
    });

    // Unknown connectors are 404 everywhere.
    for path in [
        "/connectors/nope",
        "/connectors/nope/configs",
        "/connectors/nope/configs/active",
        "/connectors/nope/logs",
        "/connectors/nope/transforms",
    ] {
        assert_error(&agent.get_json(path, 404), "not_found");
    }
    for action in ["start", "stop", "restart"] {
        assert_error(
            &agent.post_json(&format!("/connectors/nope/{action}"), "", 404),
            "not_found",
        );
    }

    // Delete stops the process and forgets the connector, also across an agent restart.
    let last = agent.get_json("/connectors/alpha", 200)["pid"]
        .as_u64()
        .unwrap();
    let d = expect(agent.delete("/connectors/alpha"), 200, "DELETE");
    assert_eq!(d["rule"], "removed");
    assert_error(
        &expect(agent.delete("/connectors/alpha"), 404, "DELETE again"),
        "not_found",
    );
    assert_error(&agent.get_json("/connectors/alpha", 404), "not_found");
    connect_tests::wait_for(WAIT, "the deleted connector's process to exit", || {
        gone(last).then_some(())
    });
    agent.stop();
    agent.start();
    assert_eq!(ids(&agent.get_json("/connectors", 200)), ["beta"]);
}

#[test]
fn invalid_bodies_are_400_with_every_field_error() {
    let mut agent = TestAgent::with_api("");
    agent.start();
    assert_error(&agent.post_json("/connectors", "", 400), "bad_request");
    assert_error(
        &agent.post_json("/connectors", "{ not json", 400),
        "bad_request",
    );
    assert_error(
        &agent.post_json("/connectors", "id: [unclosed", 400),
        "bad_request",
    );
    let unknown = agent.post_json("/connectors", "id: x\nruntime: testrt\ncolour: red\nsteps: { source: { type: behave }, sink: { type: discard } }\n", 400);
    assert_error(&unknown, "invalid_config");
    assert!(
        unknown["details"].to_string().contains("colour"),
        "{unknown:#}"
    );
    // Against the runtime: an unknown component and a bad value, both reported with paths.
    let doc = "id: x\nruntime: testrt\nsteps:\n  source: { type: behave, config: { mode: sideways } }\n  sink: { type: nowhere }\n";
    let bad = agent.post_json("/connectors", doc, 400);
    assert_error(&bad, "invalid_config");
    let paths: Vec<&str> = bad["details"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["path"].as_str())
        .collect();
    assert!(
        paths
            .iter()
            .any(|p| p.starts_with("steps.source.config.mode")),
        "{bad:#}"
    );
    assert!(paths.contains(&"steps.sink.type"), "{bad:#}");
    let unknown_runtime = agent.post_json(
        "/connectors",
        &testrt_connector("x", "idle").replace("testrt", "nosuch"),
        400,
    );
    assert_eq!(
        unknown_runtime["details"][0]["path"], "runtime",
        "{unknown_runtime:#}"
    );

    // The dry run reports the same and stores nothing.
    let dry = agent.post_json("/connectors/validate", doc, 400);
    assert_eq!(dry["details"], bad["details"]);
    let ok = agent.post_json(
        "/connectors/validate",
        &secret_connector("dry", "idle"),
        200,
    );
    assert_eq!(ok["valid"], true);
    assert_no_secret(&ok.to_string(), "POST /connectors/validate");
    assert_error(&agent.get_json("/connectors/dry", 404), "not_found");
    assert_eq!(agent.get_json("/connectors", 200), Value::Array(vec![]));

    // Unknown endpoints and methods answer in the same shape.
    assert_error(&agent.get_json("/nowhere", 404), "not_found");
    assert_error(
        &expect(agent.put("/connectors", ""), 405, "PUT /connectors"),
        "method_not_allowed",
    );
}

#[test]
fn config_versions_activate_and_restart_only_that_connector() {
    let mut agent = TestAgent::with_api("");
    agent.start();
    agent.post_json("/connectors", &secret_connector("one", "idle"), 201);
    agent.post_json("/connectors", &testrt_connector("other", "idle"), 201);
    let one = agent.wait_state("one", "running");
    let other = agent.wait_state("other", "running");

    let v2 = secret_connector("one", "idle")
        .replace("description: has secrets", "description: second version")
        + "steps_extra: 1\n";
    assert_error(
        &agent.post_json("/connectors/one/configs", &v2, 400),
        "invalid_config",
    );
    let v2 = secret_connector("one", "idle")
        .replace("description: has secrets", "description: second version");
    let added = agent.post_json("/connectors/one/configs", &v2, 201);
    assert_eq!(added["version"], 2);
    assert_eq!(added["active"], false);
    assert_error(
        &agent.post_json(
            "/connectors/one/configs",
            &secret_connector("not-one", "idle"),
            400,
        ),
        "invalid_config",
    );
    assert_error(
        &agent.post_json(
            "/connectors/nope/configs",
            &secret_connector("nope", "idle"),
            404,
        ),
        "not_found",
    );

    let list = agent.get_json("/connectors/one/configs", 200);
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    assert_eq!(list[0]["active"], true);
    assert_no_secret(&list.to_string(), "GET configs");
    let second = agent.get_json("/connectors/one/configs/2", 200);
    assert_eq!(second["config"]["description"], "second version");
    assert_no_secret(&second.to_string(), "GET configs/2");
    assert_error(
        &agent.get_json("/connectors/one/configs/9", 404),
        "not_found",
    );
    assert_error(
        &agent.get_json("/connectors/one/configs/two", 400),
        "bad_request",
    );
    assert_eq!(
        agent.get_json("/connectors/one/configs/active", 200)["version"],
        1
    );

    assert_error(
        &expect(
            agent.put("/connectors/one/configs/active", r#"{"version": 9}"#),
            404,
            "activate 9",
        ),
        "not_found",
    );
    assert_error(
        &expect(
            agent.put("/connectors/one/configs/active", r#"{"v": 2}"#),
            400,
            "activate bad body",
        ),
        "bad_request",
    );
    let activated = expect(
        agent.put("/connectors/one/configs/active", r#"{"version": 2}"#),
        200,
        "activate 2",
    );
    assert_eq!(activated["restarted"], true, "{activated:#}");
    assert!(
        activated["message"].as_str().unwrap().contains("restarts"),
        "{activated:#}"
    );
    let old = one["pid"].as_u64().unwrap();
    agent.wait_connector("one", "running version 2", |c| {
        c["state"] == "running" && c["version"] == 2 && c["pid"].as_u64().is_some_and(|p| p != old)
    });
    assert_eq!(
        agent.get_json("/connectors/one/configs/active", 200)["version"],
        2
    );
    assert_eq!(
        agent.get_json("/connectors/other", 200)["pid"],
        other["pid"],
        "activating one connector's version touched another"
    );

    // The component ("plugin") config in every format, masked; and the transforms.
    let plugin = agent.get_json("/connectors/one/configs/plugin", 200);
    assert_eq!(plugin["source"]["type"], "behave");
    assert_eq!(
        plugin["source"]["config"]["password"],
        connect_runtime_sdk::metadata::MASK
    );
    for format in ["json", "yaml", "toml", "text"] {
        let r = agent.get(&format!("/connectors/one/configs/plugin?format={format}"));
        assert_eq!(r.status(), 200, "format {format}");
        let text = r.text().unwrap();
        assert!(text.contains("behave"), "format {format}: {text}");
        assert_no_secret(&text, &format!("plugin config as {format}"));
    }
    assert_error(
        &agent.get_json("/connectors/one/configs/plugin?format=xml", 400),
        "bad_request",
    );
    assert_eq!(
        agent.get_json("/connectors/one/transforms", 200),
        Value::Array(vec![])
    );
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

fn gone(pid: u64) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}
