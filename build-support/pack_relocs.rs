//! Packs a binary's relative relocations (DT_RELR) where the toolchain and the C library allow
//! it. The dynamic loader then reads a few KB of relocation records instead of ~0.4 MB at every
//! start, so each process of a runtime or the agent is 0.3–0.7 MB smaller (docs/PERFORMANCE.md).
//! Shared by the build scripts of the crates that make binaries (`#[path] mod pack_relocs`).
//!
//! Checked, never assumed: glibc before 2.36 cannot load such a binary, and binutils 2.38 links
//! one anyway. So a small program is linked with the flag and run first; a cross build, another
//! C library, or any failure of that check leaves the link as it was.
//! `CONNECT_PACK_RELOCS=0` turns it off.

use std::path::PathBuf;
use std::process::{Command, Stdio};

const FLAG: &str = "-Wl,-z,pack-relative-relocs";

/// A position-independent program with a relative relocation (`pointer`), so the linker
/// emits DT_RELR for it and the loader must know the format to run it.
const CHECK: &str = "static int value = 7;\nint *pointer = &value;\nint main(void) { return *pointer == 7 ? 0 : 1; }\n";

pub fn enable_where_supported() {
    println!("cargo:rerun-if-env-changed=CONNECT_PACK_RELOCS");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let native = var("TARGET") == var("HOST");
    let glibc = var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu";
    if var("CONNECT_PACK_RELOCS") != "0" && native && glibc && links_and_runs() {
        println!("cargo:rustc-link-arg-bins={FLAG}");
    }
}

fn links_and_runs() -> bool {
    let Some(out) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        return false;
    };
    let source = out.join("pack_relocs_check.c");
    let program = out.join("pack_relocs_check");
    if std::fs::write(&source, CHECK).is_err() {
        return false;
    }
    // The C compiler driver rustc links with, unless the build configured another.
    let linker = std::env::var("RUSTC_LINKER").unwrap_or_else(|_| "cc".into());
    let quiet = |command: &mut Command| {
        command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    quiet(
        Command::new(linker)
            .args(["-fPIE", "-pie", FLAG, "-o"])
            .arg(&program)
            .arg(&source),
    ) && quiet(&mut Command::new(&program))
}
