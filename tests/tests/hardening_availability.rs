//! The API cannot starve supervision: deeply nested bodies are refused before parsing, off the
//! async workers, while `/health` keeps answering and no healthy runtime is killed as hung; the
//! API's real-time threads go back to the normal class as soon as a flood keeps them busy.

mod support;

use std::time::{Duration, Instant};

use support::*;

/// `'id: x\nx: ' + '[' * 100000 + ']' * 100000`: 200 KB that cost the YAML parser ~21 s of CPU.
fn nested_body() -> String {
    format!("id: x\nx: {}{}", "[".repeat(100_000), "]".repeat(100_000))
}

#[test]
fn nested_bodies_are_refused_while_health_answers_and_no_connector_restarts() {
    let mut agent = TestAgent::with_api("");
    agent.add_testrt("beat-a", "idle", "");
    agent.add_testrt("beat-b", "idle", "");
    agent.start();
    let before: Vec<(u64, u64)> = ["beat-a", "beat-b"]
        .iter()
        .map(|id| {
            let c = agent.wait_state(id, "running");
            (pid_of(&c), c["restarts"].as_u64().expect("restarts"))
        })
        .collect();

    let url = agent.url.clone();
    let body = nested_body();
    assert!(body.len() >= 200_000);
    let attackers: Vec<_> = (0..4)
        .map(|_| {
            let (url, body) = (url.clone(), body.clone());
            std::thread::spawn(move || {
                let started = Instant::now();
                let r = with_content_type(client().post(format!("{url}/connectors")), &body)
                    .send()
                    .expect("POST a nested body");
                (
                    r.status().as_u16(),
                    r.text().unwrap_or_default(),
                    started.elapsed(),
                )
            })
        })
        .collect();

    // /health is asked every 100 ms for the whole attack and the heartbeat timeout after it
    // (2 s in the harness), each answer bounded at 1 s.
    let probe = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(1))
        .build()
        .expect("probe client");
    let mut asked = 0;
    let mut quiet_since: Option<Instant> = None;
    loop {
        let t = Instant::now();
        let r = probe.get(format!("{url}/health")).send();
        let took = t.elapsed();
        assert!(
            r.as_ref().is_ok_and(|r| r.status() == 200),
            "/health did not answer 200 within 1 s during the attack (after {took:?}): {r:?}"
        );
        asked += 1;
        if attackers.iter().all(|a| a.is_finished()) {
            let since = *quiet_since.get_or_insert_with(Instant::now);
            if since.elapsed() > Duration::from_secs(3) {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // At least 3 s of probing after the attack at one probe per ~100 ms (plus its answer time).
    assert!(asked >= 20, "/health was asked only {asked} times");
    for a in attackers {
        let (status, text, took) = a.join().expect("attacker thread");
        assert_eq!(
            status, 400,
            "a nested body must be refused with 400: {text}"
        );
        let v: serde_json::Value = serde_json::from_str(&text).expect("JSON error");
        assert_error(&v, "too_deep");
        assert!(
            v["message"].as_str().unwrap().contains("64"),
            "the message names the limit: {v}"
        );
        assert!(took < Duration::from_secs(5), "refusing took {took:?}");
    }
    for (id, (pid, restarts)) in ["beat-a", "beat-b"].iter().zip(before) {
        let c = agent.connector(id).expect("connector");
        assert_eq!(c["state"], "running", "{c:#}");
        assert_eq!(pid_of(&c), pid, "{id} was restarted: {c:#}");
        assert_eq!(c["restarts"].as_u64(), Some(restarts), "{c:#}");
    }
    assert!(
        !agent.agent_log().contains("as hung"),
        "the watchdog killed a healthy runtime:\n{}",
        agent.agent_log()
    );
}

#[test]
fn a_body_just_under_the_nesting_limit_is_still_decoded() {
    let mut agent = TestAgent::with_api("");
    agent.start();
    // 60 levels of flow lists in an unknown key: decoded, then refused by the document's rules.
    let body = format!(
        "{}x: {}1{}\n",
        testrt_connector("deep", "idle"),
        "[".repeat(60),
        "]".repeat(60)
    );
    let v = agent.post_json("/connectors/validate", &body, 400);
    assert_error(&v, "invalid_config");
}

#[test]
fn the_apis_threads_leave_the_real_time_class_under_a_flood_and_return_after_it() {
    let mut agent = TestAgent::with_api("");
    agent.start();
    let pid = agent.pid().as_raw() as u32;
    let policies = || connect_tests::api_thread_policies(pid);
    let no_right = connect_tests::wait_for(
        Duration::from_secs(10),
        "an API thread in the real-time class (or the agent saying it may not)",
        || {
            if policies().contains(&1) {
                Some(false)
            } else {
                Some(true).filter(|_| {
                    agent
                        .agent_log()
                        .contains("no right to the real-time class")
                })
            }
        },
    );
    if no_right {
        eprintln!("SKIPPED: the agent has no right to the real-time class (CAP_SYS_NICE)");
        return;
    }

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flood: Vec<_> = (0..4)
        .map(|_| {
            let (url, stop) = (agent.url.clone(), stop.clone());
            std::thread::spawn(move || {
                let http = client();
                let mut answered = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    if http
                        .get(format!("{url}/health"))
                        .send()
                        .is_ok_and(|r| r.status() == 200)
                    {
                        answered += 1;
                    }
                }
                answered
            })
        })
        .collect();
    connect_tests::wait_for(
        Duration::from_secs(10),
        "every API thread back in the normal class during the flood",
        || {
            let p = policies();
            (!p.is_empty() && !p.contains(&1)).then_some(())
        },
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let answered: u64 = flood
        .into_iter()
        .map(|f| f.join().expect("flood thread"))
        .sum();
    assert!(answered > 0, "the flood got no answer");
    connect_tests::wait_for(
        Duration::from_secs(10),
        "the API threads back in the real-time class after the flood",
        || policies().contains(&1).then_some(()),
    );
}
