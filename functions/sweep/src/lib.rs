//! The sweep function: the safety net behind "no call stuck in RECEIVED forever".
//!
//! Ingest stores a call and then sends its process message; if the send fails the client gets a
//! 503 and a retry queues the call again. A client that never retries would leave the call
//! RECEIVED, so on a schedule the sweeper lists calls RECEIVED longer ago than the configured age
//! (the sparse `Pending` index) and sends their process messages again. Downstream is idempotent
//! (analysis is deterministic, rollups are applied once per call), so a message that was merely
//! slow and gets a twin does no harm.

use anyhow::Context;
use callscope_cloud::aws::AwsClients;
use callscope_cloud::calls_store::CallsStore;
use callscope_cloud::config::SweepConfig;
use callscope_cloud::queue::{OutgoingMessage, QueueSender};
use callscope_core::pipeline::ProcessCall;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Calls found RECEIVED for longer than the configured age.
    pub stale: usize,
    pub requeued: usize,
}

#[derive(Debug)]
pub struct Sweeper {
    calls: CallsStore,
    queue: QueueSender,
    config: SweepConfig,
}

impl Sweeper {
    pub fn new(clients: &AwsClients, config: SweepConfig) -> Self {
        Self {
            calls: CallsStore::new(clients.dynamodb.clone(), config.calls_table.clone()),
            queue: QueueSender::new(clients.sqs.clone()),
            config,
        }
    }

    /// One scheduled run; the scheduled event itself carries nothing we need.
    pub async fn handle(
        &self,
        _event: serde_json::Value,
    ) -> Result<SweepReport, lambda_runtime::Error> {
        self.sweep(Utc::now())
            .await
            .map_err(|error| format!("{error:#}").into())
    }

    /// Queues again every call RECEIVED before `now - stale_after`. Fails when any message could
    /// not be sent, so the invocation is retried and the failure shows in the function's errors.
    pub async fn sweep(&self, now: DateTime<Utc>) -> anyhow::Result<SweepReport> {
        let pending = self
            .calls
            .pending_before(now - self.config.stale_after)
            .await
            .context("listing calls still RECEIVED")?;
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
        let messages: Vec<OutgoingMessage<&ProcessCall>> = requests
            .iter()
            .enumerate()
            .map(|(i, r)| OutgoingMessage::new(i.to_string(), r, &r.tenant, &r.correlation_id))
            .collect();
        let report = self
            .queue
            .send_batch(&self.config.process_queue_url, &messages)
            .await
            .context("queueing stale calls for processing")?;
        let sweep = SweepReport {
            stale: requests.len(),
            requeued: requests.len() - report.failed.len(),
        };
        tracing::info!(stale = sweep.stale, requeued = sweep.requeued, "sweep done");
        anyhow::ensure!(
            report.failed.is_empty(),
            "{} of {} stale calls could not be queued: {:?}",
            report.failed.len(),
            requests.len(),
            report.failed
        );
        Ok(sweep)
    }
}
