//! The calls table's item layout: keys, attributes, and reading a stored call back.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use callscope_core::domain::{Call, CallId, TenantId};
use callscope_core::redaction::RedactionCounts;
use serde_json::json;

use super::{StoreError, StoredCall};

pub const CALL_SK: &str = "CALL";
pub const TRANSCRIPT_SK: &str = "TRANSCRIPT";
pub const ANALYSIS_SK: &str = "ANALYSIS";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallStatus {
    Received,
    Processed,
}

impl CallStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CallStatus::Received => "RECEIVED",
            CallStatus::Processed => "PROCESSED",
        }
    }
}

pub fn call_pk(tenant: &TenantId, call_id: &CallId) -> String {
    format!("TENANT#{tenant}#CALL#{call_id}")
}

/// The inverse of [`call_pk`]; ids never contain `#`, so the split is unambiguous.
pub fn parse_call_pk(pk: &str) -> Option<(TenantId, CallId)> {
    let (tenant, call_id) = pk.strip_prefix("TENANT#")?.split_once("#CALL#")?;
    Some((
        TenantId::parse("tenant", tenant).ok()?,
        CallId::parse("call_id", call_id).ok()?,
    ))
}

/// Shards of the sparse `Pending` index: pending calls spread over 16 partitions by the first
/// hex digit of their content hash, so a burst of ingests never concentrates on one.
pub const PENDING_SHARDS: [char; 16] = [
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f',
];

pub fn pending_pk(shard: char) -> String {
    format!("PENDING#{shard}")
}

/// `{received_at}#{correlation_id}`: sorted by age, and carrying the id the re-queued message
/// keeps (RFC 3339 times contain no `#`).
pub fn pending_sk(received_at: &str, correlation_id: &str) -> String {
    format!("{received_at}#{correlation_id}")
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub fn call_item(
    tenant: &TenantId,
    call: &Call,
    content_hash: &str,
    redactions: &RedactionCounts,
    correlation_id: &str,
) -> Result<HashMap<String, AttributeValue>, StoreError> {
    let start_time = call
        .start_time
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let sort_key = format!("{start_time}#{}", call.call_id);
    let received_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut item = HashMap::from([
        ("pk".to_owned(), s(call_pk(tenant, &call.call_id))),
        ("sk".to_owned(), s(CALL_SK)),
        ("tenant".to_owned(), s(tenant.as_str())),
        ("call_id".to_owned(), s(call.call_id.as_str())),
        ("agent_id".to_owned(), s(call.agent_id.as_str())),
        ("customer_id".to_owned(), s(call.customer_id.as_str())),
        ("language".to_owned(), s(call.language.as_str())),
        ("start_time".to_owned(), s(start_time)),
        ("day".to_owned(), s(call.day())),
        ("duration_seconds".to_owned(), n(call.duration_seconds)),
        ("status".to_owned(), s(CallStatus::Received.as_str())),
        ("content_hash".to_owned(), s(content_hash)),
        ("correlation_id".to_owned(), s(correlation_id)),
        ("received_at".to_owned(), s(received_at.clone())),
        // Present only while the call is RECEIVED: processing removes it (sparse index).
        (
            "pending_pk".to_owned(),
            s(pending_pk(content_hash.chars().next().unwrap_or('0'))),
        ),
        (
            "pending_sk".to_owned(),
            s(pending_sk(&received_at, correlation_id)),
        ),
        (
            "redactions".to_owned(),
            AttributeValue::M(HashMap::from([
                ("emails".to_owned(), n(redactions.emails)),
                ("phone_numbers".to_owned(), n(redactions.phone_numbers)),
                ("card_numbers".to_owned(), n(redactions.card_numbers)),
            ])),
        ),
        (
            "gsi1pk".to_owned(),
            s(format!("TENANT#{tenant}#AGENT#{}", call.agent_id)),
        ),
        ("gsi1sk".to_owned(), s(sort_key.clone())),
        (
            "gsi2pk".to_owned(),
            s(format!("TENANT#{tenant}#DAY#{}", call.day())),
        ),
        ("gsi2sk".to_owned(), s(sort_key.clone())),
    ]);
    if let Some(team) = &call.team_id {
        item.insert("team_id".to_owned(), s(team.as_str()));
        item.insert(
            "gsi3pk".to_owned(),
            s(format!("TENANT#{tenant}#TEAM#{team}")),
        );
        item.insert("gsi3sk".to_owned(), s(sort_key));
    }
    if let Some(outcome) = call.outcome {
        item.insert("outcome".to_owned(), s(outcome.as_str()));
    }
    Ok(item)
}

pub fn transcript_item(
    tenant: &TenantId,
    call: &Call,
) -> Result<HashMap<String, AttributeValue>, StoreError> {
    let utterances = serde_json::to_string(&call.utterances)
        .map_err(|e| anyhow::anyhow!("serialising the transcript: {e}"))?;
    Ok(HashMap::from([
        ("pk".to_owned(), s(call_pk(tenant, &call.call_id))),
        ("sk".to_owned(), s(TRANSCRIPT_SK)),
        ("utterances".to_owned(), s(utterances)),
    ]))
}

/// Size of an item of string attributes, as DynamoDB counts it (names + values).
pub fn approximate_size(item: &HashMap<String, AttributeValue>) -> usize {
    item.iter()
        .map(|(k, v)| k.len() + v.as_s().map_or(16, String::len))
        .sum()
}

pub fn string<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

fn number(item: &HashMap<String, AttributeValue>, name: &str) -> Option<f64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
}

pub fn status(item: &HashMap<String, AttributeValue>) -> CallStatus {
    match string(item, "status") {
        Some("PROCESSED") => CallStatus::Processed,
        _ => CallStatus::Received,
    }
}

/// Rebuilds the domain call (validated again on the way in) from its two items.
pub fn stored_call(
    call_item: &HashMap<String, AttributeValue>,
    transcript_item: &HashMap<String, AttributeValue>,
) -> Result<StoredCall, String> {
    let utterances: serde_json::Value =
        serde_json::from_str(string(transcript_item, "utterances").unwrap_or("null"))
            .map_err(|e| e.to_string())?;
    let document = json!({
        "call_id": string(call_item, "call_id"),
        "agent_id": string(call_item, "agent_id"),
        "customer_id": string(call_item, "customer_id"),
        "team_id": string(call_item, "team_id"),
        "language": string(call_item, "language"),
        "start_time": string(call_item, "start_time"),
        "duration_seconds": number(call_item, "duration_seconds"),
        "outcome": string(call_item, "outcome"),
        "utterances": utterances,
    });
    let call: Call = serde_json::from_value(document).map_err(|e| e.to_string())?;
    let redactions = call_item.get("redactions").and_then(|v| v.as_m().ok());
    let count = |name: &str| {
        redactions
            .and_then(|m| m.get(name))
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    Ok(StoredCall {
        call,
        status: status(call_item),
        correlation_id: string(call_item, "correlation_id")
            .unwrap_or_default()
            .to_owned(),
        redactions: RedactionCounts {
            emails: count("emails"),
            phone_numbers: count("phone_numbers"),
            card_numbers: count("card_numbers"),
        },
        content_hash: string(call_item, "content_hash")
            .unwrap_or_default()
            .to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_key_parses_back_to_its_ids() {
        let tenant = TenantId::parse("tenant", "acme").expect("tenant");
        let call_id = CallId::parse("call_id", "call-2026:11.01_x").expect("id");
        assert_eq!(
            parse_call_pk(&call_pk(&tenant, &call_id)),
            Some((tenant, call_id))
        );
        assert_eq!(parse_call_pk("TENANT#acme#ROLLUP#TENANT"), None);
    }
}
