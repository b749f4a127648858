//! The one error type for rejected input: every rejection names the field and the rule it broke.

use std::fmt;

/// Input that callscope refuses, with the field (a JSON-path-like name such as
/// `utterances[3].start`) and the rule it broke, in words a client can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct InputError {
    pub field: String,
    pub rule: String,
    pub kind: InputErrorKind,
}

/// What kind of rejection this is; the HTTP layer maps each kind to one status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputErrorKind {
    /// The bytes are not the syntax the format expects (not JSON, not UTF-8).
    Malformed,
    /// Well-formed, but a value breaks a rule (missing, out of range, backwards times).
    Invalid,
    /// Larger than callscope stores in one item / carries in one message.
    TooLarge,
    /// The document is none of the accepted transcript formats.
    UnsupportedFormat,
}

impl InputError {
    pub fn invalid(field: impl Into<String>, rule: impl fmt::Display) -> Self {
        Self::new(field, rule, InputErrorKind::Invalid)
    }

    pub fn malformed(field: impl Into<String>, rule: impl fmt::Display) -> Self {
        Self::new(field, rule, InputErrorKind::Malformed)
    }

    pub fn too_large(field: impl Into<String>, rule: impl fmt::Display) -> Self {
        Self::new(field, rule, InputErrorKind::TooLarge)
    }

    pub fn unsupported(field: impl Into<String>, rule: impl fmt::Display) -> Self {
        Self::new(field, rule, InputErrorKind::UnsupportedFormat)
    }

    fn new(field: impl Into<String>, rule: impl fmt::Display, kind: InputErrorKind) -> Self {
        Self {
            field: field.into(),
            rule: rule.to_string(),
            kind,
        }
    }

    /// The same error for a field nested under `prefix` (`utterances[2]` + `start`).
    pub fn within(mut self, prefix: &str) -> Self {
        self.field = if self.field.is_empty() {
            prefix.to_owned()
        } else if self.field.starts_with('[') {
            format!("{prefix}{}", self.field)
        } else {
            format!("{prefix}.{}", self.field)
        };
        self
    }
}
