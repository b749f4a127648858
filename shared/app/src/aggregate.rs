//! The aggregate use case: folds a batch of rollup changes into the per-agent, per-team and
//! per-tenant daily rollups, exactly once per change.
//!
//! A change is a call counted ([`CallAnalysed`]: its first analysis, or a later revision after
//! a re-analysis) or a call erased ([`CallErased`]). Each call has a ledger entry (its marker):
//! the [`Version`] last applied and the measures it counted. The rollups always count the
//! latest version of each call:
//!
//! - a first analysis with no ledger entry goes the fast way: the batch is coalesced by rollup
//!   key and written with a marker per call (`attribute_not_exists`) in one transaction;
//! - everything else (a re-analysis, an erasure, a first analysis that found a marker) is
//!   settled call by call: read the ledger; a version not newer than it is a duplicate (or a
//!   stale change) and changes nothing; a newer one subtracts what the ledger counted, adds
//!   what it counts, and writes the ledger, all on the condition that the ledger is as read.
//!
//! So a redelivered or retried change subtracts nothing twice, an analysis arriving after its
//! call's erasure counts nothing (the erasure is a later version of the same incarnation: a
//! tombstone), and the same id sent again after an erasure is a later incarnation, counted.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;
use callscope_core::pipeline::{settlement, CallAnalysed, CallErased, RollupChange, Version};

use crate::consumer::{Consume, Disposition, Refusal, UnreadableMessage};
use crate::ports::{
    ApplyReport, Clock, LedgerEntry, Received, RollupRepository, Settled, Settlement, StoreError,
    TenantCall,
};
use crate::{telemetry, Deadline};

/// How long an erasure's tombstone lives: longer than any message can (14 days in a DLQ,
/// counted from its first enqueue, as SQS does). A call's counted entry never expires: an
/// erasure or a re-analysis must find what it counted, however old.
pub const MARKER_TTL_DAYS: i64 = 35;
/// Changes made longer ago than this are parked, not applied: their call's tombstone may be
/// gone by the time they are applied (a redrive creates a new message, so only the body's time
/// counts).
pub const OLDEST_APPLIED_DAYS: i64 = 30;
/// Reads of a call's ledger before a settlement that keeps conflicting is retried later.
const SETTLE_ATTEMPTS: usize = 4;

#[derive(Debug, Clone)]
pub struct AggregateRollups {
    rollups: Arc<dyn RollupRepository>,
    clock: Arc<dyn Clock>,
}

impl AggregateRollups {
    pub fn new(rollups: Arc<dyn RollupRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { rollups, clock }
    }
}

fn tenant_call(change: &RollupChange) -> TenantCall {
    (change.tenant().clone(), change.call_id().clone())
}

/// How one change was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Applied {
    Counted,
    /// Not newer than what the ledger holds: a redelivery, or a change overtaken.
    AlreadyCounted,
    Retry,
}

impl AggregateRollups {
    /// Settles one change against its call's ledger (see the module's comment).
    async fn settle(&self, change: &RollupChange) -> Result<Applied, StoreError> {
        let (tenant, call_id) = tenant_call(change);
        let version = change.version();
        for _ in 0..SETTLE_ATTEMPTS {
            let current = self.rollups.ledger(&tenant, &call_id).await?;
            if let Some(entry) = &current {
                // A marker without its measures cannot be moved: counting again would count
                // twice. Only an erasure settles it (subtracting nothing it can know).
                let stale = entry.version >= version || (entry.legacy && !version.is_erasure());
                if stale {
                    return Ok(Applied::AlreadyCounted);
                }
                if entry.legacy {
                    tracing::warn!(
                        tenant = %tenant,
                        call_id = %call_id,
                        "the call was counted before markers kept their measures; erased without subtracting them"
                    );
                }
            }
            let old = current.as_ref().and_then(|e| e.counted.as_ref());
            let settlement = Settlement {
                tenant: tenant.clone(),
                call_id: call_id.clone(),
                correlation_id: change.correlation_id().clone(),
                expected: current.as_ref().map(|e| e.version),
                deltas: settlement(old, change.counted()),
                entry: LedgerEntry {
                    version,
                    counted: change.counted().cloned(),
                    legacy: false,
                },
            };
            match self.rollups.settle(&settlement).await? {
                Settled::Written => return Ok(Applied::Counted),
                Settled::Conflict => telemetry::count(telemetry::ROLLUP_CONFLICTS, 1),
            }
        }
        Ok(Applied::Retry)
    }

    /// First analyses, coalesced; what found a marker is settled after.
    async fn apply_first(
        &self,
        firsts: &[CallAnalysed],
        outcomes: &mut HashMap<(TenantCall, Version), Applied>,
        to_settle: &mut Vec<RollupChange>,
    ) {
        let (report, not_applied): (ApplyReport, HashSet<TenantCall>) = match self
            .rollups
            .apply(firsts)
            .await
        {
            Ok(report) => (report, HashSet::new()),
            Err(error) => {
                tracing::warn!(reason = %error, "some calls were not applied; their messages will be retried");
                (error.report, error.not_applied.into_iter().collect())
            }
        };
        let committed = self.clock.now();
        let applied: HashSet<&TenantCall> = report.applied.iter().collect();
        for event in firsts {
            let change = RollupChange::Analysed(event.clone());
            let call = tenant_call(&change);
            let key = (call.clone(), change.version());
            if not_applied.contains(&call) {
                outcomes.insert(key, Applied::Retry);
            } else if applied.contains(&call) {
                // Timed only when this invocation committed it: a redelivery is not a second trip.
                if let Some(received_at) = event.received_at {
                    telemetry::time_since(telemetry::END_TO_END_LATENCY, received_at, committed);
                }
                outcomes.insert(key, Applied::Counted);
            } else {
                // It has a marker: a redelivery, or the same id sent again after an erasure.
                to_settle.push(change);
            }
        }
    }
}

/// Reads an analytics message: an erasure has `erased_at`, anything else is an analysis.
fn read_change(message: &Received) -> Result<RollupChange, Refusal> {
    let body = message.body.as_deref().ok_or(UnreadableMessage::NoBody)?;
    let unreadable = |expected: &'static str, e: serde_json::Error| -> Refusal {
        UnreadableMessage::NotJson {
            expected,
            detail: e.to_string(),
        }
        .into()
    };
    let value: serde_json::Value =
        serde_json::from_str(body).map_err(|e| unreadable("a rollup change", e))?;
    if value.get("erased_at").is_some() {
        serde_json::from_value::<CallErased>(value)
            .map(RollupChange::Erased)
            .map_err(|e| unreadable("a CallErased event", e))
    } else {
        serde_json::from_value::<CallAnalysed>(value)
            .map(RollupChange::Analysed)
            .map_err(|e| unreadable("a CallAnalysed event", e))
    }
}

#[async_trait]
impl Consume for AggregateRollups {
    type Message = RollupChange;

    const QUEUE: &'static str = "analytics";

    fn read(&self, message: &Received) -> Result<RollupChange, Refusal> {
        let change = read_change(message)?;
        if let Some(made_at) = change.made_at() {
            let oldest = self.clock.now().time() - chrono::Duration::days(OLDEST_APPLIED_DAYS);
            if made_at.time() < oldest {
                return Err(Refusal::TooOld {
                    call_id: change.call_id().clone(),
                    analysed_at: made_at,
                });
            }
        }
        Ok(change)
    }

    async fn handle(&self, batch: &[RollupChange], deadline: Deadline) -> Vec<Disposition> {
        if !deadline.allows_more_work() {
            tracing::warn!(
                calls = batch.len(),
                reason = "out of time for this invocation",
                "batch not applied; will retry"
            );
            telemetry::count(telemetry::ROLLUP_RETRIES, batch.len() as u64);
            return vec![Disposition::Retry; batch.len()];
        }
        // Each distinct (call, version) once; first analyses of distinct calls the fast way.
        let mut seen = HashSet::new();
        let mut first_calls = HashSet::new();
        let mut firsts = Vec::new();
        let mut to_settle = Vec::new();
        for change in batch {
            if !seen.insert((tenant_call(change), change.version())) {
                continue;
            }
            match change {
                RollupChange::Analysed(event)
                    if event.revision == 0 && first_calls.insert(tenant_call(change)) =>
                {
                    firsts.push(event.clone())
                }
                _ => to_settle.push(change.clone()),
            }
        }
        let mut outcomes: HashMap<(TenantCall, Version), Applied> = HashMap::new();
        if !firsts.is_empty() {
            self.apply_first(&firsts, &mut outcomes, &mut to_settle)
                .await;
        }
        // Oldest version first, so a batch holding a call's analysis and its erasure does both.
        to_settle.sort_by_key(|c| (tenant_call(c), c.version()));
        let mut unavailable: BTreeMap<TenantCall, String> = BTreeMap::new();
        for change in &to_settle {
            let call = tenant_call(change);
            let applied = if unavailable.contains_key(&call) {
                Applied::Retry
            } else {
                match self.settle(change).await {
                    Ok(applied) => applied,
                    Err(error) => {
                        unavailable.insert(call.clone(), error.to_string());
                        Applied::Retry
                    }
                }
            };
            outcomes.insert((call, change.version()), applied);
        }
        for (call, reason) in &unavailable {
            tracing::warn!(tenant = %call.0, call_id = %call.1, %reason, "rollup change not settled; will retry");
        }
        let dispositions: Vec<Disposition> = batch
            .iter()
            .map(|change| {
                let outcome = outcomes
                    .get(&(tenant_call(change), change.version()))
                    .copied()
                    .unwrap_or(Applied::Retry);
                // One line per change, so a call's journey can be followed to its end.
                if outcome == Applied::Retry {
                    tracing::warn!(
                        tenant = %change.tenant(),
                        call_id = %change.call_id(),
                        correlation_id = %change.correlation_id(),
                        "rollup change not yet applied; will be retried"
                    );
                    return Disposition::Retry;
                }
                let already_counted = outcome == Applied::AlreadyCounted;
                match change {
                    RollupChange::Analysed(event) => tracing::info!(
                        tenant = %event.tenant,
                        call_id = %event.call_id,
                        correlation_id = %event.correlation_id,
                        revision = event.revision,
                        already_counted,
                        "call counted in its rollups"
                    ),
                    RollupChange::Erased(erased) => tracing::info!(
                        tenant = %erased.tenant,
                        call_id = %erased.call_id,
                        correlation_id = %erased.correlation_id,
                        already_counted,
                        "erased call taken out of its rollups"
                    ),
                }
                Disposition::Done
            })
            .collect();
        let retried = dispositions
            .iter()
            .filter(|d| **d == Disposition::Retry)
            .count();
        telemetry::count(telemetry::ROLLUP_RETRIES, retried as u64);
        dispositions
    }
}

#[cfg(test)]
mod tests;
