//! The process function: analyses each stored call named by a process-queue message, stores the
//! analysis (PROCESSED) and emits a `CallAnalysed` event to the analytics queue.
//!
//! Messages of a batch are handled concurrently and independently; the response names exactly
//! the messages to retry. A body that can never be read is parked in the DLQ with its reason
//! at once; other failures are retried and reach the DLQ after `maxReceiveCount`.

mod outcome;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use callscope_cloud::aws::AwsClients;
use callscope_cloud::calls_store::CallsStore;
use callscope_cloud::config::ProcessConfig;
use callscope_cloud::dead_letter;
use callscope_cloud::queue::{OutgoingMessage, QueueSender};
use callscope_cloud::sqs_batch::{
    batch_response, string_attribute, SqsBatchHandler, CORRELATION_ID_ATTRIBUTE,
};
use callscope_core::analysis::Analyzer;
use callscope_core::pipeline::{CallAnalysed, ProcessCall};
use futures::future::{join_all, BoxFuture};
use tracing::Instrument;

pub use outcome::MessageOutcome;

#[derive(Debug)]
pub struct Processor {
    calls: CallsStore,
    queue: QueueSender,
    sqs: aws_sdk_sqs::Client,
    analyzer: Analyzer,
    config: ProcessConfig,
}

impl Processor {
    pub fn new(clients: &AwsClients, config: ProcessConfig) -> Self {
        Self {
            calls: CallsStore::new(clients.dynamodb.clone(), config.calls_table.clone()),
            queue: QueueSender::new(clients.sqs.clone()),
            sqs: clients.sqs.clone(),
            analyzer: Analyzer::default(),
            config,
        }
    }

    /// Handles one SQS batch; never fails as a whole, so one bad message cannot fail its neighbours.
    pub async fn handle_batch(
        &self,
        event: SqsEvent,
    ) -> Result<SqsBatchResponse, lambda_runtime::Error> {
        let outcomes = join_all(event.records.iter().map(|m| self.handle_message(m))).await;
        let mut failed = Vec::new();
        let mut analysed = Vec::new();
        for (message, outcome) in event.records.iter().zip(outcomes) {
            let id = message.message_id.clone().unwrap_or_default();
            match outcome {
                MessageOutcome::Analysed(event) => analysed.push((id, *event)),
                MessageOutcome::Parked => {}
                MessageOutcome::Retry => failed.push(id),
            }
        }
        failed.extend(self.publish(analysed).await);
        Ok(batch_response(failed))
    }

    async fn handle_message(&self, message: &SqsMessage) -> MessageOutcome {
        let request = match outcome::read_request(message) {
            Ok(request) => request,
            Err(reason) => return self.park(message, &reason).await,
        };
        let span = tracing::info_span!(
            "process_call",
            correlation_id = %request.correlation_id,
            call_id = %request.call_id,
            tenant = %request.tenant,
        );
        self.analyse(request).instrument(span).await
    }

    async fn analyse(&self, request: ProcessCall) -> MessageOutcome {
        let stored = match self.calls.load(&request.tenant, &request.call_id).await {
            Ok(Some(stored)) => stored,
            Ok(None) => {
                // Ingest writes the call before it sends this message, so a missing call is not a
                // race; retrying lets SQS move the message to the DLQ after maxReceiveCount.
                tracing::error!(
                    reason = "call not found",
                    "cannot process call; will retry until the DLQ"
                );
                return MessageOutcome::Retry;
            }
            Err(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "loading the call failed; will retry"
                );
                return MessageOutcome::Retry;
            }
        };
        // Ingest redacted the transcript before storing it; the counts it found travel with it.
        let analysis = self.analyzer.analyze(
            &stored.call.utterances,
            Some(stored.call.duration_seconds),
            stored.redactions,
        );
        // Storing is idempotent (the analysis is deterministic), so a redelivered message simply
        // writes the same analysis again and re-emits the event, which aggregate counts once.
        if let Err(error) = self
            .calls
            .store_analysis(&request.tenant, &request.call_id, &analysis)
            .await
        {
            tracing::warn!(
                error = format!("{error:#}"),
                "storing the analysis failed; will retry"
            );
            return MessageOutcome::Retry;
        }
        tracing::info!(score = analysis.score, "call analysed");
        MessageOutcome::Analysed(Box::new(CallAnalysed::new(
            request.tenant,
            &stored.call,
            &analysis,
            request.correlation_id,
        )))
    }

    /// Sends the batch's events; returns the message ids whose event could not be sent.
    async fn publish(&self, analysed: Vec<(String, CallAnalysed)>) -> Vec<String> {
        if analysed.is_empty() {
            return Vec::new();
        }
        let messages: Vec<OutgoingMessage<&CallAnalysed>> = analysed
            .iter()
            .map(|(id, event)| {
                OutgoingMessage::new(id.clone(), event, &event.tenant, &event.correlation_id)
            })
            .collect();
        match self
            .queue
            .send_batch(&self.config.analytics_queue_url, &messages)
            .await
        {
            Ok(report) => report.failed.into_iter().map(|(id, _reason)| id).collect(),
            Err(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "sending analytics events failed; will retry"
                );
                analysed.into_iter().map(|(id, _)| id).collect()
            }
        }
    }

    async fn park(&self, message: &SqsMessage, reason: &str) -> MessageOutcome {
        let correlation_id =
            string_attribute(message, CORRELATION_ID_ATTRIBUTE).unwrap_or("unknown");
        tracing::error!(
            correlation_id,
            reason,
            "unreadable process message; parking it in the DLQ"
        );
        match dead_letter::park(&self.sqs, &self.config.process_dlq_url, message, reason).await {
            Ok(()) => MessageOutcome::Parked,
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), "parking failed; will retry");
                MessageOutcome::Retry
            }
        }
    }
}

impl SqsBatchHandler for Processor {
    fn handle(&self, event: SqsEvent) -> BoxFuture<'_, anyhow::Result<SqsBatchResponse>> {
        Box::pin(async move {
            self.handle_batch(event)
                .await
                .map_err(|e| anyhow::anyhow!(e))
        })
    }
}
