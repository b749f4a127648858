//! The call repository and its read side in memory.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;
use callscope_core::analysis::CallAnalysis;
use callscope_core::domain::{CallId, TenantId, Timestamp, Transcript};
use callscope_core::objects::SourceObject;
use callscope_core::similarity::Signature;

use super::lock;
use crate::ports::CallHead;
use crate::ports::{
    CallListing, CallQueries, CallRecord, CallRepository, CallStatus, Count, ListFilter, Page,
    PageRequest, PendingCall, ProcessedCall, PutOutcome, Read, ReceivedCall, StoreError,
    StoredCall,
};

#[derive(Debug, Clone)]
struct Record {
    stored: StoredCall,
    received_at: Timestamp,
    processed_at: Option<Timestamp>,
    analysis: Option<CallAnalysis>,
    signature: Option<Signature>,
    /// Listed for the sweeper: RECEIVED and not FAILED.
    pending: bool,
    /// The sweeper's clock for a pending call.
    pending_since: Timestamp,
    attempts: u32,
    failure_reason: Option<String>,
    /// When the transcript and analysis expire (the table's TTL attribute).
    expires_at: Option<i64>,
    source: Option<SourceObject>,
}

impl Record {
    /// The analysis, once the call is PROCESSED (the listing's metrics come with that mark).
    fn headline(&self) -> Option<&CallAnalysis> {
        self.analysis
            .as_ref()
            .filter(|_| self.stored.status == CallStatus::Processed)
    }

    fn listing(&self, tenant: &TenantId) -> CallListing {
        let headline = self.headline();
        CallListing {
            processed_at: self.processed_at,
            agent_talk_ratio: headline.map(|a| a.agent_talk_ratio),
            customer_sentiment_score: headline.map(|a| a.customer_sentiment_score),
            score: headline.map(|a| a.score),
            signature: self.signature.clone(),
            failure_reason: self.failure_reason.clone(),
            ..CallListing::of(
                tenant,
                &self.stored.call,
                self.stored.status,
                self.received_at,
            )
        }
    }

    /// In the index key range the filter reads (agent, else team; time), as DynamoDB's key
    /// condition selects: what a read budget counts.
    fn in_range(&self, filter: &ListFilter) -> bool {
        let call = &self.stored.call;
        let start = Timestamp::new(call.start_time);
        let key = match (&filter.agent, &filter.team) {
            (Some(agent), _) => *agent == call.agent_id,
            (None, Some(team)) => Some(team) == call.team_id.as_ref(),
            (None, None) => true,
        };
        key && filter.from.is_none_or(|from| start >= from)
            && filter.to.is_none_or(|to| start <= to)
    }

    /// Passes the filter within the range (the filter expression).
    fn matches(&self, filter: &ListFilter) -> bool {
        let call = &self.stored.call;
        let sentiment = self.headline().map(|a| a.customer_sentiment_score);
        let bounded = filter.min_sentiment.is_some() || filter.max_sentiment.is_some();
        filter
            .team
            .as_ref()
            .is_none_or(|t| Some(t) == call.team_id.as_ref())
            && (!bounded
                || sentiment.is_some_and(|s| {
                    filter.min_sentiment.is_none_or(|min| s >= min)
                        && filter.max_sentiment.is_none_or(|max| s <= max)
                }))
    }
}

#[derive(Debug, Default)]
pub struct MemoryCalls {
    records: Mutex<BTreeMap<(TenantId, CallId), Record>>,
    unavailable: AtomicBool,
    analysis_too_large: AtomicBool,
    /// Largest transcript (bytes of utterance JSON) `put_received` stores, like an item limit.
    transcript_limit: Mutex<Option<usize>>,
    /// How each `record` read was asked to read, in order.
    record_reads: Mutex<Vec<Read>>,
}

impl MemoryCalls {
    /// Every operation fails as an unreachable store would.
    pub fn set_unavailable(&self, unavailable: bool) {
        self.unavailable.store(unavailable, Ordering::SeqCst);
    }

    pub fn set_transcript_limit(&self, bytes: usize) {
        *lock(&self.transcript_limit) = Some(bytes);
    }

    /// The conditional put both writes share: RECEIVED and pending, or FAILED with its reason.
    fn put_new(&self, call: &ReceivedCall, failed: Option<&str>) -> PutOutcome {
        let mut records = lock(&self.records);
        let key = (call.tenant.clone(), call.call.call_id.clone());
        if let Some(existing) = records.get(&key) {
            return PutOutcome::AlreadyExists {
                same_content: existing.stored.content_hash == call.content_hash,
                status: existing.stored.status,
                correlation_id: existing.stored.correlation_id.clone(),
            };
        }
        records.insert(
            key,
            Record {
                stored: StoredCall {
                    call: call.call.clone(),
                    status: if failed.is_some() {
                        CallStatus::Failed
                    } else {
                        CallStatus::Received
                    },
                    correlation_id: call.correlation_id.clone(),
                    redactions: call.redactions,
                    content_hash: call.content_hash.clone(),
                    received_at: call.received_at,
                    revision: 0,
                },
                received_at: call.received_at,
                processed_at: None,
                analysis: None,
                signature: None,
                pending: failed.is_none(),
                pending_since: call.received_at,
                attempts: 0,
                failure_reason: failed.map(str::to_owned),
                expires_at: None,
                source: call.source.clone(),
            },
        );
        PutOutcome::Created
    }

    pub fn status(&self, tenant: &TenantId, call_id: &CallId) -> Option<CallStatus> {
        lock(&self.records)
            .get(&(tenant.clone(), call_id.clone()))
            .map(|r| r.stored.status)
    }

    /// When the call's transcript and analysis expire, as stored with the analysis.
    pub fn expires_at(&self, tenant: &TenantId, call_id: &CallId) -> Option<i64> {
        lock(&self.records)
            .get(&(tenant.clone(), call_id.clone()))
            .and_then(|r| r.expires_at)
    }

    pub fn analysis(&self, tenant: &TenantId, call_id: &CallId) -> Option<CallAnalysis> {
        lock(&self.records)
            .get(&(tenant.clone(), call_id.clone()))
            .and_then(|r| r.analysis.clone())
    }

    /// Failed attempts counted so far.
    pub fn attempts(&self, tenant: &TenantId, call_id: &CallId) -> u32 {
        lock(&self.records)
            .get(&(tenant.clone(), call_id.clone()))
            .map_or(0, |r| r.attempts)
    }

    /// Why the call FAILED, if it did.
    pub fn failure_reason(&self, tenant: &TenantId, call_id: &CallId) -> Option<String> {
        lock(&self.records)
            .get(&(tenant.clone(), call_id.clone()))
            .and_then(|r| r.failure_reason.clone())
    }

    /// Makes a stored call's analysis unstorable, as an item over the size limit would be.
    pub fn set_analysis_too_large(&self, too_large: bool) {
        self.analysis_too_large.store(too_large, Ordering::SeqCst);
    }

    pub fn len(&self) -> usize {
        lock(&self.records).len()
    }

    /// How each call read (`record`) so far was asked to read.
    pub fn record_reads(&self) -> Vec<Read> {
        lock(&self.record_reads).clone()
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

    /// The tenant's calls in the filter's index range, newest first (start time, then id,
    /// descending), each with whether it passes the rest of the filter.
    fn in_range(&self, filter: &ListFilter) -> Vec<(CallListing, bool)> {
        let mut calls: Vec<(CallListing, bool)> = lock(&self.records)
            .iter()
            .filter(|((tenant, _), record)| *tenant == filter.tenant && record.in_range(filter))
            .map(|((tenant, _), record)| (record.listing(tenant), record.matches(filter)))
            .collect();
        calls.sort_by_key(|(c, _)| std::cmp::Reverse(c.position()));
        calls
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
        Ok(self.put_new(call, None))
    }

    async fn put_failed(
        &self,
        call: &ReceivedCall,
        reason: &str,
        _at: Timestamp,
    ) -> Result<PutOutcome, StoreError> {
        self.check_available("storing a failed call")?;
        Ok(self.put_new(call, Some(reason)))
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

    async fn store_analysis(&self, processed: &ProcessedCall<'_>) -> Result<(), StoreError> {
        self.check_available("storing an analysis")?;
        if self.analysis_too_large.load(Ordering::SeqCst) {
            return Err(StoreError::TooLarge {
                what: "analysis",
                call_id: processed.call_id.clone(),
                bytes: 400_001,
                limit: 400_000,
            });
        }
        let mut records = lock(&self.records);
        let key = (processed.tenant.clone(), processed.call_id.clone());
        let record = records
            .get_mut(&key)
            .ok_or_else(|| StoreError::Unavailable {
                operation: "storing an analysis".to_owned(),
                detail: format!("call {} is not stored", processed.call_id),
            })?;
        record.analysis = Some(processed.analysis.clone());
        record.expires_at = processed.expires_at;
        Ok(())
    }

    async fn head(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
    ) -> Result<Option<CallHead>, StoreError> {
        self.check_available("reading a call")?;
        Ok(lock(&self.records)
            .get(&(tenant.clone(), call_id.clone()))
            .map(|r| CallHead {
                status: r.stored.status,
                correlation_id: r.stored.correlation_id.clone(),
                received_at: r.received_at,
                revision: r.stored.revision,
                source: r.source.clone(),
            }))
    }

    async fn erase(&self, tenant: &TenantId, call_id: &CallId) -> Result<bool, StoreError> {
        self.check_available("erasing a call")?;
        Ok(lock(&self.records)
            .remove(&(tenant.clone(), call_id.clone()))
            .is_some())
    }

    /// A record holds its analysis, so an erased call leaves nothing behind here.
    async fn erase_leftovers(
        &self,
        _tenant: &TenantId,
        _call_id: &CallId,
    ) -> Result<bool, StoreError> {
        self.check_available("erasing a call's leftovers")?;
        Ok(false)
    }

    async fn mark_processed(&self, processed: &ProcessedCall<'_>) -> Result<(), StoreError> {
        self.check_available("marking a call processed")?;
        let mut records = lock(&self.records);
        let key = (processed.tenant.clone(), processed.call_id.clone());
        let record = records
            .get_mut(&key)
            .filter(|r| processed.revision == 0 || r.stored.revision < processed.revision)
            .ok_or_else(|| StoreError::Unavailable {
                operation: "marking a call processed".to_owned(),
                detail: format!(
                    "call {} is not stored, or is at a later revision",
                    processed.call_id
                ),
            })?;
        record.stored.revision = processed.revision;
        record.signature = Some(processed.signature.clone());
        record.processed_at = Some(processed.processed_at);
        record.stored.status = CallStatus::Processed;
        record.pending = false;
        record.attempts = 0;
        record.failure_reason = None;
        Ok(())
    }

    async fn record_failure(&self, tenant: &TenantId, call_id: &CallId) -> Result<u32, StoreError> {
        self.check_available("counting a failed attempt")?;
        let mut records = lock(&self.records);
        let record = records
            .get_mut(&(tenant.clone(), call_id.clone()))
            .ok_or_else(|| StoreError::Unavailable {
                operation: "counting a failed attempt".into(),
                detail: format!("call {call_id} is not stored"),
            })?;
        record.attempts += 1;
        Ok(record.attempts)
    }

    async fn mark_failed(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
        reason: &str,
        _at: Timestamp,
    ) -> Result<(), StoreError> {
        self.check_available("marking a call failed")?;
        if let Some(record) = lock(&self.records).get_mut(&(tenant.clone(), call_id.clone())) {
            record.stored.status = CallStatus::Failed;
            record.pending = false;
            record.failure_reason = Some(reason.to_owned());
        }
        Ok(())
    }

    async fn pending_before(
        &self,
        cutoff: Timestamp,
        limit: usize,
        _rotation: u64,
    ) -> Result<Vec<PendingCall>, StoreError> {
        self.check_available("listing pending calls")?;
        let mut pending: Vec<PendingCall> = lock(&self.records)
            .iter()
            .filter(|(_, r)| r.pending && r.pending_since < cutoff)
            .map(|((tenant, call_id), r)| PendingCall {
                tenant: tenant.clone(),
                call_id: call_id.clone(),
                correlation_id: r.stored.correlation_id.clone(),
                since: r.pending_since,
            })
            .collect();
        pending.sort_by_key(|p| p.since);
        pending.truncate(limit);
        Ok(pending)
    }

    async fn mark_requeued(&self, call: &PendingCall, at: Timestamp) -> Result<(), StoreError> {
        self.check_available("marking a call queued again")?;
        if let Some(record) =
            lock(&self.records).get_mut(&(call.tenant.clone(), call.call_id.clone()))
        {
            record.pending_since = at;
        }
        Ok(())
    }
}

#[async_trait]
impl CallQueries for MemoryCalls {
    async fn page(&self, request: &PageRequest) -> Result<Page, StoreError> {
        self.check_available("listing calls")?;
        // As the DynamoDB adapter reads: every item of the range costs budget, matching or not.
        let mut budget = request.budget;
        let mut skip = request.skip;
        let mut found = Vec::new();
        let mut last_read = None;
        for (call, matches) in self.in_range(&request.filter).into_iter().filter(|(c, _)| {
            request
                .after
                .as_ref()
                .is_none_or(|after| c.position() < *after)
        }) {
            if budget == 0 || found.len() > request.limit {
                return Ok(Page {
                    next: if found.len() > request.limit {
                        found.truncate(request.limit);
                        found.last().map(CallListing::position)
                    } else {
                        last_read
                    },
                    calls: found,
                    skip_left: skip,
                });
            }
            budget -= 1;
            last_read = Some(call.position());
            if !matches {
                continue;
            }
            if skip > 0 {
                skip -= 1;
            } else {
                found.push(call);
            }
        }
        let next = if found.len() > request.limit {
            found.truncate(request.limit);
            found.last().map(CallListing::position)
        } else {
            None
        };
        Ok(Page {
            calls: found,
            next,
            skip_left: 0,
        })
    }

    async fn count(&self, filter: &ListFilter, budget: usize) -> Result<Count, StoreError> {
        self.check_available("counting calls")?;
        let range = self.in_range(filter);
        let read = range.len().min(budget);
        Ok(Count {
            matched: range[..read].iter().filter(|(_, m)| *m).count() as u64,
            exact: read == range.len(),
        })
    }

    async fn transcripts(
        &self,
        tenant: &TenantId,
        calls: &[CallId],
    ) -> Result<HashMap<CallId, Transcript>, StoreError> {
        self.check_available("reading transcripts")?;
        let records = lock(&self.records);
        Ok(calls
            .iter()
            .filter_map(|id| {
                let record = records.get(&(tenant.clone(), id.clone()))?;
                Some((id.clone(), record.stored.call.utterances.clone()))
            })
            .collect())
    }

    async fn record(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
        read: Read,
    ) -> Result<Option<CallRecord>, StoreError> {
        self.check_available("reading a call")?;
        lock(&self.record_reads).push(read);
        Ok(lock(&self.records)
            .get(&(tenant.clone(), call_id.clone()))
            .map(|r| CallRecord {
                listing: r.listing(tenant),
                transcript: Some(r.stored.call.utterances.clone()),
                analysis: r.analysis.clone(),
            }))
    }
}

#[async_trait]
impl crate::ports::CustomerCalls for MemoryCalls {
    /// The tenant's calls in id order (the cursor is the last id looked at); like DynamoDB's
    /// Query with a Limit, a page that reached its limit has a cursor even when nothing follows.
    /// A re-analysis' range filters what is looked at (DynamoDB's key condition), a customer
    /// what is returned (its filter).
    async fn customer_page(
        &self,
        tenant: &TenantId,
        kind: &crate::ports::JobKind,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<crate::ports::CustomerCallsPage, StoreError> {
        self.check_available("listing a customer's calls")?;
        let records = lock(&self.records);
        let looked_at: Vec<(&CallId, &Record)> = records
            .iter()
            .filter(|((t, id), _)| t == tenant && cursor.is_none_or(|c| id.as_str() > c))
            .filter(|(_, record)| match kind {
                crate::ports::JobKind::Erase(_) => true,
                crate::ports::JobKind::Reanalyse { from, to } => {
                    let start = Timestamp::new(record.stored.call.start_time);
                    from.is_none_or(|f| start >= f) && to.is_none_or(|t| start <= t)
                }
            })
            .map(|((_, id), record)| (id, record))
            .take(limit as usize)
            .collect();
        let next = (looked_at.len() == limit as usize)
            .then(|| looked_at.last().map(|(id, _)| id.to_string()))
            .flatten();
        Ok(crate::ports::CustomerCallsPage {
            calls: looked_at
                .into_iter()
                .filter(|(_, record)| match kind {
                    crate::ports::JobKind::Erase(customer) => {
                        record.stored.call.customer_id == *customer
                    }
                    crate::ports::JobKind::Reanalyse { .. } => true,
                })
                .map(|(id, _)| id.clone())
                .collect(),
            next,
        })
    }
}
