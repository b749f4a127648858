//! Keys and attribute mapping of the analytics table.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use callscope_core::domain::{AgentId, CallId, Day, TeamId, TenantId};
use callscope_core::pipeline::{RollupKey, RollupScope, RollupTotals};

pub fn rollup_pk(key: &RollupKey) -> String {
    scope_pk(&key.tenant, &key.scope)
}

/// The partition of one scope's daily rollups.
pub fn scope_pk(tenant: &TenantId, scope: &RollupScope) -> String {
    match scope {
        RollupScope::Agent(agent) => format!("TENANT#{tenant}#ROLLUP#AGENT#{agent}"),
        RollupScope::Team(team) => format!("TENANT#{tenant}#ROLLUP#TEAM#{team}"),
        RollupScope::TeamAgent(team, agent) => {
            format!("TENANT#{tenant}#ROLLUP#TEAM#{team}#AGENT#{agent}")
        }
        RollupScope::Tenant => format!("TENANT#{tenant}#ROLLUP#TENANT"),
    }
}

/// The `ByScopeDay` partition listing every agent's daily rollups: of the tenant, or of the
/// agents' calls within one team.
pub fn agents_pk(tenant: &TenantId, team: Option<&TeamId>) -> String {
    match team {
        None => format!("TENANT#{tenant}#AGENTS"),
        Some(team) => format!("TENANT#{tenant}#TEAM#{team}#AGENTS"),
    }
}

/// `ByScopeDay` keys of a rollup (`gsi1pk`, `gsi1sk = DAY#{d}#{id}`); tenant rollups have none.
pub fn scope_day_keys(key: &RollupKey) -> Option<(String, String)> {
    let sk = |id: &str| format!("DAY#{}#{id}", key.day);
    match &key.scope {
        RollupScope::Agent(agent) => Some((agents_pk(&key.tenant, None), sk(agent.as_str()))),
        RollupScope::TeamAgent(team, agent) => {
            Some((agents_pk(&key.tenant, Some(team)), sk(agent.as_str())))
        }
        RollupScope::Team(team) => {
            Some((format!("TENANT#{}#TEAMS", key.tenant), sk(team.as_str())))
        }
        RollupScope::Tenant => None,
    }
}

pub fn rollup_sk(day: Day) -> String {
    format!("DAY#{day}")
}

pub fn marker_key(tenant: &TenantId, call_id: &CallId) -> (String, String) {
    (
        format!("TENANT#{tenant}#APPLIED#{call_id}"),
        "APPLIED".to_owned(),
    )
}

/// What the rollup item says it counts (`scope_kind`, `scope_id`, and the agent of agent scopes).
pub fn scope_parts(scope: &RollupScope) -> (&'static str, String, Option<&AgentId>) {
    match scope {
        RollupScope::Agent(agent) => ("agent", agent.to_string(), Some(agent)),
        RollupScope::Team(team) => ("team", team.to_string(), None),
        RollupScope::TeamAgent(team, agent) => ("team_agent", team.to_string(), Some(agent)),
        RollupScope::Tenant => ("tenant", String::new(), None),
    }
}

fn number(item: &HashMap<String, AttributeValue>, name: &str) -> f64 {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0)
}

fn count(item: &HashMap<String, AttributeValue>, name: &str) -> u64 {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// The day a rollup item counts.
pub fn day_of(item: &HashMap<String, AttributeValue>) -> Option<Day> {
    Day::parse("day", item.get("day")?.as_s().ok()?).ok()
}

pub fn totals_of(item: &HashMap<String, AttributeValue>) -> RollupTotals {
    let prefixed = |prefix: &str| {
        item.iter()
            .filter_map(|(name, value)| {
                let key = name.strip_prefix(prefix)?;
                let count: u64 = value.as_n().ok()?.parse().ok()?;
                // Brought back to zero by an erasure or a re-analysis: no such tracker.
                (count > 0).then(|| (key.to_owned(), count))
            })
            .collect()
    };
    RollupTotals {
        calls: count(item, "calls"),
        duration_seconds: number(item, "duration_seconds"),
        talk_ratio_sum: number(item, "talk_ratio_sum"),
        sentiment_sum: number(item, "sentiment_sum"),
        score_sum: count(item, "score_sum"),
        questions_agent: count(item, "questions_agent"),
        questions_customer: count(item, "questions_customer"),
        tracker_hits: prefixed("tracker:"),
        outcomes: prefixed("outcome:"),
    }
}
