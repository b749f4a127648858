//! The sweep use case: the safety net behind "no call stuck in RECEIVED forever".
//!
//! Ingest stores a call and then sends its process message; if the send fails the client gets a
//! 503 and a retry queues the call again. A client that never retries would leave the call
//! RECEIVED, so on a schedule the sweeper lists calls RECEIVED longer ago than the configured age
//! and sends their process messages again. Downstream is idempotent (analysis is deterministic,
//! rollups are applied once per call), so a message that was merely slow and gets a twin does no
//! harm.

use std::sync::Arc;

use callscope_core::domain::Timestamp;
use callscope_core::pipeline::ProcessCall;
use serde::Serialize;

use crate::ports::{publish_each, CallRepository, Clock, Publisher, StoreError};

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Calls found RECEIVED for longer than the configured age.
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

    /// Queues again every call RECEIVED before `now - stale_after`.
    pub async fn run(&self) -> Result<SweepReport, SweepError> {
        let cutoff = Timestamp::new(self.clock.now().time() - self.stale_after);
        let pending = self.calls.pending_before(cutoff).await?;
        let requests: Vec<ProcessCall> = pending
            .into_iter()
            .map(|p| {
                tracing::warn!(
                    tenant = %p.tenant,
                    call_id = %p.call_id,
                    correlation_id = %p.correlation_id,
                    received_at = %p.received_at,
                    "call still RECEIVED; queueing it again"
                );
                ProcessCall {
                    tenant: p.tenant,
                    call_id: p.call_id,
                    correlation_id: p.correlation_id,
                }
            })
            .collect();
        let items: Vec<_> = requests
            .iter()
            .map(|r| (r, &r.tenant, &r.correlation_id))
            .collect();
        let sent = publish_each(self.process_queue.as_ref(), &items).await;
        let requeued = sent.iter().filter(|s| **s).count();
        let report = SweepReport {
            stale: requests.len(),
            requeued,
        };
        tracing::info!(stale = report.stale, requeued, "sweep done");
        if requeued < report.stale {
            return Err(SweepError::NotQueued {
                stale: report.stale,
                not_sent: report.stale - requeued,
            });
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests;
