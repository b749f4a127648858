//! Parking a message that can never succeed in its queue's DLQ, with the reason attached.
//!
//! SQS moves a message to the DLQ only after `maxReceiveCount` failed receives and keeps no
//! reason. For input that is wrong (unreadable body, invalid call) retrying cannot help, so the
//! handler parks it at once: same body and attributes, plus a `failure_reason` attribute that an
//! operator reads before fixing and redriving it.

use anyhow::Context;
use aws_lambda_events::event::sqs::SqsMessage;
use aws_sdk_sqs::types::MessageAttributeValue;

pub const FAILURE_REASON_ATTRIBUTE: &str = "failure_reason";
/// SQS attribute values are limited in size along with the whole message; reasons are short.
const MAX_REASON_CHARS: usize = 1_000;

pub async fn park(
    sqs: &aws_sdk_sqs::Client,
    dlq_url: &str,
    message: &SqsMessage,
    reason: &str,
) -> anyhow::Result<()> {
    let reason: String = reason.chars().take(MAX_REASON_CHARS).collect();
    let mut send = sqs
        .send_message()
        .queue_url(dlq_url)
        .message_body(message.body.clone().unwrap_or_default())
        .message_attributes(FAILURE_REASON_ATTRIBUTE, string_value(&reason)?);
    for (name, attribute) in &message.message_attributes {
        if let Some(value) = &attribute.string_value {
            if name != FAILURE_REASON_ATTRIBUTE {
                send = send.message_attributes(name, string_value(value)?);
            }
        }
    }
    send.send()
        .await
        .with_context(|| format!("parking a message in {dlq_url}"))?;
    Ok(())
}

fn string_value(value: &str) -> anyhow::Result<MessageAttributeValue> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .context("building a message attribute")
}
