//! Rebuilds the binary when the embedded `.connect` definitions change.

fn main() {
    println!("cargo:rerun-if-changed=.connect");
}
