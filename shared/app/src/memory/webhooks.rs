//! Webhook secrets, parked-delivery records and a webhook receiver in memory: the receiver
//! records every request and answers what the test scripted.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;
use callscope_core::domain::{TenantId, Timestamp};

use super::lock;
use crate::ports::{
    ParkedDeliveries, ParkedDelivery, SendError, SigningSecret, StoreError, StoredSecret,
    WebhookAnswer, WebhookRequest, WebhookSecrets, WebhookSender,
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

/// Parked-delivery records in memory, with a switch to make writes fail.
#[derive(Debug, Default)]
pub struct MemoryParked {
    records: Mutex<HashMap<(TenantId, String), ParkedDelivery>>,
    failing: AtomicBool,
}

impl MemoryParked {
    /// Makes every record fail (or work again).
    pub fn fail(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }
}

#[async_trait]
impl ParkedDeliveries for MemoryParked {
    async fn record(&self, tenant: &TenantId, parked: &ParkedDelivery) -> Result<(), StoreError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable {
                operation: "recording a parked delivery".into(),
                detail: "the memory store was told to fail".into(),
            });
        }
        lock(&self.records).insert((tenant.clone(), parked.event_id.clone()), parked.clone());
        Ok(())
    }

    async fn list(&self, tenant: &TenantId) -> Result<(Vec<ParkedDelivery>, bool), StoreError> {
        let parked = lock(&self.records)
            .iter()
            .filter(|((t, _), _)| t == tenant)
            .map(|(_, p)| p.clone())
            .collect();
        Ok((parked, false))
    }

    async fn forget(&self, tenant: &TenantId, event_id: &str) -> Result<(), StoreError> {
        lock(&self.records).remove(&(tenant.clone(), event_id.to_owned()));
        Ok(())
    }
}
