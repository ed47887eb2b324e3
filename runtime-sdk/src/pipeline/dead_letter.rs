//! The connector's error policy at run time: which content failures stop the connector, and the
//! dead-letter destination the tolerated ones are written to (with the error headers) before the
//! cursor moves past them.

use serde_json::Value;

use super::dead_letter_file::DeadLetterFile;
use crate::component::{ComponentContext, ComponentError, Message, Origin, Sink};
use crate::document::{ErrorPolicy, Tolerance};
use crate::runtime::{Context, WorkloadError};

/// `connect.error.stage`: where the message failed (`transform` or `sink`).
pub const HEADER_STAGE: &str = "connect.error.stage";
/// `connect.error.class`: a short class (`http.400`, `jq.error`, `encoding`).
pub const HEADER_CLASS: &str = "connect.error.class";
/// `connect.error.message`: the failure in words (at most 255 bytes).
pub const HEADER_MESSAGE: &str = "connect.error.message";
/// `connect.connector`: the connector's id.
pub const HEADER_CONNECTOR: &str = "connect.connector";
/// `connect.source.offset`: the Iggy offset, or the cursor of the source batch, as text.
pub const HEADER_OFFSET: &str = "connect.source.offset";

/// Header values longer than this are cut (Iggy's limit for a header value).
const MAX_HEADER_VALUE: usize = 255;

/// Where in the pipeline a message failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    Transform,
    Sink,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Self::Transform => "transform",
            Self::Sink => "sink",
        }
    }
}

/// The policy plus its opened destination; owned by the writer.
pub(crate) struct DeadLetters {
    pub tolerance: Tolerance,
    log: bool,
    connector: String,
    destination: Option<(Box<dyn Sink>, ComponentContext)>,
}

impl DeadLetters {
    /// Builds the destination of `policy` (not yet opened); no block means today's behaviour.
    pub(crate) fn build(
        policy: Option<&ErrorPolicy>,
        ctx: &Context,
    ) -> Result<Self, WorkloadError> {
        let policy = policy.cloned().unwrap_or_default();
        let destination = match policy.dead_letter.as_ref() {
            Some(d) if policy.tolerance == Tolerance::All => {
                if let Some(step) = &d.producer {
                    let cctx = ComponentContext::new(
                        ctx,
                        "errors.dead_letter.producer",
                        Default::default(),
                    );
                    let sink = crate::iggy::producer(&cctx, step).map_err(WorkloadError::from)?;
                    Some((sink, cctx))
                } else if let Some(file) = &d.file {
                    let cctx =
                        ComponentContext::new(ctx, "errors.dead_letter.file", Default::default());
                    let sink: Box<dyn Sink> = Box::new(DeadLetterFile::new(&file.path));
                    Some((sink, cctx))
                } else {
                    None
                }
            }
            _ => None,
        };
        Ok(Self {
            tolerance: policy.tolerance,
            log: policy.log,
            connector: ctx.connector().id.to_string(),
            destination,
        })
    }

    pub(crate) fn tolerates(&self) -> bool {
        self.tolerance == Tolerance::All
    }

    pub(crate) async fn open(&mut self) -> Result<(), ComponentError> {
        match &mut self.destination {
            Some((sink, ctx)) => sink.open(ctx).await,
            None => Ok(()),
        }
    }

    pub(crate) async fn close(&mut self) {
        if let Some((sink, ctx)) = &mut self.destination
            && let Err(e) = sink.close(ctx).await
        {
            tracing::warn!(error = %e, "closing the dead-letter destination failed");
        }
    }

    /// The dead letter of `message` (see [`letter`]).
    pub(crate) fn letter(
        &self,
        message: &Message,
        stage: Stage,
        class: &str,
        reason: &str,
        cursor: Option<&Value>,
    ) -> Message {
        letter(&self.connector, message, stage, class, reason, cursor)
    }

    /// Writes the letters to the destination (dropping them without one); returns once the
    /// destination confirmed them. A failed write is retried by the caller like a sink write.
    pub(crate) async fn write(&mut self, letters: &[Message]) -> Result<(), ComponentError> {
        if let Some((sink, ctx)) = &mut self.destination {
            let written = sink.write(ctx, letters).await?;
            if let Some(r) = written.rejected().first() {
                return Err(ComponentError::invalid_config(format!(
                    "the dead-letter destination refused a message ({}): {}; fix errors.dead_letter",
                    r.class, r.reason
                )));
            }
        }
        if self.log {
            for l in letters {
                let header = |n: &str| l.headers.get(n).map(String::as_str).unwrap_or("");
                tracing::warn!(
                    offset = header(HEADER_OFFSET),
                    stage = header(HEADER_STAGE),
                    class = header(HEADER_CLASS),
                    error = header(HEADER_MESSAGE),
                    destination = self.destination_name(),
                    "message dead-lettered"
                );
            }
        }
        Ok(())
    }

    fn destination_name(&self) -> &'static str {
        match &self.destination {
            Some((_, ctx)) if ctx.path.ends_with("producer") => "iggy",
            Some(_) => "file",
            None => "dropped",
        }
    }
}

/// The dead letter of `message`: payload and key unchanged, the error headers added.
pub(crate) fn letter(
    connector: &str,
    message: &Message,
    stage: Stage,
    class: &str,
    reason: &str,
    cursor: Option<&Value>,
) -> Message {
    let mut letter = message.clone();
    let offset = match message.origin {
        Origin::Iggy { offset, .. } => offset.to_string(),
        Origin::Source => cursor.map(Value::to_string).unwrap_or_default(),
    };
    for (name, value) in [
        (HEADER_STAGE, stage.as_str()),
        (HEADER_CLASS, class),
        (HEADER_MESSAGE, reason),
        (HEADER_CONNECTOR, connector),
        (HEADER_OFFSET, offset.as_str()),
    ] {
        letter
            .headers
            .insert(name.to_string(), cut(value, MAX_HEADER_VALUE).to_string());
    }
    letter
}

/// The longest prefix of `s` of at most `max` bytes, on a character boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
