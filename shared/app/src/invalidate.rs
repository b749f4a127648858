//! The invalidate use case: a change to a call or a rollup moves the generations of the cache
//! scopes whose entries it makes stale, so those entries are never read again.
//!
//! | change | scopes bumped |
//! |---|---|
//! | a call (new, processed) | the tenant (lists, recommendations), the call, its agent, its team |
//! | a call erased (its item removed: the stream has only its keys) | the tenant, the call (its agent's and team's entries move with their rollups) |
//! | an agent's / team's / tenant's rollup | that agent / team; the tenant (leaderboards) |

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use callscope_core::domain::{AgentId, CallId, TeamId, TenantId};
use callscope_core::pipeline::RollupScope;

use crate::ports::{Cache, CacheError, Scope};

/// A change read from a table's stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Call {
        tenant: TenantId,
        call_id: CallId,
        /// `None` for a removed call item (a stream REMOVE record carries its keys only).
        agent_id: Option<AgentId>,
        team_id: Option<TeamId>,
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
            Change::Call {
                call_id,
                agent_id,
                team_id,
                ..
            } => {
                let mut scopes = vec![Scope::Tenant, Scope::Call(call_id.clone())];
                scopes.extend(agent_id.clone().map(Scope::Agent));
                scopes.extend(team_id.clone().map(Scope::Team));
                scopes
            }
            Change::Rollup { scope, .. } => match scope {
                RollupScope::Agent(agent) => vec![Scope::Tenant, Scope::Agent(agent.clone())],
                RollupScope::Team(team) => vec![Scope::Tenant, Scope::Team(team.clone())],
                RollupScope::TeamAgent(team, agent) => vec![
                    Scope::Tenant,
                    Scope::Team(team.clone()),
                    Scope::Agent(agent.clone()),
                ],
                RollupScope::Tenant => vec![Scope::Tenant],
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

    /// Bumps every scope the changes touch, once per scope, tenant by tenant.
    pub async fn apply(&self, changes: &[Change]) -> Result<usize, CacheError> {
        let mut by_tenant: BTreeMap<&TenantId, BTreeSet<Scope>> = BTreeMap::new();
        for change in changes {
            by_tenant
                .entry(change.tenant())
                .or_default()
                .extend(change.scopes());
        }
        let mut bumped = 0;
        for (tenant, scopes) in by_tenant {
            let scopes: Vec<Scope> = scopes.into_iter().collect();
            self.cache.bump(tenant, &scopes).await?;
            bumped += scopes.len();
        }
        Ok(bumped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryCache;
    use crate::test_support::{call_id, tenant};

    #[tokio::test]
    async fn a_processed_call_makes_its_tenants_calls_agents_and_teams_entries_stale_once() {
        let cache = Arc::new(MemoryCache::default());
        let agent = AgentId::parse("a", "ana").expect("id");
        let team = TeamId::parse("t", "east").expect("id");
        let change = Change::Call {
            tenant: tenant("acme"),
            call_id: call_id("c-1"),
            agent_id: Some(agent.clone()),
            team_id: Some(team.clone()),
        };
        let rollup = Change::Rollup {
            tenant: tenant("acme"),
            scope: RollupScope::TeamAgent(team.clone(), agent.clone()),
        };
        let bumped = Invalidate::new(cache.clone())
            .apply(&[change.clone(), change, rollup])
            .await
            .expect("bumped");
        assert_eq!(bumped, 4, "tenant, call, agent, team: each once");
        let scopes = [
            Scope::Tenant,
            Scope::Call(call_id("c-1")),
            Scope::Agent(agent),
            Scope::Team(team),
            Scope::Call(call_id("c-2")),
        ];
        let generations = cache
            .generations(&tenant("acme"), &scopes)
            .await
            .expect("read");
        assert_eq!(generations, [1, 1, 1, 1, 0]);
        let other = cache
            .generations(&tenant("globex"), &scopes[..1])
            .await
            .expect("read");
        assert_eq!(other, [0], "another tenant's entries are untouched");
    }
}
