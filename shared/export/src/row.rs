//! One exported row: a call's own facts and its analysis's measures, trackers and next steps.

use callscope_core::analysis::CallAnalysis;
use callscope_core::domain::{AgentId, CallId, CustomerId, Language, Outcome, TeamId, Timestamp};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The call's facts the export needs besides its analysis.
#[derive(Debug, Clone)]
pub struct CallFacts<'a> {
    pub call_id: &'a CallId,
    pub agent_id: &'a AgentId,
    pub team_id: Option<&'a TeamId>,
    pub customer_id: &'a CustomerId,
    pub language: &'a Language,
    pub start_time: Timestamp,
    pub duration_seconds: f64,
    pub outcome: Option<Outcome>,
    pub analysed_at: Timestamp,
}

/// A row of the export, column by column (the order of [`crate::schema`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportRow {
    pub call_id: String,
    pub agent_id: String,
    pub team_id: Option<String>,
    pub customer_id: String,
    pub language: String,
    pub start_time: DateTime<Utc>,
    pub duration_seconds: f64,
    pub outcome: Option<String>,
    pub analysed_at: DateTime<Utc>,
    pub timing: String,
    pub score: i32,
    pub agent_talk_ratio: f64,
    pub customer_sentiment: f64,
    pub agent_sentiment: Option<f64>,
    pub overall_sentiment: Option<f64>,
    pub sentiment_quarters: Vec<Option<f64>>,
    pub questions_agent: i32,
    pub questions_customer: i32,
    pub interruptions_agent: i32,
    pub interruptions_customer: i32,
    pub longest_monologue_seconds: f64,
    pub longest_customer_story_seconds: f64,
    pub interactivity: f64,
    pub patience_seconds: Option<f64>,
    pub filler_words_per_minute: f64,
    pub non_talk_time_seconds: f64,
    /// The names of the trackers the call hit: what co-occurrence queries unnest.
    pub tracker_names: Vec<String>,
    pub trackers: Vec<TrackerRow>,
    pub next_steps: Vec<NextStepRow>,
    /// The redacted transcript as `Agent: …` lines, only for tenants that opted in.
    pub transcript: Option<String>,
}

/// A tracker the call hit (mentions themselves stay in callscope: they quote the transcript).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackerRow {
    pub name: String,
    pub category: String,
    pub count: i32,
    pub satisfied: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NextStepRow {
    pub speaker: String,
    pub text: String,
    pub due: Option<String>,
    pub at_seconds: f64,
}

/// A serde enum's wire name (`snake_case`), the same text the API and the events carry.
fn wire_name(value: &impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl ExportRow {
    /// The row of one analysed call; `transcript` only when the tenant opted in.
    pub fn new(facts: &CallFacts<'_>, analysis: &CallAnalysis, transcript: Option<String>) -> Self {
        let hits: Vec<_> = analysis.trackers.iter().filter(|t| t.count > 0).collect();
        Self {
            call_id: facts.call_id.to_string(),
            agent_id: facts.agent_id.to_string(),
            team_id: facts.team_id.map(ToString::to_string),
            customer_id: facts.customer_id.to_string(),
            language: facts.language.as_str().to_owned(),
            start_time: facts.start_time.time(),
            duration_seconds: facts.duration_seconds,
            outcome: facts.outcome.map(|o| wire_name(&o)),
            analysed_at: facts.analysed_at.time(),
            timing: wire_name(&analysis.timing),
            score: i32::from(analysis.score),
            agent_talk_ratio: analysis.agent_talk_ratio,
            customer_sentiment: analysis.customer_sentiment_score,
            agent_sentiment: analysis.sentiment.agent,
            overall_sentiment: analysis.sentiment.overall,
            sentiment_quarters: analysis.sentiment.quarters.to_vec(),
            questions_agent: count(analysis.questions.agent),
            questions_customer: count(analysis.questions.customer),
            interruptions_agent: count(analysis.interruptions.agent),
            interruptions_customer: count(analysis.interruptions.customer),
            longest_monologue_seconds: analysis.longest_monologue_seconds,
            longest_customer_story_seconds: analysis.longest_customer_story_seconds,
            interactivity: analysis.interactivity,
            patience_seconds: analysis.patience_seconds,
            filler_words_per_minute: analysis.filler_words_per_minute,
            non_talk_time_seconds: analysis.non_talk_time_seconds,
            tracker_names: hits.iter().map(|t| t.tracker.clone()).collect(),
            trackers: hits
                .iter()
                .map(|t| TrackerRow {
                    name: t.tracker.clone(),
                    category: wire_name(&t.category),
                    count: count(t.count),
                    satisfied: t.satisfied,
                })
                .collect(),
            next_steps: analysis
                .next_steps
                .iter()
                .map(|s| NextStepRow {
                    speaker: wire_name(&s.speaker),
                    text: s.text.clone(),
                    due: s.due.clone(),
                    at_seconds: s.at_seconds,
                })
                .collect(),
            transcript,
        }
    }
}
