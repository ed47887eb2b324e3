//! What a sink reports for a batch it handled: every message delivered, or some refused for
//! their content (a constraint violation, an HTTP 400) while the rest were delivered.

/// One message of a batch that the destination refused for its content. Retrying it cannot help;
/// the connector's error policy decides what happens to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The message's index in the batch passed to [`Sink::write`](super::Sink::write).
    pub index: usize,
    /// A short class of the failure (`http.400`, `sql.23505`, `encoding`), for dead-letter headers.
    pub class: String,
    /// The destination's own words.
    pub reason: String,
}

/// The outcome of a successful [`Sink::write`](super::Sink::write): the batch is confirmed,
/// except for the messages listed as rejected.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct Written {
    rejected: Vec<Rejected>,
}

impl Written {
    /// Every message of the batch was delivered.
    pub fn all() -> Self {
        Self::default()
    }

    /// Marks the message at `index` as refused for its content.
    pub fn reject(
        &mut self,
        index: usize,
        class: impl Into<String>,
        reason: impl std::fmt::Display,
    ) {
        self.rejected.push(Rejected {
            index,
            class: class.into(),
            reason: reason.to_string(),
        });
    }

    /// The refused messages, in the order they were reported.
    pub fn rejected(&self) -> &[Rejected] {
        &self.rejected
    }

    pub fn is_complete(&self) -> bool {
        self.rejected.is_empty()
    }
}
