//! The lifecycle use case (the ingest function's DELETE and re-analyse routes): erasing a call
//! everywhere, and asking for it to be analysed again.
//!
//! **Erase**, in an order that a retry can always finish: read the call item (none: 404, so a
//! second DELETE answers 404), send `CallErased` to the analytics queue (aggregate subtracts
//! what the rollups counted of this incarnation, once, and leaves a tombstone), delete the raw
//! object it came from, then delete the call's items (transcript, analysis, the call item with
//! its listing entries and similarity signature last). A failure at any step answers 503 with
//! the call still findable, and the retried DELETE does it all again: every step is idempotent.
//! The cache follows the table: the call item's removal reaches `invalidate` through the
//! stream, which bumps the tenant's and the call's generations. One audit line per erasure:
//! who (the JWT subject), what (tenant, call id), when; never content.
//!
//! **Re-analyse**: a PROCESSED call gets a process request for its next revision on the
//! reanalyse queue, which the process function drains at a low maximum concurrency beside the
//! process queue, so re-analyses never take the capacity new calls need.

use std::sync::Arc;

use async_trait::async_trait;
use callscope_core::domain::{CallId, CorrelationId, TenantId};
use callscope_core::objects::SourceObject;
use callscope_core::pipeline::{CallErased, ProcessCall};

use crate::ports::{
    publish_each, CallRepository, CallStatus, Clock, OutgoingMessage, Publisher, SendReport,
    StoreError,
};

/// Where a call's raw object (the file it was ingested from, and its sidecar) lives, to delete
/// it with the call.
#[async_trait]
pub trait RawObjects: Send + Sync + std::fmt::Debug {
    /// Deletes the object the call was read from and its sidecar; deleting what is not there
    /// succeeds.
    async fn delete(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
        object: &SourceObject,
    ) -> Result<(), StoreError>;
}

/// No store of raw objects (a stack without a drop-in bucket): a call that names one keeps it,
/// and the log says so.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRawObjects;

#[async_trait]
impl RawObjects for NoRawObjects {
    async fn delete(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
        object: &SourceObject,
    ) -> Result<(), StoreError> {
        tracing::warn!(%tenant, %call_id, bucket = %object.bucket, key = %object.key,
            "raw object not deleted: this deployment has no drop-in bucket configured");
        Ok(())
    }
}

/// Raw objects follow the tenant's retention: when DynamoDB's TTL removes a call's transcript
/// (the tenant's N days), the object the call was read from goes too, instead of keeping the
/// unredacted original until the bucket-wide `RawRetentionDays`. The outbound function sees the
/// expiry on the calls stream and hands the call here.
#[derive(Debug, Clone)]
pub struct RawRetention {
    calls: Arc<dyn CallRepository>,
    raw_objects: Arc<dyn RawObjects>,
}

impl RawRetention {
    pub fn new(calls: Arc<dyn CallRepository>, raw_objects: Arc<dyn RawObjects>) -> Self {
        Self { calls, raw_objects }
    }

    /// Deletes the raw object of a call whose transcript expired; says whether it had one (a
    /// call sent over HTTP, or one erased since, has none). Deleting twice succeeds.
    pub async fn transcript_expired(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
    ) -> Result<bool, StoreError> {
        let Some(head) = self.calls.head(tenant, call_id).await? else {
            return Ok(false);
        };
        let Some(object) = &head.source else {
            return Ok(false);
        };
        self.raw_objects.delete(tenant, call_id, object).await?;
        tracing::info!(%tenant, %call_id, key = %object.key, "raw object deleted: its transcript expired");
        Ok(true)
    }
}

/// No queue: every message is reported not sent.
#[derive(Debug, Clone, Copy)]
struct NoQueue;

#[async_trait]
impl Publisher for NoQueue {
    async fn publish(&self, messages: Vec<OutgoingMessage>) -> SendReport {
        SendReport {
            failed: messages
                .into_iter()
                .map(|m| (m.id, "this function has no such queue".to_owned()))
                .collect(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error("call {0} not found")]
    NotFound(CallId),
    /// Only a PROCESSED call can be analysed again.
    #[error("call {call_id} is {status} and cannot be re-analysed until it is PROCESSED")]
    NotProcessed {
        call_id: CallId,
        status: &'static str,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the {0} queue did not take the message")]
    NotSent(&'static str),
}

/// What a re-analysis request queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reanalysis {
    pub call_id: CallId,
    pub correlation_id: CorrelationId,
    /// The revision the call will have once re-analysed.
    pub revision: u32,
}

#[derive(Debug, Clone)]
pub struct CallLifecycle {
    calls: Arc<dyn CallRepository>,
    analytics_queue: Arc<dyn Publisher>,
    reanalyse_queue: Arc<dyn Publisher>,
    raw_objects: Arc<dyn RawObjects>,
    clock: Arc<dyn Clock>,
}

impl CallLifecycle {
    pub fn new(
        calls: Arc<dyn CallRepository>,
        analytics_queue: Arc<dyn Publisher>,
        reanalyse_queue: Arc<dyn Publisher>,
        raw_objects: Arc<dyn RawObjects>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            calls,
            analytics_queue,
            reanalyse_queue,
            raw_objects,
            clock,
        }
    }

    /// A lifecycle that only erases (the erasures function): it has no reanalyse queue, and a
    /// re-analysis asked of it is not sent.
    pub fn eraser(
        calls: Arc<dyn CallRepository>,
        analytics_queue: Arc<dyn Publisher>,
        raw_objects: Arc<dyn RawObjects>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self::new(
            calls,
            analytics_queue,
            Arc::new(NoQueue),
            raw_objects,
            clock,
        )
    }

    /// Erases the call everywhere (see the module's comment); `who` is the audit line's subject.
    pub async fn erase(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
        who: &str,
    ) -> Result<(), LifecycleError> {
        let head = self
            .calls
            .head(tenant, call_id)
            .await?
            .ok_or_else(|| LifecycleError::NotFound(call_id.clone()))?;
        let erased_at = self.clock.now();
        let event = CallErased {
            tenant: tenant.clone(),
            call_id: call_id.clone(),
            correlation_id: head.correlation_id.clone(),
            received_at: Some(head.received_at),
            erased_at,
        };
        let sent = publish_each(
            self.analytics_queue.as_ref(),
            &[(&event, tenant, &head.correlation_id)],
        )
        .await;
        if sent != [true] {
            return Err(LifecycleError::NotSent("analytics"));
        }
        if let Some(object) = &head.source {
            self.raw_objects.delete(tenant, call_id, object).await?;
        }
        self.calls.erase(tenant, call_id).await?;
        // The audit trail: who, what, when; no content. At ERROR's neighbour WARN so that no
        // usual log level filters it.
        tracing::warn!(
            audit = "call_erased",
            who,
            tenant = %tenant,
            call_id = %call_id,
            at = %erased_at,
            status = head.status.as_str(),
            "call erased"
        );
        Ok(())
    }

    /// Queues the call's next analysis revision.
    pub async fn reanalyse(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
    ) -> Result<Reanalysis, LifecycleError> {
        let head = self
            .calls
            .head(tenant, call_id)
            .await?
            .ok_or_else(|| LifecycleError::NotFound(call_id.clone()))?;
        if head.status != CallStatus::Processed {
            return Err(LifecycleError::NotProcessed {
                call_id: call_id.clone(),
                status: head.status.as_str(),
            });
        }
        let request = ProcessCall {
            tenant: tenant.clone(),
            call_id: call_id.clone(),
            correlation_id: head.correlation_id.clone(),
            revision: Some(head.revision + 1),
        };
        let sent = publish_each(
            self.reanalyse_queue.as_ref(),
            &[(&request, tenant, &head.correlation_id)],
        )
        .await;
        if sent != [true] {
            return Err(LifecycleError::NotSent("reanalyse"));
        }
        Ok(Reanalysis {
            call_id: call_id.clone(),
            correlation_id: head.correlation_id,
            revision: head.revision + 1,
        })
    }
}

#[cfg(test)]
mod tests;
