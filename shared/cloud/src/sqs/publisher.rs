//! Publishing to one SQS queue: SendMessageBatch in chunks of 10 within its 256 KiB payload
//! limit, bounded retries of entries that failed for the server's reasons, and a report of
//! every entry that still failed — nothing is dropped silently.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::types::{MessageAttributeValue, SendMessageBatchRequestEntry};
use callscope_app::ports::{
    OutgoingMessage, Publisher, SendReport, CORRELATION_ID_ATTRIBUTE, TENANT_ATTRIBUTE,
};
use futures::stream::{self, StreamExt};

use super::queue_error;
use crate::backoff;

const MAX_ENTRIES_PER_BATCH: usize = 10;
/// SendMessageBatch carries at most 256 KiB in all; keep a margin for attributes.
const MAX_BATCH_BYTES: usize = 240 * 1024;
const ATTEMPTS: u32 = 3;
/// Retry delays: drawn under 50 ms · 2^attempt, at most 1 s.
const RETRY_BASE: Duration = Duration::from_millis(25);
const RETRY_CAP: Duration = Duration::from_secs(1);
/// SendMessageBatch requests in flight at once.
const SEND_CONCURRENCY: usize = 8;

#[derive(Debug, Clone)]
pub struct SqsPublisher {
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsPublisher {
    pub fn new(sqs: aws_sdk_sqs::Client, queue_url: String) -> Self {
        Self { sqs, queue_url }
    }

    /// Sends one chunk; returns the entries that still failed, with the reason.
    async fn send_chunk(&self, chunk: &[OutgoingMessage]) -> Vec<(String, String)> {
        let mut pending: Vec<(usize, &OutgoingMessage)> = chunk.iter().enumerate().collect();
        let mut failed = Vec::new();
        for attempt in 1..=ATTEMPTS {
            let entries: Result<Vec<_>, _> = pending
                .iter()
                .map(|(index, message)| entry(*index, message))
                .collect();
            let output = match entries {
                Ok(entries) => {
                    self.sqs
                        .send_message_batch()
                        .queue_url(&self.queue_url)
                        .set_entries(Some(entries))
                        .send()
                        .await
                }
                Err(error) => {
                    let reason = format!("building the batch: {error}");
                    return all_failed(&pending, &reason);
                }
            };
            let output = match output {
                Ok(output) => output,
                Err(error) => {
                    let error =
                        queue_error(format!("sending a batch to {}", self.queue_url), error);
                    return all_failed(&pending, &error.to_string());
                }
            };
            let mut retry = Vec::new();
            for error in output.failed {
                let Some(item) = pending
                    .iter()
                    .find(|(index, _)| index.to_string() == error.id)
                else {
                    continue;
                };
                let reason = format!("{}: {}", error.code, error.message.unwrap_or_default());
                // Sender faults (bad input) will fail again; only the server's are retried.
                if error.sender_fault || attempt == ATTEMPTS {
                    failed.push((item.1.id.clone(), reason));
                } else {
                    retry.push(*item);
                }
            }
            if retry.is_empty() {
                break;
            }
            pending = retry;
            // Full jitter: senders throttled together do not retry in lockstep.
            backoff::sleep(RETRY_BASE, attempt, RETRY_CAP).await;
        }
        failed
    }
}

fn all_failed(pending: &[(usize, &OutgoingMessage)], reason: &str) -> Vec<(String, String)> {
    pending
        .iter()
        .map(|(_, m)| (m.id.clone(), reason.to_owned()))
        .collect()
}

#[async_trait]
impl Publisher for SqsPublisher {
    /// Sends the batches of 10 concurrently (a 1,000-call bulk request is 100 of them).
    async fn publish(&self, messages: Vec<OutgoingMessage>) -> SendReport {
        let sends: Vec<_> = chunks(&messages)
            .into_iter()
            .map(|chunk| self.send_chunk(chunk))
            .collect();
        let failed: Vec<Vec<(String, String)>> = stream::iter(sends)
            .buffer_unordered(SEND_CONCURRENCY)
            .collect()
            .await;
        SendReport {
            failed: failed.into_iter().flatten().collect(),
        }
    }
}

/// Groups messages so each batch has at most 10 entries and stays under the payload limit.
fn chunks(messages: &[OutgoingMessage]) -> Vec<&[OutgoingMessage]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, message) in messages.iter().enumerate() {
        if i > start
            && (i - start == MAX_ENTRIES_PER_BATCH || bytes + message.body.len() > MAX_BATCH_BYTES)
        {
            out.push(&messages[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += message.body.len();
    }
    if start < messages.len() {
        out.push(&messages[start..]);
    }
    out
}

fn entry(
    index: usize,
    message: &OutgoingMessage,
) -> Result<SendMessageBatchRequestEntry, aws_sdk_sqs::error::BuildError> {
    SendMessageBatchRequestEntry::builder()
        .id(index.to_string())
        .message_body(&message.body)
        .message_attributes(TENANT_ATTRIBUTE, string_attribute(message.tenant.as_str())?)
        .message_attributes(
            CORRELATION_ID_ATTRIBUTE,
            string_attribute(message.correlation_id.as_str())?,
        )
        .build()
}

fn string_attribute(value: &str) -> Result<MessageAttributeValue, aws_sdk_sqs::error::BuildError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use callscope_core::domain::{CorrelationId, TenantId};

    fn message(bytes: usize) -> OutgoingMessage {
        OutgoingMessage {
            id: "m".into(),
            body: "x".repeat(bytes),
            tenant: TenantId::parse("tenant", "acme").expect("tenant"),
            correlation_id: CorrelationId::parse("correlation_id", "c").expect("id"),
        }
    }

    #[test]
    fn batches_hold_at_most_ten_entries_and_stay_under_the_payload_limit() {
        let small: Vec<_> = (0..25).map(|_| message(10)).collect();
        let sizes: Vec<usize> = chunks(&small).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [10, 10, 5]);
        let big: Vec<_> = (0..4).map(|_| message(100 * 1024)).collect();
        let sizes: Vec<usize> = chunks(&big).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [2, 2]);
        assert!(chunks(&[]).is_empty());
    }
}
