//! The rollup repository port: per-agent, per-team and per-tenant daily totals, applied exactly
//! once per call.

use std::collections::BTreeMap;

use async_trait::async_trait;
use callscope_core::domain::{CallId, CorrelationId, TenantId};
use callscope_core::pipeline::{CallAnalysed, RollupDelta, RollupKey, Version};

use crate::ports::StoreError;

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

/// What the rollups count of one call (its marker, read as a ledger): the version last applied
/// and the measures counted for it (none after an erasure: a tombstone).
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerEntry {
    pub version: Version,
    pub counted: Option<CallAnalysed>,
    /// A marker written before markers recorded their version and measures: what it counted
    /// is unknown, so it is never moved (only erased, subtracting nothing).
    pub legacy: bool,
}

/// One call's rollups moved from its ledger entry as read (`expected`) to `entry`: the ledger
/// written on that condition together with every delta, or nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Settlement {
    pub tenant: TenantId,
    pub call_id: CallId,
    pub correlation_id: CorrelationId,
    /// The version read; `None`: the call had no ledger entry.
    pub expected: Option<Version>,
    pub entry: LedgerEntry,
    pub deltas: BTreeMap<RollupKey, RollupDelta>,
}

/// What writing a settlement found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    Written,
    /// The ledger changed since it was read (or the write conflicted): read it again.
    Conflict,
}

#[async_trait]
pub trait RollupRepository: Send + Sync + std::fmt::Debug {
    /// Applies each distinct call's event exactly once: an event whose call was already applied
    /// (now or by an earlier delivery) changes nothing and is reported as a duplicate.
    /// The first counting of calls (the common case, coalesced): a call with any ledger entry
    /// is reported as a duplicate, for the use case to [`settle`](Self::settle) if it is newer.
    async fn apply(&self, events: &[CallAnalysed]) -> Result<ApplyReport, RollupError>;

    /// The call's ledger entry, read consistently.
    async fn ledger(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
    ) -> Result<Option<LedgerEntry>, StoreError>;

    /// Writes the settlement's ledger entry and deltas atomically, if the ledger is still as
    /// read.
    async fn settle(&self, settlement: &Settlement) -> Result<Settled, StoreError>;
}
