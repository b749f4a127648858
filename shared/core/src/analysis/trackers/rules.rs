//! Tracker rules as tenants configure them (JSON), their validation, and the default set.

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

use crate::domain::Role;
use crate::error::InputError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TrackerCategory {
    Pricing,
    Competitor,
    Objection,
    NextStep,
    Compliance,
    Custom,
}

/// How negated mentions count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum NegationMode {
    /// Negated mentions do not count ("we are not interested in price" is not pricing interest).
    #[default]
    Exclude,
    /// Every mention counts.
    Include,
    /// Only negated mentions count ("we don't need it" for a need objection).
    Only,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Expectation {
    /// Report mentions when there are any.
    #[default]
    Mention,
    /// The call must contain a mention; the hit is always reported with `satisfied`.
    Required,
}

/// Where in the call a mention counts, relative to the call's start and end.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TimeWindow {
    /// The first N seconds.
    #[cfg_attr(feature = "openapi", schema(value_type = WindowSeconds))]
    FirstSeconds(f64),
    /// The last N seconds.
    #[cfg_attr(feature = "openapi", schema(value_type = WindowSeconds))]
    LastSeconds(f64),
    /// From `from_seconds` to `to_seconds` (`from_seconds` <= `to_seconds`).
    Between(WindowRange),
}

// Its own type, not inline in the variant, so that the OpenAPI document (utoipa closes structs
// only) refuses the keys the parser refuses.
/// A window's bounds, in seconds from the call's start.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WindowRange {
    #[cfg_attr(feature = "openapi", schema(minimum = 0))]
    pub from_seconds: f64,
    #[cfg_attr(feature = "openapi", schema(minimum = 0))]
    pub to_seconds: f64,
}

/// How the OpenAPI document describes a window's length: seconds, at least 0.
#[cfg(feature = "openapi")]
#[derive(Debug, utoipa::ToSchema)]
#[schema(minimum = 0)]
#[allow(dead_code)]
pub struct WindowSeconds(f64);

impl TimeWindow {
    /// Whether an utterance starting at `start` lies in the window of a call of `duration`.
    pub fn contains(self, start: f64, duration: f64) -> bool {
        match self {
            TimeWindow::FirstSeconds(s) => start <= s,
            TimeWindow::LastSeconds(s) => start >= duration - s,
            TimeWindow::Between(WindowRange {
                from_seconds,
                to_seconds,
            }) => (from_seconds..=to_seconds).contains(&start),
        }
    }
}

/// A misspelt key (`phrase`, `negate`) would otherwise change nothing without a word, so unknown
/// keys are refused, as in every other settings section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrackerRule {
    /// 1–100 characters, not blank; unique among the tenant's rules (a rule named like a
    /// built-in one replaces it when extending).
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 100,
            pattern = r"[^\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
        )
    )]
    pub name: String,
    pub category: TrackerCategory,
    /// 1–100 phrases of at most 100 characters, each with a letter or digit.
    #[cfg_attr(
        feature = "openapi",
        schema(min_items = 1, max_items = 100, max_length = 100)
    )]
    pub phrases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<TimeWindow>,
    #[serde(default)]
    pub negation: NegationMode,
    #[serde(default)]
    pub expectation: Expectation,
}

impl TrackerRule {
    pub fn validate(&self) -> Result<(), InputError> {
        if self.name.trim().is_empty() {
            return Err(InputError::invalid("name", "must not be empty"));
        }
        if self.phrases.is_empty() {
            return Err(InputError::invalid(
                "phrases",
                "must list at least one phrase",
            ));
        }
        if let Some(i) = self
            .phrases
            .iter()
            .position(|p| !p.chars().any(char::is_alphanumeric))
        {
            return Err(InputError::invalid(
                format!("phrases[{i}]"),
                "must contain a letter or digit",
            ));
        }
        let bad_seconds = |s: f64| !s.is_finite() || s < 0.0;
        match self.window {
            Some(TimeWindow::FirstSeconds(s) | TimeWindow::LastSeconds(s)) if bad_seconds(s) => {
                Err(InputError::invalid(
                    "window",
                    "seconds must be a number >= 0",
                ))
            }
            Some(TimeWindow::Between(WindowRange {
                from_seconds,
                to_seconds,
            })) if bad_seconds(from_seconds)
                || bad_seconds(to_seconds)
                || from_seconds > to_seconds =>
            {
                Err(InputError::invalid(
                    "window",
                    "from_seconds and to_seconds must be >= 0 with from <= to",
                ))
            }
            _ => Ok(()),
        }
    }

    /// One case-insensitive regex of all phrases, each on word boundaries, spaces flexible.
    pub(crate) fn compile(&self) -> Result<Regex, InputError> {
        RegexBuilder::new(&self.pattern())
            .case_insensitive(true)
            .build()
            .map_err(|e| InputError::invalid("phrases", format!("cannot be compiled: {e}")))
    }

    fn pattern(&self) -> String {
        let alternatives: Vec<String> = self
            .phrases
            .iter()
            .map(|p| {
                let words: Vec<String> = p.split_whitespace().map(regex::escape).collect();
                format!(r"\b{}\b", words.join(r"\s+"))
            })
            .collect();
        alternatives.join("|")
    }
}

/// The rules every tenant starts with (data/default_trackers.json).
pub fn default_rules() -> Vec<TrackerRule> {
    // Parsed from a file compiled into the binary and covered by a test, so it cannot fail at
    // run time; an empty set would only disable trackers, never crash a handler.
    serde_json::from_str(include_str!("../../../data/default_trackers.json")).unwrap_or_default()
}
