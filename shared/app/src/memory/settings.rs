//! Settings in memory, with a switch to make loads fail and a count of loads (what the
//! per-function cache saves).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;
use callscope_core::domain::{TenantId, Timestamp};
use callscope_core::settings::{SectionValue, TenantSettings};

use super::lock;
use crate::ports::{SettingsStore, SettingsWriteError, StoreError, StoredSettings};

#[derive(Debug, Default)]
pub struct MemorySettings {
    stored: Mutex<HashMap<TenantId, StoredSettings>>,
    loads: AtomicUsize,
    failing: AtomicBool,
}

impl MemorySettings {
    /// Loads made so far.
    pub fn loads(&self) -> usize {
        self.loads.load(Ordering::SeqCst)
    }

    /// Makes every load fail (or work again).
    pub fn fail(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }
}

#[async_trait]
impl SettingsStore for MemorySettings {
    async fn load(&self, tenant: &TenantId) -> Result<Option<StoredSettings>, StoreError> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        if self.failing.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable {
                operation: "load settings".into(),
                detail: "switched off by the test".into(),
            });
        }
        Ok(lock(&self.stored).get(tenant).cloned())
    }

    async fn put_section(
        &self,
        tenant: &TenantId,
        value: &SectionValue,
        expected: Option<u64>,
        at: Timestamp,
    ) -> Result<u64, SettingsWriteError> {
        let mut stored = lock(&self.stored);
        let entry = stored
            .entry(tenant.clone())
            .or_insert_with(|| StoredSettings {
                settings: TenantSettings::default(),
                updated_at: None,
            });
        let current = entry.settings.version;
        if let Some(expected) = expected.filter(|e| *e != current) {
            return Err(SettingsWriteError::Stale { expected, current });
        }
        entry.settings.set(value.clone());
        entry.settings.version = current + 1;
        entry.updated_at = Some(at);
        Ok(current + 1)
    }
}
