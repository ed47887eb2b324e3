//! The dashboard at `/ui` in a real headless Chromium against a real agent with an API key:
//! the list shows every connector, a stop click stops one (checked through the API), logs
//! stream in, and the new-connector form creates a valid connector and shows field errors for
//! an invalid one. Screenshots of each page go to `target/dashboard-screenshots/`.

mod dashboard {
    pub mod browser;
}
mod support;

use std::path::PathBuf;

use dashboard::browser::Browser;
use support::{TestAgent, client};

const KEY: &str = "dashboard-key";

/// `target/dashboard-screenshots`, beside the profile directory the test runs from.
fn screenshot_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    let target = exe
        .ancestors()
        .nth(3)
        .expect("target dir above target/<profile>/deps");
    target.join("dashboard-screenshots")
}

fn flood(id: &str, lines: u32) -> String {
    format!(
        "id: {id}\nruntime: testrt\ndescription: prints {lines} lines\nsteps:\n  source: {{ type: behave, config: {{ mode: flood, lines: {lines} }} }}\n  sink: {{ type: discard }}\n"
    )
}

#[test]
fn dashboard_in_a_real_browser() {
    let mut agent = TestAgent::with_api(&format!("api_key = \"{KEY}\""));
    agent.add_testrt("alpha", "idle", "");
    agent.add_testrt("beta", "idle", "");
    agent.write_connector("chatty", &flood("chatty", 5));
    agent.start();
    for id in ["alpha", "beta", "chatty"] {
        agent.wait_state(id, "running");
    }

    // The static files load without the key; the API does not.
    let page = client()
        .get(format!("{}/ui", agent.url))
        .send()
        .expect("GET /ui");
    assert_eq!(page.status(), 200, "GET /ui without a key");
    assert!(page.text().unwrap_or_default().contains("/ui/app.js"));
    let app = client()
        .get(format!("{}/ui/app.js", agent.url))
        .send()
        .expect("GET /ui/app.js");
    assert_eq!(app.status(), 200, "GET /ui/app.js without a key");
    let api = client()
        .get(format!("{}/connectors", agent.url))
        .send()
        .expect("GET /connectors");
    assert_eq!(api.status(), 401, "the API still needs the key");

    let shots = screenshot_dir();
    let mut b = Browser::launch();
    b.navigate(&format!("{}/ui", agent.url));

    // The key, entered once.
    b.wait("the API-key form", "document.querySelector('#key-form')");
    b.fill("#key-input", KEY);
    b.click("#key-submit");

    // 1. The list renders every connector.
    b.wait(
        "three running connectors in the list",
        "['alpha','beta','chatty'].every(id => document.querySelector(`#connectors tr[data-id=\"${id}\"][data-state=\"running\"]`))",
    );
    let rows = b.eval("document.querySelectorAll('#connectors tbody tr').length");
    assert_eq!(rows, 3, "rows in the list");
    b.wait(
        "the agent's own statistics in the header",
        "document.querySelector('#system-connectors')?.textContent.startsWith('3 connectors')",
    );
    b.screenshot(&shots, "1-connectors");

    // 2. A stop click (with confirmation) stops the connector.
    b.click("button[data-action=stop][data-id=alpha]");
    b.wait(
        "the confirmation dialog",
        "document.querySelector('#confirm[open]')",
    );
    b.screenshot(&shots, "2-confirm-stop");
    b.click("#confirm-ok");
    agent.wait_state("alpha", "stopped");
    b.wait(
        "alpha shown stopped",
        "document.querySelector('#connectors tr[data-id=\"alpha\"][data-state=\"stopped\"]')",
    );
    assert_eq!(
        agent.connector("beta").expect("beta")["state"],
        "running",
        "only the clicked connector stops"
    );
    b.fill("#filter-state", "stopped");
    b.wait(
        "the state filter to keep only alpha",
        "document.querySelectorAll('#connectors tbody tr').length === 1 && document.querySelector('#connectors tr[data-id=\"alpha\"]')",
    );

    // 3. The connector page streams both log streams.
    b.navigate(&format!("{}/ui#/connectors/chatty", agent.url));
    b.wait(
        "chatty's stdout and stderr lines in the log view",
        "[...document.querySelectorAll('#log .line.stdout')].some(l => l.textContent === 'flood done') && [...document.querySelectorAll('#log .line.stderr')].some(l => l.textContent.includes('flood: 5 lines'))",
    );
    b.wait(
        "the masked config and the versions",
        "document.querySelector('#config').textContent.includes('mode: flood') && document.querySelector('#versions table')",
    );
    b.fill("#log-search", "flood done");
    b.wait(
        "the search to hide the other lines",
        "[...document.querySelectorAll('#log .line')].filter(l => !l.hidden).length === 1",
    );
    b.fill("#log-search", "");
    b.screenshot(&shots, "3-connector");

    // 4. The new-connector form: a valid connector is created...
    b.navigate(&format!("{}/ui#/new", agent.url));
    b.wait(
        "the runtimes",
        "document.querySelector('#runtime option[value=\"testrt\"]')",
    );
    b.fill("#runtime", "testrt");
    b.wait(
        "the behave source's fields",
        "document.querySelector('#field-source-mode') && document.querySelector('#field-source-lines') && document.querySelector('#runtime').value === 'testrt'",
    );
    b.fill("#field-id", "gamma");
    b.fill("#field-source-mode", "\"idle\"");
    b.wait(
        "the form validated by the agent",
        "document.querySelector('#create-form').dataset.valid === 'true' && document.querySelector('#yaml').textContent.includes('id: gamma')",
    );
    b.screenshot(&shots, "4-new-connector");
    b.click("#create");
    b.wait(
        "the new connector's page",
        "location.hash === '#/connectors/gamma'",
    );
    agent.wait_state("gamma", "running");

    // ...and an invalid one shows the agent's errors at the field, and is not created.
    b.navigate(&format!("{}/ui#/new", agent.url));
    b.wait(
        "the runtimes",
        "document.querySelector('#runtime option[value=\"testrt\"]')",
    );
    b.fill("#runtime", "testrt");
    b.wait(
        "the behave source's fields",
        "document.querySelector('#field-source-lines') && document.querySelector('#runtime').value === 'testrt'",
    );
    b.fill("#field-id", "delta");
    b.fill("#field-source-lines", "1.5");
    b.wait(
        "a field error at the source's `lines`",
        "document.querySelector('#create-form').dataset.valid === 'false' && document.querySelector('.field-error[data-error-path=\"steps.source.config.lines\"]')",
    );
    b.click("#create");
    b.wait(
        "the errors still shown after a refused create",
        "location.hash === '#/new' && document.querySelector('.field-error')",
    );
    b.screenshot(&shots, "5-new-connector-invalid");
    assert_eq!(
        agent.get("/connectors/delta").status(),
        404,
        "an invalid connector must not be created"
    );

    // 6. A connector another agent of the cluster runs: shown as such, only delete offered.
    let mut peer = TestAgent::with_api("");
    peer.add_testrt("far", "idle", "placement: { agent: 1 }\n");
    let config = std::fs::read_to_string(&peer.config).expect("agent.toml");
    std::fs::write(
        &peer.config,
        config + "\n[cluster]\nmembers = 2\nordinal = 0\n",
    )
    .expect("agent.toml");
    peer.start();
    peer.wait_state("far", "placed_elsewhere");
    b.navigate(&format!("{}/ui", peer.url));
    b.wait(
        "far shown placed elsewhere",
        "document.querySelector('#connectors tr[data-id=\"far\"][data-state=\"placed_elsewhere\"]')",
    );
    let offered = b.eval(
        "[...document.querySelectorAll('button[data-id=\"far\"]')].filter(x => !x.disabled).map(x => x.dataset.action).join(',')",
    );
    assert_eq!(
        offered, "delete",
        "a connector placed on another agent offers only delete"
    );
    b.screenshot(&shots, "6-placed-elsewhere");
    peer.stop();

    assert!(
        b.problems.is_empty(),
        "the page reported problems: {:#?}",
        b.problems
    );
    agent.stop();
}
