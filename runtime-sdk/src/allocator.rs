//! The global allocator of every runtime built on the SDK (feature `mimalloc`, on by default).
//!
//! A pipeline allocates each message on one thread and frees it on another (source task,
//! transform threads, sink task); glibc's malloc spends a large share of the CPU on exactly
//! that pattern (see docs/PERFORMANCE.md, "Transforms with `jq`"). A runtime that brings its
//! own allocator turns off the SDK's default features.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
