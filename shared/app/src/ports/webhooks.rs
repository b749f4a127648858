//! What webhook delivery needs from the outside: each tenant's signing secret, and an HTTP
//! client that POSTs one signed body and says what the receiver answered.

use std::time::Duration;

use async_trait::async_trait;
use callscope_core::domain::{TenantId, Timestamp};

use crate::ports::StoreError;

/// A tenant's webhook signing secret. Never printed: `Debug` shows no bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(String);

impl SigningSecret {
    pub fn new(secret: String) -> Self {
        Self(secret)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret(..)")
    }
}

/// The secret with when it was made.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSecret {
    pub secret: SigningSecret,
    pub created_at: Timestamp,
}

#[async_trait]
pub trait WebhookSecrets: Send + Sync + std::fmt::Debug {
    /// The tenant's current secret; `None` before the first rotation.
    async fn current(&self, tenant: &TenantId) -> Result<Option<StoredSecret>, StoreError>;

    /// Generates a new random secret in place of the tenant's current one (which stops signing
    /// at once) and returns it: the only time it leaves the store towards a client.
    async fn rotate(&self, tenant: &TenantId, at: Timestamp) -> Result<StoredSecret, StoreError>;
}

/// One POST as the sender makes it.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookRequest {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
    pub timeout: Duration,
}

/// What the receiver answered: its status and the first bytes of its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookAnswer {
    pub status: u16,
    pub body_start: String,
}

/// Why no answer came.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("the request failed: {0}")]
    Other(String),
}

#[async_trait]
pub trait WebhookSender: Send + Sync + std::fmt::Debug {
    /// POSTs the request; an answer of any status is `Ok`. Redirects are not followed.
    async fn post(&self, request: WebhookRequest) -> Result<WebhookAnswer, SendError>;
}

/// A delivery parked after its last attempt, as its tenant sees it: which event, why, when. The
/// event itself stays in the webhook DLQ, the truth an operator redrives from.
#[derive(Debug, Clone, PartialEq)]
pub struct ParkedDelivery {
    pub event_id: String,
    /// The event kind (`CallAnalysed`, `CallAlert`).
    pub kind: String,
    /// The call the event is about, when its detail names one.
    pub call_id: Option<String>,
    /// The receiver's last answer, or why no attempt could be made.
    pub reason: String,
    pub attempts: u32,
    pub parked_at: Timestamp,
}

/// The tenants' record of parked deliveries, kept beside the webhook DLQ so a tenant can see
/// its own (the DLQ holds every tenant's). A record goes when its event is delivered after all
/// (redriven) or when its DLQ message would (the queue's retention).
#[async_trait]
pub trait ParkedDeliveries: Send + Sync + std::fmt::Debug {
    async fn record(&self, tenant: &TenantId, parked: &ParkedDelivery) -> Result<(), StoreError>;

    /// The tenant's parked deliveries as read, in no order, up to a bound the store keeps its
    /// read cost within, and whether more were left unread.
    async fn list(&self, tenant: &TenantId) -> Result<(Vec<ParkedDelivery>, bool), StoreError>;

    /// The record of an event now delivered, if there is one (most delivered events have none,
    /// so this should cost a read, not a write, when there is nothing to forget).
    async fn forget(&self, tenant: &TenantId, event_id: &str) -> Result<(), StoreError>;
}
