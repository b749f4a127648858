//! Queue message bodies: small, versioned by field names, tenant-scoped.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::analysis::CallAnalysis;
use crate::domain::{
    AgentId, Call, CallId, CorrelationId, Day, Outcome, TeamId, TenantId, Timestamp,
};

/// Body of a process-queue message: which stored call to analyse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessCall {
    pub tenant: TenantId,
    pub call_id: CallId,
    pub correlation_id: CorrelationId,
}

/// Body of an analytics-queue message: one analysed call, as dimensions and additive measures.
/// Everything a rollup needs travels in the event, so `aggregate` never reads the call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallAnalysed {
    pub tenant: TenantId,
    pub call_id: CallId,
    pub agent_id: AgentId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<TeamId>,
    /// UTC day the call started.
    pub day: Day,
    pub correlation_id: CorrelationId,
    pub duration_seconds: f64,
    pub agent_talk_ratio: f64,
    pub customer_sentiment_score: f64,
    pub score: u8,
    pub questions_agent: u32,
    pub questions_customer: u32,
    /// Mentions per tracker name (only trackers with at least one mention).
    pub tracker_hits: BTreeMap<String, u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// When the call was analysed: the event's original time, kept in the body so a redrive
    /// (a new message) cannot make an old event look new.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysed_at: Option<Timestamp>,
    /// When ingest stored the call (its 202): aggregate measures the end-to-end latency from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<Timestamp>,
}

impl CallAnalysed {
    pub fn new(
        tenant: TenantId,
        call: &Call,
        analysis: &CallAnalysis,
        correlation_id: CorrelationId,
    ) -> Self {
        let tracker_hits = analysis
            .trackers
            .iter()
            .filter(|hit| hit.count > 0)
            .map(|hit| (hit.tracker.clone(), hit.count))
            .collect();
        Self {
            tenant,
            call_id: call.call_id.clone(),
            agent_id: call.agent_id.clone(),
            team_id: call.team_id.clone(),
            day: call.day(),
            correlation_id,
            duration_seconds: call.duration_seconds,
            agent_talk_ratio: analysis.agent_talk_ratio,
            customer_sentiment_score: analysis.customer_sentiment_score,
            score: analysis.score,
            questions_agent: analysis.questions.agent,
            questions_customer: analysis.questions.customer,
            tracker_hits,
            outcome: call.outcome,
            analysed_at: None,
            received_at: None,
        }
    }
}
