//! The invalidate use case: a change to a call or a rollup moves the generations of the cache
//! scopes whose entries it makes stale, so those entries are never read again.
//!
//! | change | scopes bumped |
//! |---|---|
//! | a call (new, processed) | the tenant (lists, recommendations), the call |
//! | a call erased (its item removed: the stream has only its keys) | the tenant, the call (its agent's and team's series move with their rollups) |
//! | an agent's / team's / tenant's rollup | that agent / team (series); the tenant's analytics (leaderboards) |
//!
//! Series and leaderboards are sums of rollups, so only a rollup's change makes them stale: a
//! call that is admitted or processed but not yet counted leaves them reachable.
//!
//! A call is written three times on its way (admitted, processed, counted), each write a stream
//! record: the tenant's, agent's and team's generations coalesce (one move per window, see
//! [`crate::ports::coalesce_window`]), so a tenant taking a call a second loses its lists and
//! leaderboard at most every two seconds instead of three times a second.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use callscope_core::domain::{CallId, TenantId};
use callscope_core::pipeline::RollupScope;

use crate::ports::{Bumps, Cache, CacheError, Scope};

/// A change read from a table's stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Call {
        tenant: TenantId,
        call_id: CallId,
    },
    Rollup {
        tenant: TenantId,
        scope: RollupScope,
    },
}

impl Change {
    fn tenant(&self) -> &TenantId {
        match self {
            Change::Call { tenant, .. } | Change::Rollup { tenant, .. } => tenant,
        }
    }

    fn scopes(&self) -> Vec<Scope> {
        match self {
            Change::Call { call_id, .. } => vec![Scope::Tenant, Scope::Call(call_id.clone())],
            Change::Rollup { scope, .. } => match scope {
                RollupScope::Agent(agent) => vec![Scope::Analytics, Scope::Agent(agent.clone())],
                RollupScope::Team(team) => vec![Scope::Analytics, Scope::Team(team.clone())],
                RollupScope::TeamAgent(team, agent) => vec![
                    Scope::Analytics,
                    Scope::Team(team.clone()),
                    Scope::Agent(agent.clone()),
                ],
                RollupScope::Tenant => vec![Scope::Analytics],
            },
        }
    }
}

#[derive(Debug, Clone)]
pub struct Invalidate {
    cache: Arc<dyn Cache>,
}

impl Invalidate {
    pub fn new(cache: Arc<dyn Cache>) -> Self {
        Self { cache }
    }

    /// Bumps every scope the changes touch, once per scope, tenant by tenant; says how many
    /// generations moved, were scheduled to move, or were already scheduled.
    pub async fn apply(&self, changes: &[Change]) -> Result<Bumps, CacheError> {
        let mut by_tenant: BTreeMap<&TenantId, BTreeSet<Scope>> = BTreeMap::new();
        for change in changes {
            by_tenant
                .entry(change.tenant())
                .or_default()
                .extend(change.scopes());
        }
        let mut bumps = Bumps::default();
        for (tenant, scopes) in by_tenant {
            let scopes: Vec<Scope> = scopes.into_iter().collect();
            bumps.add(self.cache.bump(tenant, &scopes).await?);
        }
        Ok(bumps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryCache;
    use crate::test_support::{call_id, tenant};
    use callscope_core::domain::{AgentId, TeamId};

    #[tokio::test]
    async fn a_call_and_its_rollup_make_their_scopes_stale_once_each() {
        let cache = Arc::new(MemoryCache::default());
        let agent = AgentId::parse("a", "ana").expect("id");
        let team = TeamId::parse("t", "east").expect("id");
        let change = Change::Call {
            tenant: tenant("acme"),
            call_id: call_id("c-1"),
        };
        let rollup = Change::Rollup {
            tenant: tenant("acme"),
            scope: RollupScope::TeamAgent(team.clone(), agent.clone()),
        };
        let bumped = Invalidate::new(cache.clone())
            .apply(&[change.clone(), change, rollup])
            .await
            .expect("bumped");
        assert_eq!(
            bumped.moved, 5,
            "tenant, call (the call); analytics, agent, team (its rollup): each once"
        );
        let scopes = [
            Scope::Tenant,
            Scope::Call(call_id("c-1")),
            Scope::Agent(agent),
            Scope::Team(team),
            Scope::Analytics,
            Scope::Call(call_id("c-2")),
        ];
        let generations = cache
            .generations(&tenant("acme"), &scopes)
            .await
            .expect("read");
        assert_eq!(generations, [1, 1, 1, 1, 1, 0]);
        let other = cache
            .generations(&tenant("globex"), &scopes[..1])
            .await
            .expect("read");
        assert_eq!(other, [0], "another tenant's entries are untouched");
    }

    #[tokio::test]
    async fn a_burst_of_calls_moves_the_tenants_generation_once_now_and_once_later() {
        let clock = Arc::new(crate::memory::FixedClock::at("2026-11-02T10:00:00Z"));
        let cache = Arc::new(MemoryCache::with_clock(clock.clone()));
        let invalidate = Invalidate::new(cache.clone());
        let mut total = Bumps::default();
        for i in 0..10 {
            let change = Change::Call {
                tenant: tenant("acme"),
                call_id: call_id(&format!("c-{i}")),
            };
            total.add(invalidate.apply(&[change]).await.expect("bumped"));
            clock.advance(chrono::Duration::milliseconds(100));
        }
        // Each call's own scope moves every time; the tenant's once at once, once more at the
        // window's end. The agent's series are not touched until a rollup changes.
        assert_eq!(total.moved, 10 + 1);
        assert_eq!(total.scheduled, 1);
        assert_eq!(total.coalesced, 8);
        let generation = || async {
            cache
                .generations(&tenant("acme"), &[Scope::Tenant])
                .await
                .expect("read")[0]
        };
        let during = generation().await;
        clock.advance(chrono::Duration::seconds(2));
        assert!(
            generation().await > during,
            "the trailing calls show by the window's end"
        );
    }
}
