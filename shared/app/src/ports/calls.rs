//! The call repository port: calls stored as RECEIVED at ingest, analysed into PROCESSED, and
//! listed while still pending for the sweeper.

use async_trait::async_trait;
use callscope_core::analysis::CallAnalysis;
use callscope_core::domain::{Call, CallId, CorrelationId, TenantId, Timestamp};
use callscope_core::objects::SourceObject;
use callscope_core::redaction::RedactionCounts;
use callscope_core::similarity::Signature;

/// Where a call is in the pipeline; stored as `RECEIVED` / `PROCESSED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CallStatus {
    Received,
    Processed,
    /// Could not be processed after its attempts, or can never be; carries its reason.
    Failed,
}

impl CallStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CallStatus::Received => "RECEIVED",
            CallStatus::Processed => "PROCESSED",
            CallStatus::Failed => "FAILED",
        }
    }
}

/// A call being admitted: already redacted, with its fingerprint taken before redaction.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedCall {
    pub tenant: TenantId,
    /// The call with PII replaced in its transcript.
    pub call: Call,
    /// [`Call::fingerprint`] of the call as sent: same id + same fingerprint is a retry.
    pub content_hash: String,
    pub redactions: RedactionCounts,
    pub correlation_id: CorrelationId,
    pub received_at: Timestamp,
    /// The object it was read from (none: it arrived as a document over HTTP or a queue).
    pub source: Option<SourceObject>,
}

/// What a conditional put of a new call found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutOutcome {
    Created,
    AlreadyExists {
        same_content: bool,
        status: CallStatus,
        correlation_id: CorrelationId,
    },
}

/// A call as stored, with its bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCall {
    pub call: Call,
    pub status: CallStatus,
    pub correlation_id: CorrelationId,
    pub redactions: RedactionCounts,
    pub content_hash: String,
    /// When ingest stored it: the start of its end-to-end latency.
    pub received_at: Timestamp,
    /// Its analysis revision: 0 until re-analysed, one more per re-analysis.
    pub revision: u32,
}

/// What erasing or re-analysing a call needs to know of it, from its call item alone (so a call
/// whose transcript never arrived can still be erased).
#[derive(Debug, Clone, PartialEq)]
pub struct CallHead {
    pub status: CallStatus,
    pub correlation_id: CorrelationId,
    pub received_at: Timestamp,
    pub revision: u32,
    /// The object it was read from, which erasing it deletes.
    pub source: Option<SourceObject>,
}

/// What processing a call produced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcessedCall<'a> {
    pub tenant: &'a TenantId,
    pub call_id: &'a CallId,
    pub analysis: &'a CallAnalysis,
    pub signature: &'a Signature,
    pub processed_at: Timestamp,
    /// When the transcript and analysis expire under the tenant's retention (epoch seconds,
    /// the table's TTL attribute); `None` keeps them.
    pub expires_at: Option<i64>,
    /// The analysis revision this is (0: the first analysis).
    pub revision: u32,
}

/// A call still owed work (RECEIVED: not yet processed, or processed with its event not yet
/// sent), as the sweeper lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCall {
    pub tenant: TenantId,
    pub call_id: CallId,
    pub correlation_id: CorrelationId,
    /// When it was received, processed or last queued again: the sweeper's clock for it.
    pub since: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// Retrying cannot help: the item is over the store's size limit.
    #[error("the {what} of call {call_id} is {bytes} bytes; items are limited to {limit}")]
    TooLarge {
        what: &'static str,
        call_id: CallId,
        bytes: usize,
        limit: usize,
    },
    /// The store refused the request as invalid (DynamoDB's ValidationException): retrying
    /// the same request cannot help.
    #[error("{operation} was refused: {reason}")]
    Rejected { operation: String, reason: String },
    /// What is stored cannot be read back as a call.
    #[error("stored call {call_id} cannot be read back: {reason}")]
    Corrupt { call_id: CallId, reason: String },
    /// The store failed or could not be reached; retrying may succeed.
    #[error("{operation} failed: {detail}")]
    Unavailable { operation: String, detail: String },
}

#[async_trait]
pub trait CallRepository: Send + Sync + std::fmt::Debug {
    /// Stores a new call as RECEIVED (with its transcript), unless the id exists: then says
    /// whether the stored content is the same.
    async fn put_received(&self, call: &ReceivedCall) -> Result<PutOutcome, StoreError>;

    /// Stores a new call already FAILED with `reason` (a recording whose transcription failed:
    /// its transcript has no utterances), unless the id exists: then says what is stored, as
    /// [`put_received`] does, and leaves it as it is. Never pending: nothing processes it, and
    /// no rollup counts it. The same conditional write as [`put_received`].
    ///
    /// [`put_received`]: CallRepository::put_received
    async fn put_failed(
        &self,
        call: &ReceivedCall,
        reason: &str,
        at: Timestamp,
    ) -> Result<PutOutcome, StoreError>;

    /// The call with its transcript, or `None` when it was never stored.
    async fn load(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
    ) -> Result<Option<StoredCall>, StoreError>;

    /// Stores the analysis; the call is still RECEIVED (and pending) until
    /// [`mark_processed`]. Idempotent: the analysis is deterministic, so writing it again writes
    /// the same thing.
    ///
    /// [`mark_processed`]: CallRepository::mark_processed
    async fn store_analysis(&self, processed: &ProcessedCall<'_>) -> Result<(), StoreError>;

    /// The call item's bookkeeping, or `None` when no call item is stored.
    async fn head(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
    ) -> Result<Option<CallHead>, StoreError>;

    /// Deletes every item of the call (transcript, analysis, then the call item last, so a
    /// failure part-way leaves the call findable and the erasure can be retried). Returns
    /// whether anything was deleted. Its listing entries and signature go with the call item.
    async fn erase(&self, tenant: &TenantId, call_id: &CallId) -> Result<bool, StoreError>;

    /// Removes what a run interrupted by the call's erasure stored after it (its analysis),
    /// only while the id has no call item: once the same id is sent again the items belong to
    /// the new call and stay. Returns whether anything was removed.
    async fn erase_leftovers(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
    ) -> Result<bool, StoreError>;

    /// Marks the call PROCESSED with its headline metrics and similarity signature, once its
    /// analysis is stored and its `CallAnalysed` event sent: it is no longer pending. So a
    /// PROCESSED call never owes work, and one write does what a status change and a
    /// "published" mark did. Only while the call item exists (an erased call is not brought
    /// back) and, for a re-analysis, only over an earlier revision; otherwise an error, and the
    /// retried message finds what happened.
    async fn mark_processed(&self, processed: &ProcessedCall<'_>) -> Result<(), StoreError>;

    /// Counts one failed attempt at processing the call; returns the attempts so far.
    async fn record_failure(&self, tenant: &TenantId, call_id: &CallId) -> Result<u32, StoreError>;

    /// Marks the call FAILED with its reason; it is no longer pending, so nothing re-sends it.
    async fn mark_failed(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
        reason: &str,
        at: Timestamp,
    ) -> Result<(), StoreError>;

    /// Up to `limit` calls pending since before `cutoff`. `rotation` picks where the listing
    /// starts, so successive capped runs reach every part of the index.
    async fn pending_before(
        &self,
        cutoff: Timestamp,
        limit: usize,
        rotation: u64,
    ) -> Result<Vec<PendingCall>, StoreError>;

    /// The call was queued again at `at`: it leaves the sweeper's view until `at` is stale.
    async fn mark_requeued(&self, call: &PendingCall, at: Timestamp) -> Result<(), StoreError>;
}
