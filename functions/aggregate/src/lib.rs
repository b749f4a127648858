//! The aggregate function: folds a batch of `CallAnalysed` events into the per-agent, per-team
//! and per-tenant daily rollups, exactly once per call.
//!
//! The batch is coalesced by rollup key so 25 events cost a handful of updates; the store writes
//! an idempotency marker per call in the same transaction as the updates, so a redelivered or
//! duplicated event changes nothing. The response names exactly the messages whose calls were
//! not applied.

use std::collections::HashSet;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use callscope_cloud::aws::AwsClients;
use callscope_cloud::config::AggregateConfig;
use callscope_cloud::dead_letter;
use callscope_cloud::rollup_store::RollupStore;
use callscope_cloud::sqs_batch::{batch_response, SqsBatchHandler};
use callscope_core::pipeline::CallAnalysed;
use futures::future::BoxFuture;

#[derive(Debug)]
pub struct Aggregator {
    rollups: RollupStore,
    sqs: aws_sdk_sqs::Client,
    config: AggregateConfig,
}

impl Aggregator {
    pub fn new(clients: &AwsClients, config: AggregateConfig) -> Self {
        Self {
            rollups: RollupStore::new(clients.dynamodb.clone(), config.analytics_table.clone()),
            sqs: clients.sqs.clone(),
            config,
        }
    }

    /// Handles one SQS batch; never fails as a whole.
    pub async fn handle_batch(
        &self,
        event: SqsEvent,
    ) -> Result<SqsBatchResponse, lambda_runtime::Error> {
        let mut failed = Vec::new();
        let mut readable: Vec<(String, CallAnalysed)> = Vec::new();
        for message in &event.records {
            let id = message.message_id.clone().unwrap_or_default();
            match read_event(message) {
                Ok(event) => readable.push((id, event)),
                Err(reason) => {
                    if !self.park(message, &reason).await {
                        failed.push(id);
                    }
                }
            }
        }
        let events: Vec<CallAnalysed> = readable.iter().map(|(_, e)| e.clone()).collect();
        match self.rollups.apply(&events).await {
            Ok(report) => {
                // One line per call, so a call's journey can be followed to its end.
                for event in &events {
                    tracing::info!(
                        tenant = %event.tenant,
                        call_id = %event.call_id,
                        correlation_id = %event.correlation_id,
                        already_counted = report
                            .duplicates
                            .iter()
                            .any(|(t, c)| *t == event.tenant && *c == event.call_id),
                        "call counted in its rollups"
                    );
                }
                tracing::info!(
                    applied = report.applied.len(),
                    duplicates = report.duplicates.len(),
                    "rollups updated"
                );
            }
            Err(error) => {
                // By tenant and call: call ids are unique only within a tenant.
                let not_applied: HashSet<(&str, &str)> = error
                    .not_applied()
                    .iter()
                    .map(|(t, c)| (t.as_str(), c.as_str()))
                    .collect();
                tracing::warn!(
                    error = format!("{error:#}"),
                    not_applied = not_applied.len(),
                    "some calls were not applied; their messages will be retried"
                );
                for event in events
                    .iter()
                    .filter(|e| not_applied.contains(&(e.tenant.as_str(), e.call_id.as_str())))
                {
                    tracing::warn!(
                        tenant = %event.tenant,
                        call_id = %event.call_id,
                        correlation_id = %event.correlation_id,
                        "call not yet counted; will be retried"
                    );
                }
                failed.extend(
                    readable
                        .iter()
                        .filter(|(_, e)| {
                            not_applied.contains(&(e.tenant.as_str(), e.call_id.as_str()))
                        })
                        .map(|(id, _)| id.clone()),
                );
            }
        }
        Ok(batch_response(failed))
    }

    /// Moves an unreadable message to the DLQ; false when that failed too (retry it).
    async fn park(&self, message: &SqsMessage, reason: &str) -> bool {
        tracing::error!(reason, "unreadable analytics event; parking it in the DLQ");
        match dead_letter::park(&self.sqs, &self.config.analytics_dlq_url, message, reason).await {
            Ok(()) => true,
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), "parking failed; will retry");
                false
            }
        }
    }
}

fn read_event(message: &SqsMessage) -> Result<CallAnalysed, String> {
    let body = message.body.as_deref().ok_or("message has no body")?;
    serde_json::from_str(body).map_err(|e| format!("body is not a CallAnalysed event: {e}"))
}

impl SqsBatchHandler for Aggregator {
    fn handle(&self, event: SqsEvent) -> BoxFuture<'_, anyhow::Result<SqsBatchResponse>> {
        Box::pin(async move {
            self.handle_batch(event)
                .await
                .map_err(|e| anyhow::anyhow!(e))
        })
    }
}
