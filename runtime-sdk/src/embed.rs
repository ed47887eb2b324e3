//! [`embed_connect!`]: a runtime's `.connect/` directory compiled into its binary, so it
//! validates configs and describes itself without files next to it, with no `include_dir`
//! dependency or `build.rs` in the runtime's crate.

#[doc(hidden)]
pub mod __private {
    pub use include_dir;
}

/// The runtime's `.connect/` definitions (next to its `Cargo.toml`), embedded at compile time
/// and parsed: a [`RuntimeMetadata`](crate::RuntimeMetadata).
///
/// ```ignore
/// fn components() -> Components {
///     Components::new(connect_runtime_sdk::embed_connect!())
///         .source("ticks", Ticks::from_context)
/// }
/// ```
///
/// Editing a definition rebuilds the runtime; a newly added file is picked up by the next
/// build that compiles the crate (`cargo build` after touching `src/main.rs`, or any change).
/// Invalid definitions panic with the file and field: `connect_runtime_sdk::testing`'s
/// `check_definitions` finds them in the runtime's tests first.
///
/// `embed_connect!("$CARGO_MANIFEST_DIR/path/to/.connect")` embeds another directory.
#[macro_export]
macro_rules! embed_connect {
    () => {
        $crate::embed_connect!("$CARGO_MANIFEST_DIR/.connect")
    };
    ($dir:tt) => {{
        // The generated tree names `include_dir::…`; this brings that name into scope here.
        use $crate::embed::__private::include_dir;
        static CONNECT_DIR: include_dir::Dir<'static> = include_dir::include_dir!($dir);
        $crate::RuntimeMetadata::from_embedded(&CONNECT_DIR)
            .unwrap_or_else(|e| panic!("invalid .connect definitions: {e}"))
    }};
}
