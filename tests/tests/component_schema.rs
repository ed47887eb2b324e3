//! The JSON Schema of a component's config over HTTP (`/runtimes/{name}/sources|sinks/{c}/schema`)
//! and from the CLI (`connect-agent runtime schema NAME source|sink C`), generated from the
//! runtime's `.connect` field definitions: enums, defaults, secrets as `writeOnly`.

mod support;

use std::process::Command;

use serde_json::Value;
use support::{TestAgent, assert_error};

#[test]
fn component_schemas_come_from_the_field_definitions() {
    let mut agent = TestAgent::with_api("");
    agent.start();

    let source = agent.get_json("/runtimes/apirt/sources/behave/schema", 200);
    assert_eq!(source["type"], "object");
    assert_eq!(source["additionalProperties"], false, "{source:#}");
    assert_eq!(source["title"], "Behave");
    let props = &source["properties"];
    let mut names: Vec<&String> = props.as_object().expect("properties").keys().collect();
    names.sort();
    assert_eq!(names, ["lines", "mode", "password"], "{source:#}");
    // Every field here has a default or is optional: nothing is required.
    assert!(source.get("required").is_none(), "{source:#}");
    let mode = &props["mode"]["anyOf"][0];
    assert_eq!(mode["default"], "idle");
    assert!(
        mode.to_string()
            .contains(r#""enum":["idle","flood","invalid","crash","exit0"]"#),
        "the enum of mode: {mode:#}"
    );
    assert_eq!(props["password"]["anyOf"][0]["writeOnly"], true);
    assert!(
        props["lines"].to_string().contains(r#""type":"integer""#),
        "{:#}",
        props["lines"]
    );

    let sink = agent.get_json("/runtimes/apirt/sinks/discard/schema", 200);
    assert_eq!(sink["properties"]["token"]["anyOf"][0]["writeOnly"], true);

    let missing = agent.get_json("/runtimes/apirt/sources/nope/schema", 404);
    assert_error(&missing, "not_found");
    assert!(
        missing["message"]
            .as_str()
            .is_some_and(|m| m.contains("behave")),
        "the 404 names what exists: {missing:#}"
    );

    // The CLI writes the same document.
    let out = Command::new(connect_tests::workspace_bin("connect-agent"))
        .args(["runtime", "schema", "apirt", "source", "behave"])
        .env("CONNECT_AGENT_URL", &agent.url)
        .env_remove("CONNECT_API_KEY")
        .env_remove("CONNECT_CONFIG_PATH")
        .output()
        .expect("run connect-agent");
    assert!(
        out.status.success(),
        "runtime schema failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).expect("the CLI prints JSON");
    assert_eq!(printed, source);
    agent.stop();
}
