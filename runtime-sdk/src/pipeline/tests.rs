//! The driver in-process, through a real `Runtime` launch: backpressure bounds, commit order,
//! retries of source polls, and how build errors map to exit codes.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use serde_json::Value;

use super::{CHANNEL_BATCHES, Components, RetryPolicy};
use crate::component::{Batch, ComponentContext, ComponentError, Message, Sink, Source, Written};
use crate::contract::ExitCode;
use crate::metadata::RuntimeMetadata;
use crate::runtime::{Runtime, Workload};

/// What the test source read and the test sink confirmed, observed from outside.
#[derive(Default)]
pub(super) struct Shared {
    pub polled: AtomicU64,
    pub written: AtomicU64,
    pub max_lead: AtomicU64,
    pub commits: Mutex<Vec<u64>>,
    /// Messages that may be committed without reaching the sink (set aside by the error policy).
    pub slack: AtomicU64,
}

struct TestSource {
    shared: Arc<Shared>,
    left: u64,
    batch: u64,
    fail_polls: u32,
}

#[async_trait]
impl Source for TestSource {
    async fn poll(
        &mut self,
        _: &ComponentContext,
        max: usize,
    ) -> Result<Option<Batch>, ComponentError> {
        if self.fail_polls > 0 {
            self.fail_polls -= 1;
            return Err(ComponentError::retry("source hiccup"));
        }
        if self.left == 0 {
            return Ok(None);
        }
        let n = self.left.min(self.batch).min(max as u64);
        self.left -= n;
        let polled = self.shared.polled.fetch_add(n, SeqCst) + n;
        let first = polled - n;
        let messages = (first..polled)
            .map(|i| Message::new(format!("{{\"a\":1,\"n\":{i}}}")))
            .collect();
        Ok(Some(Batch {
            messages,
            cursor: Some(Value::from(polled)),
        }))
    }

    async fn commit(&mut self, _: &ComponentContext, cursor: Value) -> Result<(), ComponentError> {
        let cursor = cursor.as_u64().unwrap();
        let written = self.shared.written.load(SeqCst) + self.shared.slack.load(SeqCst);
        assert!(
            cursor <= written,
            "committed {cursor} before the sink confirmed it (confirmed: {written})"
        );
        self.shared.commits.lock().unwrap().push(cursor);
        Ok(())
    }
}

struct TestSink {
    shared: Arc<Shared>,
    delay: Duration,
    /// Refuses the message with this global number (counted from 0) for its content.
    reject: Option<u64>,
}

#[async_trait]
impl Sink for TestSink {
    async fn write(
        &mut self,
        _: &ComponentContext,
        batch: &[Message],
    ) -> Result<Written, ComponentError> {
        // A slow peer: the source is much faster than this sink.
        tokio::time::sleep(self.delay).await;
        let lead = self.shared.polled.load(SeqCst) - self.shared.written.load(SeqCst);
        self.shared.max_lead.fetch_max(lead, SeqCst);
        let first = self.shared.written.load(SeqCst);
        let mut written = Written::all();
        if let Some(n) = self
            .reject
            .filter(|n| (first..first + batch.len() as u64).contains(n))
        {
            written.reject((n - first) as usize, "test.bad", "the test sink refuses it");
        }
        self.shared.written.fetch_add(batch.len() as u64, SeqCst);
        Ok(written)
    }
}

fn metadata(dir: &std::path::Path) -> RuntimeMetadata {
    metadata_of_contract(dir, 2)
}

fn metadata_of_contract(dir: &std::path::Path, contract: u32) -> RuntimeMetadata {
    let manifest = format!(
        "model_version: \"1\"\nname: t\nlabel: T\nversion: 0.1.0\ncontract_version: {contract}\nauthor: {{ name: t }}\n"
    );
    let files = [
        ("runtime.yml", manifest.as_str()),
        (
            "sources/mem.yml",
            "name: mem\nlabel: Mem\nkind: source\nstatus: experimental\n",
        ),
        (
            "sources/unregistered.yml",
            "name: unregistered\nlabel: U\nkind: source\nstatus: experimental\n",
        ),
        (
            "sinks/mem.yml",
            "name: mem\nlabel: Mem\nkind: sink\nstatus: experimental\n",
        ),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    RuntimeMetadata::load_dir(dir).unwrap()
}

pub(super) struct Setup {
    pub count: u64,
    pub batch: u64,
    pub fail_polls: u32,
    pub sink_delay: Duration,
    pub sink_rejects: Option<u64>,
    pub source_type: &'static str,
    pub source_fails_to_build: bool,
    /// Appended to the connector document (an `errors` block, say).
    pub extra: String,
    /// `steps.transformer`, as flow YAML.
    pub transformer: &'static str,
    /// The contract version the runtime's manifest declares.
    pub contract: u32,
    /// See [`Shared::slack`].
    pub slack: u64,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            count: 10_000,
            batch: 100,
            fail_polls: 0,
            sink_delay: Duration::ZERO,
            sink_rejects: None,
            source_type: "mem",
            source_fails_to_build: false,
            extra: String::new(),
            transformer: "[]",
            contract: 2,
            slack: 0,
        }
    }
}

pub(super) fn launch(setup: Setup) -> (ExitCode, Arc<Shared>) {
    let dir = tempfile::tempdir().unwrap();
    let shared = Arc::new(Shared::default());
    shared.slack.store(setup.slack, SeqCst);
    let env: BTreeMap<String, String> = [
        (
            "CONNECT_STATE_DIR".to_string(),
            dir.path().join("state").display().to_string(),
        ),
        ("CONNECT_LOG_LEVEL".to_string(), "error".to_string()),
    ]
    .into();
    let document = format!(
        "id: t\nruntime: t\nsteps:\n  source: {{ type: {} }}\n  transformer: {}\n  sink: {{ type: mem }}\n{}",
        setup.source_type, setup.transformer, setup.extra
    );
    let (s1, s2) = (shared.clone(), shared.clone());
    let components = Components::new(metadata_of_contract(
        &dir.path().join(".connect"),
        setup.contract,
    ))
    .source("mem", move |_: &ComponentContext| {
        if setup.source_fails_to_build {
            return Err(ComponentError::invalid_config(
                "steps.source.config: nothing works",
            ));
        }
        Ok(TestSource {
            shared: s1.clone(),
            left: setup.count,
            batch: setup.batch,
            fail_polls: setup.fail_polls,
        })
    })
    .sink("mem", move |_: &ComponentContext| {
        Ok(TestSink {
            shared: s2.clone(),
            delay: setup.sink_delay,
            reject: setup.sink_rejects,
        })
    })
    .retry(RetryPolicy {
        attempts: 3,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(1),
    });
    let encoded = base64::engine::general_purpose::STANDARD.encode(document);
    let code = Runtime::from_env_source(&env)
        .unwrap()
        .launch_with_args([encoded], components);
    (code, shared)
}

#[test]
fn a_slow_sink_bounds_how_far_the_source_reads_ahead() {
    let (code, shared) = launch(Setup {
        sink_delay: Duration::from_millis(1),
        ..Setup::default()
    });
    assert_eq!(code, ExitCode::Success);
    assert_eq!(shared.written.load(SeqCst), 10_000);
    // One sink write (1000) + the queued source batches + the batch in the reader's hand + the
    // one just polled.
    let bound = 1000 + (CHANNEL_BATCHES as u64 + 2) * 100;
    let lead = shared.max_lead.load(SeqCst);
    assert!(
        lead <= bound,
        "the source ran {lead} messages ahead of the sink (bound {bound})"
    );
}

#[test]
fn commits_follow_confirmation_in_order_and_end_at_the_last_batch() {
    let (code, shared) = launch(Setup {
        count: 50_000,
        ..Setup::default()
    });
    assert_eq!(code, ExitCode::Success);
    let commits = shared.commits.lock().unwrap().clone();
    assert!(
        commits.windows(2).all(|w| w[0] < w[1]),
        "commits move forward: {commits:?}"
    );
    assert_eq!(
        commits.last(),
        Some(&50_000),
        "the final position is committed"
    );
}

#[test]
fn transient_source_errors_are_retried() {
    let (code, shared) = launch(Setup {
        fail_polls: 2,
        count: 500,
        ..Setup::default()
    });
    assert_eq!(code, ExitCode::Success);
    assert_eq!(shared.written.load(SeqCst), 500);
}

#[test]
fn a_source_failing_past_its_retries_exits_transient() {
    let (code, shared) = launch(Setup {
        fail_polls: 3,
        ..Setup::default()
    });
    assert_eq!(code, ExitCode::Transient);
    assert_eq!(shared.written.load(SeqCst), 0);
}

#[test]
fn a_message_refused_for_its_content_stops_without_a_restart_and_is_never_committed() {
    let (code, shared) = launch(Setup {
        sink_rejects: Some(4_321),
        ..Setup::default()
    });
    assert_eq!(
        code,
        ExitCode::InvalidConfig,
        "a restart would meet the same message again"
    );
    let commits = shared.commits.lock().unwrap();
    assert!(
        commits.iter().all(|&c| c <= 4_000),
        "nothing at or past the refused message is committed: {commits:?}"
    );
}

#[test]
fn an_invalid_config_found_by_a_factory_is_not_restarted() {
    let (code, _) = launch(Setup {
        source_fails_to_build: true,
        ..Setup::default()
    });
    assert_eq!(code, ExitCode::InvalidConfig);
}

#[test]
fn a_defined_but_unregistered_component_is_an_internal_error() {
    let (code, _) = launch(Setup {
        source_type: "unregistered",
        ..Setup::default()
    });
    assert_eq!(code, ExitCode::Internal);
}

#[test]
fn mismatches_name_components_missing_on_either_side() {
    let dir = tempfile::tempdir().unwrap();
    let components = Components::new(metadata(dir.path()))
        .source("mem", |_: &ComponentContext| {
            Err::<TestSource, _>(ComponentError::restart("unused"))
        })
        .sink_on_stdout("extra", |_: &ComponentContext| {
            Err::<TestSink, _>(ComponentError::restart("unused"))
        });
    assert_eq!(
        components.mismatches(),
        [
            "source `unregistered` is defined in .connect but not registered",
            "sink `mem` is defined in .connect but not registered",
            "sink `extra` is registered but has no .connect/sinks/ definition",
        ]
    );
    let doc = |sink: &str| {
        crate::document::decode::from_str(&format!(
            "id: t\nruntime: t\nsteps:\n  source: {{ type: mem }}\n  sink: {{ type: {sink} }}\n"
        ))
        .unwrap()
    };
    assert!(
        components.stdout_is_data(&doc("extra")),
        "a sink registered on stdout moves logs to stderr"
    );
    assert!(!components.stdout_is_data(&doc("mem")));
}
