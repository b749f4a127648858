//! Erasure (tenant job) requests in memory, with the conditional page records the table makes.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;
use callscope_core::domain::TenantId;

use super::lock;
use crate::ports::{ErasureRequest, ErasureRequests, ErasureStatus, PageEnd, StoreError};

#[derive(Debug, Default)]
pub struct MemoryErasures {
    requests: Mutex<BTreeMap<(TenantId, String), ErasureRequest>>,
    unavailable: AtomicBool,
}

impl MemoryErasures {
    /// Every operation fails as an unreachable store would.
    pub fn set_unavailable(&self, unavailable: bool) {
        self.unavailable.store(unavailable, Ordering::SeqCst);
    }

    fn check_available(&self, operation: &str) -> Result<(), StoreError> {
        if self.unavailable.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable {
                operation: operation.into(),
                detail: "the in-memory store is switched off".into(),
            });
        }
        Ok(())
    }
}

#[async_trait]
impl ErasureRequests for MemoryErasures {
    async fn create(&self, request: &ErasureRequest) -> Result<(), StoreError> {
        self.check_available("storing an erasure request")?;
        let mut requests = lock(&self.requests);
        let key = (request.tenant.clone(), request.erasure_id.clone());
        if requests.contains_key(&key) {
            return Err(StoreError::Rejected {
                operation: "storing an erasure request".into(),
                reason: "the id is taken".into(),
            });
        }
        requests.insert(key, request.clone());
        Ok(())
    }

    async fn get(
        &self,
        tenant: &TenantId,
        erasure_id: &str,
    ) -> Result<Option<ErasureRequest>, StoreError> {
        self.check_available("reading an erasure request")?;
        Ok(lock(&self.requests)
            .get(&(tenant.clone(), erasure_id.to_owned()))
            .cloned())
    }

    async fn record_page(
        &self,
        tenant: &TenantId,
        erasure_id: &str,
        page: u32,
        erased: u64,
        skipped: u64,
        end: &PageEnd,
    ) -> Result<bool, StoreError> {
        self.check_available("recording an erasure page")?;
        let mut requests = lock(&self.requests);
        let Some(request) = requests.get_mut(&(tenant.clone(), erasure_id.to_owned())) else {
            return Ok(false);
        };
        if request.pages != page || request.status != ErasureStatus::Running {
            return Ok(false);
        }
        request.pages += 1;
        request.erased += erased;
        request.skipped += skipped;
        match end {
            PageEnd::More(cursor) => request.next_cursor = Some(cursor.clone()),
            PageEnd::Last(at) => {
                request.next_cursor = None;
                request.status = ErasureStatus::Done;
                request.finished_at = Some(*at);
            }
        }
        Ok(true)
    }

    async fn add_erased(
        &self,
        tenant: &TenantId,
        erasure_id: &str,
        page: u32,
        erased: u64,
    ) -> Result<bool, StoreError> {
        self.check_available("counting erased calls")?;
        let mut requests = lock(&self.requests);
        match requests.get_mut(&(tenant.clone(), erasure_id.to_owned())) {
            Some(request) if request.pages == page => {
                request.erased += erased;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn forget(&self, tenant: &TenantId, erasure_id: &str) -> Result<(), StoreError> {
        self.check_available("removing an erasure request")?;
        lock(&self.requests).remove(&(tenant.clone(), erasure_id.to_owned()));
        Ok(())
    }
}
