//! Webhook delivery (stage webhooks): each `CallAnalysed` / `CallAlert` event the bus's rule
//! puts on the webhook queue is POSTed, signed, to the endpoint its tenant set for that kind.
//!
//! A receiver that fails (non-2xx, timeout, refused connection) is retried with exponential
//! backoff: the message goes back to the queue and the function's adapter hides it for
//! [`RetryPolicy::delay_after`] of its receive count. After [`RetryPolicy::max_attempts`] it is
//! parked in the webhook DLQ with the receiver's last answer as its reason, where an operator
//! reads and redrives it (`callscope webhooks`); the tenant's record of it
//! ([`ParkedDeliveries`]) lets the tenant see its own (`GET /api/v1/webhooks/parked`) until
//! the event is delivered after all or its DLQ message expires. The queue sits between the bus and the
//! receiver, so a slow or dead receiver holds only its own messages, never the pipeline.

pub mod signature;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use callscope_core::domain::TenantId;
use callscope_core::settings::{endpoint, EndpointPolicy, EVENT_KINDS};
use futures::future::join_all;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::ports::{
    Clock, ParkedDeliveries, ParkedDelivery, Received, SendError, StoreError, WebhookAnswer,
    WebhookRequest, WebhookSecrets, WebhookSender,
};
use crate::settings::SettingsCache;
use crate::{Consume, Deadline, Disposition, Refusal, UnreadableMessage};

/// Bytes of a receiver's answer kept in a parked message's reason.
const ANSWER_BYTES: usize = 200;

/// How often and how patiently a delivery is tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts before the event is parked (the first one included).
    pub max_attempts: u32,
    /// The wait after the first failed attempt; doubled after each further one.
    pub base_delay: Duration,
    /// The longest wait between two attempts.
    pub max_delay: Duration,
    /// How long one POST may take.
    pub timeout: Duration,
}

impl RetryPolicy {
    /// How long the message stays hidden after failing on receive `receive` (1 = the first).
    pub fn delay_after(&self, receive: u32) -> Duration {
        let doublings = receive.saturating_sub(1).min(31);
        self.base_delay
            .saturating_mul(1_u32 << doublings)
            .min(self.max_delay)
    }
}

/// One event to deliver, read from the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEvent {
    /// The event kind (EventBridge `detail-type`).
    pub kind: String,
    pub tenant: TenantId,
    pub event_id: String,
    /// The call the event is about, when its detail names one.
    pub call_id: Option<String>,
    /// The event's `detail` exactly as published: the body the receiver gets and the signature
    /// covers.
    pub body: String,
    /// This receive's number (`ApproximateReceiveCount`), 1 for the first.
    pub receive: u32,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "detail-type")]
    detail_type: String,
    /// EventBridge's own id: the event id of a kind whose detail has none.
    id: Option<String>,
    #[serde(borrow)]
    detail: &'a RawValue,
}

#[derive(Deserialize)]
struct DetailHead {
    tenant: String,
    event_id: Option<String>,
    call_id: Option<String>,
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The receiver answered 2xx.
    Delivered(WebhookAnswer),
    /// The tenant set no endpoint for the kind: nothing to deliver.
    NoEndpoint,
    /// Worth another attempt: the receiver's answer or why none came.
    Failed(String),
    /// Another attempt cannot help until someone changes something (no secret, a stored
    /// endpoint this deployment may not call).
    Refused(String),
}

/// The use case: the tenant's settings (through the function's cache), its secret, a sender.
#[derive(Debug, Clone)]
pub struct DeliverWebhooks {
    settings: SettingsCache,
    secrets: Arc<dyn WebhookSecrets>,
    parked: Arc<dyn ParkedDeliveries>,
    sender: Arc<dyn WebhookSender>,
    clock: Arc<dyn Clock>,
    policy: EndpointPolicy,
    retry: RetryPolicy,
}

impl DeliverWebhooks {
    pub fn new(
        settings: SettingsCache,
        secrets: Arc<dyn WebhookSecrets>,
        parked: Arc<dyn ParkedDeliveries>,
        sender: Arc<dyn WebhookSender>,
        clock: Arc<dyn Clock>,
        policy: EndpointPolicy,
        retry: RetryPolicy,
    ) -> Self {
        Self {
            settings,
            secrets,
            parked,
            sender,
            clock,
            policy,
            retry,
        }
    }

    pub fn retry(&self) -> RetryPolicy {
        self.retry
    }

    /// One signed POST of `body` to the tenant's endpoint for `kind`.
    pub async fn attempt(
        &self,
        tenant: &TenantId,
        kind: &str,
        event_id: &str,
        body: &str,
    ) -> Attempt {
        let config = match self.settings.get(tenant).await {
            Ok(config) => config,
            Err(e) => return Attempt::Failed(unavailable("the tenant's settings", &e)),
        };
        let Some(url) = config.settings.webhooks.endpoint(kind) else {
            return Attempt::NoEndpoint;
        };
        let url = match endpoint(url, self.policy) {
            Ok(url) => url,
            Err(rule) => {
                return Attempt::Refused(format!(
                    "the {kind} endpoint {rule}; change it (PUT /api/v1/settings/webhooks), then redrive"
                ))
            }
        };
        let shown = shown(&url);
        let secret = match self.secrets.current(tenant).await {
            Ok(Some(stored)) => stored.secret,
            Ok(None) => {
                return Attempt::Refused(
                    "the tenant has no webhook signing secret; create one (POST /api/v1/settings/webhooks/secret), then redrive".into(),
                )
            }
            Err(e) => return Attempt::Failed(unavailable("the tenant's signing secret", &e)),
        };
        let timestamp = self.clock.now().time().timestamp();
        let request = WebhookRequest {
            url: url.to_string(),
            headers: vec![
                ("content-type", "application/json".into()),
                (
                    signature::SIGNATURE_HEADER,
                    signature::sign(&secret, timestamp, body),
                ),
                ("callscope-event-id", event_id.to_owned()),
                ("callscope-event-kind", kind.to_owned()),
            ],
            body: body.to_owned(),
            timeout: self.retry.timeout,
        };
        match self.sender.post(request).await {
            Ok(answer) if (200..300).contains(&answer.status) => Attempt::Delivered(answer),
            Ok(answer) => Attempt::Failed(format!(
                "{shown} answered HTTP {}: {}",
                answer.status,
                clip(&answer.body_start)
            )),
            Err(error @ (SendError::Timeout(_) | SendError::Connect(_) | SendError::Other(_))) => {
                Attempt::Failed(format!("{shown}: {error}"))
            }
        }
    }

    async fn deliver(&self, event: &WebhookEvent, deadline: Deadline) -> Disposition {
        if !deadline.allows_more_work() {
            return Disposition::Retry;
        }
        let attempt = self
            .attempt(&event.tenant, &event.kind, &event.event_id, &event.body)
            .await;
        let reason = match attempt {
            Attempt::Delivered(_) => {
                self.forget_parked(event).await;
                return Disposition::Done;
            }
            Attempt::NoEndpoint => return Disposition::Done,
            Attempt::Refused(reason) => reason,
            Attempt::Failed(reason) if event.receive >= self.retry.max_attempts => format!(
                "attempt {} of {} failed: {reason}",
                event.receive, self.retry.max_attempts
            ),
            Attempt::Failed(reason) => {
                tracing::warn!(
                    event_id = %event.event_id,
                    attempt = event.receive,
                    reason = %reason,
                    "webhook delivery failed; retrying later"
                );
                return Disposition::Retry;
            }
        };
        self.record_parked(event, &reason).await;
        Disposition::Park(Refusal::Webhook(reason))
    }

    /// A delivered event's record, if it was parked before and redriven since.
    async fn forget_parked(&self, event: &WebhookEvent) {
        if let Err(error) = self.parked.forget(&event.tenant, &event.event_id).await {
            tracing::warn!(
                event_id = %event.event_id,
                %error,
                "forgetting the delivered event's parked record failed; it goes with its TTL"
            );
        }
    }

    /// The tenant's record of a delivery about to be parked. The DLQ message is the delivery
    /// itself: a record that cannot be written is logged, never a reason to keep retrying.
    async fn record_parked(&self, event: &WebhookEvent, reason: &str) {
        let parked = ParkedDelivery {
            event_id: event.event_id.clone(),
            kind: event.kind.clone(),
            call_id: event.call_id.clone(),
            reason: reason.to_owned(),
            attempts: event.receive,
            parked_at: self.clock.now(),
        };
        if let Err(error) = self.parked.record(&event.tenant, &parked).await {
            tracing::warn!(
                event_id = %event.event_id,
                %error,
                "recording the parked delivery for its tenant failed; it is parked in the DLQ"
            );
        }
    }
}

/// The endpoint as a reason shows it: without its query, which may carry a receiver's token.
fn shown(url: &url::Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.to_string()
}

fn clip(text: &str) -> String {
    let clipped: String = text.chars().take(ANSWER_BYTES).collect();
    if clipped.len() < text.len() {
        format!("{clipped}…")
    } else {
        clipped
    }
}

fn unavailable(what: &str, error: &StoreError) -> String {
    format!("{what} could not be read: {error}")
}

#[async_trait]
impl Consume for DeliverWebhooks {
    type Message = WebhookEvent;

    const QUEUE: &'static str = "webhook";

    fn read(&self, message: &Received) -> Result<WebhookEvent, Refusal> {
        let raw = message.body.as_deref().ok_or(UnreadableMessage::NoBody)?;
        let envelope: Envelope<'_> =
            serde_json::from_str(raw).map_err(|e| UnreadableMessage::NotJson {
                expected: "an EventBridge event",
                detail: e.to_string(),
            })?;
        if !EVENT_KINDS.contains(&envelope.detail_type.as_str()) {
            return Err(Refusal::Webhook(format!(
                "detail-type {:?} is not a webhook event kind ({})",
                envelope.detail_type,
                EVENT_KINDS.join(", ")
            )));
        }
        let body = envelope.detail.get().to_owned();
        let head: DetailHead = serde_json::from_str(&body)
            .map_err(|e| Refusal::Webhook(format!("the event's detail has no tenant: {e}")))?;
        let tenant = TenantId::parse("detail.tenant", head.tenant)?;
        let event_id = head
            .event_id
            .or(envelope.id)
            .ok_or_else(|| Refusal::Webhook("the event has no event_id nor id".into()))?;
        Ok(WebhookEvent {
            kind: envelope.detail_type,
            tenant,
            event_id,
            call_id: head.call_id,
            body,
            receive: message.receive_count.unwrap_or(1).max(1),
        })
    }

    async fn handle(&self, batch: &[WebhookEvent], deadline: Deadline) -> Vec<Disposition> {
        // Each delivery waits on its own receiver: one slow endpoint holds no other.
        join_all(batch.iter().map(|event| self.deliver(event, deadline))).await
    }
}

#[cfg(test)]
mod tests;
