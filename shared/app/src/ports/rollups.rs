//! The rollup repository port: per-agent, per-team and per-tenant daily totals, applied exactly
//! once per call.

use async_trait::async_trait;
use callscope_core::domain::{CallId, TenantId};
use callscope_core::pipeline::CallAnalysed;

/// A call across tenants: call ids are unique only within a tenant.
pub type TenantCall = (TenantId, CallId);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyReport {
    pub applied: Vec<TenantCall>,
    /// Calls already counted before (a redelivery): nothing was written for them.
    pub duplicates: Vec<TenantCall>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} calls were not applied: {reason}", not_applied.len())]
pub struct RollupError {
    /// Calls whose deltas were not written; their messages must be retried.
    pub not_applied: Vec<TenantCall>,
    /// What was applied before the failure.
    pub report: ApplyReport,
    pub reason: String,
}

#[async_trait]
pub trait RollupRepository: Send + Sync + std::fmt::Debug {
    /// Applies each distinct call's event exactly once: an event whose call was already applied
    /// (now or by an earlier delivery) changes nothing and is reported as a duplicate.
    async fn apply(&self, events: &[CallAnalysed]) -> Result<ApplyReport, RollupError>;
}
