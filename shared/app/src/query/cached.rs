//! Cache-aside with generation numbers: read the scopes' generations, look the entry up under
//! a key that carries them, and on a miss load from the tables and store the answer under that
//! key. Any cache failure is a miss that is counted, never an error to the client.
//!
//! Keys are built part by part with [`key_of`], so ids holding `:` never make two keys alike.
//! A load after a generation bumped moments ago ([`JUST_BUMPED`]) is told to read strongly:
//! its answer is stored under the new generation, and an eventually consistent read could
//! still return what the bump was for, cached for the whole TTL.
//!
//! # No thundering herd, and what a reader may be served
//!
//! When a popular entry becomes unreachable (its scope's generation moved, or it expired), the
//! requests that miss it race for a short lock (`SET NX PX`, under the namespace, keyed by the
//! entry's key): the one that takes it loads from the tables and stores the answer, twice — under
//! the generation key, and as the resource's *latest* answer with the time its load began. The
//! others do not load: a resource that may lag ([`Resource::stale_for`]) serves that latest
//! answer when it began loading within `stale_for` (`x-cache: stale`); otherwise they wait up to
//! [`WAIT_FOR_LOADER`] for the entry to appear, and only then load it themselves (a loader that
//! died or a cache that fails never holds anyone up for longer).
//!
//! Why this design, with generations that coalesce ([`crate::ports::coalesce_window`]) rather
//! than a TTL-only or delete-on-write cache: the answer served is still named by the data it
//! reflects, so a call's detail is fresh as soon as invalidation runs and nothing is scanned or
//! deleted; coalescing in the counter (one Redis script per stream batch, no timers) caps how
//! often a busy scope's entries are lost at one move per window however fast calls arrive, and
//! a write late in a window still shows at the window's end (the due time), never after a TTL;
//! the lock keeps the cost of each move to one load, and serving the latest answer to the
//! requests that overlap that load costs nothing in freshness beyond `stale_for`. The bounds
//! each endpoint states (`docs/api.md`) are the sum: stream delay + window for a generation to
//! move, or `stale_for` plus DynamoDB's convergence for a latest answer.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use callscope_core::domain::TenantId;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::ports::{bumped_within, key_of, Cache, CacheHealth, Clock, Read, Scope, SystemClock};
use crate::telemetry;

/// A generation bumped this recently means the write behind it may not have reached every
/// replica an eventually consistent read can land on (DynamoDB converges within about a
/// second; the stream and the invalidator add about another).
pub const JUST_BUMPED: Duration = Duration::from_secs(10);

/// How long a health check of the cache is reused: the unauthenticated health route must not
/// cost a Redis round trip per request.
pub const HEALTH_REUSED_FOR: Duration = Duration::from_secs(5);

/// How long the request that recomputes an entry holds its lock: longer than a load takes
/// (tens to hundreds of ms deployed, seconds on a busy emulator), short enough that a loader
/// that died delays nobody for long.
pub const LOCK_FOR: Duration = Duration::from_secs(3);

/// How long a request that found the lock taken (and no latest answer it may serve) waits for
/// the loader's entry before loading itself: the same load done by every waiter is what made
/// slow misses pile up (measured with `callscope load --mix dashboard`).
pub const WAIT_FOR_LOADER: Duration = Duration::from_secs(1);
/// The first pause between looks for the loader's entry; each next one doubles, up to
/// [`WAIT_STEP_MAX`], so a fast load is seen within tens of ms and a slow one costs few GETs.
const WAIT_STEP: Duration = Duration::from_millis(20);
const WAIT_STEP_MAX: Duration = Duration::from_millis(200);

/// How a read was served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    Hit,
    /// The resource's latest answer, within its [`Resource::stale_for`], while another request
    /// loads the current one.
    Stale,
    Miss,
    /// The cache failed (down, slow, unreadable entry); served from the tables.
    Error,
    /// No cache is configured.
    Disabled,
}

impl CacheOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            CacheOutcome::Hit => "hit",
            CacheOutcome::Stale => "stale",
            CacheOutcome::Miss => "miss",
            CacheOutcome::Error => "error",
            CacheOutcome::Disabled => "disabled",
        }
    }
}

/// Counts since the function started, for logs, metrics and the health answer.
#[derive(Debug, Default)]
pub struct CacheStats {
    hits: AtomicU64,
    misses: AtomicU64,
    errors: AtomicU64,
}

impl CacheStats {
    /// (hits, misses, errors)
    pub fn snapshot(&self) -> (u64, u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
            self.errors.load(Ordering::Relaxed),
        )
    }

    fn count(&self, outcome: CacheOutcome) {
        let (counter, metric) = match outcome {
            // Served from the cache without reading the tables: a hit in the metric too.
            CacheOutcome::Hit | CacheOutcome::Stale => (&self.hits, telemetry::CACHE_HITS),
            CacheOutcome::Miss => (&self.misses, telemetry::CACHE_MISSES),
            CacheOutcome::Error => (&self.errors, telemetry::CACHE_ERRORS),
            CacheOutcome::Disabled => return,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        telemetry::count(metric, 1);
    }
}

/// A value and how it was served.
#[derive(Debug, Clone, PartialEq)]
pub struct Served<T> {
    pub value: T,
    pub cache: CacheOutcome,
}

/// One kind of cached answer: its name in keys, its time to live, and how old an answer may be
/// served while another request loads the current one (zero: never; see the module's doc).
#[derive(Debug, Clone, Copy)]
pub struct Resource {
    pub name: &'static str,
    pub ttl: Duration,
    pub stale_for: Duration,
}

/// The latest answer of a resource and when its load began (ms since the epoch).
#[derive(Debug, Serialize, serde::Deserialize)]
struct Latest<T> {
    at: u64,
    value: T,
}

#[derive(Debug, Clone)]
pub struct Cached {
    cache: Arc<dyn Cache>,
    stats: Arc<CacheStats>,
    clock: Arc<dyn Clock>,
    /// The last health check and when it ran (ms since the epoch).
    health: Arc<Mutex<Option<(u64, CacheHealth)>>>,
}

impl Cached {
    pub fn new(cache: Arc<dyn Cache>) -> Self {
        Self {
            cache,
            stats: Arc::new(CacheStats::default()),
            clock: Arc::new(SystemClock),
            health: Arc::new(Mutex::new(None)),
        }
    }

    /// The cache's health, checked at most once per [`HEALTH_REUSED_FOR`] (and again after a
    /// read saw the cache fail). Why it is down is logged at the check, never handed to a caller.
    pub async fn health(&self) -> CacheHealth {
        let now = self.now_millis();
        let reuse = u64::try_from(HEALTH_REUSED_FOR.as_millis()).unwrap_or(u64::MAX);
        if let Some((at, health)) = self.health_lock().as_ref() {
            if now.saturating_sub(*at) < reuse {
                return health.clone();
            }
        }
        let health = match self.cache.health().await {
            CacheHealth::Down(reason) => {
                tracing::warn!(reason, "cache health check failed");
                CacheHealth::Down("the cache did not answer".into())
            }
            other => other,
        };
        *self.health_lock() = Some((now, health.clone()));
        health
    }

    fn health_lock(&self) -> std::sync::MutexGuard<'_, Option<(u64, CacheHealth)>> {
        self.health
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn now_millis(&self) -> u64 {
        u64::try_from(self.clock.now().time().timestamp_millis()).unwrap_or_default()
    }

    /// The same, telling generations bumped moments ago by `clock`'s time.
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        Self { clock, ..self }
    }

    pub fn stats(&self) -> &CacheStats {
        &self.stats
    }

    pub fn cache(&self) -> &dyn Cache {
        self.cache.as_ref()
    }

    /// The answer under the key of (tenant, resource, generations, params), or `load`'s,
    /// stored for the resource's TTL. The generations are read before loading, so a write that
    /// lands while this loads bumps them and the stored answer is never read.
    pub async fn get_or_load<T, E, F, Fut>(
        &self,
        tenant: &TenantId,
        resource: Resource,
        scopes: &[Scope],
        params: &str,
        load: F,
    ) -> Result<Served<T>, E>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.get_or_load_reading(tenant, resource, scopes, params, |_| load())
            .await
    }

    /// [`get_or_load`](Self::get_or_load) whose `load` is told how to read: strongly when a
    /// scope's generation was bumped within [`JUST_BUMPED`], eventually otherwise.
    pub async fn get_or_load_reading<T, E, F, Fut>(
        &self,
        tenant: &TenantId,
        resource: Resource,
        scopes: &[Scope],
        params: &str,
        load: F,
    ) -> Result<Served<T>, E>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce(Read) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if !self.cache.is_enabled() {
            return self.served(load(Read::Eventual).await?, CacheOutcome::Disabled);
        }
        let generations = match self.cache.generations(tenant, scopes).await {
            Ok(generations) => generations,
            Err(error) => {
                tracing::warn!(%error, resource = resource.name, "cache unavailable; reading the tables");
                return self.served(load(Read::Eventual).await?, CacheOutcome::Error);
            }
        };
        let now = self.now_millis();
        let read = if generations
            .iter()
            .any(|&g| bumped_within(g, now, JUST_BUMPED))
        {
            Read::Strong
        } else {
            Read::Eventual
        };
        let generations: Vec<String> = generations.iter().map(u64::to_string).collect();
        let key = key_of(&[
            tenant.as_str(),
            resource.name,
            &generations.join("."),
            params,
        ]);
        match self.cache.get(&key).await {
            Ok(Some(json)) => match serde_json::from_str(&json) {
                Ok(value) => return self.served(value, CacheOutcome::Hit),
                Err(error) => {
                    tracing::warn!(%error, resource = resource.name, "unreadable cache entry; reading the tables");
                    return self.served(load(read).await?, CacheOutcome::Error);
                }
            },
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(%error, resource = resource.name, "cache unavailable; reading the tables");
                return self.served(load(read).await?, CacheOutcome::Error);
            }
        }
        let latest_key = key_of(&[tenant.as_str(), resource.name, "latest", params]);
        match self
            .cache
            .try_lock(&key_of(&[&key, "lock"]), LOCK_FOR)
            .await
        {
            Ok(false) => {
                if let Some(value) = self.latest(&latest_key, resource, now).await {
                    return self.served(value, CacheOutcome::Stale);
                }
                if let Some(value) = self.wait_for_loader(&key).await {
                    return self.served(value, CacheOutcome::Hit);
                }
            }
            Ok(true) => {}
            Err(error) => {
                tracing::warn!(%error, resource = resource.name, "cache lock failed; loading");
            }
        }
        let value = load(read).await?;
        let outcome = match serde_json::to_string(&value) {
            // An absent answer (no such call) is never stored: looking again costs one read,
            // and a call created a moment later, or erased and sent again, is found at once
            // instead of staying absent until its stream record is delivered.
            Ok(json) if json == "null" => CacheOutcome::Miss,
            Ok(json) => match self.cache.put(&key, &json, resource.ttl).await {
                Ok(()) => {
                    self.store_latest(&latest_key, resource, now, &value).await;
                    CacheOutcome::Miss
                }
                Err(error) => {
                    tracing::warn!(%error, resource = resource.name, "could not store in the cache");
                    CacheOutcome::Error
                }
            },
            Err(error) => {
                tracing::error!(%error, resource = resource.name, "answer cannot be cached");
                CacheOutcome::Error
            }
        };
        self.served(value, outcome)
    }

    /// The resource's latest answer if its load began within `stale_for` before `now`.
    async fn latest<T: DeserializeOwned>(
        &self,
        key: &str,
        resource: Resource,
        now: u64,
    ) -> Option<T> {
        if resource.stale_for.is_zero() {
            return None;
        }
        let json = self.cache.get(key).await.ok()??;
        let latest: Latest<T> = serde_json::from_str(&json).ok()?;
        let limit = u64::try_from(resource.stale_for.as_millis()).unwrap_or(u64::MAX);
        (now.saturating_sub(latest.at) <= limit).then_some(latest.value)
    }

    async fn store_latest<T: Serialize>(&self, key: &str, resource: Resource, at: u64, value: &T) {
        if resource.stale_for.is_zero() {
            return;
        }
        let Ok(json) = serde_json::to_string(&Latest { at, value }) else {
            return;
        };
        // Kept no longer than it may be served.
        let keep = resource.stale_for + Duration::from_secs(1);
        if let Err(error) = self.cache.put(key, &json, keep).await {
            tracing::warn!(%error, resource = resource.name, "could not store the latest answer");
        }
    }

    /// The entry under `key` once the request holding its lock stored it, if it does within
    /// [`WAIT_FOR_LOADER`].
    async fn wait_for_loader<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let (mut waited, mut step) = (Duration::ZERO, WAIT_STEP);
        while waited < WAIT_FOR_LOADER {
            let pause = step.min(WAIT_FOR_LOADER - waited);
            tokio::time::sleep(pause).await;
            waited += pause;
            step = (step * 2).min(WAIT_STEP_MAX);
            match self.cache.get(key).await {
                Ok(Some(json)) => return serde_json::from_str(&json).ok(),
                Ok(None) => {}
                Err(_) => return None,
            }
        }
        None
    }

    fn served<T, E>(&self, value: T, cache: CacheOutcome) -> Result<Served<T>, E> {
        self.stats.count(cache);
        if cache == CacheOutcome::Error {
            // A request just saw the cache fail: the next health check asks it again.
            *self.health_lock() = None;
        }
        Ok(Served { value, cache })
    }
}

#[cfg(test)]
mod tests;
