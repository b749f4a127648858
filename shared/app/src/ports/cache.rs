//! The cache port: a key-value cache in front of the tables with per-scope generation numbers.
//!
//! An entry's key carries the current generations of the scopes it depends on; a write bumps
//! them, so old entries become unreachable at once and expire by their TTL — nothing is ever
//! deleted or scanned. The cache is never the truth: every failure is a miss to the caller.
//!
//! Generations never move back: a bump sets a scope's generation to the bump's time in
//! milliseconds since the epoch, or one more than it was when that is higher. A counter that
//! expires (or is evicted) starts again above every generation an entry was stored under, and a
//! reader can tell a generation that was bumped moments ago ([`bumped_within`]).

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

    /// Moves each scope to a new generation, higher than any it had (see the module's doc).
    async fn bump(&self, tenant: &TenantId, scopes: &[Scope]) -> Result<(), CacheError>;

    async fn health(&self) -> CacheHealth;

    /// Counts one request of `tenant` in fixed window number `window` (kept `ttl`); returns the
    /// window's count so far, this request included.
    async fn count_request(
        &self,
        _tenant: &TenantId,
        _window: u64,
        _ttl: Duration,
    ) -> Result<u64, CacheError> {
        Err(disabled("count_request"))
    }
}

/// Whether `generation` (see the module's doc) was set by a bump in the `window` before
/// `now_millis`. A generation ahead of `now_millis` (clocks apart) counts as just bumped.
pub fn bumped_within(generation: u64, now_millis: u64, window: Duration) -> bool {
    let window = u64::try_from(window.as_millis()).unwrap_or(u64::MAX);
    generation > 0 && now_millis.saturating_sub(generation) <= window
}

/// The next generation after `current` for a bump at `now_millis`: never lower, never equal.
pub fn next_generation(current: u64, now_millis: u64) -> u64 {
    now_millis.max(current.saturating_add(1))
}

/// One cache key of `parts`, so that no two lists of parts make the same key whatever
/// characters they hold (ids may contain `:`): each part is written as its length in bytes,
/// `:` and the part, the parts joined by `:`. Tenant `acme` with call `call:0:c1` is
/// `4:acme:9:call:0:c1`; tenant `acme:call:0` with call `c1` is `11:acme:call:0:2:c1`.
pub fn key_of(parts: &[&str]) -> String {
    let mut key = String::with_capacity(parts.iter().map(|p| p.len() + 5).sum());
    for (index, part) in parts.iter().enumerate() {
        if index > 0 {
            key.push(':');
        }
        key.push_str(&part.len().to_string());
        key.push(':');
        key.push_str(part);
    }
    key
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_parts_that_contain_the_separator_never_collide() {
        let one = key_of(&["acme", "call", "0", "call:0:c1"]);
        let other = key_of(&["acme:call:0", "call", "0", "c1"]);
        assert_ne!(one, other);
        assert_eq!(one, "4:acme:4:call:1:0:9:call:0:c1");
        assert_ne!(key_of(&["a:", "b"]), key_of(&["a", ":b"]));
        assert_ne!(key_of(&["ab", ""]), key_of(&["a", "b"]));
    }

    #[test]
    fn a_generation_never_moves_back_and_is_seeded_from_time() {
        assert_eq!(next_generation(0, 1_700_000_000_000), 1_700_000_000_000);
        assert_eq!(next_generation(7, 1_700_000_000_000), 1_700_000_000_000);
        let ahead = 1_700_000_000_500;
        assert_eq!(next_generation(ahead, 1_700_000_000_000), ahead + 1);
        // A counter that expired restarts at the time, above what it was an hour earlier.
        assert!(next_generation(0, 1_700_003_600_000) > next_generation(5, 1_700_000_000_000));
    }

    #[test]
    fn a_bump_is_recent_within_the_window_only() {
        let now = 1_700_000_010_000;
        let window = Duration::from_secs(10);
        assert!(bumped_within(now - 2_000, now, window));
        assert!(bumped_within(now + 50, now, window), "clocks apart");
        assert!(!bumped_within(now - 60_000, now, window));
        assert!(!bumped_within(3, now, window), "a small counter is no time");
        assert!(!bumped_within(0, now, window), "never bumped");
    }
}
