//! The Iggy connectors runtime's routes on a real agent: every response reads as that
//! runtime's types, golden bodies match field for field and type for type, ids are stable
//! across agent restarts, writes take Iggy's config body, and `/stats` moved connect's own
//! statistics to `/system/stats`.

#[path = "iggy/mirror.rs"]
mod mirror;
mod support;

use std::path::Path;

use mirror::*;
use serde_json::{Value, json};
use support::*;

const SINK: &str = "id: out\ndescription: Out sink\nruntime: apirt\nsteps:\n  consumer: { stream: s, topic: t, consumer_group: g, batch_length: 100, poll_interval: 5ms }\n  transformer:\n    - add_fields: { fields: [ { name: k, value: v }, { name: at, computed: timestamp_ms } ] }\n    - delete_fields: { fields: [ secret ] }\n  sink: { type: discard, config: { token: s3cr3t-sink-token } }\n";
const SOURCE: &str = "id: in\ndescription: In source\nruntime: apirt\nsteps:\n  source: { type: behave, config: { mode: idle } }\n  transformer:\n    - update_fields: { fields: [ { name: k, value: v } ], condition: key_exists }\n  producer: { stream: s, topic: t }\n";
const PIPE: &str = "id: pipe\nruntime: apirt\nsteps:\n  consumer: { stream: a, topic: b, consumer_group: p }\n  producer: { stream: c, topic: d }\n";

fn golden(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/iggy/golden")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn text(agent: &TestAgent, path: &str) -> String {
    let r = agent.get(path);
    let status = r.status().as_u16();
    let body = r.text().unwrap();
    assert_eq!(status, 200, "GET {path}: {body}");
    body
}

/// An agent running a sink, a source, a pipe (both) and a bridge (neither).
fn agent_with_connectors(http_extra: &str) -> TestAgent {
    let mut agent = TestAgent::with_api(http_extra);
    agent.start();
    for doc in [SINK, SOURCE, PIPE] {
        agent.post_json("/connectors", doc, 201);
    }
    agent.post_json("/connectors", &secret_connector("bridge", "idle"), 201);
    for id in ["out", "in", "pipe", "bridge"] {
        agent.wait_state(id, "running");
    }
    agent
}

#[test]
fn every_iggy_route_answers_with_the_iggy_types() {
    let mut agent = agent_with_connectors("");
    let sinks: Vec<SinkInfoResponse> = parse("GET /sinks", &text(&agent, "/sinks"));
    let sources: Vec<SourceInfoResponse> = parse("GET /sources", &text(&agent, "/sources"));
    let keys = |l: &[SinkInfoResponse]| l.iter().map(|s| s.key.clone()).collect::<Vec<_>>();
    assert_eq!(keys(&sinks), ["out", "pipe"]);
    assert_eq!(keys(&sources), ["in", "pipe"]);
    for s in sinks.iter().chain(&sources) {
        assert_eq!(s.status, ConnectorStatus::Running, "{s:?}");
        assert!(s.enabled && s.id > 0 && s.last_error.is_none(), "{s:?}");
    }
    assert!(
        sinks[0].path.ends_with("connect-test-runtime#discard"),
        "{sinks:?}"
    );
    assert_eq!(sinks[0].name, "Out sink");
    assert_eq!(sinks[1].id, sources[1].id, "a pipe has one number");

    let d: SinkDetailsResponse = parse("GET /sinks/out", &text(&agent, "/sinks/out"));
    assert_eq!(d.streams[0].topics, ["t"]);
    assert_eq!(d.streams[0].consumer_group.as_deref(), Some("g"));
    assert_eq!(d.streams[0].poll_interval.as_deref(), Some("5ms"));
    assert_eq!(d.streams[0].batch_length, Some(100));
    let d: SourceDetailsResponse = parse("GET /sources/in", &text(&agent, "/sources/in"));
    assert_eq!(
        (d.streams[0].stream.as_str(), d.streams[0].topic.as_str()),
        ("s", "t")
    );

    for path in ["/sinks/out/configs/1", "/sinks/out/configs/active"] {
        let c: SinkConfigResponse = parse(path, &text(&agent, path));
        assert!(c.active && c.config.version == 1, "{c:?}");
        let plugin = c.config.plugin_config.expect("the component's config");
        assert!(
            plugin["token"].as_str().unwrap().starts_with("***"),
            "masked: {plugin}"
        );
        let t = c.config.transforms.expect("transforms by name");
        let add = &t.transforms[&TransformType::AddFields];
        assert_eq!(
            add["fields"][0],
            json!({"key": "k", "value": {"static": "v"}})
        );
        assert_eq!(
            add["fields"][1]["value"],
            json!({"computed": "timestamp_millis"})
        );
        assert_eq!(
            t.transforms[&TransformType::DeleteFields]["fields"],
            json!(["secret"])
        );
    }
    let list: Vec<SinkConfigResponse> = parse("configs", &text(&agent, "/sinks/out/configs"));
    assert_eq!(list.len(), 1);
    let c: SourceConfigResponse =
        parse("source config", &text(&agent, "/sources/in/configs/active"));
    let update = &c.config.transforms.unwrap().transforms[&TransformType::UpdateFields];
    assert_eq!(update["fields"][0]["condition"], "key_exists");
    let list: Vec<SourceConfigResponse> = parse("configs", &text(&agent, "/sources/in/configs"));
    assert_eq!(list.len(), 1);
    let pipe: SinkConfigResponse = parse("pipe", &text(&agent, "/sinks/pipe/configs/active"));
    assert!(pipe.config.plugin_config.is_none() && pipe.config.transforms.is_none());
    assert_eq!(agent.get("/sinks/pipe/configs/plugin").status(), 404);

    let t: Vec<TransformResponse> = parse("transforms", &text(&agent, "/sinks/out/transforms"));
    assert_eq!(
        t.iter().map(|t| t.r#type).collect::<Vec<_>>(),
        [TransformType::AddFields, TransformType::DeleteFields]
    );
    let t: Vec<TransformResponse> = parse("transforms", &text(&agent, "/sources/in/transforms"));
    assert_eq!(t[0].r#type, TransformType::UpdateFields);

    for (format, content_type, needle) in [
        ("json", "application/json", "{\"token\":\"***"),
        ("toml", "application/toml", "token = \"***"),
        ("yaml", "application/yaml", "token: "),
        ("text", "text/plain", "token = \"***"),
    ] {
        let r = agent.get(&format!("/sinks/out/configs/plugin?format={format}"));
        assert_eq!(r.status(), 200, "{format}");
        let ct = r.headers()["content-type"].to_str().unwrap().to_string();
        let body = r.text().unwrap();
        assert!(ct.starts_with(content_type), "{format}: {ct}");
        assert!(body.contains(needle), "{format}: {body}");
        assert_no_secret(&body, format);
    }
    let plugin: Value = parse("plugin", &text(&agent, "/sources/in/configs/plugin"));
    assert_eq!(plugin, json!({"mode": "idle"}));
    assert_error(
        &agent.get_json("/sinks/out/configs/plugin?format=xml", 400),
        "bad_request",
    );

    let stats: ConnectorRuntimeStats = parse("GET /stats", &text(&agent, "/stats"));
    assert_eq!((stats.sinks_total, stats.sinks_running), (2, 2));
    assert_eq!((stats.sources_total, stats.sources_running), (2, 2));
    assert_eq!(stats.connectors_runtime_version, env!("CARGO_PKG_VERSION"));
    assert!(stats.process_id > 0 && stats.memory_usage > 0 && stats.total_memory > 0);
    assert!(
        stats.start_time > 1_700_000_000_000_000,
        "microseconds since the epoch"
    );
    let sink = stats.connectors.iter().find(|c| c.key == "out").unwrap();
    assert_eq!(sink.connector_type, "sink");
    assert!(sink.messages_consumed.is_some() && sink.messages_processed.is_some());
    assert!(sink.messages_produced.is_none() && sink.messages_sent.is_none());
    let source = stats.connectors.iter().find(|c| c.key == "in").unwrap();
    assert!(source.messages_produced.is_some() && source.messages_sent.is_some());
    assert!(!stats.connectors.iter().any(|c| c.key == "bridge"));

    // A connector whose runtime refused its config: `error`, with the last error.
    agent.post_json(
        "/connectors",
        "id: broken\nruntime: apirt\nsteps:\n  source: { type: behave, config: { mode: invalid } }\n  producer: { stream: s, topic: t }\n",
        201,
    );
    agent.wait_state("broken", "failed");
    let broken: SourceDetailsResponse = parse("broken", &text(&agent, "/sources/broken"));
    assert_eq!(broken.info.status, ConnectorStatus::Error);
    let e = broken.info.last_error.expect("the last error");
    assert!(
        !e.message.is_empty() && e.timestamp > 1_700_000_000_000_000,
        "{e:?}"
    );
    agent.delete("/connectors/broken");

    let system = agent.get_json("/system/stats", 200);
    assert_eq!(system["totals"]["connectors"], 4, "{system:#}");
    assert_eq!(system["totals"]["by_state"]["running"], 4, "{system:#}");
    assert_eq!(agent.get_json("/", 200)["name"], "connect-agent");

    // The numbers are kept in the agent's state: the same after a restart.
    let ids: Vec<u32> = sinks.iter().chain(&sources).map(|s| s.id).collect();
    agent.stop();
    agent.start();
    let again: Vec<SinkInfoResponse> = parse("GET /sinks", &text(&agent, "/sinks"));
    let again_src: Vec<SourceInfoResponse> = parse("GET /sources", &text(&agent, "/sources"));
    let after: Vec<u32> = again.iter().chain(&again_src).map(|s| s.id).collect();
    assert_eq!(ids, after);
}

#[test]
fn golden_iggy_bodies_match_field_for_field_and_type_for_type() {
    let agent = agent_with_connectors("");
    let get = |path: &str| -> Value { agent.get_json(path, 200) };
    same_shape(
        "GET /sinks",
        "$",
        &golden("sink_info.json"),
        &get("/sinks")[0],
    );
    same_shape(
        "GET /sinks/out",
        "$",
        &golden("sink_details.json"),
        &get("/sinks/out"),
    );
    same_shape(
        "GET /sinks/out/configs/active",
        "$",
        &golden("sink_config.json"),
        &get("/sinks/out/configs/active"),
    );
    same_shape(
        "GET /sinks/out/configs",
        "$",
        &golden("sink_config.json"),
        &get("/sinks/out/configs")[0],
    );
    same_shape(
        "GET /sources/in",
        "$",
        &golden("source_details.json"),
        &get("/sources/in"),
    );
    same_shape(
        "GET /sources/in/configs/1",
        "$",
        &golden("source_config.json"),
        &get("/sources/in/configs/1"),
    );
    same_shape(
        "GET /sinks/out/transforms",
        "$",
        &golden("transforms.json")[0],
        &json!({"type": "add_fields", "config": get("/sinks/out/transforms")[0]["config"]}),
    );
    let stats = get("/stats");
    let golden_stats = golden("stats.json");
    let mut top = stats.clone();
    let mut golden_top = golden_stats.clone();
    top["connectors"] = json!([]);
    golden_top["connectors"] = json!([]);
    same_shape("GET /stats", "$", &golden_top, &top);
    for (key, at) in [("in", 0), ("out", 1)] {
        let item = stats["connectors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["key"] == key)
            .unwrap();
        same_shape(
            "GET /stats",
            &format!("connectors[{key}]"),
            &golden_stats["connectors"][at],
            item,
        );
    }
}

#[test]
fn writes_take_iggy_bodies_activate_and_restart_as_there() {
    let mut agent = TestAgent::with_api("iggy_compat_root = true");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let bin_dir = connect_tests::workspace_bin("connect-agent")
        .parent()
        .unwrap()
        .to_path_buf();
    agent.add_runtimes(&repo.join("runtimes"), &bin_dir);
    agent.start();
    assert_eq!(text(&agent, "/"), "Connector Runtime API");
    agent.post_json("/connectors", SINK, 201);
    let first = agent.wait_state("out", "running");

    // What GET answers, POSTed back, is a new version with the same meaning.
    let mut body = agent.get_json("/sinks/out/configs/active", 200);
    for k in ["key", "version", "active"] {
        body.as_object_mut().unwrap().remove(k);
    }
    let created: SinkConfigResponse = parse(
        "POST /sinks/out/configs",
        &expect_text(agent.post("/sinks/out/configs", &body.to_string()), 200),
    );
    assert_eq!((created.config.version, created.active), (2, false));
    let v2 = agent.get_json("/connectors/out/configs/2", 200)["config"].clone();
    let v1 = agent.get_json("/connectors/out/configs/1", 200)["config"].clone();
    assert_eq!(v2["steps"]["consumer"], v1["steps"]["consumer"]);
    assert_eq!(v2["steps"]["transformer"], v1["steps"]["transformer"]);
    assert_eq!(v2["runtime"], "apirt");
    // The masked secret sent back keeps the stored value (the state file holds it).
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(agent.state_dir().join("agent.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        state["connectors"]["out"]["versions"][1]["config"]["steps"]["sink"]["config"]["token"],
        SINK_SECRET
    );

    // An edited topic group, activated the Iggy way: 204, and the connector restarts with it.
    body["streams"][0]["consumer_group"] = json!("g2");
    agent.post("/sinks/out/configs", &body.to_string());
    let r = agent.put("/sinks/out/configs/active", r#"{"version": 3}"#);
    assert_eq!(r.status(), 204, "{}", r.text().unwrap());
    agent.wait_running_again("out", pid_of(&first));
    let active: SinkConfigResponse = parse("active", &text(&agent, "/sinks/out/configs/active"));
    assert_eq!(active.config.version, 3);
    assert_eq!(
        active.config.streams[0].consumer_group.as_deref(),
        Some("g2")
    );

    // An Iggy plugin path is translated to the component that takes it over.
    let iggy_stdout = json!({
        "enabled": true, "name": "Stdout", "path": "target/release/libiggy_connector_stdout_sink",
        "transforms": {"delete_fields": {"enabled": true, "fields": ["x"]}},
        "streams": [{"stream": "s", "topics": ["t"], "schema": "json", "consumer_group": "g"}],
        "plugin_config_format": "toml", "plugin_config": {"print_payload": true},
        "verbose": false, "benchmark": false
    });
    let created: SinkConfigResponse = parse(
        "POST an Iggy stdout sink",
        &expect_text(
            agent.post("/sinks/out/configs", &iggy_stdout.to_string()),
            200,
        ),
    );
    assert!(
        created.config.path.ends_with("essentials#stdout"),
        "{created:?}"
    );
    let v4 = agent.get_json("/connectors/out/configs/4", 200)["config"].clone();
    assert_eq!(
        (v4["runtime"].as_str(), v4["steps"]["sink"]["type"].as_str()),
        (Some("essentials"), Some("stdout"))
    );

    // What cannot be translated is a 400 naming every field.
    let bad = json!({
        "enabled": true, "name": "x", "path": "libiggy_connector_elasticsearch_sink.so",
        "streams": [{"stream": "s", "topics": ["t"], "schema": "avro", "consumer_group": "g"}],
        "transforms": {"proto_convert": {"enabled": true}},
        "plugin_config": {}, "verbose": true
    });
    let err = agent.post_json("/sinks/out/configs", &bad.to_string(), 400);
    assert_error(&err, "untranslatable");
    let paths: Vec<&str> = err["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    for p in [
        "path",
        "streams[0].schema",
        "transforms.proto_convert",
        "verbose",
    ] {
        assert!(paths.contains(&p), "{p} missing from {err:#}");
    }
    let mut two = iggy_stdout.clone();
    two["streams"][0]["topics"] = json!(["a", "b"]);
    let err = agent.post_json("/sinks/out/configs", &two.to_string(), 400);
    assert!(
        err["message"].as_str().unwrap().contains("one topic"),
        "{err:#}"
    );
    assert_error(
        &agent.post_json("/sources/out/configs", "{}", 404),
        "not_found",
    );

    // A source takes Iggy's source body the same way.
    agent.post_json("/connectors", SOURCE, 201);
    agent.wait_state("in", "running");
    let mut src = agent.get_json("/sources/in/configs/active", 200);
    src["streams"][0]["linger_time"] = json!("20ms");
    let created: SourceConfigResponse = parse(
        "POST /sources/in/configs",
        &expect_text(agent.post("/sources/in/configs", &src.to_string()), 200),
    );
    assert_eq!((created.config.version, created.active), (2, false));
    assert_eq!(
        created.config.streams[0].linger_time.as_deref(),
        Some("20ms")
    );

    // Restart answers 204 once the new process is up.
    let before = agent.wait_state("out", "running");
    let r = agent.post("/sinks/out/restart", "");
    assert_eq!(r.status(), 204, "{}", r.text().unwrap());
    let after = agent.connector("out").unwrap();
    assert_eq!(after["state"], "running", "{after:#}");
    assert_ne!(pid_of(&after), pid_of(&before), "a new process runs");
}

fn expect_text(r: reqwest::blocking::Response, status: u16) -> String {
    let got = r.status().as_u16();
    let body = r.text().unwrap();
    assert_eq!(got, status, "{body}");
    body
}
