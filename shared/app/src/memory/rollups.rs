//! The rollup repository in memory, with the same exactly-once contract: a marker per call.

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;
use callscope_core::pipeline::{coalesce, CallAnalysed, RollupKey, RollupTotals};

use super::lock;
use crate::ports::{ApplyReport, RollupError, RollupRepository, TenantCall};

#[derive(Debug, Default)]
struct State {
    totals: BTreeMap<RollupKey, RollupTotals>,
    applied: HashSet<TenantCall>,
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

    pub fn all(&self) -> BTreeMap<RollupKey, RollupTotals> {
        lock(&self.state).totals.clone()
    }
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
                    .filter(|c| !state.applied.contains(c))
                    .collect();
                return Err(RollupError {
                    not_applied,
                    report,
                    reason: "the in-memory store stopped as told".to_owned(),
                });
            }
            if !state.applied.insert(call.clone()) {
                report.duplicates.push(call);
                continue;
            }
            for (key, delta) in coalesce([event]) {
                state.totals.entry(key).or_default().merge(&delta);
            }
            report.applied.push(call);
        }
        Ok(report)
    }
}
