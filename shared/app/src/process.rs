//! The process use case (the process function): analyses each stored call named by a
//! process-queue message, stores the analysis, emits a `CallAnalysed` event to the analytics
//! queue and marks the call PROCESSED.
//!
//! Messages of a batch are analysed concurrently and independently. The order is: store the
//! analysis, send the event, then mark the call PROCESSED; a message is done only once all three
//! happened. So a PROCESSED call never owes an event, and a call that stops anywhere before is
//! still RECEIVED and pending: a redelivery (or, after every retry failed, the sweeper) does it
//! again. Storing is idempotent (the analysis is deterministic) and aggregate counts a re-emitted
//! event once.
//!
//! A re-analysis request (from the reanalyse queue, `revision` set) runs the same path on a
//! PROCESSED call: the new analysis is stored, its event carries the new revision (aggregate
//! moves the rollups from the old measures to the new, once), and the call is marked with the
//! revision. A call that is gone and whose rollup ledger holds an erasure was erased: what a
//! run interrupted by the erasure left behind is removed, and the message is done; a call gone
//! without one was never stored, and its message is retried until the DLQ.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use callscope_core::analysis::{Analyser, CallAnalysis};
use callscope_core::domain::{TenantId, Timestamp};
use callscope_core::pipeline::{CallAnalysed, ProcessCall};
use callscope_core::similarity::Signature;
use futures::stream::{self, StreamExt};
use tracing::Instrument;

use crate::consumer::{read_json, Consume, Disposition, Refusal};
use crate::ports::{
    publish_each, CallRepository, CallStatus, Clock, ProcessedCall, Publisher, Received,
    RollupRepository, StoreError,
};
use crate::settings::SettingsCache;
use crate::{telemetry, Deadline};

/// Calls of one batch analysed at once: loads and stores overlap while the CPU analyses.
const ANALYSIS_CONCURRENCY: usize = 4;
/// Failed attempts (load or store) after which a call is marked FAILED and parked.
pub const MAX_ATTEMPTS: u32 = 5;

#[derive(Debug, Clone)]
pub struct ProcessCalls {
    calls: Arc<dyn CallRepository>,
    analytics_queue: Arc<dyn Publisher>,
    clock: Arc<dyn Clock>,
    analyser: Arc<Analyser>,
    /// The tenants' settings (tracker rules, scorecard, retention); without it every call is
    /// analysed by `analyser` and kept forever.
    settings: Option<SettingsCache>,
    /// The rollups' ledger, read only when a call is missing: its tombstone says the call was
    /// erased (done), its absence that it was never stored (retried until the DLQ).
    erasures: Option<Arc<dyn RollupRepository>>,
}

impl ProcessCalls {
    pub fn new(
        calls: Arc<dyn CallRepository>,
        analytics_queue: Arc<dyn Publisher>,
        clock: Arc<dyn Clock>,
        analyser: Arc<Analyser>,
    ) -> Self {
        Self {
            calls,
            analytics_queue,
            clock,
            analyser,
            settings: None,
            erasures: None,
        }
    }

    /// Reads the rollups' ledger to tell an erased call from one never stored.
    pub fn with_erasure_ledger(mut self, rollups: Arc<dyn RollupRepository>) -> Self {
        self.erasures = Some(rollups);
        self
    }

    /// Whether the call's ledger holds an erasure's tombstone (so a missing call was erased).
    async fn was_erased(&self, request: &ProcessCall) -> bool {
        let Some(ledger) = &self.erasures else {
            return false;
        };
        match ledger.ledger(&request.tenant, &request.call_id).await {
            Ok(entry) => entry.is_some_and(|e| e.version.is_erasure()),
            Err(error) => {
                tracing::warn!(%error, "the rollup ledger could not be read");
                false
            }
        }
    }

    /// Analyses each tenant's calls with its settings, read through `cache`.
    pub fn with_settings(mut self, cache: SettingsCache) -> Self {
        self.settings = Some(cache);
        self
    }

    /// The analyser for the tenant's calls and when their content expires (epoch seconds).
    async fn configured_for(
        &self,
        tenant: &TenantId,
        now: Timestamp,
    ) -> Result<(Arc<Analyser>, Option<i64>), StoreError> {
        let Some(cache) = &self.settings else {
            return Ok((self.analyser.clone(), None));
        };
        let config = cache.get(tenant).await?;
        let expires_at = config.settings.retention.expires_at(now.time().timestamp());
        Ok((config.analyser(), expires_at))
    }

    /// Analyses and stores one call.
    async fn analyse(&self, request: &ProcessCall, deadline: Deadline) -> Step {
        if !deadline.allows_more_work() {
            tracing::warn!("out of time for this invocation; will retry");
            return Step::Retry;
        }
        let stored = match self.calls.load(&request.tenant, &request.call_id).await {
            Ok(Some(stored)) => stored,
            Ok(None) if !self.was_erased(request).await => {
                // Ingest writes the call before it sends this message, so a call missing with no
                // erasure in its ledger is not a race (or its erasure is not applied yet: the
                // retry finds it); retrying lets SQS move the message to the DLQ after
                // maxReceiveCount.
                tracing::error!(
                    reason = "call not found",
                    "cannot process call; will retry until the DLQ"
                );
                return Step::Retry;
            }
            Ok(None) => {
                // Erased (before or while it was processed). Whatever an interrupted run stored
                // after the erasure (its analysis) goes too, unless the id was sent again in the
                // meantime; the event, if one was sent, is older than the erasure in the call's
                // ledger and counts nothing.
                return match self
                    .calls
                    .erase_leftovers(&request.tenant, &request.call_id)
                    .await
                {
                    Ok(leftovers) => {
                        tracing::info!(leftovers, "the call was erased; nothing to process");
                        Step::Done
                    }
                    Err(error) => {
                        tracing::warn!(%error, "the call was erased but its leftovers could not be removed; will retry");
                        Step::Retry
                    }
                };
            }
            Err(error @ StoreError::Corrupt { .. }) => {
                return self.fail(request, error.to_string()).await
            }
            Err(error) => return self.failed_attempt(request, &error).await,
        };
        let revision = match request.revision {
            // A re-analysis already done (a redelivery), or overtaken by a later one.
            Some(wanted) if stored.revision >= wanted => return Step::Done,
            // Only an analysed call is analysed again; one still owed its first analysis gets
            // it from its own process message.
            Some(_) if stored.status != CallStatus::Processed => return Step::Done,
            Some(wanted) => wanted,
            // Processed, so its event was sent already: a duplicate delivery has nothing to do.
            None if stored.status == CallStatus::Processed => return Step::Done,
            None => 0,
        };
        let processed_at = self.clock.now();
        let (analyser, expires_at) = match self.configured_for(&request.tenant, processed_at).await
        {
            Ok(configured) => configured,
            Err(error) => {
                tracing::warn!(%error, "the tenant's settings could not be read; will retry");
                return Step::Retry;
            }
        };
        // Ingest redacted the transcript before storing it; the counts it found travel with it.
        let started = Instant::now();
        let analysis = analyser.analyse_call(&stored.call, stored.redactions);
        telemetry::time(telemetry::ANALYSIS_TIME, started.elapsed());
        let signature = Signature::of(&stored.call.utterances);
        let processed = ProcessedCall {
            tenant: &request.tenant,
            call_id: &request.call_id,
            analysis: &analysis,
            signature: &signature,
            processed_at,
            expires_at,
            revision,
        };
        match self.calls.store_analysis(&processed).await {
            Ok(()) => {}
            Err(
                error @ (StoreError::TooLarge { .. }
                | StoreError::Corrupt { .. }
                | StoreError::Rejected { .. }),
            ) => return self.fail(request, error.to_string()).await,
            Err(error) => return self.failed_attempt(request, &error).await,
        }
        tracing::info!(score = analysis.score, "call analysed");
        let mut event = CallAnalysed::new(
            request.tenant.clone(),
            &stored.call,
            &analysis,
            request.correlation_id.clone(),
        );
        event.analysed_at = Some(processed.processed_at);
        event.received_at = Some(stored.received_at);
        event.revision = revision;
        Step::Publish(Box::new(Analysed {
            event,
            analysis,
            signature,
            expires_at,
        }))
    }

    /// The call's event was sent: marks it PROCESSED. A failure leaves it RECEIVED, so the
    /// message is retried (a second event is counted once).
    async fn mark_processed(&self, analysed: &Analysed) -> Disposition {
        let event = &analysed.event;
        let processed = ProcessedCall {
            tenant: &event.tenant,
            call_id: &event.call_id,
            analysis: &analysed.analysis,
            signature: &analysed.signature,
            processed_at: event.analysed_at.unwrap_or_else(|| self.clock.now()),
            expires_at: analysed.expires_at,
            revision: event.revision,
        };
        match self.calls.mark_processed(&processed).await {
            Ok(()) => {
                telemetry::count(telemetry::CALLS_PROCESSED, 1);
                Disposition::Done
            }
            Err(_)
                if matches!(
                    self.calls.head(&event.tenant, &event.call_id).await,
                    Ok(None)
                ) =>
            {
                // It was loaded moments ago and only an erasure deletes a call item: erased
                // while processed. What this run stored after the erasure goes too; its event
                // is older than the erasure in the call's ledger and counts nothing.
                match self
                    .calls
                    .erase_leftovers(&event.tenant, &event.call_id)
                    .await
                {
                    Ok(_) => {
                        tracing::info!(call_id = %event.call_id, "the call was erased while processed");
                        Disposition::Done
                    }
                    Err(_) => Disposition::Retry,
                }
            }
            Err(error) => {
                tracing::warn!(
                    %error,
                    call_id = %event.call_id,
                    correlation_id = %event.correlation_id,
                    tenant = %event.tenant,
                    reason = "the PROCESSED mark was not stored",
                    "call handed off but not marked processed; will retry"
                );
                Disposition::Retry
            }
        }
    }

    /// A failure that may pass: counted on the call, which is marked FAILED after
    /// [`MAX_ATTEMPTS`] of them.
    async fn failed_attempt(&self, request: &ProcessCall, error: &StoreError) -> Step {
        tracing::warn!(%error, "processing the call failed; will retry");
        if request.revision.is_some() {
            // A re-analysis never marks an analysed call FAILED: it stays as it was, and SQS
            // moves the request to the reanalyse DLQ after its receives.
            return Step::Retry;
        }
        match self
            .calls
            .record_failure(&request.tenant, &request.call_id)
            .await
        {
            Ok(attempts) if attempts >= MAX_ATTEMPTS => {
                let reason = format!("{error} (after {attempts} attempts)");
                self.fail(request, reason).await
            }
            Ok(_) => Step::Retry,
            // The store is down: nothing can be counted now; SQS counts the receives.
            Err(_) => Step::Retry,
        }
    }

    /// Marks the call FAILED with the reason and parks its message once.
    async fn fail(&self, request: &ProcessCall, reason: String) -> Step {
        if request.revision.is_some() {
            tracing::error!(
                reason,
                "re-analysis failed; the call keeps its analysis, the request is parked"
            );
            return Step::Park(Refusal::Failed {
                call_id: request.call_id.clone(),
                reason,
            });
        }
        let marked = self
            .calls
            .mark_failed(&request.tenant, &request.call_id, &reason, self.clock.now())
            .await;
        match marked {
            Ok(()) => {
                telemetry::count(telemetry::CALLS_FAILED, 1);
                tracing::error!(reason, "call marked FAILED; its message is parked");
                Step::Park(Refusal::Failed {
                    call_id: request.call_id.clone(),
                    reason,
                })
            }
            Err(error) => {
                tracing::warn!(%error, reason, "could not mark the call FAILED; will retry");
                Step::Retry
            }
        }
    }
}

/// What became of one process request.
#[derive(Debug)]
enum Step {
    /// Analysis stored; its event is to be sent, then the call marked PROCESSED.
    Publish(Box<Analysed>),
    Done,
    Retry,
    Park(Refusal),
}

/// A call whose analysis is stored: what its event and its PROCESSED mark are made of.
#[derive(Debug)]
struct Analysed {
    event: CallAnalysed,
    analysis: CallAnalysis,
    signature: Signature,
    /// When the transcript and analysis expire (the tenant's retention), epoch seconds.
    expires_at: Option<i64>,
}

#[async_trait]
impl Consume for ProcessCalls {
    type Message = ProcessCall;

    const QUEUE: &'static str = "process";

    fn read(&self, message: &Received) -> Result<ProcessCall, Refusal> {
        read_json(message, "a process request")
    }

    async fn handle(&self, batch: &[ProcessCall], deadline: Deadline) -> Vec<Disposition> {
        // The futures are built before they are streamed: a closure inside the stream would
        // need to be general over lifetimes, which `Send` inference cannot prove here.
        let analyses: Vec<_> = batch
            .iter()
            .map(|request| {
                // At ERROR so that no log level filters the call's ids off its lines.
                let span = tracing::error_span!(
                    "process_call",
                    correlation_id = %request.correlation_id,
                    call_id = %request.call_id,
                    tenant = %request.tenant,
                );
                self.analyse(request, deadline).instrument(span)
            })
            .collect();
        let steps: Vec<Step> = stream::iter(analyses)
            .buffered(ANALYSIS_CONCURRENCY)
            .collect()
            .await;
        let analysed: Vec<&CallAnalysed> = steps
            .iter()
            .filter_map(|s| match s {
                Step::Publish(analysed) => Some(&analysed.event),
                _ => None,
            })
            .collect();
        let items: Vec<_> = analysed
            .iter()
            .map(|e| (*e, &e.tenant, &e.correlation_id))
            .collect();
        let mut sent = publish_each(self.analytics_queue.as_ref(), &items)
            .await
            .into_iter();
        let mut dispositions = Vec::with_capacity(steps.len());
        for step in steps {
            dispositions.push(match step {
                Step::Publish(analysed) => {
                    if sent.next() != Some(true) {
                        // Stored but not handed off: still RECEIVED and pending, so a retry (or,
                        // if every retry fails, the sweeper) sends it again.
                        let event = &analysed.event;
                        tracing::warn!(
                            call_id = %event.call_id,
                            correlation_id = %event.correlation_id,
                            tenant = %event.tenant,
                            reason = "its CallAnalysed event was not sent",
                            "call analysed but not handed off; will retry"
                        );
                        Disposition::Retry
                    } else {
                        self.mark_processed(&analysed).await
                    }
                }
                Step::Done => Disposition::Done,
                Step::Retry => Disposition::Retry,
                Step::Park(refusal) => Disposition::Park(refusal),
            });
        }
        dispositions
    }
}

#[cfg(test)]
mod tests;
