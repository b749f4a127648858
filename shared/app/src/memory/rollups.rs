//! The rollup repository and its read side in memory, with the same exactly-once contract: a
//! marker per call.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use callscope_core::domain::{AgentId, CallId, Day, TeamId, TenantId};
use callscope_core::pipeline::{
    coalesce, CallAnalysed, RollupKey, RollupScope, RollupTotals, Version,
};

use super::lock;
use crate::ports::{
    ApplyReport, LedgerEntry, RollupError, RollupQueries, RollupRepository, Settled, Settlement,
    StoreError, TenantCall,
};

#[derive(Debug, Default)]
struct State {
    totals: BTreeMap<RollupKey, RollupTotals>,
    /// Each call's ledger entry (its marker).
    applied: BTreeMap<TenantCall, LedgerEntry>,
}

#[derive(Debug, Default)]
pub struct MemoryRollups {
    state: Mutex<State>,
    /// When set, `apply` writes at most this many calls and fails for the rest.
    fail_after: Mutex<Option<usize>>,
}

impl MemoryRollups {
    pub fn fail_after(&self, calls: Option<usize>) {
        *lock(&self.fail_after) = calls;
    }

    pub fn get(&self, key: &RollupKey) -> Option<RollupTotals> {
        lock(&self.state).totals.get(key).cloned()
    }

    /// Every rollup that counts at least one call (rows brought back to zero by erasures are
    /// left out, as readers leave them out).
    pub fn all(&self) -> BTreeMap<RollupKey, RollupTotals> {
        lock(&self.state)
            .totals
            .iter()
            .filter(|(_, t)| t.calls > 0)
            .map(|(k, t)| (k.clone(), t.clone()))
            .collect()
    }

    /// Writes a marker without a version or measures, as markers were written before the
    /// ledger (for tests of how such calls are treated).
    pub fn insert_legacy_marker(&self, call: TenantCall) {
        lock(&self.state).applied.insert(
            call,
            LedgerEntry {
                version: Version::new(None, 0),
                counted: None,
                legacy: true,
            },
        );
    }
}

fn in_range(day: Day, from: Option<Day>, to: Option<Day>) -> bool {
    from.is_none_or(|f| day >= f) && to.is_none_or(|t| day <= t)
}

#[async_trait]
impl RollupRepository for MemoryRollups {
    async fn apply(&self, events: &[CallAnalysed]) -> Result<ApplyReport, RollupError> {
        let budget = *lock(&self.fail_after);
        let mut state = lock(&self.state);
        let mut report = ApplyReport::default();
        for (index, event) in events.iter().enumerate() {
            let call = (event.tenant.clone(), event.call_id.clone());
            if budget.is_some_and(|b| report.applied.len() >= b) {
                let not_applied = events[index..]
                    .iter()
                    .map(|e| (e.tenant.clone(), e.call_id.clone()))
                    .filter(|c| !state.applied.contains_key(c))
                    .collect();
                return Err(RollupError {
                    not_applied,
                    report,
                    reason: "the in-memory store stopped as told".to_owned(),
                });
            }
            if state.applied.contains_key(&call) {
                report.duplicates.push(call);
                continue;
            }
            state.applied.insert(
                call.clone(),
                LedgerEntry {
                    version: Version::new(event.received_at, event.revision),
                    counted: Some(event.clone()),
                    legacy: false,
                },
            );
            for (key, delta) in coalesce([event]) {
                state.totals.entry(key).or_default().merge(&delta);
            }
            report.applied.push(call);
        }
        Ok(report)
    }

    async fn ledger(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
    ) -> Result<Option<LedgerEntry>, StoreError> {
        Ok(lock(&self.state)
            .applied
            .get(&(tenant.clone(), call_id.clone()))
            .cloned())
    }

    async fn settle(&self, settlement: &Settlement) -> Result<Settled, StoreError> {
        let mut state = lock(&self.state);
        let call = (settlement.tenant.clone(), settlement.call_id.clone());
        if state.applied.get(&call).map(|e| e.version) != settlement.expected {
            return Ok(Settled::Conflict);
        }
        state.applied.insert(call, settlement.entry.clone());
        for (key, delta) in &settlement.deltas {
            state.totals.entry(key.clone()).or_default().apply(delta);
        }
        Ok(Settled::Written)
    }
}

#[async_trait]
impl RollupQueries for MemoryRollups {
    async fn series(
        &self,
        tenant: &TenantId,
        scope: &RollupScope,
        from: Option<Day>,
        to: Option<Day>,
    ) -> Result<BTreeMap<Day, RollupTotals>, StoreError> {
        Ok(lock(&self.state)
            .totals
            .iter()
            .filter(|(k, _)| k.tenant == *tenant && k.scope == *scope && in_range(k.day, from, to))
            .map(|(k, totals)| (k.day, totals.clone()))
            .collect())
    }

    async fn latest_agent_day(
        &self,
        tenant: &TenantId,
        team: Option<&TeamId>,
    ) -> Result<Option<Day>, StoreError> {
        Ok(lock(&self.state)
            .totals
            .keys()
            .filter(|key| key.tenant == *tenant)
            .filter(|key| match (&key.scope, team) {
                (RollupScope::Agent(_), None) => true,
                (RollupScope::TeamAgent(t, _), Some(team)) => t == team,
                _ => false,
            })
            .map(|key| key.day)
            .max())
    }

    async fn agents(
        &self,
        tenant: &TenantId,
        from: Option<Day>,
        to: Option<Day>,
        team: Option<&TeamId>,
    ) -> Result<BTreeMap<AgentId, RollupTotals>, StoreError> {
        let mut agents: BTreeMap<AgentId, RollupTotals> = BTreeMap::new();
        for (key, totals) in &lock(&self.state).totals {
            let agent = match (&key.scope, team) {
                (RollupScope::Agent(agent), None) => agent,
                (RollupScope::TeamAgent(t, agent), Some(team)) if t == team => agent,
                _ => continue,
            };
            if key.tenant == *tenant && in_range(key.day, from, to) {
                agents.entry(agent.clone()).or_default().merge(totals);
            }
        }
        Ok(agents)
    }
}
