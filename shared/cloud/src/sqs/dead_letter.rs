//! Parking a message that can never succeed in its queue's DLQ, with the reason attached.
//!
//! SQS moves a message to the DLQ only after `maxReceiveCount` failed receives and keeps no
//! reason. For input that is wrong (unreadable body, invalid call) retrying cannot help, so the
//! handler parks it at once: same body and attributes, plus a `failure_reason` attribute that an
//! operator reads (`callscope dlq peek`) before fixing and redriving it (`callscope dlq redrive`).

use anyhow::Context;
use async_trait::async_trait;
use aws_sdk_sqs::types::{Message, MessageAttributeValue, MessageSystemAttributeName};
use callscope_app::intake::ORIGINAL_SENDER_ATTRIBUTE;
use callscope_app::ports::{DeadLetter, QueueError, Received, FAILURE_REASON_ATTRIBUTE};

use super::queue_error;

/// SQS attribute values are limited in size along with the whole message; reasons are short.
const MAX_REASON_CHARS: usize = 1_000;

/// One dead-letter queue.
#[derive(Debug, Clone)]
pub struct SqsDeadLetter {
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsDeadLetter {
    pub fn new(sqs: aws_sdk_sqs::Client, queue_url: String) -> Self {
        Self { sqs, queue_url }
    }
}

#[async_trait]
impl DeadLetter for SqsDeadLetter {
    async fn park(&self, message: &Received, reason: &str) -> Result<(), QueueError> {
        let operation = || format!("parking a message in {}", self.queue_url);
        let reason: String = reason.chars().take(MAX_REASON_CHARS).collect();
        let attribute = |data_type: &str, value: &str| {
            MessageAttributeValue::builder()
                .data_type(data_type)
                .string_value(value)
                .build()
                .map_err(|e| queue_error(operation(), e))
        };
        let mut send = self
            .sqs
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(message.body.clone().unwrap_or_default())
            .message_attributes(FAILURE_REASON_ATTRIBUTE, attribute("String", &reason)?);
        for (name, value) in &message.attributes {
            if name != FAILURE_REASON_ATTRIBUTE {
                send = send.message_attributes(name, attribute(&value.data_type, &value.value)?);
            }
        }
        send.send().await.map_err(|e| queue_error(operation(), e))?;
        Ok(())
    }
}

/// What a redrive did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RedriveReport {
    pub moved: usize,
}

/// A parked message, for an operator to read before redriving.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ParkedMessage {
    pub message_id: String,
    pub failure_reason: Option<String>,
    pub receive_count: Option<String>,
    /// When SQS first accepted it (ms since the epoch): a message SQS moved here keeps its
    /// first enqueue time; one a handler parked has the time it was parked.
    pub sent_at_ms: Option<i64>,
    pub body: String,
}

/// Up to `limit` messages of a DLQ, left in place: each is hidden while the scan goes on (so it
/// is listed once) and made visible again at the end.
pub async fn peek(
    sqs: &aws_sdk_sqs::Client,
    dlq_url: &str,
    limit: usize,
) -> anyhow::Result<Vec<ParkedMessage>> {
    let mut parked = Vec::new();
    let mut receipts = Vec::new();
    while parked.len() < limit {
        let batch = receive(sqs, dlq_url, limit - parked.len(), 60).await?;
        if batch.is_empty() {
            break;
        }
        for m in batch {
            receipts.extend(m.receipt_handle.clone());
            parked.push(ParkedMessage {
                message_id: m.message_id.clone().unwrap_or_default(),
                failure_reason: m
                    .message_attributes
                    .as_ref()
                    .and_then(|a| a.get(FAILURE_REASON_ATTRIBUTE))
                    .and_then(|v| v.string_value.clone()),
                receive_count: m
                    .attributes
                    .as_ref()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .cloned(),
                sent_at_ms: m
                    .attributes
                    .as_ref()
                    .and_then(|a| a.get(&MessageSystemAttributeName::SentTimestamp))
                    .and_then(|t| t.parse().ok()),
                body: m.body.unwrap_or_default(),
            });
        }
    }
    make_visible(
        sqs,
        dlq_url,
        receipts,
        "making a peeked message visible again",
    )
    .await?;
    Ok(parked)
}

/// Moves up to `limit` messages from a DLQ back to the queue they failed on, with their
/// attributes but without the failure reason. Each is sent before it is deleted, so an
/// interruption can duplicate a message (the handlers are idempotent) but never lose one.
/// Works where `StartMessageMoveTask` does not (moto) and with any source queue.
pub async fn redrive(
    sqs: &aws_sdk_sqs::Client,
    dlq_url: &str,
    target_url: &str,
    limit: usize,
) -> anyhow::Result<RedriveReport> {
    redrive_where(sqs, dlq_url, target_url, limit, |_| true).await
}

/// [`redrive`] of the messages `select` picks; the others stay parked (visible again once the
/// redrive is done).
pub async fn redrive_where(
    sqs: &aws_sdk_sqs::Client,
    dlq_url: &str,
    target_url: &str,
    limit: usize,
    select: impl Fn(&Message) -> bool,
) -> anyhow::Result<RedriveReport> {
    let mut report = RedriveReport::default();
    let mut kept = Vec::new();
    while report.moved < limit {
        let batch = receive(sqs, dlq_url, limit - report.moved, 60).await?;
        if batch.is_empty() {
            break;
        }
        for message in batch {
            if !select(&message) {
                kept.push(message.receipt_handle.unwrap_or_default());
                continue;
            }
            let mut send = sqs
                .send_message()
                .queue_url(target_url)
                .message_body(message.body.clone().unwrap_or_default());
            for (name, value) in message.message_attributes.iter().flatten() {
                if name != FAILURE_REASON_ATTRIBUTE {
                    send = send.message_attributes(name, value.clone());
                }
            }
            if let Some(original) = original_sender(&message) {
                send = send.message_attributes(ORIGINAL_SENDER_ATTRIBUTE, original);
            }
            send.send()
                .await
                .with_context(|| format!("sending a parked message back to {target_url}"))?;
            sqs.delete_message()
                .queue_url(dlq_url)
                .receipt_handle(message.receipt_handle.unwrap_or_default())
                .send()
                .await
                .with_context(|| format!("deleting a redriven message from {dlq_url}"))?;
            report.moved += 1;
        }
    }
    make_visible(sqs, dlq_url, kept, "leaving a parked message").await?;
    Ok(report)
}

/// For a message SQS moved here itself (no `original_sender` yet): its `SenderId`, its producer,
/// so the intake binding still knows who sent it once it comes back from this redrive.
fn original_sender(message: &Message) -> Option<MessageAttributeValue> {
    let recorded = message
        .message_attributes
        .as_ref()
        .is_some_and(|a| a.contains_key(ORIGINAL_SENDER_ATTRIBUTE));
    let sender = message
        .attributes
        .as_ref()?
        .get(&MessageSystemAttributeName::SenderId)?;
    (!recorded)
        .then(|| {
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(sender)
                .build()
                .ok()
        })
        .flatten()
}

/// Makes the received messages of `receipts` visible again at once; `doing` names the step in
/// the error (`… in {dlq_url}`).
async fn make_visible(
    sqs: &aws_sdk_sqs::Client,
    dlq_url: &str,
    receipts: Vec<String>,
    doing: &str,
) -> anyhow::Result<()> {
    for receipt in receipts {
        sqs.change_message_visibility()
            .queue_url(dlq_url)
            .receipt_handle(receipt)
            .visibility_timeout(0)
            .send()
            .await
            .with_context(|| format!("{doing} in {dlq_url}"))?;
    }
    Ok(())
}

async fn receive(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    up_to: usize,
    hide_seconds: i32,
) -> anyhow::Result<Vec<aws_sdk_sqs::types::Message>> {
    let output = sqs
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(up_to.clamp(1, 10) as i32)
        .visibility_timeout(hide_seconds)
        .wait_time_seconds(1)
        .message_attribute_names("All")
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .with_context(|| format!("receiving from {queue_url}"))?;
    Ok(output.messages.unwrap_or_default())
}
