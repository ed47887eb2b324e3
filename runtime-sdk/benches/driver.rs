//! Driver throughput: messages per second through a real runtime launch (source → transform
//! chain → sink, cursor commits included) with an in-memory source and a no-op sink, so the
//! figure is the SDK's own cost. Run: `cargo bench -p connect-runtime-sdk --bench driver`.

use std::collections::BTreeMap;
use std::time::Instant;

use bytes::Bytes;
use memory::Memory;
#[path = "support/memory.rs"]
mod memory;

use connect_runtime_sdk::{
    ComponentContext, ComponentError, Components, ExitCode, Message, Runtime, RuntimeMetadata,
    Sink, Written, async_trait,
};

const RUNTIME_YML: &str = "model_version: \"1\"\nname: bench\nlabel: Bench\nversion: 0.1.0\ncontract_version: 2\nauthor: { name: connect }\n";
const SOURCE_YML: &str = "model_version: \"1\"\nname: memory\nlabel: Memory\nkind: source\nstatus: experimental\nfields:\n  - { name: count, label: Count, type: int }\n  - { name: size, label: Size, type: int }\n";
const SINK_YML: &str =
    "model_version: \"1\"\nname: discard\nlabel: Discard\nkind: sink\nstatus: experimental\n";

/// The three JSON transforms of the benchmark: a filter that keeps everything, an added field
/// and a rename.
const TRANSFORMS: &str = "  transformer:
    - filter: { condition: { equals: { field: level, value: info } } }
    - add_fields: { fields: [ { name: source, value: bench } ] }
    - rename_fields: { fields: [ { from: user, to: user_id } ] }
";

/// The jq case of the issue's budget: one program that rebuilds each message.
const JQ: &str = "  transformer:
    - jq: { program: '{id: .seq, v: (.seq * 2)}' }
";

/// An error policy whose dead-letter path is armed but idle (no message fails); `{dir}` is
/// the run's temp directory.
const DEAD_LETTER: &str = "errors:
  tolerance: all
  dead_letter:
    file: { path: '{dir}/dlq.ndjson' }
";

/// What a case puts between the source and the sink.
#[derive(Clone, Copy)]
enum Case {
    Plain,
    Transforms,
    Jq,
    /// The three transforms with an idle dead-letter destination.
    TransformsDeadLetter,
    /// No transform, an idle dead-letter destination.
    PlainDeadLetter,
}

impl Case {
    fn document(self, dir: &std::path::Path) -> String {
        let dead_letter = DEAD_LETTER.replace("{dir}", &dir.display().to_string());
        match self {
            Self::Plain => String::new(),
            Self::Transforms => TRANSFORMS.to_string(),
            Self::Jq => JQ.to_string(),
            Self::TransformsDeadLetter => format!("{TRANSFORMS}{dead_letter}"),
            Self::PlainDeadLetter => dead_letter,
        }
    }
}

/// Confirms every batch at once.
struct Discard {
    bytes: u64,
}

#[async_trait]
impl Sink for Discard {
    async fn write(
        &mut self,
        _ctx: &ComponentContext,
        batch: &[Message],
    ) -> Result<Written, ComponentError> {
        self.bytes += batch.iter().map(|m| m.payload.len() as u64).sum::<u64>();
        Ok(Written::all())
    }
}

fn payload(size: usize) -> Bytes {
    let head = r#"{"seq":123456,"user":"u-42","level":"info","pad":""#;
    let pad = size.saturating_sub(head.len() + 2);
    Bytes::from(format!("{head}{}\"}}", "x".repeat(pad)))
}

fn metadata(dir: &std::path::Path) -> RuntimeMetadata {
    std::fs::create_dir_all(dir.join("sources")).unwrap();
    std::fs::create_dir_all(dir.join("sinks")).unwrap();
    std::fs::write(dir.join("runtime.yml"), RUNTIME_YML).unwrap();
    std::fs::write(dir.join("sources/memory.yml"), SOURCE_YML).unwrap();
    std::fs::write(dir.join("sinks/discard.yml"), SINK_YML).unwrap();
    RuntimeMetadata::load_dir(dir).unwrap()
}

/// One launch of the runtime moving `count` messages; returns messages per second.
fn run(count: u64, size: usize, case: Case) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let env: BTreeMap<String, String> = [
        (
            "CONNECT_STATE_DIR",
            dir.path().join("state").display().to_string(),
        ),
        ("CONNECT_LOG_LEVEL", "warn".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let document = format!(
        "id: bench\nruntime: bench\nsteps:\n  source: {{ type: memory, config: {{ count: {count}, size: {size} }} }}\n  sink: {{ type: discard }}\n{}",
        case.document(dir.path())
    );
    let encoded = base64_encode(document.as_bytes());
    let components = Components::new(metadata(&dir.path().join(".connect")))
        .source("memory", |ctx: &ComponentContext| {
            let c = ctx.raw_config();
            Ok(Memory::new(
                c["count"].as_u64().unwrap(),
                payload(c["size"].as_u64().unwrap() as usize),
            ))
        })
        .sink("discard", |_: &ComponentContext| Ok(Discard { bytes: 0 }));
    let started = Instant::now();
    let code = Runtime::from_env_source(&env)
        .unwrap()
        .launch_with_args([encoded], components);
    let elapsed = started.elapsed();
    assert_eq!(code, ExitCode::Success);
    count as f64 / elapsed.as_secs_f64()
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn main() {
    // `cargo bench` passes `--bench`; a name filter may follow.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let cases: [(&str, u64, usize, Case); 8] = [
        ("source -> sink, 100 B", 10_000_000, 100, Case::Plain),
        ("source -> sink, 1 KiB", 5_000_000, 1024, Case::Plain),
        (
            "source -> 3 JSON transforms -> sink, 100 B",
            2_000_000,
            100,
            Case::Transforms,
        ),
        (
            "source -> 3 JSON transforms -> sink, 1 KiB",
            500_000,
            1024,
            Case::Transforms,
        ),
        ("source -> jq -> sink, 100 B", 2_000_000, 100, Case::Jq),
        ("source -> jq -> sink, 1 KiB", 500_000, 1024, Case::Jq),
        (
            "source -> sink, 100 B, dead letter idle",
            10_000_000,
            100,
            Case::PlainDeadLetter,
        ),
        (
            "source -> 3 JSON transforms -> sink, 100 B, dead letter idle",
            2_000_000,
            100,
            Case::TransformsDeadLetter,
        ),
    ];
    for (name, count, size, case) in cases {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        run(count / 10, size, case); // warm-up
        let mut rates: Vec<f64> = (0..3).map(|_| run(count, size, case)).collect();
        rates.sort_by(f64::total_cmp);
        println!(
            "{name:<62} {:>12.0} msg/s (median of 3; min {:.0}, max {:.0}; {count} messages)",
            rates[1], rates[0], rates[2]
        );
    }
}
