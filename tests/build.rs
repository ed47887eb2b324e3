//! Rebuilds the probe runtimes when their embedded `.connect` metadata changes.

fn main() {
    println!("cargo:rerun-if-changed=contract-probe/.connect");
    println!("cargo:rerun-if-changed=pipeline-probe/.connect");
}
