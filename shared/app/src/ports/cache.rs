//! The cache port: a key-value cache in front of the tables with per-scope generation numbers.
//!
//! An entry's key carries the current generations of the scopes it depends on; a write bumps
//! them, so old entries become unreachable at once and expire by their TTL — nothing is ever
//! deleted or scanned. The cache is never the truth: every failure is a miss to the caller.

use std::time::Duration;

use async_trait::async_trait;
use callscope_core::domain::{AgentId, CallId, TeamId, TenantId};

/// A set of entries a write can make stale, within one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Lists and tenant-wide analytics: any call or rollup of the tenant.
    Tenant,
    Agent(AgentId),
    Team(TeamId),
    Call(CallId),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cache {operation} failed: {detail}")]
pub struct CacheError {
    pub operation: &'static str,
    pub detail: String,
}

/// What the cache's health check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheHealth {
    Up,
    Down(String),
    /// Deployed without a cache (`CacheMode=none`).
    Disabled,
}

#[async_trait]
pub trait Cache: Send + Sync + std::fmt::Debug {
    /// False when there is no cache at all, so its absence is not counted as errors.
    fn is_enabled(&self) -> bool {
        true
    }

    /// The current generation of each scope (0 when never bumped), in order.
    async fn generations(
        &self,
        tenant: &TenantId,
        scopes: &[Scope],
    ) -> Result<Vec<u64>, CacheError>;

    async fn get(&self, key: &str) -> Result<Option<String>, CacheError>;

    async fn put(&self, key: &str, value: &str, ttl: Duration) -> Result<(), CacheError>;

    /// Moves each scope to a new generation.
    async fn bump(&self, tenant: &TenantId, scopes: &[Scope]) -> Result<(), CacheError>;

    async fn health(&self) -> CacheHealth;
}

/// No cache: every read goes to the tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCache;

#[async_trait]
impl Cache for NoCache {
    fn is_enabled(&self) -> bool {
        false
    }

    async fn generations(&self, _: &TenantId, _: &[Scope]) -> Result<Vec<u64>, CacheError> {
        Err(disabled("generations"))
    }

    async fn get(&self, _: &str) -> Result<Option<String>, CacheError> {
        Err(disabled("get"))
    }

    async fn put(&self, _: &str, _: &str, _: Duration) -> Result<(), CacheError> {
        Err(disabled("put"))
    }

    async fn bump(&self, _: &TenantId, _: &[Scope]) -> Result<(), CacheError> {
        Ok(())
    }

    async fn health(&self) -> CacheHealth {
        CacheHealth::Disabled
    }
}

fn disabled(operation: &'static str) -> CacheError {
    CacheError {
        operation,
        detail: "no cache is configured".into(),
    }
}
