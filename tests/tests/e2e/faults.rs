//! Faults inside the stores, injected through the SDK into every request the functions make:
//! the pipeline's guarantees hold when DynamoDB throttles, cancels transactions, refuses a
//! request or loses the answer to a committed write, and when SQS fails batch entries.

use std::collections::BTreeMap;

use callscope_core::domain::TenantId;
use callscope_core::pipeline::{RollupKey, RollupTotals};
use callscope_local::expected;
use callscope_local::faults::{Fault, FaultInjector, Rule};
use callscope_samples::generate_call_document;
use callscope_tests::{TestCloud, TENANT};
use serde_json::{json, Value};

const TRANSACT: &str = "DynamoDB_20120810.TransactWriteItems";
const SEND_BATCH: &str = "AmazonSQS.SendMessageBatch";
const UPDATE: &str = "DynamoDB_20120810.UpdateItem";
const PUT: &str = "DynamoDB_20120810.PutItem";

fn documents(count: usize) -> Vec<Value> {
    (0..count)
        .map(|i| {
            let mut doc = generate_call_document(1, 300 + i as u64, &format!("f-{i:03}"));
            doc["agent_id"] = json!(["ana", "ben"][i % 2]);
            doc
        })
        .collect()
}

fn expected_rollups(documents: &[Value]) -> BTreeMap<RollupKey, RollupTotals> {
    let tenant = TenantId::parse("tenant", TENANT).expect("tenant");
    let events = expected::analysed_from_documents(&tenant, documents).expect("valid calls");
    expected::rollups_of(&events)
}

/// The emulator answers one request at a time: the fault run's hundreds of retried writes
/// starved the other test's setup past its 20 s timeouts, so the two take turns.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test]
async fn rollups_stay_exact_when_the_stores_throttle_conflict_and_lose_committed_answers() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let faults = FaultInjector::new(vec![
        // Rollup transactions (they write idempotency markers).
        Rule::new(TRANSACT, Fault::TransactionConflict, 3).when_body_contains("APPLIED"),
        Rule::new(TRANSACT, Fault::Throttle, 3).when_body_contains("APPLIED"),
        Rule::new(TRANSACT, Fault::CommittedThenLost, 2).when_body_contains("APPLIED"),
        // Ingest's conditional write of a call, and of its transcript after it.
        Rule::new(PUT, Fault::Throttle, 2).when_body_contains("attribute_not_exists(pk)"),
        Rule::new(PUT, Fault::Throttle, 2).when_body_contains("TRANSCRIPT"),
        Rule::new(PUT, Fault::CommittedThenLost, 1).when_body_contains("TRANSCRIPT"),
        // Process: the analysis write, and the PROCESSED mark after the event was sent (a mark
        // whose answer is lost retries the message, so the event goes out twice).
        Rule::new(PUT, Fault::CommittedThenLost, 2).when_body_contains("ANALYSIS"),
        Rule::new(UPDATE, Fault::Throttle, 2).when_body_contains(":processed"),
        Rule::new(UPDATE, Fault::CommittedThenLost, 2).when_body_contains(":processed"),
        // Queues: a failed entry, and a batch sent whose answer is lost (duplicates).
        Rule::new(SEND_BATCH, Fault::FirstEntryFailed, 3),
        Rule::new(SEND_BATCH, Fault::CommittedThenLost, 2),
    ]);
    let cloud = TestCloud::start_with_faults(faults.clone()).await;
    let documents = documents(24);
    for chunk in documents.chunks(8) {
        cloud.post_bulk_until_accepted(chunk).await;
    }
    cloud.drain().await;

    let injected = faults.injected();
    eprintln!("injected: {injected:?}");
    // Every rule above fired as often as it says (3+3+2 + 2+2+1 + 2+2+2 + 3+2): a rule whose
    // operation or body no longer matches what the functions send would test nothing.
    assert_eq!(injected.values().sum::<usize>(), 24, "{injected:?}");
    for fault in [
        Fault::TransactionConflict,
        Fault::Throttle,
        Fault::CommittedThenLost,
        Fault::FirstEntryFailed,
    ] {
        assert!(
            injected.get(&fault).copied().unwrap_or(0) > 0,
            "{fault:?} was never injected"
        );
    }
    for dlq in [
        "IntakeDeadLetterQueue",
        "ProcessDeadLetterQueue",
        "AnalyticsDeadLetterQueue",
    ] {
        let parked: Vec<Option<String>> = cloud
            .peek_all(dlq)
            .await
            .into_iter()
            .map(|m| m.body)
            .collect();
        assert!(
            parked.is_empty(),
            "{dlq}: nothing here was poison: {parked:?}"
        );
    }
    let rollups = cloud.rollup_store();
    for (key, want) in expected_rollups(&documents) {
        let got = rollups.get(&key).await.expect("read").unwrap_or_default();
        assert_eq!(
            (got.calls, got.score_sum),
            (want.calls, want.score_sum),
            "{key:?}"
        );
    }
    cloud.cleanup().await;
}

#[tokio::test]
async fn a_call_the_store_refuses_as_invalid_gets_a_422_not_a_503() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let faults = FaultInjector::new(vec![
        Rule::new(PUT, Fault::Invalid, 1).when_body_contains("refused-1")
    ]);
    let cloud = TestCloud::start_with_faults(faults).await;
    let mut doc = documents(1).remove(0);
    doc["call_id"] = json!("refused-1");
    let reply = cloud
        .post("/api/v1/calls", &doc.to_string(), Some(TENANT))
        .await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert_eq!(reply.body["detail"][0]["loc"], json!(["body", "document"]));
    assert!(reply.body["detail"][0]["msg"]
        .as_str()
        .is_some_and(|m| m.contains("cannot be stored as sent")));
    cloud.cleanup().await;
}
