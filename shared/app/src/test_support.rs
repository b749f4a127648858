//! Shared pieces of the use cases' unit tests: ids, calls and messages.

use callscope_core::domain::{Call, CallId, CorrelationId, TenantId};
use callscope_core::formats::{self, Format};
use serde_json::json;

use crate::ports::{Attribute, Received};

pub fn tenant(id: &str) -> TenantId {
    TenantId::parse("tenant", id).expect("tenant id")
}

pub fn call_id(id: &str) -> CallId {
    CallId::parse("call_id", id).expect("call id")
}

pub fn correlation(id: &str) -> CorrelationId {
    CorrelationId::parse("correlation_id", id).expect("correlation id")
}

/// A short call document of `agent` with an e-mail address in it (so redaction has work).
pub fn document(id: &str, agent: &str) -> serde_json::Value {
    json!({
        "call_id": id, "agent_id": agent, "customer_id": "cust-1", "team_id": "east",
        "start_time": "2026-11-02T09:00:00Z", "duration_seconds": 20,
        "transcript": "Agent: Hello, what brings you here today?\nCustomer: Send it to ana@example.com please."
    })
}

pub fn call(id: &str, agent: &str) -> Call {
    formats::parse_value(document(id, agent), Format::Auto).expect("valid call")
}

/// A queue message with the given body and string attributes.
pub fn received(id: &str, body: &str, attributes: &[(&str, &str)]) -> Received {
    Received {
        id: id.to_owned(),
        body: Some(body.to_owned()),
        attributes: attributes
            .iter()
            .map(|(name, value)| {
                let attribute = Attribute {
                    data_type: "String".into(),
                    value: (*value).to_owned(),
                };
                ((*name).to_owned(), attribute)
            })
            .collect(),
        sender_id: None,
        receive_count: None,
    }
}

/// Marks a stored call processed as the analyse use case would: its analysis and signature.
pub async fn process(calls: &crate::memory::MemoryCalls, tenant: &TenantId, id: &str, at: &str) {
    analyse(calls, tenant, id, at, true).await;
}

/// Stores a call's analysis as the analyse use case would, and marks it PROCESSED when `mark`
/// (as it does once the call's event is sent).
pub async fn analyse(
    calls: &crate::memory::MemoryCalls,
    tenant: &TenantId,
    id: &str,
    at: &str,
    mark: bool,
) {
    use crate::ports::{CallRepository, ProcessedCall};
    let stored = calls
        .load(tenant, &call_id(id))
        .await
        .expect("load")
        .expect("stored");
    let analysis = callscope_core::analysis::Analyser::default().analyse(
        &stored.call.utterances,
        Some(stored.call.duration_seconds),
        stored.redactions,
    );
    let signature = callscope_core::similarity::Signature::of(&stored.call.utterances);
    let processed = ProcessedCall {
        tenant,
        call_id: &call_id(id),
        analysis: &analysis,
        signature: &signature,
        processed_at: callscope_core::domain::Timestamp::parse("at", at).expect("time"),
        expires_at: None,
        revision: 0,
    };
    calls.store_analysis(&processed).await.expect("stored");
    if mark {
        calls.mark_processed(&processed).await.expect("processed");
    }
}
