//! A tenant's scorecard: weighted criteria over the analysis's measures, each with its
//! benchmark. It replaces the built-in criteria for the tenant's calls: a criterion earns its
//! weight when the call's measure is within its benchmark and nothing otherwise (pass or fail,
//! so a reviewer can check a score by hand); criteria a call cannot measure (time-based ones on
//! an untimed transcript, the customer's sentiment when the customer never spoke) are left out
//! and the rest rescaled to 100, as the built-in score does. Each missed criterion is a coaching
//! nudge naming the measure, the value and the benchmark.

use serde::{Deserialize, Serialize};

use crate::analysis::{CallAnalysis, Priority, Recommendation, Timing};
use crate::error::InputError;
use crate::settings::limits::{MAX_CRITERIA, MAX_MESSAGE_CHARS, MAX_NAME_CHARS};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Scorecard {
    /// 1–30 criteria whose weights sum to 100.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 30))]
    pub criteria: Vec<Criterion>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Criterion {
    /// What is measured; one of [`Measure::ALL`]'s names. `tracker_present` and
    /// `tracker_absent` take a `tracker` and no `benchmark`; `next_step_agreed` takes neither;
    /// every other measure takes a `benchmark` and no `tracker`.
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = "^(agent_talk_ratio|questions_agent|questions_customer|longest_monologue_seconds|longest_customer_story_seconds|interactivity|patience_seconds|filler_words_per_minute|customer_sentiment|overall_sentiment|next_step_agreed|tracker_present|tracker_absent)$"
        )
    )]
    pub measure: String,
    /// Share of the score, out of 100 (all criteria's weights sum to 100).
    #[cfg_attr(feature = "openapi", schema(exclusive_minimum = 0, maximum = 100))]
    pub weight: f64,
    /// The range that passes, for numeric measures; not taken by `next_step_agreed`,
    /// `tracker_present` and `tracker_absent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub benchmark: Option<Band>,
    /// The tracker rule `tracker_present` / `tracker_absent` look for (1–100 characters, not
    /// blank).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 100,
            pattern = r"[^\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
        )
    )]
    pub tracker: Option<String>,
    /// The coaching nudge when the call misses (1–500 characters, not blank); a sentence is
    /// made from the benchmark if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 500,
            pattern = r"[^\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
        )
    )]
    pub message: Option<String>,
    #[serde(default = "medium")]
    pub priority: Priority,
}

fn medium() -> Priority {
    Priority::Medium
}

/// Inclusive bounds; at least one, `min` <= `max`, both within the measure's values
/// (`agent_talk_ratio` 0–1, the sentiments -1–1, the others >= 0).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Band {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

impl Band {
    fn contains(self, v: f64) -> bool {
        self.min.is_none_or(|m| v >= m) && self.max.is_none_or(|m| v <= m)
    }

    fn describe(self) -> String {
        match (self.min, self.max) {
            (Some(lo), Some(hi)) => format!("between {lo} and {hi}"),
            (Some(lo), None) => format!("at least {lo}"),
            (None, Some(hi)) => format!("at most {hi}"),
            (None, None) => "any value".to_owned(),
        }
    }
}

/// The measures a criterion can use (each an analysis field, or a test on one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    AgentTalkRatio,
    QuestionsAgent,
    QuestionsCustomer,
    LongestMonologueSeconds,
    LongestCustomerStorySeconds,
    Interactivity,
    PatienceSeconds,
    FillerWordsPerMinute,
    CustomerSentiment,
    OverallSentiment,
    NextStepAgreed,
    TrackerPresent,
    TrackerAbsent,
}

impl Measure {
    pub const ALL: [Measure; 13] = [
        Measure::AgentTalkRatio,
        Measure::QuestionsAgent,
        Measure::QuestionsCustomer,
        Measure::LongestMonologueSeconds,
        Measure::LongestCustomerStorySeconds,
        Measure::Interactivity,
        Measure::PatienceSeconds,
        Measure::FillerWordsPerMinute,
        Measure::CustomerSentiment,
        Measure::OverallSentiment,
        Measure::NextStepAgreed,
        Measure::TrackerPresent,
        Measure::TrackerAbsent,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Measure::AgentTalkRatio => "agent_talk_ratio",
            Measure::QuestionsAgent => "questions_agent",
            Measure::QuestionsCustomer => "questions_customer",
            Measure::LongestMonologueSeconds => "longest_monologue_seconds",
            Measure::LongestCustomerStorySeconds => "longest_customer_story_seconds",
            Measure::Interactivity => "interactivity",
            Measure::PatienceSeconds => "patience_seconds",
            Measure::FillerWordsPerMinute => "filler_words_per_minute",
            Measure::CustomerSentiment => "customer_sentiment",
            Measure::OverallSentiment => "overall_sentiment",
            Measure::NextStepAgreed => "next_step_agreed",
            Measure::TrackerPresent => "tracker_present",
            Measure::TrackerAbsent => "tracker_absent",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == raw)
    }

    /// The values the measure can take, for a numeric one; `None` for a yes/no test.
    fn range(self) -> Option<(f64, f64)> {
        match self {
            Measure::AgentTalkRatio => Some((0.0, 1.0)),
            Measure::CustomerSentiment | Measure::OverallSentiment => Some((-1.0, 1.0)),
            Measure::NextStepAgreed | Measure::TrackerPresent | Measure::TrackerAbsent => None,
            _ => Some((0.0, f64::MAX)),
        }
    }

    fn needs_tracker(self) -> bool {
        matches!(self, Measure::TrackerPresent | Measure::TrackerAbsent)
    }

    /// The call's value; `None` when the call cannot measure it.
    fn value(self, a: &CallAnalysis, tracker: Option<&str>) -> Option<f64> {
        let timed = a.timing == Timing::Measured;
        let both_spoke = a.word_count.agent > 0 && a.word_count.customer > 0;
        let tracker_count = || {
            let name = tracker.unwrap_or_default();
            a.trackers
                .iter()
                .filter(|h| h.tracker == name)
                .map(|h| f64::from(h.count))
                .sum::<f64>()
        };
        match self {
            Measure::AgentTalkRatio => both_spoke.then_some(a.agent_talk_ratio),
            Measure::QuestionsAgent => Some(f64::from(a.questions.agent)),
            Measure::QuestionsCustomer => Some(f64::from(a.questions.customer)),
            Measure::LongestMonologueSeconds => timed.then_some(a.longest_monologue_seconds),
            Measure::LongestCustomerStorySeconds => {
                (timed && a.word_count.customer > 0).then_some(a.longest_customer_story_seconds)
            }
            Measure::Interactivity => timed.then_some(a.interactivity),
            Measure::PatienceSeconds => a.patience_seconds.filter(|_| timed),
            Measure::FillerWordsPerMinute => {
                (timed && a.talk_time_seconds.agent > 0.0).then_some(a.filler_words_per_minute)
            }
            Measure::CustomerSentiment => a.sentiment.customer,
            Measure::OverallSentiment => a.sentiment.overall,
            Measure::NextStepAgreed => Some(a.next_steps.len() as f64),
            Measure::TrackerPresent | Measure::TrackerAbsent => Some(tracker_count()),
        }
    }

    fn passes(self, value: f64, band: Option<Band>) -> bool {
        match self {
            Measure::NextStepAgreed | Measure::TrackerPresent => value > 0.0,
            Measure::TrackerAbsent => value == 0.0,
            _ => band.is_none_or(|b| b.contains(value)),
        }
    }
}

impl Scorecard {
    pub fn validate(&self) -> Result<(), InputError> {
        if self.criteria.is_empty() || self.criteria.len() > MAX_CRITERIA {
            return Err(InputError::invalid(
                "criteria",
                format!("must list 1–{MAX_CRITERIA} criteria"),
            ));
        }
        for (i, c) in self.criteria.iter().enumerate() {
            c.validate()
                .map_err(|e| e.within(&format!("criteria[{i}]")))?;
        }
        let total: f64 = self.criteria.iter().map(|c| c.weight).sum();
        if (total - 100.0).abs() > 1e-6 {
            return Err(InputError::invalid(
                "criteria",
                format!("the weights must sum to 100 (they sum to {total})"),
            ));
        }
        Ok(())
    }

    /// The call's score and its coaching nudges under this scorecard; `version` is the
    /// settings version, named in each nudge's source.
    pub fn assess(&self, a: &CallAnalysis, version: Option<u64>) -> (u8, Vec<Recommendation>) {
        let source = match version {
            Some(v) => format!("the tenant's scorecard (settings version {v})"),
            None => "the tenant's scorecard".to_owned(),
        };
        let mut total = 0.0;
        let mut earned = 0.0;
        let mut missed = Vec::new();
        for c in &self.criteria {
            // Validated when stored; a criterion that no longer parses is left out.
            let Some(measure) = Measure::parse(&c.measure) else {
                continue;
            };
            let Some(value) = measure.value(a, c.tracker.as_deref()) else {
                continue;
            };
            total += c.weight;
            if measure.passes(value, c.benchmark) {
                earned += c.weight;
            } else {
                missed.push((c, measure, value));
            }
        }
        let score = if total > 0.0 {
            (earned / total * 100.0).round().clamp(0.0, 100.0) as u8
        } else {
            0
        };
        missed.sort_by(|a, b| {
            a.0.priority
                .cmp(&b.0.priority)
                .then(b.0.weight.total_cmp(&a.0.weight))
        });
        let recommendations = missed
            .into_iter()
            .map(|(c, measure, value)| {
                let benchmark = c.benchmark_text(measure);
                Recommendation {
                    metric: match (&c.tracker, measure.needs_tracker()) {
                        (Some(t), true) => format!("trackers.{t}"),
                        _ => measure.name().to_owned(),
                    },
                    message: c.message.clone().unwrap_or_else(|| {
                        format!(
                            "{} was {value}; the benchmark is {benchmark}.",
                            measure.name()
                        )
                    }),
                    evidence: value,
                    benchmark,
                    source: source.clone(),
                    priority: c.priority,
                }
            })
            .collect();
        (score, recommendations)
    }
}

impl Criterion {
    fn validate(&self) -> Result<(), InputError> {
        let Some(measure) = Measure::parse(&self.measure) else {
            let known: Vec<&str> = Measure::ALL.iter().map(|m| m.name()).collect();
            return Err(InputError::invalid(
                "measure",
                format!(
                    "{:?} is not a measure; one of: {}",
                    self.measure,
                    known.join(", ")
                ),
            ));
        };
        if !self.weight.is_finite() || self.weight <= 0.0 || self.weight > 100.0 {
            return Err(InputError::invalid(
                "weight",
                "must be a number in (0, 100]",
            ));
        }
        match (measure.needs_tracker(), &self.tracker) {
            (true, None) => {
                return Err(InputError::invalid(
                    "tracker",
                    format!("{} needs the name of a tracker rule", measure.name()),
                ))
            }
            (true, Some(t)) if t.trim().is_empty() || t.chars().count() > MAX_NAME_CHARS => {
                return Err(InputError::invalid(
                    "tracker",
                    format!("must be a tracker rule's name (1–{MAX_NAME_CHARS} characters)"),
                ))
            }
            (false, Some(_)) => {
                return Err(InputError::invalid(
                    "tracker",
                    format!("is not taken by {}", measure.name()),
                ))
            }
            _ => {}
        }
        match (measure.range(), self.benchmark) {
            (None, Some(_)) => {
                return Err(InputError::invalid(
                    "benchmark",
                    format!("is not taken by {} (a yes/no test)", measure.name()),
                ))
            }
            (Some(_), None) => {
                return Err(InputError::invalid(
                    "benchmark",
                    format!("{} needs a benchmark band: {{min, max}}", measure.name()),
                ))
            }
            (Some((lo, hi)), Some(band)) => {
                if band.min.is_none() && band.max.is_none() {
                    return Err(InputError::invalid("benchmark", "needs min, max or both"));
                }
                for (field, bound) in [("benchmark.min", band.min), ("benchmark.max", band.max)] {
                    if bound.is_some_and(|b| !b.is_finite() || b < lo || b > hi) {
                        return Err(InputError::invalid(
                            field,
                            format!("must be within {lo}–{hi} for {}", measure.name()),
                        ));
                    }
                }
                if let (Some(min), Some(max)) = (band.min, band.max) {
                    if min > max {
                        return Err(InputError::invalid("benchmark", "min must be <= max"));
                    }
                }
            }
            (None, None) => {}
        }
        if self
            .message
            .as_ref()
            .is_some_and(|m| m.trim().is_empty() || m.chars().count() > MAX_MESSAGE_CHARS)
        {
            return Err(InputError::invalid(
                "message",
                format!("must be 1–{MAX_MESSAGE_CHARS} characters"),
            ));
        }
        Ok(())
    }

    fn benchmark_text(&self, measure: Measure) -> String {
        match measure {
            Measure::NextStepAgreed => "at least one agreed next step".to_owned(),
            Measure::TrackerPresent => format!(
                "the tracker {} is mentioned",
                self.tracker.as_deref().unwrap_or_default()
            ),
            Measure::TrackerAbsent => format!(
                "the tracker {} is not mentioned",
                self.tracker.as_deref().unwrap_or_default()
            ),
            _ => format!(
                "{} {}",
                measure.name(),
                self.benchmark.map(Band::describe).unwrap_or_default()
            ),
        }
    }
}
