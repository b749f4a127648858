//! The aggregate use case: folds a batch of `CallAnalysed` events into the per-agent, per-team
//! and per-tenant daily rollups, exactly once per call.
//!
//! Duplicates within the batch are dropped first; the repository coalesces the rest by rollup
//! key and writes an idempotency marker per call with the updates, so a redelivered event
//! changes nothing. Exactly the messages whose calls were not applied are retried.

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use callscope_core::pipeline::CallAnalysed;

use crate::consumer::{read_json, Consume, Disposition, Refusal};
use crate::ports::{ApplyReport, Clock, Received, RollupRepository, TenantCall};
use crate::{telemetry, Deadline};

/// How long a call's idempotency marker lives: longer than any message can (14 days in a
/// DLQ, counted from its first enqueue, as SQS does).
pub const MARKER_TTL_DAYS: i64 = 35;
/// Events analysed longer ago than this are parked, not applied: their marker may be gone by
/// the time they are applied (a redrive creates a new message, so only the body's time counts).
pub const OLDEST_APPLIED_DAYS: i64 = 30;

#[derive(Debug, Clone)]
pub struct AggregateRollups {
    rollups: Arc<dyn RollupRepository>,
    clock: Arc<dyn Clock>,
}

impl AggregateRollups {
    pub fn new(rollups: Arc<dyn RollupRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { rollups, clock }
    }
}

fn tenant_call(event: &CallAnalysed) -> TenantCall {
    (event.tenant.clone(), event.call_id.clone())
}

#[async_trait]
impl Consume for AggregateRollups {
    type Message = CallAnalysed;

    const QUEUE: &'static str = "analytics";

    fn read(&self, message: &Received) -> Result<CallAnalysed, Refusal> {
        let event: CallAnalysed = read_json(message, "a CallAnalysed event")?;
        if let Some(analysed_at) = event.analysed_at {
            let oldest = self.clock.now().time() - chrono::Duration::days(OLDEST_APPLIED_DAYS);
            if analysed_at.time() < oldest {
                return Err(Refusal::TooOld {
                    call_id: event.call_id,
                    analysed_at,
                });
            }
        }
        Ok(event)
    }

    async fn handle(&self, batch: &[CallAnalysed], deadline: Deadline) -> Vec<Disposition> {
        if !deadline.allows_more_work() {
            tracing::warn!(
                calls = batch.len(),
                reason = "out of time for this invocation",
                "batch not applied; will retry"
            );
            telemetry::count(telemetry::ROLLUP_RETRIES, batch.len() as u64);
            return vec![Disposition::Retry; batch.len()];
        }
        let mut seen = HashSet::new();
        let distinct: Vec<CallAnalysed> = batch
            .iter()
            .filter(|e| seen.insert(tenant_call(e)))
            .cloned()
            .collect();
        // By tenant and call: call ids are unique only within a tenant.
        let (report, not_applied): (ApplyReport, HashSet<TenantCall>) = match self
            .rollups
            .apply(&distinct)
            .await
        {
            Ok(report) => (report, HashSet::new()),
            Err(error) => {
                tracing::warn!(reason = %error, "some calls were not applied; their messages will be retried");
                (error.report, error.not_applied.into_iter().collect())
            }
        };
        let committed = self.clock.now();
        let applied: HashSet<&TenantCall> = report.applied.iter().collect();
        let duplicates: HashSet<&TenantCall> = report.duplicates.iter().collect();
        for event in &distinct {
            let call = tenant_call(event);
            if not_applied.contains(&call) {
                continue;
            }
            // Timed only when this invocation committed it: a redelivery is not a second trip.
            if let (true, Some(received_at)) = (applied.contains(&call), event.received_at) {
                telemetry::time_since(telemetry::END_TO_END_LATENCY, received_at, committed);
            }
            let already_counted = duplicates.contains(&call);
            // One line per call, so a call's journey can be followed to its end.
            tracing::info!(
                tenant = %event.tenant,
                call_id = %event.call_id,
                correlation_id = %event.correlation_id,
                already_counted,
                "call counted in its rollups"
            );
        }
        let dispositions: Vec<Disposition> = batch
            .iter()
            .map(|event| {
                if not_applied.contains(&tenant_call(event)) {
                    tracing::warn!(
                        tenant = %event.tenant,
                        call_id = %event.call_id,
                        correlation_id = %event.correlation_id,
                        "call not yet counted; will be retried"
                    );
                    Disposition::Retry
                } else {
                    Disposition::Done
                }
            })
            .collect();
        let retried = dispositions
            .iter()
            .filter(|d| **d == Disposition::Retry)
            .count();
        telemetry::count(telemetry::ROLLUP_RETRIES, retried as u64);
        dispositions
    }
}

#[cfg(test)]
mod tests;
