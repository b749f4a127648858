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

/// A signed change to one rollup: an erased call's measures subtracted, a re-analysed call's
/// old measures subtracted and its new ones added. Written with DynamoDB's `ADD`, which takes
/// negative numbers, so deltas still commute.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RollupDelta {
    pub calls: i64,
    pub duration_seconds: f64,
    pub talk_ratio_sum: f64,
    pub sentiment_sum: f64,
    pub score_sum: i64,
    pub questions_agent: i64,
    pub questions_customer: i64,
    pub tracker_hits: BTreeMap<String, i64>,
    pub outcomes: BTreeMap<String, i64>,
}

fn signed(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl RollupDelta {
    /// Adds (`sign` 1) or subtracts (`sign` -1) totals.
    pub fn add_totals(&mut self, totals: &RollupTotals, sign: i64) {
        let float = sign as f64;
        self.calls += sign * signed(totals.calls);
        self.duration_seconds += float * totals.duration_seconds;
        self.talk_ratio_sum += float * totals.talk_ratio_sum;
        self.sentiment_sum += float * totals.sentiment_sum;
        self.score_sum += sign * signed(totals.score_sum);
        self.questions_agent += sign * signed(totals.questions_agent);
        self.questions_customer += sign * signed(totals.questions_customer);
        for (k, v) in &totals.tracker_hits {
            *self.tracker_hits.entry(k.clone()).or_default() += sign * signed(*v);
        }
        for (k, v) in &totals.outcomes {
            *self.outcomes.entry(k.clone()).or_default() += sign * signed(*v);
        }
    }
}

impl From<&RollupTotals> for RollupDelta {
    fn from(totals: &RollupTotals) -> Self {
        let mut delta = Self::default();
        delta.add_totals(totals, 1);
        delta
    }
}

fn moved(total: u64, delta: i64) -> u64 {
    u64::try_from(signed(total).saturating_add(delta)).unwrap_or(0)
}

impl RollupTotals {
    /// Applies a signed delta (never below zero: a rollup counts what was added to it). Trackers
    /// and outcomes brought to zero are dropped, so an erased call leaves no empty names behind.
    pub fn apply(&mut self, delta: &RollupDelta) {
        self.calls = moved(self.calls, delta.calls);
        self.duration_seconds += delta.duration_seconds;
        self.talk_ratio_sum += delta.talk_ratio_sum;
        self.sentiment_sum += delta.sentiment_sum;
        self.score_sum = moved(self.score_sum, delta.score_sum);
        self.questions_agent = moved(self.questions_agent, delta.questions_agent);
        self.questions_customer = moved(self.questions_customer, delta.questions_customer);
        for (k, v) in &delta.tracker_hits {
            let entry = self.tracker_hits.entry(k.clone()).or_default();
            *entry = moved(*entry, *v);
        }
        for (k, v) in &delta.outcomes {
            let entry = self.outcomes.entry(k.clone()).or_default();
            *entry = moved(*entry, *v);
        }
        self.tracker_hits.retain(|_, v| *v > 0);
        self.outcomes.retain(|_, v| *v > 0);
    }
}

/// The deltas that move a call's rollups from what they count of it (`old`) to `new`: the old
/// event's measures subtracted from its keys, the new one's added to its keys, one delta per key
/// (a transaction may touch an item once).
pub fn settlement(
    old: Option<&CallAnalysed>,
    new: Option<&CallAnalysed>,
) -> BTreeMap<RollupKey, RollupDelta> {
    let mut deltas: BTreeMap<RollupKey, RollupDelta> = BTreeMap::new();
    for (event, sign) in [(old, -1), (new, 1)] {
        let Some(event) = event else { continue };
        let totals = RollupTotals::of(event);
        for key in keys_of(event) {
            deltas.entry(key).or_default().add_totals(&totals, sign);
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
            revision: 0,
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
    fn a_settlement_moves_a_call_from_its_old_measures_to_its_new_ones() {
        let old = event("c1", "a1", Some("t1"), 80);
        let mut new = event("c1", "a2", None, 60);
        new.revision = 1;
        let deltas = settlement(Some(&old), Some(&new));
        let mut totals: BTreeMap<RollupKey, RollupTotals> = coalesce([&old]);
        for (key, delta) in &deltas {
            totals.entry(key.clone()).or_default().apply(delta);
        }
        totals.retain(|_, t| t.calls > 0);
        assert_eq!(
            totals,
            coalesce([&new]),
            "as if only the new analysis was counted"
        );
        let erased = settlement(Some(&new), None);
        let mut after: BTreeMap<RollupKey, RollupTotals> = coalesce([&new]);
        for (key, delta) in &erased {
            after.entry(key.clone()).or_default().apply(delta);
        }
        assert!(after.values().all(|t| t.calls == 0
            && t.score_sum == 0
            && t.tracker_hits.is_empty()
            && t.outcomes.is_empty()));
    }

    #[test]
    fn versions_order_incarnations_then_revisions_then_the_erasure() {
        let at = |ms| {
            Some(crate::domain::Timestamp::new(
                chrono::DateTime::from_timestamp_millis(ms).expect("time"),
            ))
        };
        let first = crate::pipeline::Version::new(at(1_000), 0);
        let reanalysed = crate::pipeline::Version::new(at(1_000), 1);
        let erased = crate::pipeline::Version::new(at(1_000), crate::pipeline::Version::ERASED);
        let sent_again = crate::pipeline::Version::new(at(2_000), 0);
        assert!(first < reanalysed && reanalysed < erased && erased < sent_again);
        assert!(erased.is_erasure() && !sent_again.is_erasure());
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
