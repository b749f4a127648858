//! Per-tenant request limits: how many requests a minute each tenant may make.
//!
//! - [`FixedWindow`] counts in the cache (one counter per tenant and minute), so every sandbox
//!   of the query function shares the count. The cache is never the truth: when it fails or is
//!   slow the request is let through, uncounted.
//! - [`TokenBucket`] counts in the process, for a function that never talks to the cache
//!   (ingest). Each sandbox has its own buckets, so the limit is approximate: a tenant can make
//!   up to the limit times the number of running sandboxes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use callscope_core::domain::TenantId;

use crate::ports::{Cache, Clock};

/// Where a tenant stands against its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub limit: u32,
    pub remaining: u32,
    /// Until the window ends (fixed window) or a request is allowed again (token bucket).
    pub reset: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Go ahead; the quota when it is known (not when the count failed and the request is let
    /// through anyway).
    Allowed(Option<Quota>),
    /// Over the limit: answer 429 and retry after `reset`.
    Limited(Quota),
}

#[async_trait]
pub trait RateLimiter: Send + Sync + std::fmt::Debug {
    /// Counts one request of `tenant` and says whether it may go ahead.
    async fn check(&self, tenant: &TenantId) -> Verdict;
}

fn now_millis(clock: &dyn Clock) -> u64 {
    u64::try_from(clock.now().time().timestamp_millis()).unwrap_or_default()
}

/// `limit` requests per tenant per `window`, counted in the cache.
#[derive(Debug, Clone)]
pub struct FixedWindow {
    cache: Arc<dyn Cache>,
    clock: Arc<dyn Clock>,
    limit: u32,
    window: Duration,
}

impl FixedWindow {
    pub fn per_minute(cache: Arc<dyn Cache>, clock: Arc<dyn Clock>, limit: u32) -> Self {
        Self {
            cache,
            clock,
            limit,
            window: Duration::from_secs(60),
        }
    }
}

#[async_trait]
impl RateLimiter for FixedWindow {
    async fn check(&self, tenant: &TenantId) -> Verdict {
        if !self.cache.is_enabled() {
            return Verdict::Allowed(None);
        }
        let window_ms = u64::try_from(self.window.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let now = now_millis(self.clock.as_ref());
        let index = now / window_ms;
        let reset = Duration::from_millis((index + 1) * window_ms - now);
        match self.cache.count_request(tenant, index, self.window).await {
            Ok(count) => {
                let remaining = u64::from(self.limit).saturating_sub(count);
                let quota = Quota {
                    limit: self.limit,
                    remaining: u32::try_from(remaining).unwrap_or(u32::MAX),
                    reset,
                };
                if count > u64::from(self.limit) {
                    Verdict::Limited(quota)
                } else {
                    Verdict::Allowed(Some(quota))
                }
            }
            Err(error) => {
                tracing::warn!(%error, "rate limit not counted; letting the request through");
                Verdict::Allowed(None)
            }
        }
    }
}

/// Tenants' buckets past which full (idle) ones are dropped, bounding the sandbox's memory.
const MAX_BUCKETS: usize = 10_000;

/// `limit` requests per tenant per minute in this process, with bursts up to `limit`.
#[derive(Debug)]
pub struct TokenBucket {
    clock: Arc<dyn Clock>,
    limit: u32,
    /// Per tenant: tokens left and when they were counted (ms).
    buckets: Mutex<HashMap<TenantId, (f64, u64)>>,
}

impl TokenBucket {
    pub fn per_minute(clock: Arc<dyn Clock>, limit: u32) -> Self {
        Self {
            clock,
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }
}

#[async_trait]
impl RateLimiter for TokenBucket {
    async fn check(&self, tenant: &TenantId) -> Verdict {
        let capacity = f64::from(self.limit);
        let per_ms = capacity / 60_000.0;
        let now = now_millis(self.clock.as_ref());
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(tenant) {
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.saturating_sub(*at) as f64 * per_ms < capacity
            });
        }
        let (tokens, at) = buckets.entry(tenant.clone()).or_insert((capacity, now));
        *tokens = (*tokens + now.saturating_sub(*at) as f64 * per_ms).min(capacity);
        *at = now;
        let quota = |tokens: f64, reset_ms: f64| Quota {
            limit: self.limit,
            remaining: tokens.max(0.0).floor() as u32,
            reset: Duration::from_millis(reset_ms.max(0.0).ceil() as u64),
        };
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Verdict::Allowed(Some(quota(*tokens, (capacity - *tokens) / per_ms)))
        } else {
            Verdict::Limited(quota(0.0, (1.0 - *tokens) / per_ms))
        }
    }
}

#[cfg(test)]
mod tests;
