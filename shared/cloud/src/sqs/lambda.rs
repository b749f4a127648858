//! The Lambda side of an SQS batch: the handler contract shared by the deployed functions and
//! the local event-source runner, message-attribute access, and partial batch responses.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use futures::future::BoxFuture;

/// Message attribute carrying the id that ties together every log line of a call's journey.
pub const CORRELATION_ID_ATTRIBUTE: &str = "correlation_id";
/// Message attribute carrying the tenant, set by the trusted producer of the message.
pub const TENANT_ATTRIBUTE: &str = "tenant";

/// A function that consumes SQS batches with `ReportBatchItemFailures`: it returns exactly the
/// ids of the messages that must be retried. An `Err` fails the whole batch (every message is
/// retried), which is what Lambda does when an invocation errors.
pub trait SqsBatchHandler: Send + Sync {
    fn handle(&self, event: SqsEvent) -> BoxFuture<'_, anyhow::Result<SqsBatchResponse>>;
}

/// A string message attribute of a record, if present.
pub fn string_attribute<'a>(message: &'a SqsMessage, name: &str) -> Option<&'a str> {
    message
        .message_attributes
        .get(name)
        .and_then(|a| a.string_value.as_deref())
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
