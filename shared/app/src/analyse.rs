//! The analyse use case (the process function): analyses each stored call named by a
//! process-queue message, stores the analysis (PROCESSED) and emits a `CallAnalysed` event to
//! the analytics queue.
//!
//! Messages of a batch are analysed concurrently and independently; a message is done only once
//! its event was sent. Storing is idempotent (the analysis is deterministic), so a redelivered
//! message writes the same analysis again and re-emits the event, which aggregate counts once.

use std::sync::Arc;

use async_trait::async_trait;
use callscope_core::analysis::Analyzer;
use callscope_core::pipeline::{CallAnalysed, ProcessCall};
use callscope_core::similarity::Signature;
use futures::stream::{self, StreamExt};
use tracing::Instrument;

use crate::consumer::{read_json, Consume, Disposition, Refusal};
use crate::ports::{publish_each, CallRepository, Clock, ProcessedCall, Publisher, Received};

/// Calls of one batch analysed at once: loads and stores overlap while the CPU analyses.
const ANALYSIS_CONCURRENCY: usize = 4;

#[derive(Debug, Clone)]
pub struct AnalyseCalls {
    calls: Arc<dyn CallRepository>,
    analytics_queue: Arc<dyn Publisher>,
    clock: Arc<dyn Clock>,
    analyzer: Arc<Analyzer>,
}

impl AnalyseCalls {
    pub fn new(
        calls: Arc<dyn CallRepository>,
        analytics_queue: Arc<dyn Publisher>,
        clock: Arc<dyn Clock>,
        analyzer: Arc<Analyzer>,
    ) -> Self {
        Self {
            calls,
            analytics_queue,
            clock,
            analyzer,
        }
    }

    /// Analyses and stores one call; its event when done, `None` to retry.
    async fn analyse(&self, request: &ProcessCall) -> Option<CallAnalysed> {
        let stored = match self.calls.load(&request.tenant, &request.call_id).await {
            Ok(Some(stored)) => stored,
            Ok(None) => {
                // Ingest writes the call before it sends this message, so a missing call is not a
                // race; retrying lets SQS move the message to the DLQ after maxReceiveCount.
                tracing::error!(
                    reason = "call not found",
                    "cannot process call; will retry until the DLQ"
                );
                return None;
            }
            Err(error) => {
                tracing::warn!(%error, "loading the call failed; will retry");
                return None;
            }
        };
        // Ingest redacted the transcript before storing it; the counts it found travel with it.
        let analysis = self.analyzer.analyze(
            &stored.call.utterances,
            Some(stored.call.duration_seconds),
            stored.redactions,
        );
        let signature = Signature::of(&stored.call.utterances);
        let processed = ProcessedCall {
            tenant: &request.tenant,
            call_id: &request.call_id,
            analysis: &analysis,
            signature: &signature,
            processed_at: self.clock.now(),
        };
        let stored_analysis = self.calls.store_analysis(&processed).await;
        if let Err(error) = stored_analysis {
            tracing::warn!(%error, "storing the analysis failed; will retry");
            return None;
        }
        tracing::info!(score = analysis.score, "call analysed");
        Some(CallAnalysed::new(
            request.tenant.clone(),
            &stored.call,
            &analysis,
            request.correlation_id.clone(),
        ))
    }
}

#[async_trait]
impl Consume for AnalyseCalls {
    type Message = ProcessCall;

    fn read(&self, message: &Received) -> Result<ProcessCall, Refusal> {
        read_json(message, "a process request")
    }

    async fn handle(&self, batch: &[ProcessCall]) -> Vec<Disposition> {
        // The futures are built before they are streamed: a closure inside the stream would
        // need to be general over lifetimes, which `Send` inference cannot prove here.
        let analyses: Vec<_> = batch
            .iter()
            .map(|request| {
                let span = tracing::info_span!(
                    "process_call",
                    correlation_id = %request.correlation_id,
                    call_id = %request.call_id,
                    tenant = %request.tenant,
                );
                self.analyse(request).instrument(span)
            })
            .collect();
        let events: Vec<Option<CallAnalysed>> = stream::iter(analyses)
            .buffered(ANALYSIS_CONCURRENCY)
            .collect()
            .await;
        let analysed: Vec<&CallAnalysed> = events.iter().flatten().collect();
        let items: Vec<_> = analysed
            .iter()
            .map(|e| (*e, &e.tenant, &e.correlation_id))
            .collect();
        let mut sent = publish_each(self.analytics_queue.as_ref(), &items)
            .await
            .into_iter();
        events
            .iter()
            .map(|event| match event {
                Some(_) if sent.next() == Some(true) => Disposition::Done,
                _ => Disposition::Retry,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
