//! The call repository in memory.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;
use callscope_core::analysis::CallAnalysis;
use callscope_core::domain::{CallId, TenantId, Timestamp};

use super::lock;
use crate::ports::{
    CallRepository, CallStatus, PendingCall, PutOutcome, ReceivedCall, StoreError, StoredCall,
};

#[derive(Debug, Clone)]
struct Record {
    stored: StoredCall,
    received_at: Timestamp,
    analysis: Option<CallAnalysis>,
}

#[derive(Debug, Default)]
pub struct MemoryCalls {
    records: Mutex<BTreeMap<(TenantId, CallId), Record>>,
    unavailable: AtomicBool,
    /// Largest transcript (bytes of utterance JSON) `put_received` stores, like an item limit.
    transcript_limit: Mutex<Option<usize>>,
}

impl MemoryCalls {
    /// Every operation fails as an unreachable store would.
    pub fn set_unavailable(&self, unavailable: bool) {
        self.unavailable.store(unavailable, Ordering::SeqCst);
    }

    pub fn set_transcript_limit(&self, bytes: usize) {
        *lock(&self.transcript_limit) = Some(bytes);
    }

    pub fn status(&self, tenant: &TenantId, call_id: &CallId) -> Option<CallStatus> {
        lock(&self.records)
            .get(&(tenant.clone(), call_id.clone()))
            .map(|r| r.stored.status)
    }

    pub fn analysis(&self, tenant: &TenantId, call_id: &CallId) -> Option<CallAnalysis> {
        lock(&self.records)
            .get(&(tenant.clone(), call_id.clone()))
            .and_then(|r| r.analysis.clone())
    }

    pub fn len(&self) -> usize {
        lock(&self.records).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn check_available(&self, operation: &str) -> Result<(), StoreError> {
        if self.unavailable.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable {
                operation: operation.to_owned(),
                detail: "the in-memory store is switched off".to_owned(),
            });
        }
        Ok(())
    }
}

#[async_trait]
impl CallRepository for MemoryCalls {
    async fn put_received(&self, call: &ReceivedCall) -> Result<PutOutcome, StoreError> {
        self.check_available("storing a call")?;
        if let Some(limit) = *lock(&self.transcript_limit) {
            let bytes = serde_json::to_string(&call.call.utterances)
                .map(|json| json.len())
                .unwrap_or(usize::MAX);
            if bytes > limit {
                return Err(StoreError::TooLarge {
                    what: "transcript",
                    call_id: call.call.call_id.clone(),
                    bytes,
                    limit,
                });
            }
        }
        let mut records = lock(&self.records);
        let key = (call.tenant.clone(), call.call.call_id.clone());
        if let Some(existing) = records.get(&key) {
            return Ok(PutOutcome::AlreadyExists {
                same_content: existing.stored.content_hash == call.content_hash,
                status: existing.stored.status,
                correlation_id: existing.stored.correlation_id.clone(),
            });
        }
        records.insert(
            key,
            Record {
                stored: StoredCall {
                    call: call.call.clone(),
                    status: CallStatus::Received,
                    correlation_id: call.correlation_id.clone(),
                    redactions: call.redactions,
                    content_hash: call.content_hash.clone(),
                },
                received_at: call.received_at,
                analysis: None,
            },
        );
        Ok(PutOutcome::Created)
    }

    async fn load(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
    ) -> Result<Option<StoredCall>, StoreError> {
        self.check_available("loading a call")?;
        Ok(lock(&self.records)
            .get(&(tenant.clone(), call_id.clone()))
            .map(|r| r.stored.clone()))
    }

    async fn store_analysis(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
        analysis: &CallAnalysis,
        _processed_at: Timestamp,
    ) -> Result<(), StoreError> {
        self.check_available("storing an analysis")?;
        let mut records = lock(&self.records);
        let record = records
            .get_mut(&(tenant.clone(), call_id.clone()))
            .ok_or_else(|| StoreError::Unavailable {
                operation: "storing an analysis".to_owned(),
                detail: format!("call {call_id} is not stored"),
            })?;
        record.analysis = Some(analysis.clone());
        record.stored.status = CallStatus::Processed;
        Ok(())
    }

    async fn pending_before(&self, cutoff: Timestamp) -> Result<Vec<PendingCall>, StoreError> {
        self.check_available("listing pending calls")?;
        let mut pending: Vec<PendingCall> = lock(&self.records)
            .iter()
            .filter(|(_, r)| r.stored.status == CallStatus::Received && r.received_at < cutoff)
            .map(|((tenant, call_id), r)| PendingCall {
                tenant: tenant.clone(),
                call_id: call_id.clone(),
                correlation_id: r.stored.correlation_id.clone(),
                received_at: r.received_at,
            })
            .collect();
        pending.sort_by_key(|p| p.received_at);
        Ok(pending)
    }
}
