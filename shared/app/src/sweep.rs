//! The sweep use case: the safety net behind "every call ends in a state".
//!
//! A call is pending from ingest until its `CallAnalysed` event is sent and it is marked
//! PROCESSED; until then it is RECEIVED, with its process message lost (a client that never
//! retried a 503) or analysed with its event not sent (the analytics queue down longer than the
//! process message's retries). On a schedule the
//! sweeper lists calls pending longer than the configured age and sends their process messages
//! again, at most [`MAX_PER_RUN`] per run, starting at a different part of the index each run.
//! A call queued again leaves the sweeper's view until it is stale again, so a slow queue is not
//! flooded with twins; FAILED calls are not pending, so they are never sent again. Downstream is
//! idempotent (analysis is deterministic, rollups are applied once per call).

use std::sync::Arc;

use callscope_core::domain::Timestamp;
use callscope_core::pipeline::ProcessCall;
use futures::stream::{self, StreamExt};
use serde::Serialize;

use crate::ports::{publish_each, CallRepository, Clock, Publisher, StoreError};

/// Most calls queued again by one run: a run must finish well inside its function's timeout
/// (60 s), and what it leaves is found by the next run.
pub const MAX_PER_RUN: usize = 1_000;
/// Requeued calls marked at once.
const MARK_CONCURRENCY: usize = 16;

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Calls found pending for longer than the configured age (at most [`MAX_PER_RUN`]).
    pub stale: usize,
    pub requeued: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SweepError {
    #[error("listing calls still RECEIVED: {0}")]
    List(#[from] StoreError),
    /// The invocation fails so it is retried and shows in the function's errors.
    #[error("{not_sent} of {stale} stale calls could not be queued")]
    NotQueued { stale: usize, not_sent: usize },
}

#[derive(Debug, Clone)]
pub struct Sweep {
    calls: Arc<dyn CallRepository>,
    process_queue: Arc<dyn Publisher>,
    clock: Arc<dyn Clock>,
    /// A call RECEIVED longer ago than this is queued again.
    stale_after: chrono::Duration,
}

impl Sweep {
    pub fn new(
        calls: Arc<dyn CallRepository>,
        process_queue: Arc<dyn Publisher>,
        clock: Arc<dyn Clock>,
        stale_after: chrono::Duration,
    ) -> Self {
        Self {
            calls,
            process_queue,
            clock,
            stale_after,
        }
    }

    /// Queues again the calls pending since before `now - stale_after`.
    pub async fn run(&self) -> Result<SweepReport, SweepError> {
        let now = self.clock.now();
        let cutoff = Timestamp::new(now.time() - self.stale_after);
        // A new starting point every minute, so capped runs reach every shard in turn.
        let rotation = u64::try_from(now.time().timestamp() / 60).unwrap_or_default();
        let pending = self
            .calls
            .pending_before(cutoff, MAX_PER_RUN, rotation)
            .await?;
        let requests: Vec<ProcessCall> = pending
            .iter()
            .map(|p| {
                tracing::warn!(
                    tenant = %p.tenant,
                    call_id = %p.call_id,
                    correlation_id = %p.correlation_id,
                    pending_since = %p.since,
                    "call still pending; queueing it again"
                );
                ProcessCall {
                    tenant: p.tenant.clone(),
                    call_id: p.call_id.clone(),
                    correlation_id: p.correlation_id.clone(),
                    revision: None,
                }
            })
            .collect();
        let items: Vec<_> = requests
            .iter()
            .map(|r| (r, &r.tenant, &r.correlation_id))
            .collect();
        let sent = publish_each(self.process_queue.as_ref(), &items).await;
        let requeued: Vec<&crate::ports::PendingCall> = pending
            .iter()
            .zip(&sent)
            .filter(|(_, sent)| **sent)
            .map(|(p, _)| p)
            .collect();
        let marks: Vec<_> = requeued
            .iter()
            .map(|p| self.calls.mark_requeued(p, now))
            .collect();
        let marked: Vec<Result<(), StoreError>> = stream::iter(marks)
            .buffer_unordered(MARK_CONCURRENCY)
            .collect()
            .await;
        for error in marked.iter().filter_map(|m| m.as_ref().err()) {
            // Not fatal: the call was queued; the next run may queue a twin, which is harmless.
            tracing::warn!(%error, "could not mark a requeued call");
        }
        let report = SweepReport {
            stale: requests.len(),
            requeued: requeued.len(),
        };
        tracing::info!(
            stale = report.stale,
            requeued = report.requeued,
            "sweep done"
        );
        if report.requeued < report.stale {
            return Err(SweepError::NotQueued {
                stale: report.stale,
                not_sent: report.stale - report.requeued,
            });
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests;
