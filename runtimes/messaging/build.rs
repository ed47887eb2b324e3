//! Links the binary with packed relative relocations where the toolchain allows it.

#[path = "../../build-support/pack_relocs.rs"]
mod pack_relocs;

fn main() {
    pack_relocs::enable_where_supported();
}
