//! The read ports: listing, counting and reading calls, and reading rollups back — what the
//! query API needs from the tables, in the tables' own terms (indexes, positions, days).

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use callscope_core::analysis::CallAnalysis;
use callscope_core::domain::{
    AgentId, Call, CallId, CustomerId, Day, Language, Outcome, TeamId, TenantId, Timestamp,
    Transcript,
};
use callscope_core::pipeline::{RollupScope, RollupTotals};
use callscope_core::similarity::Signature;
use serde::{Deserialize, Serialize};

use super::{CallStatus, StoreError};

/// Which calls a listing or count covers. Agent, team and time are served by an index key
/// range; sentiment bounds filter within it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListFilter {
    pub tenant: TenantId,
    pub agent: Option<AgentId>,
    pub team: Option<TeamId>,
    /// Calls that started at or after this time.
    pub from: Option<Timestamp>,
    /// Calls that started at or before this time.
    pub to: Option<Timestamp>,
    /// Bounds on the customer sentiment; a call not processed yet has none and is left out
    /// whenever a bound is given.
    pub min_sentiment: Option<f64>,
    pub max_sentiment: Option<f64>,
}

/// Where a listing stopped: the index sort key (`{start_time}#{call_id}`) of the last call it
/// returned. Listings run newest first, so the next page starts just below it. Ordered as the
/// index orders its sort keys.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Position {
    pub start_time: Timestamp,
    pub call_id: CallId,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PageRequest {
    pub filter: ListFilter,
    pub after: Option<Position>,
    /// Matching calls to pass over before the page starts (the v1 `offset`); counted past,
    /// never held.
    pub skip: usize,
    pub limit: usize,
    /// Most index items the request may read (skipped, filtered out and listed alike): when it
    /// runs out the page ends early and `next` says where to go on from.
    pub budget: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub calls: Vec<CallListing>,
    /// Set when more calls may match after this page (it can be shorter than `limit` when the
    /// budget ran out).
    pub next: Option<Position>,
    /// Matching calls still to pass over from `next` when the budget ran out while skipping.
    pub skip_left: usize,
}

/// A count within a read budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    /// Matching calls counted; every one when `exact`, a lower bound otherwise.
    pub matched: u64,
    /// Whether the count reached the end of the range within the budget.
    pub exact: bool,
}

/// A call's listing attributes: everything a list shows except the transcript.
#[derive(Debug, Clone, PartialEq)]
pub struct CallListing {
    pub tenant: TenantId,
    pub call_id: CallId,
    pub agent_id: AgentId,
    pub customer_id: CustomerId,
    pub team_id: Option<TeamId>,
    pub language: Language,
    pub start_time: Timestamp,
    pub duration_seconds: f64,
    pub outcome: Option<Outcome>,
    pub status: CallStatus,
    pub received_at: Timestamp,
    pub processed_at: Option<Timestamp>,
    pub agent_talk_ratio: Option<f64>,
    pub customer_sentiment_score: Option<f64>,
    pub score: Option<u8>,
    /// The first lines of the redacted transcript.
    pub preview: Option<String>,
    /// Set when the call is processed.
    pub signature: Option<Signature>,
    /// Why the call is FAILED.
    pub failure_reason: Option<String>,
}

impl CallListing {
    /// Characters of the redacted transcript a listing keeps as its preview.
    pub const PREVIEW_CHARS: usize = 200;

    /// A stored call as listed before anything is known of its analysis: its own fields and
    /// the preview; the analysis's headline fields are filled in when it is processed.
    pub fn of(tenant: &TenantId, call: &Call, status: CallStatus, received_at: Timestamp) -> Self {
        Self {
            tenant: tenant.clone(),
            call_id: call.call_id.clone(),
            agent_id: call.agent_id.clone(),
            customer_id: call.customer_id.clone(),
            team_id: call.team_id.clone(),
            language: call.language.clone(),
            start_time: Timestamp::new(call.start_time),
            duration_seconds: call.duration_seconds,
            outcome: call.outcome,
            status,
            received_at,
            processed_at: None,
            agent_talk_ratio: None,
            customer_sentiment_score: None,
            score: None,
            // A call without utterances (its recording's transcription failed) has no preview.
            preview: (!call.utterances.utterances().is_empty())
                .then(|| call.utterances.preview(Self::PREVIEW_CHARS)),
            signature: None,
            failure_reason: None,
        }
    }

    pub fn position(&self) -> Position {
        Position {
            start_time: self.start_time,
            call_id: self.call_id.clone(),
        }
    }
}

/// How a read sees recent writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// May miss a write of the last moment (half the cost on DynamoDB).
    Eventual,
    /// Sees every write that succeeded before it: for reads right after a cache generation
    /// was bumped, whose answer is cached under the new generation.
    Strong,
}

/// One call with everything stored about it.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRecord {
    pub listing: CallListing,
    /// `None` once the tenant's retention expired it (with the analysis).
    pub transcript: Option<Transcript>,
    pub analysis: Option<CallAnalysis>,
}

#[async_trait]
pub trait CallQueries: Send + Sync + std::fmt::Debug {
    /// Matching calls, newest first.
    async fn page(&self, request: &PageRequest) -> Result<Page, StoreError>;

    /// How many calls match, reading at most `budget` index items: exact when the range ends
    /// within them.
    async fn count(&self, filter: &ListFilter, budget: usize) -> Result<Count, StoreError>;

    /// The transcripts of the given calls of one tenant, in one round trip where the store
    /// allows it; calls without a transcript are absent from the answer.
    async fn transcripts(
        &self,
        tenant: &TenantId,
        calls: &[CallId],
    ) -> Result<HashMap<CallId, Transcript>, StoreError>;

    /// One call of one tenant with its transcript and analysis; `None` when the tenant has no
    /// such call.
    async fn record(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
        read: Read,
    ) -> Result<Option<CallRecord>, StoreError>;
}

#[async_trait]
pub trait RollupQueries: Send + Sync + std::fmt::Debug {
    /// One scope's rollups per day in `from..=to` (open ends: all days).
    async fn series(
        &self,
        tenant: &TenantId,
        scope: &RollupScope,
        from: Option<Day>,
        to: Option<Day>,
    ) -> Result<BTreeMap<Day, RollupTotals>, StoreError>;

    /// The latest day any agent (of `team` when given) has a rollup: where a leaderboard
    /// without dates ends its window.
    async fn latest_agent_day(
        &self,
        tenant: &TenantId,
        team: Option<&TeamId>,
    ) -> Result<Option<Day>, StoreError>;

    /// Every agent's rollups summed over `from..=to`; only calls made in `team` when given.
    async fn agents(
        &self,
        tenant: &TenantId,
        from: Option<Day>,
        to: Option<Day>,
        team: Option<&TeamId>,
    ) -> Result<BTreeMap<AgentId, RollupTotals>, StoreError>;
}
