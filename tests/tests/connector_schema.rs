//! Every connector document shipped in the repository (examples/, the runtimes' bench
//! connectors, the Kubernetes ConfigMap in deploy/) validates against docs/connector.schema.json,
//! and each component's `config` against its component schema from the agent
//! (`/runtimes/{name}/sources|sinks/{c}/schema`), with an independent validator (`jsonschema`).

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;
use support::TestAgent;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn yaml(text: &str, what: &str) -> Value {
    connect_runtime_sdk::yaml::from_str(text).unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// (where, document) for every connector the repository ships.
fn shipped_connectors() -> Vec<(String, Value)> {
    let mut files: Vec<PathBuf> = Vec::new();
    let mut dirs = vec![repo().join("examples")];
    for runtime in std::fs::read_dir(repo().join("runtimes")).expect("runtimes/") {
        let dir = runtime.expect("entry").path();
        dirs.extend([dir.join("bench"), dir.join("examples")]);
    }
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let p = e.expect("entry").path();
            if matches!(p.extension().and_then(|x| x.to_str()), Some("yml" | "yaml")) {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut out: Vec<(String, Value)> = files
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("read connector");
            (
                p.display().to_string(),
                yaml(&text, &p.display().to_string()),
            )
        })
        .collect();
    // The Kubernetes manifests ship connectors in the `connect-connectors` ConfigMap.
    let k8s = repo().join("deploy/kubernetes/connect-agent.yaml");
    let text = std::fs::read_to_string(&k8s).expect("read the kubernetes manifest");
    for doc in text.split("\n---\n") {
        let v = yaml(doc, "deploy/kubernetes/connect-agent.yaml");
        if v["kind"] == "ConfigMap" && v["metadata"]["name"] == "connect-connectors" {
            for (name, body) in v["data"].as_object().expect("ConfigMap data") {
                let body = body.as_str().expect("a connector file");
                out.push((format!("{}:{name}", k8s.display()), yaml(body, name)));
            }
        }
    }
    out
}

fn check(validator: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn every_shipped_connector_validates_against_both_schemas() {
    let schema_text =
        std::fs::read_to_string(repo().join("docs/connector.schema.json")).expect("the schema");
    let schema: Value = serde_json::from_str(&schema_text).expect("the schema is JSON");
    let document = jsonschema::validator_for(&schema).expect("a valid JSON Schema");

    let connectors = shipped_connectors();
    assert!(
        connectors.len() >= 20,
        "the examples are found: {}",
        connectors.len()
    );

    // The repository's runtimes (essentials, sql, messaging, vanilla) answer the component schemas.
    let mut agent = TestAgent::with_api("");
    let bin_dir = connect_tests::workspace_bin("essentials")
        .parent()
        .expect("bin dir")
        .to_path_buf();
    agent.add_runtimes(&repo().join("runtimes"), &bin_dir);
    agent.start();
    let mut problems = Vec::new();
    let mut components = 0;
    for (place, doc) in &connectors {
        for e in check(&document, doc) {
            problems.push(format!("{place}: {e}"));
        }
        let runtime = doc["runtime"].as_str().expect("runtime");
        let name = runtime.split(':').next().expect("name");
        for (step, dir) in [("source", "sources"), ("sink", "sinks")] {
            let Some(step) = doc["steps"].get(step) else {
                continue;
            };
            let kind = step["type"].as_str().expect("type");
            let path = format!("/runtimes/{name}/{dir}/{kind}/schema");
            let schema = agent.get_json(&path, 200);
            let validator = jsonschema::validator_for(&schema)
                .unwrap_or_else(|e| panic!("{path} is not a valid JSON Schema: {e}"));
            let config = step
                .get("config")
                .cloned()
                .unwrap_or(Value::Object(Default::default()));
            for e in check(&validator, &config) {
                problems.push(format!("{place}: {dir}/{kind} config: {e}"));
            }
            components += 1;
        }
    }
    agent.stop();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        components >= connectors.len(),
        "every connector has a component checked"
    );
}

#[test]
fn the_schema_refuses_what_the_agent_refuses() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("docs/connector.schema.json")).expect("the schema"),
    )
    .expect("JSON");
    let v = jsonschema::validator_for(&schema).expect("valid");
    let good = yaml(
        "id: ok-1\nruntime: essentials\nsteps:\n  source: { type: generate }\n  sink: { type: stdout }\nrestart: { initial_backoff: 250ms }\n",
        "good",
    );
    assert!(v.is_valid(&good), "{:?}", check(&v, &good));
    for (bad, why) in [
        (
            "id: Bad_Id\nruntime: essentials\nsteps: {}\n",
            "an id with capitals",
        ),
        (
            "id: x\nruntime: essentials\nsteps: {}\nextra: 1\n",
            "an unknown key",
        ),
        ("id: x\nsteps: {}\n", "no runtime"),
        (
            "id: x\nruntime: essentials\nsteps: {}\nrestart: { initial_backoff: 5 }\n",
            "a duration without a unit",
        ),
        (
            "id: x\nruntime: essentials\nsteps:\n  transformer: [ { nope: {} } ]\n",
            "an unknown transform",
        ),
    ] {
        assert!(!v.is_valid(&yaml(bad, why)), "the schema accepts {why}");
    }
}
