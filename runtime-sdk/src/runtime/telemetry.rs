//! Logging for runtimes: info and below to stdout, warnings and errors to stderr (or all to
//! stderr when stdout carries data), as text or JSON.

use tracing::Level;
use tracing_subscriber::fmt::writer::MakeWriterExt;
use tracing_subscriber::prelude::*;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::contract::{LogFormat, RuntimeSettings};

/// Installs the global subscriber; later calls (in-process tests) keep the first one.
pub(crate) fn init(settings: &RuntimeSettings, stdout_is_data: bool) {
    let filter = EnvFilter::try_new(&settings.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let stderr_only = std::io::stderr;
    let split = std::io::stderr
        .with_max_level(Level::WARN)
        .or_else(std::io::stdout);
    let layer: Box<dyn Layer<Registry> + Send + Sync> = match (settings.log_format, stdout_is_data)
    {
        (LogFormat::Text, false) => tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(split)
            .boxed(),
        (LogFormat::Text, true) => tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(stderr_only)
            .boxed(),
        (LogFormat::Json, false) => tracing_subscriber::fmt::layer()
            .json()
            .with_writer(split)
            .boxed(),
        (LogFormat::Json, true) => tracing_subscriber::fmt::layer()
            .json()
            .with_writer(stderr_only)
            .boxed(),
    };
    let _ = tracing_subscriber::registry()
        .with(layer.with_filter(filter))
        .try_init();
}
