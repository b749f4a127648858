//! Rollups: additive totals per (agent, day), (team, day) and (tenant, day), and the coalescing
//! of a batch of events into one delta per rollup key.
//!
//! Totals are sums and counts only, so applying deltas commutes and averages are derived on read
//! (`sum / calls`). Exactly-once is the store's job (an idempotency marker per call written in
//! the same transaction as the deltas); this module only does the arithmetic.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::{AgentId, Day, Outcome, TeamId, TenantId};
use crate::pipeline::CallAnalysed;

/// Which population a rollup counts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum RollupScope {
    Agent(AgentId),
    Team(TeamId),
    /// An agent's calls made within one team: the team's agents leaderboard, exact even when
    /// agents move between teams.
    TeamAgent(TeamId, AgentId),
    Tenant,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RollupKey {
    pub tenant: TenantId,
    pub scope: RollupScope,
    pub day: Day,
}

/// Additive measures of a set of calls.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RollupTotals {
    pub calls: u64,
    pub duration_seconds: f64,
    pub talk_ratio_sum: f64,
    pub sentiment_sum: f64,
    pub score_sum: u64,
    pub questions_agent: u64,
    pub questions_customer: u64,
    /// Mentions per tracker name.
    pub tracker_hits: BTreeMap<String, u64>,
    /// Calls per outcome (`won`, `lost`, `follow_up`, `no_decision`).
    pub outcomes: BTreeMap<String, u64>,
}

impl RollupTotals {
    pub fn of(event: &CallAnalysed) -> Self {
        let mut totals = Self::default();
        totals.add(event);
        totals
    }

    pub fn add(&mut self, event: &CallAnalysed) {
        self.calls += 1;
        self.duration_seconds += event.duration_seconds;
        self.talk_ratio_sum += event.agent_talk_ratio;
        self.sentiment_sum += event.customer_sentiment_score;
        self.score_sum += u64::from(event.score);
        self.questions_agent += u64::from(event.questions_agent);
        self.questions_customer += u64::from(event.questions_customer);
        for (tracker, hits) in &event.tracker_hits {
            *self.tracker_hits.entry(tracker.clone()).or_default() += u64::from(*hits);
        }
        if let Some(outcome) = event.outcome {
            *self
                .outcomes
                .entry(Outcome::as_str(outcome).to_owned())
                .or_default() += 1;
        }
    }

    pub fn merge(&mut self, other: &RollupTotals) {
        self.calls += other.calls;
        self.duration_seconds += other.duration_seconds;
        self.talk_ratio_sum += other.talk_ratio_sum;
        self.sentiment_sum += other.sentiment_sum;
        self.score_sum += other.score_sum;
        self.questions_agent += other.questions_agent;
        self.questions_customer += other.questions_customer;
        for (k, v) in &other.tracker_hits {
            *self.tracker_hits.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.outcomes {
            *self.outcomes.entry(k.clone()).or_default() += v;
        }
    }

    pub fn average_talk_ratio(&self) -> Option<f64> {
        (self.calls > 0).then(|| self.talk_ratio_sum / self.calls as f64)
    }

    pub fn average_sentiment(&self) -> Option<f64> {
        (self.calls > 0).then(|| self.sentiment_sum / self.calls as f64)
    }

    pub fn average_score(&self) -> Option<f64> {
        (self.calls > 0).then(|| self.score_sum as f64 / self.calls as f64)
    }
}

/// The rollup keys one event counts towards: its agent, its team and its agent within the team
/// (if it has a team), and its tenant, on its day.
pub fn keys_of(event: &CallAnalysed) -> Vec<RollupKey> {
    let key = |scope| RollupKey {
        tenant: event.tenant.clone(),
        scope,
        day: event.day,
    };
    let mut keys = vec![key(RollupScope::Agent(event.agent_id.clone()))];
    if let Some(team) = &event.team_id {
        keys.push(key(RollupScope::Team(team.clone())));
        keys.push(key(RollupScope::TeamAgent(
            team.clone(),
            event.agent_id.clone(),
        )));
    }
    keys.push(key(RollupScope::Tenant));
    keys
}

/// One delta per rollup key for a batch of events (each event is counted once per key).
pub fn coalesce<'a>(
    events: impl IntoIterator<Item = &'a CallAnalysed>,
) -> BTreeMap<RollupKey, RollupTotals> {
    let mut deltas: BTreeMap<RollupKey, RollupTotals> = BTreeMap::new();
    for event in events {
        for key in keys_of(event) {
            deltas.entry(key).or_default().add(event);
        }
    }
    deltas
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(call: &str, agent: &str, team: Option<&str>, score: u8) -> CallAnalysed {
        CallAnalysed {
            tenant: TenantId::parse("tenant", "acme").expect("valid"),
            call_id: crate::domain::CallId::parse("call_id", call).expect("valid"),
            agent_id: AgentId::parse("agent_id", agent).expect("valid"),
            team_id: team.map(|t| TeamId::parse("team_id", t).expect("valid")),
            day: Day::parse("day", "2026-11-01").expect("valid"),
            correlation_id: crate::domain::CorrelationId::parse("correlation_id", "c")
                .expect("valid"),
            duration_seconds: 60.0,
            agent_talk_ratio: 0.5,
            customer_sentiment_score: 0.25,
            score,
            questions_agent: 3,
            questions_customer: 1,
            tracker_hits: BTreeMap::from([("pricing".to_owned(), 2)]),
            outcome: Some(Outcome::Won),
            analysed_at: None,
            received_at: None,
        }
    }

    #[test]
    fn a_batch_coalesces_into_one_delta_per_agent_team_and_tenant() {
        let events = [
            event("c1", "a1", Some("t1"), 80),
            event("c2", "a1", Some("t1"), 60),
            event("c3", "a2", None, 50),
        ];
        let deltas = coalesce(&events);
        assert_eq!(deltas.len(), 5, "a1, a2, team t1, a1 in t1, tenant");
        let tenant_key = RollupKey {
            tenant: events[0].tenant.clone(),
            scope: RollupScope::Tenant,
            day: Day::parse("day", "2026-11-01").expect("valid"),
        };
        let tenant = &deltas[&tenant_key];
        assert_eq!(tenant.calls, 3);
        assert_eq!(tenant.score_sum, 190);
        assert_eq!(tenant.tracker_hits["pricing"], 6);
        assert_eq!(tenant.outcomes["won"], 3);
        assert_eq!(tenant.duration_seconds, 180.0);
    }

    #[test]
    fn merging_deltas_equals_adding_their_events() {
        let events = [event("c1", "a1", None, 80), event("c2", "a1", None, 60)];
        let mut merged = RollupTotals::of(&events[0]);
        merged.merge(&RollupTotals::of(&events[1]));
        let mut added = RollupTotals::default();
        events.iter().for_each(|e| added.add(e));
        assert_eq!(merged, added);
    }
}
