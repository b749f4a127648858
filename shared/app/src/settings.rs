//! Tenant settings: the API's use case (read and write a section, validated and versioned) and
//! the per-function cache through which process and query read them.
//!
//! **Staleness bound.** [`SettingsCache`] keeps a tenant's settings for [`SETTINGS_TTL_SECONDS`]
//! (60 s) from when it loaded them, so a function reads the settings item at most once per
//! tenant per minute per sandbox, never once per call, and a write is in force everywhere
//! within 60 s (at once in the sandbox that served it, which forgets its entry). While the
//! store cannot be read, the last settings loaded stay in use; a tenant never loaded is an
//! error (process retries the message). The analyser built from a version is kept until the
//! version changes, so reloading an unchanged document compiles nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use callscope_core::analysis::Analyser;
use callscope_core::domain::{TenantId, Timestamp};
use callscope_core::settings::{Directory, EndpointPolicy, Section, SectionValue, TenantSettings};
use callscope_core::InputError;

use crate::ports::{
    Clock, ParkedDeliveries, ParkedDelivery, SettingsStore, SettingsWriteError, StoreError,
    StoredSecret, StoredSettings, WebhookSecrets,
};
use crate::query::views::AgentsLeaderboard;

/// How long a function uses settings it loaded before it loads them again.
pub const SETTINGS_TTL_SECONDS: i64 = 60;

/// A tenant's settings as a function uses them, with the analyser they configure (built on
/// first use: the query function never needs one).
#[derive(Debug)]
pub struct TenantConfig {
    pub settings: TenantSettings,
    analyser: OnceLock<Arc<Analyser>>,
    default_analyser: Option<Arc<Analyser>>,
}

impl TenantConfig {
    fn new(settings: TenantSettings, default_analyser: Option<Arc<Analyser>>) -> Self {
        Self {
            settings,
            analyser: OnceLock::new(),
            default_analyser,
        }
    }

    /// The engine for this tenant's calls: the function's shared built-in one until the tenant
    /// writes settings (built here, once, when the function has none).
    pub fn analyser(&self) -> Arc<Analyser> {
        if let Some(default) = self
            .default_analyser
            .as_ref()
            .filter(|_| self.settings.version == 0)
        {
            return default.clone();
        }
        self.analyser
            .get_or_init(|| Arc::new(self.settings.analyser()))
            .clone()
    }
}

#[derive(Debug)]
struct Entry {
    loaded_at: Timestamp,
    config: Arc<TenantConfig>,
}

/// Each tenant's settings, loaded at most once per [`SETTINGS_TTL_SECONDS`].
#[derive(Debug, Clone)]
pub struct SettingsCache {
    store: Arc<dyn SettingsStore>,
    clock: Arc<dyn Clock>,
    default_analyser: Option<Arc<Analyser>>,
    entries: Arc<Mutex<HashMap<TenantId, Entry>>>,
}

impl SettingsCache {
    /// A cache for a function that reads settings but never analyses (query): no analyser is
    /// built unless asked for.
    pub fn new(store: Arc<dyn SettingsStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            default_analyser: None,
            entries: Arc::default(),
        }
    }

    /// Tenants without settings share `analyser` (the built-in rules, compiled once).
    pub fn with_default_analyser(mut self, analyser: Arc<Analyser>) -> Self {
        self.default_analyser = Some(analyser);
        self
    }

    /// The tenant's settings, from this function's memory when loaded less than 60 s ago.
    pub async fn get(&self, tenant: &TenantId) -> Result<Arc<TenantConfig>, StoreError> {
        let now = self.clock.now();
        let cached = {
            let entries = lock(&self.entries);
            entries.get(tenant).map(|e| (e.loaded_at, e.config.clone()))
        };
        if let Some((loaded_at, config)) = &cached {
            if (now.time() - loaded_at.time()).num_seconds() < SETTINGS_TTL_SECONDS {
                return Ok(config.clone());
            }
        }
        match self.store.load(tenant).await {
            Ok(stored) => {
                let settings = stored.map(|s| s.settings).unwrap_or_default();
                let config = match cached {
                    // Unchanged: keep what was built from it.
                    Some((_, config)) if config.settings == settings => config,
                    _ => Arc::new(TenantConfig::new(settings, self.default_analyser.clone())),
                };
                lock(&self.entries).insert(
                    tenant.clone(),
                    Entry {
                        loaded_at: now,
                        config: config.clone(),
                    },
                );
                Ok(config)
            }
            Err(error) => match cached {
                Some((_, config)) => {
                    tracing::warn!(%error, "settings could not be reloaded; the last ones stay in use");
                    Ok(config)
                }
                None => Err(error),
            },
        }
    }

    /// Drops the tenant's entry, so the next read loads what was just written.
    pub fn forget(&self, tenant: &TenantId) {
        lock(&self.entries).remove(tenant);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The leaderboard with the agents' display names from the tenant's settings (an agent without
/// one keeps its id). Applied after the cache, so a renamed agent shows within the settings
/// cache's 60 s whatever the leaderboard's own cache holds.
pub fn name_agents(board: &mut AgentsLeaderboard, directory: &Directory) {
    let names = directory.agent_names();
    for agent in &mut board.agents {
        if let Some(name) = names.get(agent.agent_id.as_str()) {
            agent.name = (*name).to_owned();
        }
    }
}

/// Why a settings request was refused.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Invalid(#[from] InputError),
    #[error("the settings are at version {current}, not the expected {expected}")]
    Stale { expected: u64, current: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<SettingsWriteError> for SettingsError {
    fn from(e: SettingsWriteError) -> Self {
        match e {
            SettingsWriteError::Stale { expected, current } => {
                SettingsError::Stale { expected, current }
            }
            SettingsWriteError::Store(e) => SettingsError::Store(e),
        }
    }
}

/// The settings API's use case: reads go to the store (never the cache, so a client reads
/// its own write), writes are validated, versioned and make this sandbox's cache forget.
#[derive(Debug, Clone)]
pub struct Settings {
    store: Arc<dyn SettingsStore>,
    cache: SettingsCache,
    clock: Arc<dyn Clock>,
    /// Where webhook signing secrets are kept; `None`: this API cannot make one.
    secrets: Option<Arc<dyn WebhookSecrets>>,
    /// The tenants' records of parked webhook deliveries; `None`: this API has none to show.
    parked: Option<Arc<dyn ParkedDeliveries>>,
    /// Which webhook endpoints a write may set (loopback `http://` only against an emulator).
    endpoints: EndpointPolicy,
}

impl Settings {
    pub fn new(store: Arc<dyn SettingsStore>, cache: SettingsCache, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            cache,
            clock,
            secrets: None,
            parked: None,
            endpoints: EndpointPolicy::HttpsOnly,
        }
    }

    /// With webhook signing secrets kept in `secrets`, and endpoints held to `endpoints`.
    pub fn with_webhooks(
        mut self,
        secrets: Arc<dyn WebhookSecrets>,
        parked: Arc<dyn ParkedDeliveries>,
        endpoints: EndpointPolicy,
    ) -> Self {
        self.secrets = Some(secrets);
        self.parked = Some(parked);
        self.endpoints = endpoints;
        self
    }

    /// Up to `limit` of the tenant's webhook deliveries parked after their last attempt,
    /// newest first, and whether there are more (docs/webhooks.md#parked-deliveries).
    pub async fn parked_deliveries(
        &self,
        tenant: &TenantId,
        limit: usize,
    ) -> Result<(Vec<ParkedDelivery>, bool), StoreError> {
        let Some(store) = &self.parked else {
            return Ok((Vec::new(), false));
        };
        let (mut parked, unread) = store.list(tenant).await?;
        parked.sort_by_key(|p| std::cmp::Reverse(p.parked_at));
        let more = unread || parked.len() > limit;
        parked.truncate(limit);
        Ok((parked, more))
    }

    /// Replaces the tenant's webhook signing secret with a new random one and returns it: the
    /// only answer that ever carries it (docs/webhooks.md#the-signing-secret).
    pub async fn rotate_webhook_secret(
        &self,
        tenant: &TenantId,
    ) -> Result<StoredSecret, StoreError> {
        let secrets = self
            .secrets
            .as_ref()
            .ok_or_else(|| StoreError::Unavailable {
                operation: "rotating the webhook secret".into(),
                detail: "this API has no secret store".into(),
            })?;
        let stored = secrets.rotate(tenant, self.clock.now()).await?;
        tracing::info!("webhook signing secret rotated");
        Ok(stored)
    }

    /// The cache the query views read names through.
    pub fn cache(&self) -> &SettingsCache {
        &self.cache
    }

    /// The whole document (defaults and version 0 when never written).
    pub async fn load(&self, tenant: &TenantId) -> Result<StoredSettings, StoreError> {
        Ok(self.store.load(tenant).await?.unwrap_or(StoredSettings {
            settings: TenantSettings::default(),
            updated_at: None,
        }))
    }

    /// Validates `body` as `section` and stores it if the stored version is `expected`.
    pub async fn put(
        &self,
        tenant: &TenantId,
        section: Section,
        body: &[u8],
        expected: Option<u64>,
    ) -> Result<(u64, SectionValue), SettingsError> {
        let value = section.read(body)?;
        if let SectionValue::Webhooks(webhooks) = &value {
            webhooks.check(self.endpoints)?;
        }
        let version = self
            .store
            .put_section(tenant, &value, expected, self.clock.now())
            .await?;
        self.cache.forget(tenant);
        tracing::info!(
            section = section.as_str(),
            version,
            "tenant settings written"
        );
        Ok((version, value))
    }
}

#[cfg(test)]
mod tests;
