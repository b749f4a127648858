//! Sending messages to SQS in batches: chunks of 10 (SendMessageBatch's limit) within its
//! 256 KiB payload limit, bounded retries of entries that failed for the server's reasons, and a
//! report of every entry that still failed — nothing is dropped silently.

use std::time::Duration;

use anyhow::Context;
use aws_sdk_sqs::types::{MessageAttributeValue, SendMessageBatchRequestEntry};
use serde::Serialize;

use crate::sqs_batch::{CORRELATION_ID_ATTRIBUTE, TENANT_ATTRIBUTE};

const MAX_ENTRIES_PER_BATCH: usize = 10;
/// SendMessageBatch carries at most 256 KiB in all; keep a margin for attributes.
const MAX_BATCH_BYTES: usize = 240 * 1024;
const ATTEMPTS: u32 = 3;

/// One message to send; `id` identifies it in the report (unique within one call).
#[derive(Debug, Clone)]
pub struct OutgoingMessage<T> {
    pub id: String,
    pub body: T,
    pub tenant: String,
    pub correlation_id: String,
}

impl<T> OutgoingMessage<T> {
    pub fn new(
        id: String,
        body: T,
        tenant: &impl ToString,
        correlation_id: &impl ToString,
    ) -> Self {
        Self {
            id,
            body,
            tenant: tenant.to_string(),
            correlation_id: correlation_id.to_string(),
        }
    }
}

/// Entries that could not be sent, with the reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendReport {
    pub failed: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct QueueSender {
    sqs: aws_sdk_sqs::Client,
}

impl QueueSender {
    pub fn new(sqs: aws_sdk_sqs::Client) -> Self {
        Self { sqs }
    }

    /// Sends every message; returns the ones that could not be sent after retries. An `Err`
    /// means a request failed as a whole (every unsent message is then in the error's scope).
    pub async fn send_batch<T: Serialize>(
        &self,
        queue_url: &str,
        messages: &[OutgoingMessage<T>],
    ) -> anyhow::Result<SendReport> {
        let mut report = SendReport::default();
        let mut entries = Vec::with_capacity(messages.len());
        for (index, message) in messages.iter().enumerate() {
            match serde_json::to_string(&message.body) {
                Ok(body) => entries.push((index, body)),
                Err(e) => report.failed.push((
                    message.id.clone(),
                    format!("body cannot be serialised: {e}"),
                )),
            }
        }
        for chunk in chunks(&entries) {
            report
                .failed
                .extend(self.send_chunk(queue_url, messages, chunk).await?);
        }
        Ok(report)
    }

    async fn send_chunk<T>(
        &self,
        queue_url: &str,
        messages: &[OutgoingMessage<T>],
        chunk: &[(usize, String)],
    ) -> anyhow::Result<Vec<(String, String)>> {
        let mut pending: Vec<&(usize, String)> = chunk.iter().collect();
        let mut failed = Vec::new();
        for attempt in 1..=ATTEMPTS {
            let entries = pending
                .iter()
                .map(|(index, body)| entry(*index, body, &messages[*index]))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let output = self
                .sqs
                .send_message_batch()
                .queue_url(queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .with_context(|| format!("sending a batch to {queue_url}"))?;
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
                    failed.push((messages[item.0].id.clone(), reason));
                } else {
                    retry.push(*item);
                }
            }
            if retry.is_empty() {
                break;
            }
            pending = retry;
            tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
        }
        Ok(failed)
    }
}

/// Groups entries so each batch has at most 10 entries and stays under the payload limit.
fn chunks(entries: &[(usize, String)]) -> Vec<&[(usize, String)]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, (_, body)) in entries.iter().enumerate() {
        if i > start && (i - start == MAX_ENTRIES_PER_BATCH || bytes + body.len() > MAX_BATCH_BYTES)
        {
            out.push(&entries[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += body.len();
    }
    if start < entries.len() {
        out.push(&entries[start..]);
    }
    out
}

fn entry<T>(
    index: usize,
    body: &str,
    message: &OutgoingMessage<T>,
) -> anyhow::Result<SendMessageBatchRequestEntry> {
    SendMessageBatchRequestEntry::builder()
        .id(index.to_string())
        .message_body(body)
        .message_attributes(TENANT_ATTRIBUTE, string_attribute(&message.tenant)?)
        .message_attributes(
            CORRELATION_ID_ATTRIBUTE,
            string_attribute(&message.correlation_id)?,
        )
        .build()
        .context("building a batch entry")
}

fn string_attribute(value: &str) -> anyhow::Result<MessageAttributeValue> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .context("building an attribute")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_hold_at_most_ten_entries_and_stay_under_the_payload_limit() {
        let small: Vec<(usize, String)> = (0..25).map(|i| (i, "x".repeat(10))).collect();
        let sizes: Vec<usize> = chunks(&small).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [10, 10, 5]);
        let big: Vec<(usize, String)> = (0..4).map(|i| (i, "x".repeat(100 * 1024))).collect();
        let sizes: Vec<usize> = chunks(&big).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [2, 2]);
        assert!(chunks(&[]).is_empty());
    }
}
