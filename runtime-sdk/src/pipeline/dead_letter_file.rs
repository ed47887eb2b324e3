//! The `file` dead-letter destination: one JSON object per line, `{"payload", "key",
//! "headers"}` (the payload as JSON when it parses, else a string), appended and synced to disk
//! before the write is confirmed.

use std::path::PathBuf;

use async_trait::async_trait;
use serde_json::{Map, Value, json};
use tokio::io::AsyncWriteExt;

use crate::component::{ComponentContext, ComponentError, Message, Sink, Written};

pub(crate) struct DeadLetterFile {
    path: PathBuf,
    file: Option<tokio::fs::File>,
}

impl DeadLetterFile {
    pub(crate) fn new(path: &str) -> Self {
        Self {
            path: PathBuf::from(path),
            file: None,
        }
    }
}

/// One line of the file, newline included.
pub(crate) fn line(message: &Message) -> Vec<u8> {
    let payload = serde_json::from_slice::<Value>(&message.payload)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&message.payload).into_owned()));
    let key = message.key.as_ref().map_or(Value::Null, |k| {
        Value::String(String::from_utf8_lossy(k).into_owned())
    });
    let headers: Map<String, Value> = message
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let mut out = serde_json::to_vec(&json!({"payload": payload, "key": key, "headers": headers}))
        .expect("a JSON value always serializes");
    out.push(b'\n');
    out
}

#[async_trait]
impl Sink for DeadLetterFile {
    async fn open(&mut self, _ctx: &ComponentContext) -> Result<(), ComponentError> {
        let field = "errors.dead_letter.file.path";
        crate::component::check_allowed_path(field, &self.path)?;
        if let Some(parent) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(parent).await.map_err(|e| {
                ComponentError::invalid_config(format!(
                    "{field}: cannot create the directory {}: {e}; choose a writable path",
                    parent.display()
                ))
            })?;
        }
        let file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .await
            .map_err(|e| {
                ComponentError::invalid_config(format!(
                    "{field}: cannot open {} for appending: {e}; choose a writable path",
                    self.path.display()
                ))
            })?;
        self.file = Some(file);
        Ok(())
    }

    async fn write(
        &mut self,
        _ctx: &ComponentContext,
        batch: &[Message],
    ) -> Result<Written, ComponentError> {
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| ComponentError::restart("the dead-letter file is not open"))?;
        let mut buf = Vec::with_capacity(batch.len() * 256);
        for m in batch {
            buf.extend(line(m));
        }
        let failed = |e: std::io::Error| {
            ComponentError::retry(format!(
                "writing the dead-letter file {}: {e}",
                self.path.display()
            ))
        };
        file.write_all(&buf).await.map_err(failed)?;
        file.flush().await.map_err(failed)?;
        file.sync_data().await.map_err(failed)?;
        Ok(Written::all())
    }
}
