//! The SDK's example runtime (`examples/shout`) is built with the tests and does what its docs
//! say: every word once, in capitals, then exit 0; run again, it resumes after the last word.

use std::path::PathBuf;
use std::process::Command;

use base64::Engine;

fn example() -> PathBuf {
    // target/<profile>/deps/<this test> → target/<profile>/examples/shout
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples/shout");
    assert!(
        path.exists(),
        "{} is missing; `cargo test` builds the examples",
        path.display()
    );
    path
}

#[test]
fn the_example_runtime_shouts_every_word_once_and_resumes() {
    let state = tempfile::tempdir().unwrap();
    let doc = "id: shouting\nruntime: shout\nsteps:\n  source: { type: words, config: { sentence: 'hello connect world' } }\n  sink: { type: shout }\n";
    let arg = base64::engine::general_purpose::STANDARD.encode(doc);
    let run = || {
        Command::new(example())
            .arg(&arg)
            .env("CONNECT_STATE_DIR", state.path())
            .output()
            .unwrap()
    };
    let first = run();
    assert!(first.status.success(), "{first:?}");
    assert_eq!(
        String::from_utf8_lossy(&first.stdout),
        "HELLO!\nCONNECT!\nWORLD!\n"
    );
    let second = run();
    assert!(second.status.success(), "{second:?}");
    assert_eq!(
        String::from_utf8_lossy(&second.stdout),
        "",
        "every word was confirmed already"
    );
}
