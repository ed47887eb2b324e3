//! The connect agent binary.
fn main() {}
