//! A tenant's alert rules (settings section `alerts`) and the pure evaluator that tells which of
//! them one analysed call fires, with the evidence: the value measured, the threshold it broke
//! and, for tracker rules, where in the call the phrase was said.
//!
//! Each rule has one condition, so an alert says exactly why it fired; a tenant wanting "low score
//! and a competitor" subscribes to both alerts and joins them on the call id.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::analysis::trackers::TrackerCategory;
use crate::analysis::{CallAnalysis, TrackerHit};
use crate::domain::{Outcome, Role};
use crate::error::InputError;
use crate::settings::limits::{
    MAX_ALERT_INTERRUPTIONS, MAX_ALERT_RULES, MAX_ALERT_RULE_ID_CHARS, MAX_NAME_CHARS,
};

/// Mentions an alert's evidence lists per tracker (the count stays exact): keeps an event far
/// below EventBridge's 256 KB entry limit whatever the call said.
pub const MAX_EVIDENCE_MENTIONS: usize = 5;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertRules {
    /// At most 50 rules, each `id` once.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    pub rules: Vec<AlertRule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertRule {
    /// Stable id (letters, digits, `-`, `_`): part of every alert's `event_id`, so renaming a
    /// rule keeps its alerts' identity.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9_-]{1,64}$"))]
    pub id: String,
    /// 1–100 characters, not blank.
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 100,
            pattern = r"[^\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
        )
    )]
    pub name: String,
    #[serde(default = "enabled")]
    pub enabled: bool,
    pub condition: Condition,
}

fn enabled() -> bool {
    true
}

/// What makes a rule fire; `kind` names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Condition {
    /// The call's 0–100 score is below `score`.
    ScoreBelow {
        #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100))]
        #[serde(deserialize_with = "crate::settings::whole::u8")]
        score: u8,
    },
    /// The tracker named `tracker` matched at least once.
    TrackerHit {
        #[cfg_attr(
            feature = "openapi",
            schema(
                max_length = 100,
                pattern = r"[^\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
            )
        )]
        tracker: String,
    },
    /// Any tracker of `category` matched at least once.
    CategoryHit { category: TrackerCategory },
    /// The customer's sentiment in the last quarter of the call is below `sentiment`.
    ClosingSentimentBelow {
        #[cfg_attr(feature = "openapi", schema(exclusive_minimum = -1, maximum = 1))]
        sentiment: f64,
    },
    /// `by` (agent, customer or any) interrupted at least `count` times.
    InterruptionsAtLeast {
        #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 10000))]
        #[serde(deserialize_with = "crate::settings::whole::u32")]
        count: u32,
        #[serde(default)]
        by: Interrupter,
    },
    /// The call's outcome (given by the client at ingest) is `outcome`.
    OutcomeIs {
        #[cfg_attr(feature = "openapi", schema(inline))]
        outcome: Outcome,
    },
}

/// Whose interruptions a rule counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Interrupter {
    /// The agent cutting the customer off (the coaching case).
    #[default]
    Agent,
    Customer,
    /// Both roles together.
    Any,
}

/// One rule that fired on a call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FiredAlert {
    pub rule_id: String,
    pub rule_name: String,
    pub condition: Condition,
    pub evidence: Evidence,
}

/// Why a rule fired: `value` measured against `threshold`, both in the measure's own unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// `score`, `tracker_count`, `category_count`, `customer_sentiment_last_quarter`,
    /// `interruptions` or `outcome`.
    pub measure: String,
    pub value: Measured,
    pub threshold: Measured,
    /// Where the trackers behind a tracker or category alert matched (at most
    /// [`MAX_EVIDENCE_MENTIONS`] per tracker).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<MentionEvidence>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Measured {
    Number(f64),
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MentionEvidence {
    pub tracker: String,
    pub phrase: String,
    pub speaker: Role,
    /// Index of the utterance (turn) in the transcript.
    pub utterance_index: usize,
    pub at_seconds: f64,
}

impl AlertRules {
    pub fn validate(&self) -> Result<(), InputError> {
        if self.rules.len() > MAX_ALERT_RULES {
            return Err(InputError::invalid(
                "rules",
                format!("at most {MAX_ALERT_RULES} alert rules"),
            ));
        }
        let mut ids = HashSet::new();
        for (i, rule) in self.rules.iter().enumerate() {
            rule.validate()
                .map_err(|e| e.within(&format!("rules[{i}]")))?;
            if !ids.insert(rule.id.as_str()) {
                return Err(InputError::invalid(
                    format!("rules[{i}].id"),
                    "is used by another rule",
                ));
            }
        }
        Ok(())
    }
}

impl AlertRule {
    fn validate(&self) -> Result<(), InputError> {
        let id_ok = (1..=MAX_ALERT_RULE_ID_CHARS).contains(&self.id.len())
            && self
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !id_ok {
            return Err(InputError::invalid(
                "id",
                format!(
                    "must be 1–{MAX_ALERT_RULE_ID_CHARS} letters, digits, '-' or '_' \
                     (it is part of every alert's event id)"
                ),
            ));
        }
        name(&self.name, "name")?;
        self.condition.validate().map_err(|e| e.within("condition"))
    }
}

fn name(value: &str, field: &str) -> Result<(), InputError> {
    if value.trim().is_empty() || value.chars().count() > MAX_NAME_CHARS {
        return Err(InputError::invalid(
            field,
            format!("must be 1–{MAX_NAME_CHARS} characters, not blank"),
        ));
    }
    Ok(())
}

impl Condition {
    fn validate(&self) -> Result<(), InputError> {
        match self {
            Condition::ScoreBelow { score } if !(1..=100).contains(score) => Err(
                InputError::invalid("score", "must be 1–100 (no call scores below 0)"),
            ),
            Condition::TrackerHit { tracker } => name(tracker, "tracker"),
            Condition::ClosingSentimentBelow { sentiment }
                if !(sentiment.is_finite() && *sentiment > -1.0 && *sentiment <= 1.0) =>
            {
                Err(InputError::invalid(
                    "sentiment",
                    "must be in (-1, 1] (sentiment is in [-1, 1]; below -1 never happens)",
                ))
            }
            Condition::InterruptionsAtLeast { count, .. }
                if !(1..=MAX_ALERT_INTERRUPTIONS).contains(count) =>
            {
                Err(InputError::invalid(
                    "count",
                    format!("must be 1–{MAX_ALERT_INTERRUPTIONS}"),
                ))
            }
            _ => Ok(()),
        }
    }

    /// The evidence when this condition holds for the call.
    fn check(&self, analysis: &CallAnalysis, outcome: Option<Outcome>) -> Option<Evidence> {
        let number = |measure: &str, value: f64, threshold: f64| Evidence {
            measure: measure.to_owned(),
            value: Measured::Number(value),
            threshold: Measured::Number(threshold),
            mentions: Vec::new(),
        };
        match self {
            Condition::ScoreBelow { score } => (analysis.score < *score)
                .then(|| number("score", analysis.score.into(), (*score).into())),
            Condition::TrackerHit { tracker } => {
                let hits: Vec<&TrackerHit> = analysis
                    .trackers
                    .iter()
                    .filter(|t| t.count > 0 && t.tracker == *tracker)
                    .collect();
                hit_evidence("tracker_count", &hits)
            }
            Condition::CategoryHit { category } => {
                let hits: Vec<&TrackerHit> = analysis
                    .trackers
                    .iter()
                    .filter(|t| t.count > 0 && t.category == *category)
                    .collect();
                hit_evidence("category_count", &hits)
            }
            Condition::ClosingSentimentBelow { sentiment } => {
                // No customer speech in the last quarter (or an analysis from before per-role
                // quarters) is no evidence of anything: the rule does not fire.
                let last = analysis.sentiment.quarters_by_role.customer[3]?;
                (last < *sentiment)
                    .then(|| number("customer_sentiment_last_quarter", last, *sentiment))
            }
            Condition::InterruptionsAtLeast { count, by } => {
                let i = &analysis.interruptions;
                let measured = match by {
                    Interrupter::Agent => i.agent,
                    Interrupter::Customer => i.customer,
                    Interrupter::Any => i.agent.saturating_add(i.customer),
                };
                (measured >= *count)
                    .then(|| number("interruptions", measured.into(), (*count).into()))
            }
            Condition::OutcomeIs { outcome: wanted } => {
                (outcome == Some(*wanted)).then(|| Evidence {
                    measure: "outcome".to_owned(),
                    value: Measured::Text(wanted.as_str().to_owned()),
                    threshold: Measured::Text(wanted.as_str().to_owned()),
                    mentions: Vec::new(),
                })
            }
        }
    }
}

fn hit_evidence(measure: &str, hits: &[&TrackerHit]) -> Option<Evidence> {
    if hits.is_empty() {
        return None;
    }
    let count: u64 = hits.iter().map(|t| u64::from(t.count)).sum();
    Some(Evidence {
        measure: measure.to_owned(),
        value: Measured::Number(count as f64),
        threshold: Measured::Number(1.0),
        mentions: hits
            .iter()
            .flat_map(|t| {
                t.mentions
                    .iter()
                    .take(MAX_EVIDENCE_MENTIONS)
                    .map(|m| MentionEvidence {
                        tracker: t.tracker.clone(),
                        phrase: m.phrase.clone(),
                        speaker: m.speaker,
                        utterance_index: m.utterance_index,
                        at_seconds: m.at_seconds,
                    })
            })
            .collect(),
    })
}

/// The enabled rules the call fires, in the rules' order. `outcome` is the call's own (the
/// analysis has none: it is what the client said the call led to).
pub fn evaluate(
    rules: &AlertRules,
    analysis: &CallAnalysis,
    outcome: Option<Outcome>,
) -> Vec<FiredAlert> {
    rules
        .rules
        .iter()
        .filter(|r| r.enabled)
        .filter_map(|rule| {
            rule.condition
                .check(analysis, outcome)
                .map(|evidence| FiredAlert {
                    rule_id: rule.id.clone(),
                    rule_name: rule.name.clone(),
                    condition: rule.condition.clone(),
                    evidence,
                })
        })
        .collect()
}

#[cfg(test)]
mod tests;
