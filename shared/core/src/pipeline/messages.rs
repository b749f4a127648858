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
    /// Set on a re-analysis request (the reanalyse queue): the analysis revision to produce,
    /// one past the call's revision when it was asked for. A call already at this revision or
    /// later has nothing to do, so a redelivered request changes nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<u32>,
}

impl ProcessCall {
    /// A first analysis of a newly stored call.
    pub fn new(tenant: TenantId, call_id: CallId, correlation_id: CorrelationId) -> Self {
        Self {
            tenant,
            call_id,
            correlation_id,
            revision: None,
        }
    }
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
    /// Also the call's incarnation: an id erased and sent again is a later call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<Timestamp>,
    /// Which analysis of the call this is: 0 the first, one more per re-analysis. The rollups
    /// count the latest revision of the latest incarnation, once ([`Version`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub revision: u32,
}

fn is_zero(revision: &u32) -> bool {
    *revision == 0
}

/// Body of an analytics-queue message that takes an erased call out of every rollup: whatever
/// the rollups counted of that incarnation is subtracted once, and nothing of it is counted
/// after (a tombstone in the call's ledger). It carries ids only, no content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallErased {
    pub tenant: TenantId,
    pub call_id: CallId,
    pub correlation_id: CorrelationId,
    /// When the erased call was stored: its incarnation (a call sent again after the erasure is
    /// stored later, so it is counted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<Timestamp>,
    pub erased_at: Timestamp,
}

/// Body of an erasure-queue message: one page of a customer erasure request to expand. It
/// names the request and where the page starts, nothing else: the customer id and the
/// requester are read from the request item, so a message holds no personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasurePage {
    pub tenant: TenantId,
    pub erasure_id: String,
    /// 0 for the first page; one more per page.
    pub page: u32,
    /// Where the page starts in the tenant's listing (opaque to all but the store's adapter);
    /// none for the first page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// A change to the rollups, as the analytics queue carries it: a call counted (or counted
/// again, re-analysed) or a call erased. Read by shape: an erasure has `erased_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RollupChange {
    Erased(CallErased),
    Analysed(CallAnalysed),
}

/// Where a change stands in its call's history: later incarnations (the call erased and sent
/// again) after earlier ones, later revisions (re-analyses) after earlier ones, and an erasure
/// after every revision of its incarnation. The rollups hold the latest version's measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Version {
    /// Milliseconds since the epoch of the incarnation's `received_at` (0 when unknown).
    pub incarnation: i64,
    /// The analysis revision; [`Version::ERASED`] for an erasure.
    pub revision: u32,
}

impl Version {
    pub const ERASED: u32 = u32::MAX;

    pub fn new(received_at: Option<Timestamp>, revision: u32) -> Self {
        Self {
            incarnation: received_at.map_or(0, |t| t.time().timestamp_millis()),
            revision,
        }
    }

    pub fn is_erasure(self) -> bool {
        self.revision == Self::ERASED
    }
}

impl RollupChange {
    pub fn tenant(&self) -> &TenantId {
        match self {
            RollupChange::Erased(e) => &e.tenant,
            RollupChange::Analysed(e) => &e.tenant,
        }
    }

    pub fn call_id(&self) -> &CallId {
        match self {
            RollupChange::Erased(e) => &e.call_id,
            RollupChange::Analysed(e) => &e.call_id,
        }
    }

    pub fn correlation_id(&self) -> &CorrelationId {
        match self {
            RollupChange::Erased(e) => &e.correlation_id,
            RollupChange::Analysed(e) => &e.correlation_id,
        }
    }

    pub fn version(&self) -> Version {
        match self {
            RollupChange::Erased(e) => Version::new(e.received_at, Version::ERASED),
            RollupChange::Analysed(e) => Version::new(e.received_at, e.revision),
        }
    }

    /// What the rollups count of the call once this change is applied.
    pub fn counted(&self) -> Option<&CallAnalysed> {
        match self {
            RollupChange::Erased(_) => None,
            RollupChange::Analysed(e) => Some(e),
        }
    }

    /// When the change was made (its body's time, kept across redrives).
    pub fn made_at(&self) -> Option<Timestamp> {
        match self {
            RollupChange::Erased(e) => Some(e.erased_at),
            RollupChange::Analysed(e) => e.analysed_at,
        }
    }
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
            revision: 0,
        }
    }
}
