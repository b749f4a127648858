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
//!
//! Bumps coalesce per scope ([`coalesce_window`]): the first bump after a quiet
//! [`COALESCE_WINDOW`] moves the generation at once; a bump inside the window schedules one move
//! at the window's end (its *due* time) instead, and further bumps before that time add
//! nothing. A burst of writes to a scope therefore makes its entries unreachable at most once
//! per window, and the last write of a burst is still seen by the window's end, never left
//! waiting for a TTL. A counter is stored as `current` or `current/due` ([`GenerationState`]);
//! readers take the due time as the generation once it has passed, so no timer or second write
//! is needed. A call's own scope never coalesces: its detail is read right after its writes.

use std::time::Duration;

use async_trait::async_trait;
use callscope_core::domain::{AgentId, CallId, TeamId, TenantId};

/// A set of entries a write can make stale, within one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Lists and recommendations: any call of the tenant.
    Tenant,
    /// Tenant-wide analytics (leaderboards): any rollup of the tenant. Apart from [`Tenant`]
    /// because a call changes the rollups once (when counted) but its listing twice more
    /// (admitted, processed): analytics entries are lost only when what they sum moved.
    ///
    /// [`Tenant`]: Scope::Tenant
    Analytics,
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

    /// Moves each scope to a new generation, higher than any it had, coalescing within its
    /// [`coalesce_window`] (see the module's doc).
    async fn bump(&self, tenant: &TenantId, scopes: &[Scope]) -> Result<Bumps, CacheError>;

    /// Takes the lock `key` for `ttl` if nobody holds it (`SET NX PX`): the one request that
    /// recomputes an entry while the others wait or read the previous answer.
    async fn try_lock(&self, _key: &str, _ttl: Duration) -> Result<bool, CacheError> {
        Ok(true)
    }

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

/// How long bumps of a scope coalesce: a call's own scope never (its detail reflects each write
/// as soon as invalidation runs); lists, leaderboards and series of a tenant, agent or team at
/// most one move per [`COALESCE_WINDOW`].
pub fn coalesce_window(scope: &Scope) -> Duration {
    match scope {
        Scope::Call(_) => Duration::ZERO,
        Scope::Tenant | Scope::Analytics | Scope::Agent(_) | Scope::Team(_) => COALESCE_WINDOW,
    }
}

/// Bumps of a tenant's, agent's or team's scope within this long of its last move make one
/// move at the window's end. Two seconds: at one call per second each scope moves at most every
/// two seconds instead of three times a second (a call is written at ingest, at processing
/// and when counted), while a write still shows within the bounds of `docs/api.md`.
pub const COALESCE_WINDOW: Duration = Duration::from_secs(2);

/// A scope's stored counter: the generation in use and, after a bump inside the coalescing
/// window, the time (ms) at which the next generation takes effect.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GenerationState {
    pub current: u64,
    pub due: Option<u64>,
}

/// What a bump did to one scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BumpEffect {
    /// The generation moved at once.
    Moved,
    /// A move was scheduled for the window's end.
    Scheduled,
    /// A move was already scheduled: nothing to add.
    Coalesced,
}

impl GenerationState {
    /// `current` or `current/due`; anything else reads as never bumped (a counter is never
    /// the truth: the worst a bad one does is one miss).
    pub fn parse(raw: &str) -> Self {
        let (current, due) = match raw.split_once('/') {
            Some((current, due)) => (current, due.parse().ok()),
            None => (raw, None),
        };
        Self {
            current: current.parse().unwrap_or_default(),
            due,
        }
    }

    pub fn encode(&self) -> String {
        match self.due {
            Some(due) => format!("{}/{due}", self.current),
            None => self.current.to_string(),
        }
    }

    /// The generation readers use at `now_millis`: the due one once its time has come.
    pub fn effective(&self, now_millis: u64) -> u64 {
        match self.due {
            Some(due) if due <= now_millis => due.max(self.current.saturating_add(1)),
            _ => self.current,
        }
    }

    /// The state after a bump at `now_millis` coalescing within `window`.
    pub fn bump(&self, now_millis: u64, window: Duration) -> (Self, BumpEffect) {
        let window = u64::try_from(window.as_millis()).unwrap_or(u64::MAX);
        if self.due.is_some_and(|due| due > now_millis) {
            return (*self, BumpEffect::Coalesced);
        }
        let effective = self.effective(now_millis);
        if effective == 0 || window == 0 || now_millis >= effective.saturating_add(window) {
            let moved = Self {
                current: next_generation(effective, now_millis),
                due: None,
            };
            return (moved, BumpEffect::Moved);
        }
        let scheduled = Self {
            current: effective,
            due: Some(effective.saturating_add(window).max(effective + 1)),
        };
        (scheduled, BumpEffect::Scheduled)
    }
}

/// How many scopes a bump moved at once, scheduled to move, or found already scheduled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bumps {
    pub moved: usize,
    pub scheduled: usize,
    pub coalesced: usize,
}

impl Bumps {
    pub fn count(&mut self, effect: BumpEffect) {
        match effect {
            BumpEffect::Moved => self.moved += 1,
            BumpEffect::Scheduled => self.scheduled += 1,
            BumpEffect::Coalesced => self.coalesced += 1,
        }
    }

    pub fn add(&mut self, other: Bumps) {
        self.moved += other.moved;
        self.scheduled += other.scheduled;
        self.coalesced += other.coalesced;
    }

    /// Scopes that got (or will get) a new generation.
    pub fn generations_moved(&self) -> usize {
        self.moved + self.scheduled
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

    async fn bump(&self, _: &TenantId, _: &[Scope]) -> Result<Bumps, CacheError> {
        Ok(Bumps::default())
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
    fn a_burst_of_bumps_moves_a_generation_once_now_and_once_at_the_windows_end() {
        let window = Duration::from_secs(2);
        let t0 = 1_700_000_000_000;
        let (first, effect) = GenerationState::default().bump(t0, window);
        assert_eq!(
            (first.current, first.due, effect),
            (t0, None, BumpEffect::Moved)
        );
        // Twenty writes within the window: one move scheduled, the rest add nothing.
        let mut state = first;
        let mut bumps = Bumps::default();
        for i in 1..=20 {
            let (next, effect) = state.bump(t0 + i * 50, window);
            bumps.count(effect);
            state = next;
        }
        assert_eq!((bumps.moved, bumps.scheduled, bumps.coalesced), (0, 1, 19));
        assert_eq!(state.due, Some(t0 + 2_000));
        // Readers keep the generation until the due time, then take it: the trailing write
        // shows by the window's end without another bump.
        assert_eq!(state.effective(t0 + 1_999), t0);
        assert_eq!(state.effective(t0 + 2_000), t0 + 2_000);
        // A bump after the due time starts from the due generation.
        let (after, effect) = state.bump(t0 + 2_500, window);
        assert_eq!(effect, BumpEffect::Scheduled);
        assert_eq!((after.current, after.due), (t0 + 2_000, Some(t0 + 4_000)));
        let (quiet, effect) = after.bump(t0 + 60_000, window);
        assert_eq!(
            (quiet.effective(t0 + 60_000), effect),
            (t0 + 60_000, BumpEffect::Moved)
        );
    }

    #[test]
    fn a_scope_without_a_window_moves_at_every_bump_and_the_state_round_trips() {
        let call = Scope::Call(CallId::parse("c", "c-1").expect("id"));
        assert_eq!(coalesce_window(&call), Duration::ZERO);
        assert_eq!(coalesce_window(&Scope::Tenant), COALESCE_WINDOW);
        let t0 = 1_700_000_000_000;
        let (one, _) = GenerationState::default().bump(t0, Duration::ZERO);
        let (two, effect) = one.bump(t0, Duration::ZERO);
        assert_eq!((two.current, effect), (t0 + 1, BumpEffect::Moved));
        for state in [
            two,
            GenerationState {
                current: 5,
                due: Some(9),
            },
        ] {
            assert_eq!(GenerationState::parse(&state.encode()), state);
        }
        assert_eq!(
            GenerationState::parse("17").current,
            17,
            "counters of before"
        );
        assert_eq!(GenerationState::parse("junk"), GenerationState::default());
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
