//! The analyse use case on in-memory ports.

use std::sync::Arc;

use callscope_core::domain::{CallId, TenantId};
use callscope_core::pipeline::{CallAnalysed, ProcessCall};

use super::*;
use crate::admit::AdmitCalls;
use crate::consume;
use crate::memory::{FixedClock, MemoryCalls, MemoryDeadLetter, MemoryPublisher};
use crate::ports::CallStatus;
use crate::test_support::{call, call_id, correlation, received, tenant};

struct Fixture {
    calls: Arc<MemoryCalls>,
    analytics: Arc<MemoryPublisher>,
    dlq: MemoryDeadLetter,
    analyse: AnalyseCalls,
}

async fn fixture_with(stored: &[&str]) -> Fixture {
    let calls = Arc::new(MemoryCalls::default());
    let clock = Arc::new(FixedClock::at("2026-11-02T10:00:00Z"));
    let admit = AdmitCalls::new(
        calls.clone(),
        Arc::new(MemoryPublisher::default()),
        clock.clone(),
    );
    let documents = stored
        .iter()
        .map(|id| (call(id, "ana"), correlation(id)))
        .collect();
    admit.admit(&tenant("acme"), documents).await;
    let analytics = Arc::new(MemoryPublisher::default());
    let analyse = AnalyseCalls::new(
        calls.clone(),
        analytics.clone(),
        clock,
        Arc::new(Analyzer::default()),
    );
    Fixture {
        calls,
        analytics,
        dlq: MemoryDeadLetter::default(),
        analyse,
    }
}

fn request(id: &str) -> String {
    serde_json::to_string(&ProcessCall {
        tenant: tenant("acme"),
        call_id: call_id(id),
        correlation_id: correlation(id),
    })
    .expect("json")
}

fn status(f: &Fixture, id: &str) -> Option<CallStatus> {
    f.calls.status(&tenant("acme"), &call_id(id))
}

#[tokio::test]
async fn a_stored_call_is_analysed_marked_processed_and_its_event_sent() {
    let f = fixture_with(&["c-1"]).await;
    let failed = consume(&f.analyse, &f.dlq, &[received("m1", &request("c-1"), &[])]).await;
    assert!(failed.is_empty());
    assert_eq!(status(&f, "c-1"), Some(CallStatus::Processed));
    let events: Vec<CallAnalysed> = f.analytics.sent_as();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].correlation_id, correlation("c-1"));
    let analysis = f
        .calls
        .analysis(&tenant("acme"), &call_id("c-1"))
        .expect("analysis");
    assert_eq!(events[0].score, analysis.score);
    // The e-mail was redacted at ingest; its count travels into the analysis.
    assert_eq!(analysis.redactions.emails, 1);
}

#[tokio::test]
async fn a_request_for_a_call_never_stored_is_retried_until_sqs_moves_it() {
    let f = fixture_with(&["c-1"]).await;
    let batch = [
        received("m1", &request("missing"), &[]),
        received("m2", &request("c-1"), &[]),
    ];
    assert_eq!(consume(&f.analyse, &f.dlq, &batch).await, ["m1"]);
    assert!(f.dlq.parked().is_empty());
    assert_eq!(f.analytics.sent().len(), 1);
}

#[tokio::test]
async fn an_unreadable_request_is_parked_at_once() {
    let f = fixture_with(&[]).await;
    let failed = consume(&f.analyse, &f.dlq, &[received("m1", "{\"call\": 1}", &[])]).await;
    assert!(failed.is_empty());
    let parked = f.dlq.parked();
    assert_eq!(parked.len(), 1);
    assert!(
        parked[0].1.starts_with("body is not a process request"),
        "{parked:?}"
    );
}

#[tokio::test]
async fn only_the_message_whose_event_was_not_sent_is_retried() {
    let f = fixture_with(&["c-1", "c-2"]).await;
    f.analytics.refuse_bodies_containing(Some("\"c-2\""));
    let batch = [
        received("m1", &request("c-1"), &[]),
        received("m2", &request("c-2"), &[]),
    ];
    assert_eq!(consume(&f.analyse, &f.dlq, &batch).await, ["m2"]);
    // Storing is idempotent, so the retry can store again and send the event.
    f.analytics.refuse_bodies_containing(None);
    assert!(consume(&f.analyse, &f.dlq, &batch[1..]).await.is_empty());
    let events: Vec<CallAnalysed> = f.analytics.sent_as();
    let ids: Vec<(&TenantId, &CallId)> = events.iter().map(|e| (&e.tenant, &e.call_id)).collect();
    assert_eq!(ids.len(), 2);
}

#[tokio::test]
async fn a_store_outage_retries_every_message() {
    let f = fixture_with(&["c-1"]).await;
    f.calls.set_unavailable(true);
    let failed = consume(&f.analyse, &f.dlq, &[received("m1", &request("c-1"), &[])]).await;
    assert_eq!(failed, ["m1"]);
    assert!(f.analytics.sent().is_empty());
}
