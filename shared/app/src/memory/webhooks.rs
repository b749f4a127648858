//! Webhook secrets and a webhook receiver in memory: the receiver records every request and
//! answers what the test scripted.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use async_trait::async_trait;
use callscope_core::domain::{TenantId, Timestamp};

use super::lock;
use crate::ports::{
    SendError, SigningSecret, StoreError, StoredSecret, WebhookAnswer, WebhookRequest,
    WebhookSecrets, WebhookSender,
};

#[derive(Debug, Default)]
pub struct MemorySecrets {
    stored: Mutex<HashMap<TenantId, StoredSecret>>,
    rotations: Mutex<u32>,
}

#[async_trait]
impl WebhookSecrets for MemorySecrets {
    async fn current(&self, tenant: &TenantId) -> Result<Option<StoredSecret>, StoreError> {
        Ok(lock(&self.stored).get(tenant).cloned())
    }

    async fn rotate(&self, tenant: &TenantId, at: Timestamp) -> Result<StoredSecret, StoreError> {
        let mut rotations = lock(&self.rotations);
        *rotations += 1;
        let stored = StoredSecret {
            secret: SigningSecret::new(format!("whsec_test_{tenant}_{rotations}")),
            created_at: at,
        };
        lock(&self.stored).insert(tenant.clone(), stored.clone());
        Ok(stored)
    }
}

/// Answers each POST with the next scripted outcome (2xx once the script runs out).
#[derive(Debug, Default)]
pub struct MemoryReceiver {
    script: Mutex<VecDeque<Result<WebhookAnswer, SendError>>>,
    requests: Mutex<Vec<WebhookRequest>>,
}

impl MemoryReceiver {
    pub fn answer(&self, outcome: Result<WebhookAnswer, SendError>) {
        lock(&self.script).push_back(outcome);
    }

    pub fn requests(&self) -> Vec<WebhookRequest> {
        lock(&self.requests).clone()
    }
}

#[async_trait]
impl WebhookSender for MemoryReceiver {
    async fn post(&self, request: WebhookRequest) -> Result<WebhookAnswer, SendError> {
        lock(&self.requests).push(request);
        lock(&self.script).pop_front().unwrap_or(Ok(WebhookAnswer {
            status: 204,
            body_start: String::new(),
        }))
    }
}
