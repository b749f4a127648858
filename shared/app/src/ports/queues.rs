//! The queue ports: publishing messages to the next stage, and parking messages that can never
//! succeed in a dead-letter queue with their reason.

use std::collections::BTreeMap;

use async_trait::async_trait;
use callscope_core::domain::{CorrelationId, TenantId};
use serde::Serialize;

/// Message attribute carrying the id that ties together every log line of a call's journey.
pub const CORRELATION_ID_ATTRIBUTE: &str = "correlation_id";
/// Message attribute carrying the tenant, set by the trusted producer of the message.
pub const TENANT_ATTRIBUTE: &str = "tenant";
/// Message attribute a parked message carries: why it was parked.
pub const FAILURE_REASON_ATTRIBUTE: &str = "failure_reason";

/// A message attribute: SQS's data type (`String`, `Number`, …) and its value as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub data_type: String,
    pub value: String,
}

/// A message as a consumer received it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Received {
    /// Unique within its batch; the batch response names failed messages by it.
    pub id: String,
    pub body: Option<String>,
    pub attributes: BTreeMap<String, Attribute>,
    /// Who sent it, as SQS records it (`SenderId`: an IAM unique id, `:session` for roles).
    pub sender_id: Option<String>,
    /// How many times it has been received, this time included (`ApproximateReceiveCount`).
    pub receive_count: Option<u32>,
}

impl Received {
    /// A text attribute's value, if present.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.get(name).map(|a| a.value.as_str())
    }
}

/// One message to publish; `id` names it in the report (unique within one publish).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    pub id: String,
    /// The JSON body.
    pub body: String,
    pub tenant: TenantId,
    pub correlation_id: CorrelationId,
}

/// Messages that were not sent, with the reason, by id. Empty means every message was sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendReport {
    pub failed: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} failed: {detail}")]
pub struct QueueError {
    pub operation: String,
    pub detail: String,
}

/// A queue to send to, bound to its destination.
#[async_trait]
pub trait Publisher: Send + Sync + std::fmt::Debug {
    /// Sends every message, retrying what the queue failed on its side; reports each message
    /// that still could not be sent. Never drops one silently.
    async fn publish(&self, messages: Vec<OutgoingMessage>) -> SendReport;
}

/// A dead-letter queue to park messages in.
#[async_trait]
pub trait DeadLetter: Send + Sync + std::fmt::Debug {
    /// Stores the message (same body and attributes) with `reason` as its
    /// [`FAILURE_REASON_ATTRIBUTE`].
    async fn park(&self, message: &Received, reason: &str) -> Result<(), QueueError>;
}

/// Publishes one message per item and says, in the order given, whether each was sent. An item
/// whose body cannot be serialised is not sent.
pub async fn publish_each<T: Serialize>(
    publisher: &dyn Publisher,
    items: &[(&T, &TenantId, &CorrelationId)],
) -> Vec<bool> {
    let mut sent = vec![false; items.len()];
    let mut messages = Vec::with_capacity(items.len());
    for (index, (body, tenant, correlation_id)) in items.iter().enumerate() {
        match serde_json::to_string(body) {
            Ok(body) => messages.push(OutgoingMessage {
                id: index.to_string(),
                body,
                tenant: (*tenant).clone(),
                correlation_id: (*correlation_id).clone(),
            }),
            Err(error) => {
                tracing::error!(%correlation_id, %error, "message body cannot be serialised")
            }
        }
    }
    for message in &messages {
        if let Ok(index) = message.id.parse::<usize>() {
            sent[index] = true;
        }
    }
    if messages.is_empty() {
        return sent;
    }
    let report = publisher.publish(messages).await;
    for (id, reason) in report.failed {
        tracing::warn!(reason, "a message could not be sent");
        if let Some(flag) = id.parse::<usize>().ok().and_then(|i| sent.get_mut(i)) {
            *flag = false;
        }
    }
    sent
}
