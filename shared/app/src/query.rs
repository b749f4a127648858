//! The query use cases behind the read API: calls listed, read and compared, and analytics
//! read back from the rollups — each answer cached by the scopes a write can make stale.

mod cached;
mod cursor;
mod list;
pub mod views;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use callscope_core::domain::{AgentId, CallId, Day, TeamId, TenantId};
use callscope_core::pipeline::{RollupScope, RollupTotals};
use callscope_core::InputError;

pub use cached::{CacheOutcome, CacheStats, Cached, Resource, Served};
pub use cursor::{CursorKey, MAX_CURSOR_CHARS};
pub use list::ListLimits;

use crate::ports::{
    Cache, CacheHealth, CallQueries, CallRecord, ListFilter, PageRequest, RollupQueries, Scope,
    StoreError,
};
use views::{
    AgentSummary, AgentsLeaderboard, CallDetail, CallView, CoachingNudge, DayPoint,
    Recommendations, ScopeAnalytics, SimilarCall, Summary,
};

/// TTLs bound how long an entry lives once its generations moved on (or were never bumped
/// because invalidation failed). `stale_for` is how old an answer may be served while another
/// request recomputes it: with DynamoDB's convergence (≤ 1 s) it stays within the bound each
/// endpoint states ([`FRESH_WITHIN`], [`CALL_FRESH_WITHIN`]).
pub const LIST: Resource = Resource {
    name: "calls",
    ttl: Duration::from_secs(60),
    stale_for: STALE_FOR,
};
/// A call's detail is never served stale: it reflects the call's latest state as soon as
/// invalidation bumps the call's own (never coalesced) generation.
pub const CALL: Resource = Resource {
    name: "call",
    ttl: Duration::from_secs(300),
    stale_for: Duration::ZERO,
};
pub const RECOMMENDATIONS: Resource = Resource {
    name: "recommendations",
    ttl: Duration::from_secs(600),
    stale_for: STALE_FOR,
};
pub const ANALYTICS: Resource = Resource {
    name: "analytics",
    ttl: Duration::from_secs(300),
    stale_for: STALE_FOR,
};

/// The staleness bound of lists, recommendations, leaderboards and series (`docs/api.md`): a
/// write shows within this long of its invalidation being delivered. It holds both ways an
/// answer can lag: a generation moves at most [`crate::ports::COALESCE_WINDOW`] (2 s) after the
/// bump, and a latest answer is served at most [`STALE_FOR`] (3 s) after its load began, plus
/// DynamoDB's convergence (≤ 1 s).
pub const FRESH_WITHIN: Duration = Duration::from_secs(5);
/// A call's own detail: as soon as its invalidation is delivered (the stream's delay only).
pub const CALL_FRESH_WITHIN: Duration = Duration::ZERO;
/// How old a latest answer may be served while one request recomputes it.
pub const STALE_FOR: Duration = Duration::from_secs(3);

/// Most recent calls of the same agent and of the same team compared for similar calls.
pub const SIMILAR_CANDIDATES: usize = 50;
/// Similar calls returned.
pub const SIMILAR_CALLS: usize = 5;
const PREVIEW_CHARS: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// A parameter is wrong (`cursor` only: the HTTP layer checks the rest).
    #[error(transparent)]
    Invalid(#[from] InputError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `GET /api/v1/calls` parameters, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ListCalls {
    pub filter: ListFilter,
    pub limit: usize,
    pub offset: usize,
    pub cursor: Option<String>,
}

/// A range of days for analytics; open ends read every day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayRange {
    pub from: Option<Day>,
    pub to: Option<Day>,
}

#[derive(Debug, Clone)]
pub struct Queries {
    calls: Arc<dyn CallQueries>,
    rollups: Arc<dyn RollupQueries>,
    cached: Cached,
    cursor_key: CursorKey,
    limits: ListLimits,
}

impl Queries {
    pub fn new(
        calls: Arc<dyn CallQueries>,
        rollups: Arc<dyn RollupQueries>,
        cache: Arc<dyn Cache>,
        cursor_key: CursorKey,
    ) -> Self {
        Self {
            calls,
            rollups,
            cached: Cached::new(cache),
            cursor_key,
            limits: ListLimits::DEFAULT,
        }
    }

    /// The same queries, telling cache generations bumped moments ago by `clock`'s time.
    pub fn with_clock(mut self, clock: Arc<dyn crate::ports::Clock>) -> Self {
        self.cached = self.cached.with_clock(clock);
        self
    }

    /// Other list limits (tests make them small to show what a large tenant costs).
    pub fn with_limits(self, limits: ListLimits) -> Self {
        Self { limits, ..self }
    }

    pub fn cache_stats(&self) -> &CacheStats {
        self.cached.stats()
    }

    /// The cache's health, checked at most every few seconds; never the cache's own error.
    pub async fn cache_health(&self) -> CacheHealth {
        self.cached.health().await
    }

    /// One call with its analysis; `None` when the tenant has no such call.
    pub async fn call(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
    ) -> Result<Served<Option<CallDetail>>, QueryError> {
        let scopes = [Scope::Call(call_id.clone())];
        self.cached
            .get_or_load_reading(tenant, CALL, &scopes, call_id.as_str(), |read| async move {
                let record = self.calls.record(tenant, call_id, read).await?;
                Ok::<_, QueryError>(record.map(|r| CallDetail {
                    call: match &r.transcript {
                        Some(t) => CallView::new(&r.listing, t.to_lines()),
                        None => CallView::expired(&r.listing),
                    },
                    analysis: r.analysis,
                }))
            })
            .await
    }

    /// Calls like this one among its agent's and team's recent calls, and coaching nudges from
    /// its analysis; `None` when the tenant has no such call.
    pub async fn recommendations(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
    ) -> Result<Served<Option<Recommendations>>, QueryError> {
        // The call's own scope first: its agent and team are only known after reading it, and a
        // new call of the same agent or team bumps the tenant's generation too.
        let scopes = [Scope::Call(call_id.clone()), Scope::Tenant];
        self.cached
            .get_or_load_reading(
                tenant,
                RECOMMENDATIONS,
                &scopes,
                call_id.as_str(),
                |read| async move {
                    let Some(record) = self.calls.record(tenant, call_id, read).await? else {
                        return Ok::<_, QueryError>(None);
                    };
                    let similar_calls = self.similar_calls(&record).await?;
                    let coaching_nudges = record
                        .analysis
                        .iter()
                        .flat_map(|a| &a.recommendations)
                        .map(CoachingNudge::from_recommendation)
                        .collect();
                    Ok(Some(Recommendations {
                        similar_calls,
                        coaching_nudges,
                    }))
                },
            )
            .await
    }

    async fn similar_calls(&self, target: &CallRecord) -> Result<Vec<SimilarCall>, QueryError> {
        let Some(signature) = &target.listing.signature else {
            return Ok(Vec::new());
        };
        let base = ListFilter {
            tenant: target.listing.tenant.clone(),
            agent: None,
            team: None,
            from: None,
            to: None,
            min_sentiment: None,
            max_sentiment: None,
        };
        let recent = |filter: ListFilter| PageRequest {
            filter,
            after: None,
            skip: 0,
            limit: SIMILAR_CANDIDATES,
            budget: SIMILAR_CANDIDATES + 1,
        };
        let by_agent = recent(ListFilter {
            agent: Some(target.listing.agent_id.clone()),
            ..base.clone()
        });
        let by_team = target.listing.team_id.clone().map(|team| {
            recent(ListFilter {
                team: Some(team),
                ..base.clone()
            })
        });
        let (agent_page, team_page) = futures::try_join!(self.calls.page(&by_agent), async {
            match &by_team {
                Some(request) => self.calls.page(request).await.map(Some),
                None => Ok(None),
            }
        })?;
        let mut candidates = HashMap::new();
        for call in agent_page
            .calls
            .into_iter()
            .chain(team_page.into_iter().flat_map(|p| p.calls))
        {
            if call.call_id == target.listing.call_id {
                continue;
            }
            if let Some(other) = &call.signature {
                let score = signature.similarity(other);
                candidates
                    .entry(call.call_id.clone())
                    .or_insert((score, call));
            }
        }
        let mut ranked: Vec<(f64, _)> = candidates
            .into_values()
            .filter(|(score, _)| *score > 0.0)
            .collect();
        ranked.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then_with(|| a.1.call_id.cmp(&b.1.call_id))
        });
        Ok(ranked
            .into_iter()
            .take(SIMILAR_CALLS)
            .map(|(score, call)| SimilarCall {
                call_id: call.call_id.to_string(),
                agent_id: call.agent_id.to_string(),
                similarity_score: (score * 10_000.0).round() / 10_000.0,
                transcript_preview: call
                    .preview
                    .map(|p| truncate(&p, PREVIEW_CHARS))
                    .unwrap_or_default(),
            })
            .collect())
    }

    /// Every agent's totals over the range (within one team when given), most calls first.
    /// Reads at most [`LEADERBOARD_DAYS`] days of rollups: an open end is filled in from the
    /// other, or from the latest day with calls, so a tenant's history never grows the read.
    pub async fn agents(
        &self,
        tenant: &TenantId,
        range: DayRange,
        team: Option<&TeamId>,
    ) -> Result<Served<AgentsLeaderboard>, QueryError> {
        if let (Some(from), Some(to)) = (range.from, range.to) {
            if days_between(from, to) >= LEADERBOARD_DAYS {
                return Err(InputError::invalid(
                    "to_date",
                    format!("makes a range of more than {LEADERBOARD_DAYS} days with from_date"),
                )
                .into());
            }
        }
        let params = format!(
            "agents:{}:{}:{}",
            day_param(range.from),
            day_param(range.to),
            team.map_or("", TeamId::as_str)
        );
        self.cached
            .get_or_load(tenant, ANALYTICS, &[Scope::Analytics], &params, || async {
                let window = match (range.from, range.to) {
                    (Some(from), Some(to)) => Some((from, to)),
                    (Some(from), None) => Some((from, shift(from, LEADERBOARD_DAYS - 1))),
                    (None, Some(to)) => Some((shift(to, -(LEADERBOARD_DAYS - 1)), to)),
                    (None, None) => self
                        .rollups
                        .latest_agent_day(tenant, team)
                        .await?
                        .map(|to| (shift(to, -(LEADERBOARD_DAYS - 1)), to)),
                };
                let Some((from, to)) = window else {
                    return Ok::<_, QueryError>(AgentsLeaderboard {
                        from_date: None,
                        to_date: None,
                        agents: Vec::new(),
                    });
                };
                let totals = self
                    .rollups
                    .agents(tenant, Some(from), Some(to), team)
                    .await?;
                let mut agents: Vec<AgentSummary> = totals
                    .iter()
                    // An agent whose calls were all erased has rows of zeros: not on the board.
                    .filter(|(_, totals)| totals.calls > 0)
                    .map(|(agent, totals)| AgentSummary {
                        agent_id: agent.to_string(),
                        name: agent.to_string(),
                        summary: Summary::of(totals),
                    })
                    .collect();
                agents.sort_by(|a, b| {
                    b.summary
                        .total_calls
                        .cmp(&a.summary.total_calls)
                        .then_with(|| a.agent_id.cmp(&b.agent_id))
                });
                Ok(AgentsLeaderboard {
                    from_date: Some(from.to_string()),
                    to_date: Some(to.to_string()),
                    agents,
                })
            })
            .await
    }

    pub async fn agent(
        &self,
        tenant: &TenantId,
        agent: &AgentId,
        range: DayRange,
    ) -> Result<Served<ScopeAnalytics>, QueryError> {
        let scope = RollupScope::Agent(agent.clone());
        self.scope_analytics(tenant, scope, Scope::Agent(agent.clone()), range)
            .await
    }

    pub async fn team(
        &self,
        tenant: &TenantId,
        team: &TeamId,
        range: DayRange,
    ) -> Result<Served<ScopeAnalytics>, QueryError> {
        let scope = RollupScope::Team(team.clone());
        self.scope_analytics(tenant, scope, Scope::Team(team.clone()), range)
            .await
    }

    async fn scope_analytics(
        &self,
        tenant: &TenantId,
        rollup_scope: RollupScope,
        cache_scope: Scope,
        range: DayRange,
    ) -> Result<Served<ScopeAnalytics>, QueryError> {
        let (kind, id) = match &rollup_scope {
            RollupScope::Agent(agent) => ("agent", agent.to_string()),
            RollupScope::Team(team) => ("team", team.to_string()),
            RollupScope::TeamAgent(team, agent) => ("team_agent", format!("{team}/{agent}")),
            RollupScope::Tenant => ("tenant", String::new()),
        };
        let params = format!(
            "{kind}:{id}:{}:{}",
            day_param(range.from),
            day_param(range.to)
        );
        self.cached
            .get_or_load(tenant, ANALYTICS, &[cache_scope], &params, || async {
                let mut series = self
                    .rollups
                    .series(tenant, &rollup_scope, range.from, range.to)
                    .await?;
                // Days whose calls were all erased keep a row of zeros: no day in the series.
                series.retain(|_, day| day.calls > 0);
                let mut totals = RollupTotals::default();
                for day in series.values() {
                    totals.merge(day);
                }
                Ok::<_, QueryError>(ScopeAnalytics {
                    scope: kind.to_owned(),
                    id: id.clone(),
                    from_date: range.from.map(|d| d.to_string()),
                    to_date: range.to.map(|d| d.to_string()),
                    totals: Summary::of(&totals),
                    series: series
                        .iter()
                        .map(|(day, totals)| DayPoint {
                            day: day.to_string(),
                            summary: Summary::of(totals),
                        })
                        .collect(),
                })
            })
            .await
    }
}

/// Days a leaderboard covers at most (and when a date is left out).
pub const LEADERBOARD_DAYS: i64 = 366;

fn days_between(from: Day, to: Day) -> i64 {
    (to.date() - from.date()).num_days()
}

/// `day` moved by `days` (saturating at the calendar's ends).
fn shift(day: Day, days: i64) -> Day {
    let date = day
        .date()
        .checked_add_signed(chrono::Duration::days(days))
        .unwrap_or(day.date());
    date.and_hms_opt(0, 0, 0)
        .map_or(day, |start| Day::of(start.and_utc()))
}

fn day_param(day: Option<Day>) -> String {
    day.map(|d| d.to_string()).unwrap_or_default()
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        None => text.to_owned(),
        Some((cut, _)) => format!("{}…", text[..cut].trim_end()),
    }
}

#[cfg(test)]
mod tests;
