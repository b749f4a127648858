//! Keys and attribute mapping of the analytics table.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use callscope_core::domain::{CallId, Day, TenantId};
use callscope_core::pipeline::{RollupKey, RollupScope, RollupTotals};

pub fn rollup_pk(key: &RollupKey) -> String {
    match &key.scope {
        RollupScope::Agent(agent) => format!("TENANT#{}#ROLLUP#AGENT#{agent}", key.tenant),
        RollupScope::Team(team) => format!("TENANT#{}#ROLLUP#TEAM#{team}", key.tenant),
        RollupScope::Tenant => format!("TENANT#{}#ROLLUP#TENANT", key.tenant),
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

pub fn scope_parts(scope: &RollupScope) -> (&'static str, String) {
    match scope {
        RollupScope::Agent(agent) => ("agent", agent.to_string()),
        RollupScope::Team(team) => ("team", team.to_string()),
        RollupScope::Tenant => ("tenant", String::new()),
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

pub fn totals_of(item: &HashMap<String, AttributeValue>) -> RollupTotals {
    let prefixed = |prefix: &str| {
        item.iter()
            .filter_map(|(name, value)| {
                let key = name.strip_prefix(prefix)?;
                Some((key.to_owned(), value.as_n().ok()?.parse().ok()?))
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
