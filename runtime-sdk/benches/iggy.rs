//! Throughput of the Iggy steps against a real server: an in-memory source → `producer` (inlet),
//! `consumer` → a counting sink (outlet), and both running at once (source → Iggy → sink), each a
//! real runtime launch in this process. Needs `CONNECT_TEST_IGGY_ADDRESS` (credentials iggy/iggy).
//! Run: `CONNECT_TEST_IGGY_ADDRESS=127.0.0.1:8090 cargo bench -p connect-runtime-sdk --bench iggy`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use memory::Memory;
#[path = "support/memory.rs"]
mod memory;

use connect_runtime_sdk::{
    ComponentContext, ComponentError, Components, ExitCode, Message, Runtime, RuntimeMetadata,
    Sink, Written, async_trait,
};

const RUNTIME_YML: &str =
    "model_version: \"1\"\nname: bench\nlabel: Bench\nversion: 0.1.0\nauthor: { name: connect }\n";
const SOURCE_YML: &str = "model_version: \"1\"\nname: memory\nlabel: Memory\nkind: source\nstatus: experimental\nfields:\n  - { name: count, label: Count, type: int }\n";
const SINK_YML: &str = "model_version: \"1\"\nname: count\nlabel: Count\nkind: sink\nstatus: experimental\nfields:\n  - { name: until, label: Until, type: int }\n";

/// Counts confirmed messages; at `until` it records the time and stops its runtime.
struct Count {
    until: u64,
    seen: Arc<AtomicU64>,
    done: Arc<std::sync::Mutex<Option<Instant>>>,
}

#[async_trait]
impl Sink for Count {
    async fn write(
        &mut self,
        ctx: &ComponentContext,
        batch: &[Message],
    ) -> Result<Written, ComponentError> {
        let seen = self.seen.fetch_add(batch.len() as u64, Ordering::Relaxed) + batch.len() as u64;
        if seen >= self.until {
            self.done.lock().unwrap().get_or_insert_with(Instant::now);
            ctx.cancellation().cancel();
        }
        Ok(Written::all())
    }
}

fn payload() -> Bytes {
    let head = r#"{"seq":123456,"user":"u-42","level":"info","pad":""#;
    Bytes::from(format!("{head}{}\"}}", "x".repeat(100 - head.len() - 2)))
}

struct Bench {
    dir: tempfile::TempDir,
    iggy: String,
    seen: Arc<AtomicU64>,
    done: Arc<std::sync::Mutex<Option<Instant>>>,
}

impl Bench {
    fn new(iggy: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let meta = dir.path().join(".connect");
        std::fs::create_dir_all(meta.join("sources")).unwrap();
        std::fs::create_dir_all(meta.join("sinks")).unwrap();
        std::fs::write(meta.join("runtime.yml"), RUNTIME_YML).unwrap();
        std::fs::write(meta.join("sources/memory.yml"), SOURCE_YML).unwrap();
        std::fs::write(meta.join("sinks/count.yml"), SINK_YML).unwrap();
        Self {
            dir,
            iggy: iggy.into(),
            seen: Arc::default(),
            done: Arc::default(),
        }
    }

    fn components(&self) -> Components {
        let (seen, done) = (self.seen.clone(), self.done.clone());
        Components::new(RuntimeMetadata::load_dir(&self.dir.path().join(".connect")).unwrap())
            .source("memory", |ctx: &ComponentContext| {
                Ok(Memory::new(
                    ctx.raw_config()["count"].as_u64().unwrap(),
                    payload(),
                ))
            })
            .sink("count", move |ctx: &ComponentContext| {
                Ok(Count {
                    until: ctx.raw_config()["until"].as_u64().unwrap(),
                    seen: seen.clone(),
                    done: done.clone(),
                })
            })
    }

    /// Launches one runtime for `steps` (YAML lines under `steps:`) and returns when it exits.
    fn launch(&self, id: &str, steps: &str) {
        let env: BTreeMap<String, String> = [
            (
                "CONNECT_STATE_DIR".to_string(),
                self.dir.path().join(id).display().to_string(),
            ),
            ("CONNECT_LOG_LEVEL".to_string(), "warn".to_string()),
            ("CONNECT_IGGY_ADDRESS".to_string(), self.iggy.clone()),
        ]
        .into();
        let document = format!("id: {id}\nruntime: bench\nsteps:\n{steps}");
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(document);
        let code = Runtime::from_env_source(&env)
            .unwrap()
            .launch_with_args([encoded], self.components());
        assert_eq!(code, ExitCode::Success, "runtime {id} failed");
    }

    fn reset(&self) {
        self.seen.store(0, Ordering::Relaxed);
        *self.done.lock().unwrap() = None;
    }

    fn finished_at(&self) -> Instant {
        self.done
            .lock()
            .unwrap()
            .expect("the sink saw every message")
    }
}

fn rate(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

/// One round of the three cases on a fresh stream: (inlet, outlet, end to end) msg/s.
fn round(iggy: &str, n: u64, batch: u32) -> (f64, f64, f64) {
    let b = Bench::new(iggy);
    let stream = format!("bench-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let producer = format!(
        "  producer: {{ stream: {stream}, topic: t, create_topic: true, batch_length: {batch} }}\n"
    );

    let started = Instant::now();
    b.launch(
        "inlet",
        &format!("  source: {{ type: memory, config: {{ count: {n} }} }}\n{producer}"),
    );
    let inlet = rate(n, started.elapsed());

    let consumer = |group: &str| {
        format!(
            "  consumer: {{ stream: {stream}, topic: t, consumer_group: {group}, batch_length: {batch} }}\n"
        )
    };
    b.reset();
    let started = Instant::now();
    b.launch(
        "outlet",
        &format!(
            "{}  sink: {{ type: count, config: {{ until: {n} }} }}\n",
            consumer("outlet")
        ),
    );
    let outlet = rate(n, b.finished_at() - started);

    // Both at once on an empty topic: a new group reads while the inlet writes.
    let producer2 = producer.replace("topic: t,", "topic: t2,");
    b.launch(
        "mk",
        &format!("  source: {{ type: memory, config: {{ count: 0 }} }}\n{producer2}"),
    );
    b.reset();
    let started = Instant::now();
    std::thread::scope(|s| {
        let reader = s.spawn(|| {
            let consumer = consumer("e2e").replace("topic: t,", "topic: t2,");
            b.launch(
                "e2e-out",
                &format!("{consumer}  sink: {{ type: count, config: {{ until: {n} }} }}\n"),
            )
        });
        b.launch(
            "e2e-in",
            &format!("  source: {{ type: memory, config: {{ count: {n} }} }}\n{producer2}"),
        );
        reader.join().unwrap();
    });
    let e2e = rate(n, b.finished_at() - started);
    (inlet, outlet, e2e)
}

fn median(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

fn main() {
    let Ok(iggy) = std::env::var("CONNECT_TEST_IGGY_ADDRESS") else {
        println!(
            "SKIPPED iggy bench: set CONNECT_TEST_IGGY_ADDRESS=host:port of an Iggy server (credentials iggy/iggy)"
        );
        return;
    };
    let n: u64 = std::env::var("BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000_000);
    for batch in [1000, 5000] {
        round(&iggy, n / 10, batch); // warm-up
        let rounds: Vec<_> = (0..3).map(|_| round(&iggy, n, batch)).collect();
        for (name, pick) in [
            ("memory -> producer (inlet)", 0),
            ("consumer -> count (outlet)", 1),
            ("source -> Iggy -> sink (both at once)", 2),
        ] {
            let (med, min, max) = median(rounds.iter().map(|r| [r.0, r.1, r.2][pick]).collect());
            println!(
                "{name:<40} batch {batch:>5}, 100 B: {med:>10.0} msg/s (median of 3; min {min:.0}, max {max:.0}; {n} messages)"
            );
        }
    }
}
