//! Agent-wide endpoints, runtimes, logs (tail and SSE follow), Prometheus metrics, the OpenAPI
//! document, reload, the Iggy-compatible views and the delete rule for config-dir connectors.

mod support;

use std::io::{BufRead, BufReader};

use serde_json::Value;
use support::*;

#[test]
fn system_endpoints_metrics_and_openapi() {
    let mut agent = TestAgent::with_api("");
    agent.write_connector("m1.yml", &testrt_connector("m1", "idle"));
    agent.start();
    agent.wait_state("m1", "running");
    let welcome = agent.get_json("/", 200);
    assert_eq!(welcome["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(agent.get_json("/health", 200)["status"], "healthy");
    assert_eq!(agent.get_json("/ready", 200)["status"], "ready");
    let stats = agent.get_json("/system/stats", 200);
    assert_eq!(stats["totals"]["connectors"], 1);
    assert_eq!(stats["totals"]["by_state"]["running"], 1);
    assert!(stats["totals"]["agent_pid"].as_u64().is_some(), "{stats:#}");

    let r = agent.get("/metrics");
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = r.text().unwrap();
    assert!(
        text.contains("connect_connectors{state=\"running\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("connect_connector_up{connector=\"m1\"} 1"),
        "{text}"
    );
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        assert!(
            line.starts_with("connect_"),
            "metric without the connect_ prefix: {line}"
        );
        let labels = line
            .split_once('{')
            .map(|(_, rest)| rest.split_once('}').unwrap().0)
            .unwrap_or("");
        for label in labels.split(',').filter(|l| !l.is_empty()) {
            let name = label.split('=').next().unwrap();
            assert!(
                matches!(name, "connector" | "state" | "version"),
                "unbounded label {name} in {line}"
            );
        }
    }

    let served = agent.get_json("/openapi.json", 200);
    let on_disk: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        served, on_disk,
        "docs/openapi.json differs from the served document; regenerate it (see docs/api.md)"
    );
    // Every documented GET without parameters answers (no 404/405 for a documented route).
    for (path, ops) in served["paths"].as_object().unwrap() {
        // GET /connectors/validate reads a connector stored with the reserved id `validate`
        // (older state): 404 unless one exists.
        if ops.get("get").is_some() && !path.contains('{') && path != "/connectors/validate" {
            let status = agent.get(path).status().as_u16();
            assert!(status == 200, "GET {path} answered {status}");
        }
    }

    // Reload picks up a new file.
    agent.write_connector("m2.yml", &testrt_connector("m2", "idle"));
    let report = agent.post_json("/reload", "", 200);
    assert_eq!(report["added"], serde_json::json!(["m2"]), "{report:#}");
    agent.wait_state("m2", "running");
}

#[test]
fn runtimes_and_component_definitions() {
    let mut agent = TestAgent::with_api("");
    agent.start();
    let list = agent.get_json("/runtimes", 200);
    let names: Vec<&str> = list["runtimes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"testrt") && names.contains(&"apirt"),
        "{list:#}"
    );
    let apirt = agent.get_json("/runtimes/apirt", 200);
    assert_eq!(apirt["runtime"]["name"], "apirt");
    assert!(apirt["sources"]["behave"].is_object(), "{apirt:#}");
    let source = agent.get_json("/runtimes/apirt/sources/behave", 200);
    let password = source["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "password")
        .expect("password field");
    assert_eq!(password["secret"], true);
    assert_eq!(
        agent.get_json("/runtimes/apirt/sinks/discard", 200)["name"],
        "discard"
    );
    assert_error(&agent.get_json("/runtimes/nosuch", 404), "not_found");
    assert_error(
        &agent.get_json("/runtimes/apirt/sources/nosuch", 404),
        "not_found",
    );
    assert_error(
        &agent.get_json("/runtimes/apirt/sinks/behave", 404),
        "not_found",
    );
}

#[test]
fn logs_tail_and_follow_until_the_client_leaves() {
    let mut agent = TestAgent::with_api("");
    let doc = "id: talker\nruntime: testrt\nsteps:\n  source: { type: behave, config: { mode: flood, lines: 500 } }\n  sink: { type: discard }\n";
    agent.write_connector("talker.yml", doc);
    agent.start();
    agent.wait_state("talker", "running");
    let logs = connect_tests::wait_for(WAIT, "`flood done` in the log tail", || {
        let v = agent.get_json("/connectors/talker/logs?tail=3&stream=stdout", 200);
        (v["lines"].as_array().unwrap().last().map(|l| &l["line"])
            == Some(&Value::from("flood done")))
        .then_some(v)
    });
    assert_eq!(logs["id"], "talker");
    assert_eq!(logs["lines"].as_array().unwrap().len(), 3);
    assert!(
        logs["lines"][1]["line"]
            .as_str()
            .unwrap()
            .starts_with("line 0000000499"),
        "{logs:#}"
    );
    assert_eq!(logs["lines"][1]["stream"], "stdout");
    assert!(logs["lines"][1]["ts_ms"].as_u64().unwrap() > 1_700_000_000_000);
    // Beyond the in-memory tail, the files answer, both streams merged by capture time.
    let many = agent.get_json("/connectors/talker/logs?tail=300", 200);
    let many = many["lines"].as_array().unwrap();
    assert_eq!(many.len(), 300);
    let times: Vec<u64> = many.iter().map(|l| l["ts_ms"].as_u64().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    let stderr = agent.get_json("/connectors/talker/logs?stream=stderr", 200);
    let stderr = stderr["lines"].as_array().unwrap();
    assert_eq!(stderr.len(), 1, "{stderr:?}");
    assert_eq!(stderr[0]["line"], "flood: 500 lines to stdout");
    // Both streams by default: stderr lines show up without asking for them.
    let both = agent.get_json("/connectors/talker/logs?tail=10000", 200);
    let both = both["lines"].as_array().unwrap();
    assert!(both.iter().any(|l| l["stream"] == "stderr"), "{both:?}");
    assert!(both.iter().any(|l| l["stream"] == "stdout"));
    assert_error(
        &agent.get_json("/connectors/talker/logs?stream=all", 400),
        "bad_request",
    );
    assert_error(
        &agent.get_json("/connectors/talker/logs?tail=many", 400),
        "bad_request",
    );

    // Follow: the last line first, then what the next run prints.
    let r = agent.get("/connectors/talker/logs?follow=true&tail=1&stream=stdout");
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut lines = BufReader::new(r).lines();
    let mut next_data = move || {
        let mut event = None;
        loop {
            let line = lines
                .next()
                .expect("the stream ended")
                .expect("read the stream");
            if let Some(e) = line.strip_prefix("event: ") {
                event = Some(e.to_string());
            } else if let Some(d) = line.strip_prefix("data: ") {
                assert_eq!(
                    event.as_deref(),
                    Some("stdout"),
                    "events are named after their stream"
                );
                return d.to_string();
            }
        }
    };
    assert_eq!(next_data(), "flood done");
    agent.post_json("/connectors/talker/restart", "", 202);
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        if next_data() == "flood done" {
            break; // the second run's output arrived over the stream
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the second run's output never came over SSE"
        );
    }
    drop(next_data);
    // The client left; the agent keeps serving.
    assert_eq!(agent.get_json("/health", 200)["status"], "healthy");
}

#[test]
fn iggy_compatible_sink_and_source_views() {
    let mut agent = TestAgent::with_api("");
    agent.start();
    let sink = format!(
        "id: to-ext\nruntime: apirt\nenabled: false\nsteps:\n  consumer: {{ stream: s, topic: t, consumer_group: g, iggy: {{ username: u, password: {IGGY_SECRET} }} }}\n  sink: {{ type: discard, config: {{ token: {SINK_SECRET} }} }}\n"
    );
    let source = format!(
        "id: from-ext\nruntime: apirt\nenabled: false\nsteps:\n  source: {{ type: behave, config: {{ password: {SOURCE_SECRET} }} }}\n  producer: {{ stream: s, topic: t }}\n"
    );
    agent.post_json("/connectors", &sink, 201);
    agent.post_json("/connectors", &source, 201);
    agent.post_json("/connectors", &secret_connector("bridge", "idle"), 201);

    let sinks = agent.get_json("/sinks", 200);
    assert_eq!(
        sinks
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["key"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["to-ext"]
    );
    let sources = agent.get_json("/sources", 200);
    assert_eq!(
        sources
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["key"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["from-ext"]
    );
    assert_eq!(sinks[0]["enabled"], false);

    let details = agent.get_json("/sinks/to-ext", 200);
    assert_eq!(details["streams"][0]["stream"], "s");
    assert_no_secret(&details.to_string(), "GET /sinks/to-ext");
    assert_no_secret(
        &agent.get_json("/sources/from-ext", 200).to_string(),
        "GET /sources/from-ext",
    );
    assert_error(&agent.get_json("/sinks/from-ext", 404), "not_found");
    assert_error(&agent.get_json("/sources/to-ext", 404), "not_found");
    assert_error(&agent.get_json("/sinks/bridge", 404), "not_found");

    for kind in ["sinks", "sources"] {
        let key = if kind == "sinks" {
            "to-ext"
        } else {
            "from-ext"
        };
        let configs = agent.get_json(&format!("/{kind}/{key}/configs"), 200);
        assert_no_secret(&configs.to_string(), "compat configs");
        assert_eq!(
            agent.get_json(&format!("/{kind}/{key}/configs/1"), 200)["version"],
            1
        );
        assert_eq!(
            agent.get_json(&format!("/{kind}/{key}/configs/active"), 200)["version"],
            1
        );
        let text = agent
            .get(&format!("/{kind}/{key}/configs/plugin?format=yaml"))
            .text()
            .unwrap();
        assert!(text.contains("***"), "{text}");
        assert_no_secret(&text, "compat plugin config");
        assert_eq!(
            agent.get_json(&format!("/{kind}/{key}/transforms"), 200),
            Value::Array(vec![])
        );
    }
    let v2 = sink.replace("consumer_group: g", "consumer_group: g2");
    assert_eq!(
        agent.post_json("/sinks/to-ext/configs", &v2, 201)["version"],
        2
    );
    let r = agent.put("/sinks/to-ext/configs/active", r#"{"version": 2}"#);
    assert_eq!(
        r.status(),
        204,
        "activate via /sinks: {}",
        r.text().unwrap()
    );
    assert_eq!(
        agent.get_json("/connectors/to-ext", 200)["state"],
        "stopped",
        "a disabled connector is not started by an activation"
    );
    assert_eq!(
        agent.get_json("/sinks/to-ext/configs/active", 200)["streams"][0]["consumer_group"],
        "g2"
    );
}

#[test]
fn deleting_a_config_dir_connector_hides_it_until_its_file_changes() {
    let mut agent = TestAgent::with_api("");
    agent.write_connector("filed.yml", &testrt_connector("filed", "idle"));
    agent.start();
    let c = agent.wait_state("filed", "running");
    assert_eq!(c["origin"], "file");
    let d = expect(
        agent.delete("/connectors/filed"),
        200,
        "DELETE a file connector",
    );
    assert_eq!(d["rule"], "hidden_until_file_changes", "{d:#}");
    assert!(
        agent.connectors_dir().join("filed.yml").exists(),
        "the config dir must not be written"
    );
    assert_error(&agent.get_json("/connectors/filed", 404), "not_found");
    agent.post_json("/reload", "", 200);
    assert_error(&agent.get_json("/connectors/filed", 404), "not_found");
    // Durable: an agent restart keeps it hidden.
    agent.stop();
    agent.start();
    assert_error(&agent.get_json("/connectors/filed", 404), "not_found");
    // A changed file brings it back (as the agent restores it: stopped until started).
    agent.write_connector(
        "filed.yml",
        &(testrt_connector("filed", "idle") + "description: edited\n"),
    );
    agent.post_json("/reload", "", 200);
    let back = agent.wait_connector("filed", "visible again", |c| c["description"] == "edited");
    assert_eq!(back["origin"], "file");
    agent.post_json("/connectors/filed/start", "", 202);
    agent.wait_state("filed", "running");
}

#[test]
fn every_documented_route_is_served() {
    let mut agent = TestAgent::with_api("");
    agent.start();
    let sink = "id: out\nruntime: apirt\nenabled: false\nsteps:\n  consumer: { stream: s, topic: t, consumer_group: g }\n  sink: { type: discard }\n";
    let source = "id: in\nruntime: apirt\nenabled: false\nsteps:\n  source: { type: behave }\n  producer: { stream: s, topic: t }\n";
    agent.post_json("/connectors", sink, 201);
    agent.post_json("/connectors", source, 201);
    let doc = agent.get_json("/openapi.json", 200);
    let mut checked = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{id}", "out")
            .replace("{version}", "1")
            .replace("{name}", "apirt")
            .replace(
                "{key}",
                if path.starts_with("/sinks") {
                    "out"
                } else {
                    "in"
                },
            )
            .replace(
                "{component}",
                if path.contains("/sources/") {
                    "behave"
                } else {
                    "discard"
                },
            );
        for method in ops.as_object().unwrap().keys() {
            if method == "delete" {
                continue; // covered by the connector tests; it would remove the fixture
            }
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = agent
                .http
                .request(m, format!("{}{concrete}", agent.url))
                .send()
                .unwrap();
            let status = r.status().as_u16();
            let text = r.text().unwrap_or_default();
            assert!(
                status != 405 && !text.contains("no such endpoint"),
                "{method} {path} ({concrete}) is documented but not served: {status} {text}"
            );
            assert!(status < 500, "{method} {concrete}: {status} {text}");
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} routes checked");
}
