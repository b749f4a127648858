//! Identifier newtypes: checked once at the edge, then trusted everywhere.

use serde::{Deserialize, Serialize};

use crate::error::InputError;

/// Longest id callscope accepts; ids become parts of DynamoDB keys and Redis keys.
pub const MAX_ID_LEN: usize = 128;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Accepts 1–128 characters of `A-Z a-z 0-9 . _ : -`, the characters that are safe
            /// inside composite keys (`#` is the key separator and is refused).
            pub fn parse(field: &str, raw: impl Into<String>) -> Result<Self, InputError> {
                check_id(field, raw.into()).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InputError;
            fn try_from(raw: String) -> Result<Self, InputError> {
                Self::parse(stringify!($name), raw)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A call's id, chosen by the client; idempotency is keyed on it.
    CallId
);
id_type!(
    /// The sales agent (rep) who took the call.
    AgentId
);
id_type!(
    /// The customer (prospect) on the other side.
    CustomerId
);
id_type!(
    /// The agent's team, for team rollups.
    TeamId
);
id_type!(
    /// The tenant (customer organisation of callscope); comes from verified claims only.
    TenantId
);
id_type!(
    /// Follows one call through every log line and message of its journey.
    CorrelationId
);

fn check_id(field: &str, raw: String) -> Result<String, InputError> {
    if raw.is_empty() {
        return Err(InputError::invalid(field, "must not be empty"));
    }
    if raw.len() > MAX_ID_LEN {
        return Err(InputError::invalid(
            field,
            format!(
                "must be at most {MAX_ID_LEN} characters (got {})",
                raw.len()
            ),
        ));
    }
    if let Some(bad) = raw
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-')))
    {
        return Err(InputError::invalid(
            field,
            format!("may contain only letters, digits and . _ : - (found {bad:?})"),
        ));
    }
    Ok(raw)
}

/// A BCP 47 language tag such as `en` or `en-US`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Language(String);

impl Language {
    pub fn parse(field: &str, raw: impl Into<String>) -> Result<Self, InputError> {
        let raw = raw.into();
        let mut parts = raw.split('-');
        let primary_ok = parts.next().is_some_and(|p| {
            (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic())
        });
        let rest_ok = parts
            .all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
        if primary_ok && rest_ok {
            Ok(Self(raw))
        } else {
            Err(InputError::invalid(
                field,
                format!("{raw:?} is not a language tag such as en or en-US"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the primary subtag is English, the language of the sentiment lexicon.
    pub fn is_english(&self) -> bool {
        self.0
            .split('-')
            .next()
            .is_some_and(|p| p.eq_ignore_ascii_case("en"))
    }
}

impl TryFrom<String> for Language {
    type Error = InputError;
    fn try_from(raw: String) -> Result<Self, InputError> {
        Self::parse("language", raw)
    }
}

impl From<Language> for String {
    fn from(l: Language) -> String {
        l.0
    }
}
