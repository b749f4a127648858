//! The cache in memory: entries, generations, and a switch that makes it fail like a Redis that
//! is down.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use callscope_core::domain::TenantId;

use super::lock;
use crate::ports::{Cache, CacheError, CacheHealth, Scope};

#[derive(Debug, Default)]
pub struct MemoryCache {
    entries: Mutex<HashMap<String, String>>,
    generations: Mutex<HashMap<(TenantId, Scope), u64>>,
    down: AtomicBool,
}

impl MemoryCache {
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    pub fn entries(&self) -> usize {
        lock(&self.entries).len()
    }

    fn check(&self, operation: &'static str) -> Result<(), CacheError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(CacheError {
                operation,
                detail: "the in-memory cache is switched off".into(),
            });
        }
        Ok(())
    }
}

#[async_trait]
impl Cache for MemoryCache {
    async fn generations(
        &self,
        tenant: &TenantId,
        scopes: &[Scope],
    ) -> Result<Vec<u64>, CacheError> {
        self.check("generations")?;
        let generations = lock(&self.generations);
        Ok(scopes
            .iter()
            .map(|s| {
                generations
                    .get(&(tenant.clone(), s.clone()))
                    .copied()
                    .unwrap_or(0)
            })
            .collect())
    }

    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        self.check("get")?;
        Ok(lock(&self.entries).get(key).cloned())
    }

    async fn put(&self, key: &str, value: &str, _ttl: Duration) -> Result<(), CacheError> {
        self.check("put")?;
        lock(&self.entries).insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    async fn bump(&self, tenant: &TenantId, scopes: &[Scope]) -> Result<(), CacheError> {
        self.check("bump")?;
        let mut generations = lock(&self.generations);
        for scope in scopes {
            *generations
                .entry((tenant.clone(), scope.clone()))
                .or_default() += 1;
        }
        Ok(())
    }

    async fn health(&self) -> CacheHealth {
        match self.check("ping") {
            Ok(()) => CacheHealth::Up,
            Err(error) => CacheHealth::Down(error.to_string()),
        }
    }
}
