//! The settings store: one versioned settings document per tenant (shared/core `settings`).

use async_trait::async_trait;
use callscope_core::domain::{TenantId, Timestamp};
use callscope_core::settings::{SectionValue, TenantSettings};

use crate::ports::StoreError;

/// A tenant's settings as stored, with when they last changed.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSettings {
    pub settings: TenantSettings,
    pub updated_at: Option<Timestamp>,
}

/// Why a settings write was not made.
#[derive(Debug, thiserror::Error)]
pub enum SettingsWriteError {
    /// The client's `If-Match` named another version than the stored one.
    #[error("the settings are at version {current}, not the expected {expected}")]
    Stale { expected: u64, current: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[async_trait]
pub trait SettingsStore: Send + Sync + std::fmt::Debug {
    /// The tenant's settings; `None` when it never wrote any (the defaults apply).
    async fn load(&self, tenant: &TenantId) -> Result<Option<StoredSettings>, StoreError>;

    /// Replaces one section and moves the version on by one; returns the new version.
    /// `expected`: the version the client read (`0` = no settings yet), or `None` to write
    /// whatever is stored. Other sections are left as they are.
    async fn put_section(
        &self,
        tenant: &TenantId,
        value: &SectionValue,
        expected: Option<u64>,
        at: Timestamp,
    ) -> Result<u64, SettingsWriteError>;
}
