//! The cache in memory: entries, generations, request counts, locks, and a switch that makes it
//! fail like a Redis that is down. Generations count 1, 2, … unless a clock is given, then they
//! are seeded from its time and coalesce as Redis's do ([`GenerationState`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use callscope_core::domain::TenantId;

use super::lock;
use crate::ports::{
    coalesce_window, BumpEffect, Bumps, Cache, CacheError, CacheHealth, Clock, GenerationState,
    Scope,
};

#[derive(Debug, Default)]
pub struct MemoryCache {
    entries: Mutex<HashMap<String, String>>,
    generations: Mutex<HashMap<(TenantId, Scope), GenerationState>>,
    locks: Mutex<HashMap<String, std::time::Instant>>,
    requests: Mutex<HashMap<(TenantId, u64), u64>>,
    clock: Option<Arc<dyn Clock>>,
    down: AtomicBool,
    health_checks: AtomicU64,
}

impl MemoryCache {
    /// A cache whose bumps set generations from `clock`'s time, as Redis's do.
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock: Some(clock),
            ..Self::default()
        }
    }

    /// How many health checks reached the cache.
    pub fn health_checks(&self) -> u64 {
        self.health_checks.load(Ordering::SeqCst)
    }

    /// The keys of the stored entries.
    pub fn keys(&self) -> Vec<String> {
        lock(&self.entries).keys().cloned().collect()
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    pub fn entries(&self) -> usize {
        lock(&self.entries).len()
    }

    fn now_millis(&self) -> Option<u64> {
        self.clock
            .as_ref()
            .map(|clock| u64::try_from(clock.now().time().timestamp_millis()).unwrap_or_default())
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
        let now = self.now_millis();
        let generations = lock(&self.generations);
        Ok(scopes
            .iter()
            .map(|s| {
                let state = generations
                    .get(&(tenant.clone(), s.clone()))
                    .copied()
                    .unwrap_or_default();
                now.map_or(state.current, |now| state.effective(now))
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

    async fn bump(&self, tenant: &TenantId, scopes: &[Scope]) -> Result<Bumps, CacheError> {
        self.check("bump")?;
        let now = self.now_millis();
        let mut generations = lock(&self.generations);
        let mut bumps = Bumps::default();
        for scope in scopes {
            let state = generations
                .entry((tenant.clone(), scope.clone()))
                .or_default();
            let (next, effect) = match now {
                Some(now) => state.bump(now, coalesce_window(scope)),
                None => (
                    GenerationState {
                        current: state.current + 1,
                        due: None,
                    },
                    BumpEffect::Moved,
                ),
            };
            *state = next;
            bumps.count(effect);
        }
        Ok(bumps)
    }

    async fn try_lock(&self, key: &str, ttl: Duration) -> Result<bool, CacheError> {
        self.check("lock")?;
        let now = std::time::Instant::now();
        let mut locks = lock(&self.locks);
        match locks.get(key) {
            Some(until) if *until > now => Ok(false),
            _ => {
                locks.insert(key.to_owned(), now + ttl);
                Ok(true)
            }
        }
    }

    async fn count_request(
        &self,
        tenant: &TenantId,
        window: u64,
        _ttl: Duration,
    ) -> Result<u64, CacheError> {
        self.check("count_request")?;
        let mut requests = lock(&self.requests);
        let count = requests.entry((tenant.clone(), window)).or_default();
        *count += 1;
        Ok(*count)
    }

    async fn health(&self) -> CacheHealth {
        self.health_checks.fetch_add(1, Ordering::SeqCst);
        match self.check("ping") {
            Ok(()) => CacheHealth::Up,
            Err(error) => CacheHealth::Down(error.to_string()),
        }
    }
}
