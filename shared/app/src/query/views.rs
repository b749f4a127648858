//! What the query API answers with: the v1 shapes existing clients read (`Call`,
//! `{calls, total, limit, offset}`, recommendations, the agents leaderboard) and the new
//! per-day analytics beside them.

use std::collections::BTreeMap;

use callscope_core::analysis::{CallAnalysis, Recommendation};
use callscope_core::pipeline::RollupTotals;
use serde::{Deserialize, Serialize, Serializer};

use crate::ports::CallListing;

/// A call as v1 lists it, plus `status`, `team_id`, `score` and `outcome`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallView {
    /// The call's id (v1 clients read both `id` and `call_id`).
    pub id: String,
    pub call_id: String,
    pub agent_id: String,
    pub customer_id: String,
    pub team_id: Option<String>,
    pub language: String,
    /// RFC 3339, UTC.
    pub start_time: String,
    /// Seconds; a whole number when the call's length is (as v1's integer field was).
    #[serde(serialize_with = "whole_when_integral")]
    pub duration_seconds: f64,
    /// The redacted transcript as `Agent: …` / `Customer: …` lines.
    pub transcript: String,
    /// `null` until the call is processed.
    pub agent_talk_ratio: Option<f64>,
    /// `null` until the call is processed.
    pub customer_sentiment_score: Option<f64>,
    /// 0–100; `null` until the call is processed.
    pub score: Option<u8>,
    /// `RECEIVED`, `PROCESSED` or `FAILED`.
    pub status: String,
    /// Why the call is `FAILED`; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    pub outcome: Option<String>,
    /// When callscope received the call.
    pub created_at: String,
    /// When the call last changed (processed, or received).
    pub updated_at: String,
    /// The call's transcript and analysis are gone under the tenant's retention (DynamoDB TTL):
    /// `transcript` is empty, the listing's figures stay. Absent while they are kept.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub expired: bool,
}

impl CallView {
    pub fn new(listing: &CallListing, transcript: String) -> Self {
        Self {
            id: listing.call_id.to_string(),
            call_id: listing.call_id.to_string(),
            agent_id: listing.agent_id.to_string(),
            customer_id: listing.customer_id.to_string(),
            team_id: listing.team_id.as_ref().map(ToString::to_string),
            language: listing.language.as_str().to_owned(),
            start_time: listing.start_time.to_string(),
            duration_seconds: listing.duration_seconds,
            transcript,
            agent_talk_ratio: listing.agent_talk_ratio,
            customer_sentiment_score: listing.customer_sentiment_score,
            score: listing.score,
            status: listing.status.as_str().to_owned(),
            failure_reason: listing.failure_reason.clone(),
            outcome: listing.outcome.map(|o| o.as_str().to_owned()),
            created_at: listing.received_at.to_string(),
            updated_at: listing
                .processed_at
                .unwrap_or(listing.received_at)
                .to_string(),
            expired: false,
        }
    }

    /// The view of a call whose transcript and analysis expired.
    pub fn expired(listing: &CallListing) -> Self {
        Self {
            expired: true,
            ..Self::new(listing, String::new())
        }
    }
}

fn whole_when_integral<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        serializer.serialize_i64(*value as i64)
    } else {
        serializer.serialize_f64(*value)
    }
}

/// `GET /api/v1/calls`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallList {
    pub calls: Vec<CallView>,
    /// Calls matching the filters: exact when `total_exact`, otherwise a lower bound (the
    /// count stops after a fixed number of index items, so a large tenant's list stays fast).
    pub total: u64,
    /// Whether `total` is exact. Absent from v1; `false` only past the count budget.
    #[serde(default = "exact")]
    pub total_exact: bool,
    pub limit: usize,
    pub offset: usize,
    /// Pass as `cursor` (with the same filters, without `offset`) for the next page; `null` on
    /// the last page. A page can hold fewer than `limit` calls and still have one: when its
    /// calls' JSON reached the page's byte budget, or the read budget ran out before the page
    /// filled (sparse filters).
    pub next_cursor: Option<String>,
}

fn exact() -> bool {
    true
}

/// `GET /api/v1/calls/{call_id}`: the call and, once processed, its full analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallDetail {
    #[serde(flatten)]
    pub call: CallView,
    /// Every metric, tracker, next step, the score and the coaching recommendations;
    /// `null` until the call is processed.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub analysis: Option<CallAnalysis>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SimilarCall {
    pub call_id: String,
    pub agent_id: String,
    /// Estimated Jaccard similarity of the two transcripts' word 3-grams, 0–1.
    pub similarity_score: f64,
    pub transcript_preview: String,
}

/// A coaching nudge: a missed benchmark of this call, with the evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoachingNudge {
    pub title: String,
    pub suggestion: String,
    /// The analysis field the nudge is about.
    pub metric: String,
    /// `high`, `medium` or `low`.
    pub priority: String,
    /// The measured value.
    pub evidence: f64,
    pub benchmark: String,
    pub source: String,
}

impl CoachingNudge {
    pub fn from_recommendation(r: &Recommendation) -> Self {
        let title = match r.metric.as_str() {
            "agent_talk_ratio" => "Talk less, listen more".to_owned(),
            "questions.agent" => "Ask more discovery questions".to_owned(),
            "longest_monologue_seconds" => "Break up long monologues".to_owned(),
            "longest_customer_story_seconds" => "Let the customer tell their story".to_owned(),
            "patience_seconds" => "Pause before answering".to_owned(),
            "interactivity" => "Make it a conversation".to_owned(),
            "customer_sentiment_score" => "Lift the customer's mood".to_owned(),
            "next_steps" => "Agree on a next step".to_owned(),
            "trackers.compliance" => "Say the required statements".to_owned(),
            "filler_words_per_minute" => "Cut filler words".to_owned(),
            other => other.replace(['_', '.'], " "),
        };
        let priority = serde_json::to_value(r.priority)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        Self {
            title,
            suggestion: format!(
                "{} (measured {}; benchmark: {}, {})",
                r.message,
                round(r.evidence, 3),
                r.benchmark,
                r.source
            ),
            metric: r.metric.clone(),
            priority,
            evidence: r.evidence,
            benchmark: r.benchmark.clone(),
            source: r.source.clone(),
        }
    }
}

/// `GET /api/v1/calls/{call_id}/recommendations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Recommendations {
    pub similar_calls: Vec<SimilarCall>,
    pub coaching_nudges: Vec<CoachingNudge>,
}

/// Totals of a set of calls, with the averages v1 clients read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Summary {
    pub total_calls: u64,
    pub total_duration_seconds: f64,
    pub avg_score: Option<f64>,
    pub avg_sentiment: Option<f64>,
    pub avg_talk_ratio: Option<f64>,
    pub questions_agent: u64,
    pub questions_customer: u64,
    /// Mentions per tracker.
    pub tracker_hits: BTreeMap<String, u64>,
    /// Calls per outcome.
    pub outcomes: BTreeMap<String, u64>,
}

impl Summary {
    pub fn of(totals: &RollupTotals) -> Self {
        let r4 = |v: Option<f64>| v.map(|v| round(v, 4));
        Self {
            total_calls: totals.calls,
            total_duration_seconds: round(totals.duration_seconds, 3),
            avg_score: r4(totals.average_score()),
            avg_sentiment: r4(totals.average_sentiment()),
            avg_talk_ratio: r4(totals.average_talk_ratio()),
            questions_agent: totals.questions_agent,
            questions_customer: totals.questions_customer,
            tracker_hits: totals.tracker_hits.clone(),
            outcomes: totals.outcomes.clone(),
        }
    }
}

fn round(value: f64, digits: i32) -> f64 {
    let scale = 10_f64.powi(digits);
    (value * scale).round() / scale
}

/// One agent on the leaderboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentSummary {
    pub agent_id: String,
    /// The agent's display name from the tenant's settings (`/api/v1/settings/agents`); the id
    /// when it has none.
    pub name: String,
    #[serde(flatten)]
    pub summary: Summary,
}

/// `GET /api/v1/analytics/agents`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentsLeaderboard {
    /// The days counted (`YYYY-MM-DD`): the range asked for, or up to 366 days ending at the
    /// latest day with calls when dates are left out; `null` when there are no calls.
    #[serde(default)]
    pub from_date: Option<String>,
    #[serde(default)]
    pub to_date: Option<String>,
    /// Most calls first.
    pub agents: Vec<AgentSummary>,
}

/// One day of a series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayPoint {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    #[serde(flatten)]
    pub summary: Summary,
}

/// `GET /api/v1/analytics/agents/{agent_id}` and `/analytics/teams/{team_id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScopeAnalytics {
    /// `agent` or `team`.
    pub scope: String,
    pub id: String,
    /// The range asked for (`null`: open).
    pub from_date: Option<String>,
    pub to_date: Option<String>,
    pub totals: Summary,
    /// Days with calls, oldest first.
    pub series: Vec<DayPoint>,
}
