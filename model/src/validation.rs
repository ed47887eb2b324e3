//! Field-path validation errors shared by the connector model and the metadata validator.

use std::fmt;

/// One problem with one field, addressed by its dotted path (`steps.producer.topic`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldError {
    /// Dotted path of the field; list items as `transformer[1]`. Empty for the document itself.
    pub path: String,
    /// What is wrong, in lowercase, saying what is expected.
    pub reason: String,
}

impl FieldError {
    pub fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.reason)
        } else {
            write!(f, "{}: {}", self.path, self.reason)
        }
    }
}

/// Every problem found in one document, reported together.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn push(&mut self, path: impl Into<String>, reason: impl Into<String>) {
        self.0.push(FieldError::new(path, reason));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }

    /// Adds the errors of a nested document under `prefix`.
    pub fn extend_prefixed(&mut self, prefix: &str, other: FieldErrors) {
        for e in other.0 {
            self.0
                .push(FieldError::new(join_path(prefix, &e.path), e.reason));
        }
    }

    /// `Ok(value)` when nothing was found, the collected errors otherwise.
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for FieldErrors {}

/// Joins a parent path and a child key: `join_path("steps", "sink")` is `steps.sink`.
pub fn join_path(parent: &str, child: &str) -> String {
    match (parent.is_empty(), child.is_empty()) {
        (true, _) => child.to_string(),
        (_, true) => parent.to_string(),
        _ if child.starts_with('[') => format!("{parent}{child}"),
        _ => format!("{parent}.{child}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_with_dots_and_brackets() {
        assert_eq!(join_path("", "id"), "id");
        assert_eq!(join_path("steps", "sink"), "steps.sink");
        assert_eq!(
            join_path("steps.transformer", "[2]"),
            "steps.transformer[2]"
        );
        assert_eq!(join_path("steps", ""), "steps");
    }

    #[test]
    fn display_lists_every_error_on_its_own_line() {
        let mut errs = FieldErrors::default();
        errs.push("id", "must not be empty");
        errs.push("", "document is empty");
        assert_eq!(errs.to_string(), "id: must not be empty\ndocument is empty");
        assert!(errs.clone().into_result(()).is_err());
        assert!(FieldErrors::default().into_result(1).is_ok());
    }
}
