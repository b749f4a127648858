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
use crate::ports::{Received, RollupRepository, TenantCall};

#[derive(Debug, Clone)]
pub struct ApplyRollups {
    rollups: Arc<dyn RollupRepository>,
}

impl ApplyRollups {
    pub fn new(rollups: Arc<dyn RollupRepository>) -> Self {
        Self { rollups }
    }
}

fn tenant_call(event: &CallAnalysed) -> TenantCall {
    (event.tenant.clone(), event.call_id.clone())
}

#[async_trait]
impl Consume for ApplyRollups {
    type Message = CallAnalysed;

    fn read(&self, message: &Received) -> Result<CallAnalysed, Refusal> {
        read_json(message, "a CallAnalysed event")
    }

    async fn handle(&self, batch: &[CallAnalysed]) -> Vec<Disposition> {
        let mut seen = HashSet::new();
        let distinct: Vec<CallAnalysed> = batch
            .iter()
            .filter(|e| seen.insert(tenant_call(e)))
            .cloned()
            .collect();
        // By tenant and call: call ids are unique only within a tenant.
        let not_applied: HashSet<TenantCall> = match self.rollups.apply(&distinct).await {
            Ok(report) => {
                let duplicates: HashSet<&TenantCall> = report.duplicates.iter().collect();
                for event in &distinct {
                    // One line per call, so a call's journey can be followed to its end.
                    tracing::info!(
                        tenant = %event.tenant,
                        call_id = %event.call_id,
                        correlation_id = %event.correlation_id,
                        already_counted = duplicates.contains(&tenant_call(event)),
                        "call counted in its rollups"
                    );
                }
                HashSet::new()
            }
            Err(error) => {
                tracing::warn!(%error, "some calls were not applied; their messages will be retried");
                error.not_applied.into_iter().collect()
            }
        };
        batch
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
            .collect()
    }
}

#[cfg(test)]
mod tests;
