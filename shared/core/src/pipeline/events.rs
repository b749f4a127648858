//! The integration events callscope publishes to its EventBridge bus for subscribers outside it
//! (rules, CRMs, chat). Unlike the queue messages between the functions, these are a public
//! contract: versioned (`version`), described by a JSON Schema committed in
//! `events/schemas/`, and only ever extended with optional fields within a version.

use serde::{Deserialize, Serialize};

use crate::analysis::CallAnalysis;
use crate::domain::{AgentId, CallId, CustomerId, Day, Outcome, Role, TeamId, TenantId, Timestamp};

/// The `source` of every callscope event on the bus.
pub const EVENT_SOURCE: &str = "callscope";
/// The `detail-type` of [`CallAnalysedDetail`].
pub const CALL_ANALYSED: &str = "CallAnalysed";
/// The schema version [`CallAnalysedDetail`] is written in (`events/schemas/call_analysed.v1.json`).
pub const CALL_ANALYSED_VERSION: u32 = 1;

/// `detail` of a `CallAnalysed` event: one call's analysis, without its transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallAnalysedDetail {
    pub version: u32,
    /// Stable for one analysis of one call (`{tenant}/{call_id}/{analysed_at}`): the same on
    /// every delivery, so a subscriber drops what it has already seen (EventBridge itself
    /// delivers to targets at least once).
    pub event_id: String,
    pub tenant: TenantId,
    pub call_id: CallId,
    pub agent_id: AgentId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<TeamId>,
    pub customer_id: CustomerId,
    /// UTC day the call started.
    pub day: Day,
    pub start_time: Timestamp,
    pub duration_seconds: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    pub analysed_at: Timestamp,
    pub score: u8,
    pub agent_talk_ratio: f64,
    pub customer_sentiment_score: f64,
    pub sentiment: SentimentDetail,
    pub questions: RoleCounts,
    pub interruptions: RoleCounts,
    pub longest_monologue_seconds: f64,
    /// Trackers the call hit (count ≥ 1), and required ones it did not satisfy.
    pub trackers: Vec<TrackerDetail>,
    pub next_steps: Vec<NextStepDetail>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentimentDetail {
    pub agent: Option<f64>,
    pub customer: Option<f64>,
    pub overall: Option<f64>,
    /// The call in four equal spans of time.
    pub quarters: [Option<f64>; 4],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleCounts {
    pub agent: u32,
    pub customer: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackerDetail {
    pub tracker: String,
    pub category: String,
    pub count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub satisfied: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NextStepDetail {
    pub speaker: Role,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
    pub at_seconds: f64,
}

/// The call's own facts an event carries besides its analysis.
#[derive(Debug, Clone)]
pub struct AnalysedCall<'a> {
    pub tenant: &'a TenantId,
    pub call_id: &'a CallId,
    pub agent_id: &'a AgentId,
    pub team_id: Option<&'a TeamId>,
    pub customer_id: &'a CustomerId,
    pub start_time: Timestamp,
    pub duration_seconds: f64,
    pub outcome: Option<Outcome>,
    pub analysed_at: Timestamp,
}

impl AnalysedCall<'_> {
    /// `{tenant}/{call_id}/{analysed_at}`: the `CallAnalysed` event id of this analysis, which
    /// its alerts carry as `analysis_event_id` and extend into their own ids.
    pub fn event_id(&self) -> String {
        format!("{}/{}/{}", self.tenant, self.call_id, self.analysed_at)
    }
}

impl CallAnalysedDetail {
    pub fn new(call: &AnalysedCall<'_>, analysis: &CallAnalysis) -> Self {
        let category = |c| {
            serde_json::to_value(c)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        };
        Self {
            version: CALL_ANALYSED_VERSION,
            event_id: call.event_id(),
            tenant: call.tenant.clone(),
            call_id: call.call_id.clone(),
            agent_id: call.agent_id.clone(),
            team_id: call.team_id.cloned(),
            customer_id: call.customer_id.clone(),
            day: Day::of(call.start_time.time()),
            start_time: call.start_time,
            duration_seconds: call.duration_seconds,
            outcome: call.outcome,
            analysed_at: call.analysed_at,
            score: analysis.score,
            agent_talk_ratio: analysis.agent_talk_ratio,
            customer_sentiment_score: analysis.customer_sentiment_score,
            sentiment: SentimentDetail {
                agent: analysis.sentiment.agent,
                customer: analysis.sentiment.customer,
                overall: analysis.sentiment.overall,
                quarters: analysis.sentiment.quarters,
            },
            questions: RoleCounts {
                agent: analysis.questions.agent,
                customer: analysis.questions.customer,
            },
            interruptions: RoleCounts {
                agent: analysis.interruptions.agent,
                customer: analysis.interruptions.customer,
            },
            longest_monologue_seconds: analysis.longest_monologue_seconds,
            trackers: analysis
                .trackers
                .iter()
                .filter(|t| t.count > 0 || t.satisfied == Some(false))
                .map(|t| TrackerDetail {
                    tracker: t.tracker.clone(),
                    category: category(t.category),
                    count: t.count,
                    satisfied: t.satisfied,
                })
                .collect(),
            next_steps: analysis
                .next_steps
                .iter()
                .map(|s| NextStepDetail {
                    speaker: s.speaker,
                    text: s.text.clone(),
                    due: s.due.clone(),
                    at_seconds: s.at_seconds,
                })
                .collect(),
        }
    }
}
