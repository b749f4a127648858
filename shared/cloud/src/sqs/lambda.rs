//! The Lambda side of an SQS batch: the handler contract shared by the deployed functions and
//! the local event-source runner, and the adapter that runs a use case through the one
//! consumer ([`callscope_app::consume`]) and answers with a partial batch response.

use std::sync::Arc;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use callscope_app::ports::{Attribute, DeadLetter, Received};
use callscope_app::{consume, Consume, Deadline};
use futures::future::BoxFuture;
use lambda_runtime::{service_fn, LambdaEvent};

use crate::telemetry::Telemetry;

/// A function that consumes SQS batches with `ReportBatchItemFailures`: it returns exactly the
/// ids of the messages that must be retried. An `Err` fails the whole batch (every message is
/// retried), which is what Lambda does when an invocation errors.
pub trait SqsBatchHandler: Send + Sync {
    fn handle(
        &self,
        event: SqsEvent,
    ) -> BoxFuture<'_, Result<SqsBatchResponse, lambda_runtime::Error>>;

    /// The batch within the invocation's `deadline`: what cannot be done before it is reported
    /// for retry. A handler with no notion of time takes the whole batch.
    fn handle_before(
        &self,
        event: SqsEvent,
        deadline: Deadline,
    ) -> BoxFuture<'_, Result<SqsBatchResponse, lambda_runtime::Error>> {
        let _ = deadline;
        self.handle(event)
    }
}

/// A use case wired to its queue's dead-letter queue, as a Lambda SQS handler.
#[derive(Debug)]
pub struct SqsConsumer<C> {
    use_case: C,
    dead_letter: Arc<dyn DeadLetter>,
}

impl<C: Consume> SqsConsumer<C> {
    pub fn new(use_case: C, dead_letter: Arc<dyn DeadLetter>) -> Self {
        Self {
            use_case,
            dead_letter,
        }
    }

    /// Handles one batch; never fails as a whole, so one bad message cannot fail its neighbours.
    /// What could not be done before `deadline` is reported for retry.
    pub async fn handle_batch(&self, event: SqsEvent, deadline: Deadline) -> SqsBatchResponse {
        let messages: Vec<Received> = event.records.iter().map(received_from).collect();
        let failed = consume(
            &self.use_case,
            self.dead_letter.as_ref(),
            &messages,
            deadline,
        )
        .await;
        batch_response(failed)
    }
}

impl<C: Consume> SqsBatchHandler for SqsConsumer<C> {
    fn handle(
        &self,
        event: SqsEvent,
    ) -> BoxFuture<'_, Result<SqsBatchResponse, lambda_runtime::Error>> {
        self.handle_before(event, Deadline::NONE)
    }

    fn handle_before(
        &self,
        event: SqsEvent,
        deadline: Deadline,
    ) -> BoxFuture<'_, Result<SqsBatchResponse, lambda_runtime::Error>> {
        Box::pin(async move { Ok(self.handle_batch(event, deadline).await) })
    }
}

/// Runs `consumer` as the function's Lambda handler until the sandbox ends: each SQS batch
/// through it before the invocation's deadline, answered with a partial batch response, with
/// logs and metrics from `telemetry`. The tail of every SQS function's composition root.
pub async fn run<H: SqsBatchHandler>(
    telemetry: Telemetry,
    consumer: H,
) -> Result<(), lambda_runtime::Error> {
    let consumer = &consumer;
    lambda_runtime::run(
        telemetry.wrap(service_fn(|event: LambdaEvent<SqsEvent>| async move {
            let deadline = Deadline::from_epoch_millis(event.context.deadline);
            consumer.handle_before(event.payload, deadline).await
        })),
    )
    .await
}

/// An SQS record as the use cases see it: id, body and the attributes that have a text value.
pub fn received_from(message: &SqsMessage) -> Received {
    Received {
        id: message.message_id.clone().unwrap_or_default(),
        body: message.body.clone(),
        attributes: message
            .message_attributes
            .iter()
            .filter_map(|(name, attribute)| {
                let value = attribute.string_value.clone()?;
                let data_type = attribute
                    .data_type
                    .clone()
                    .unwrap_or_else(|| "String".into());
                Some((name.clone(), Attribute { data_type, value }))
            })
            .collect(),
        sender_id: message.attributes.get("SenderId").cloned(),
        receive_count: message
            .attributes
            .get("ApproximateReceiveCount")
            .and_then(|count| count.parse().ok()),
    }
}

/// The partial batch response naming exactly `failed` message ids.
pub fn batch_response(failed: impl IntoIterator<Item = String>) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failed
        .into_iter()
        .map(|id| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect();
    response
}

/// The ids of the messages a response reports as failed.
pub fn failed_ids(response: &SqsBatchResponse) -> Vec<&str> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect()
}
