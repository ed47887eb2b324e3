//! Rebuilds the probe runtimes when their embedded `.connect` metadata changes, and links the
//! test runtimes and the benchmark like the shipped binaries (packed relative relocations).

#[path = "../build-support/pack_relocs.rs"]
mod pack_relocs;

fn main() {
    println!("cargo:rerun-if-changed=contract-probe/.connect");
    println!("cargo:rerun-if-changed=pipeline-probe/.connect");
    pack_relocs::enable_where_supported();
}
