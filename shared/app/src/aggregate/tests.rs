//! The aggregate use case on in-memory ports: exactly once, whatever the duplicates.

use std::sync::Arc;

use callscope_core::analysis::Analyser;
use callscope_core::domain::{AgentId, Day};
use callscope_core::pipeline::{CallAnalysed, RollupKey, RollupScope};

use super::*;
use crate::consume;
use crate::memory::{FixedClock, MemoryDeadLetter, MemoryRollups};
use crate::test_support::{call, correlation, received, tenant};
use crate::Deadline;

fn event(id: &str) -> String {
    let call = call(id, "ana");
    let (call, redactions) = call.redacted();
    let analysis = Analyser::default().analyse(&call.utterances, None, redactions);
    let event = CallAnalysed::new(tenant("acme"), &call, &analysis, correlation(id));
    serde_json::to_string(&event).expect("json")
}

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::at("2026-12-01T00:00:00Z"))
}

fn agent_calls(rollups: &MemoryRollups) -> u64 {
    let key = RollupKey {
        tenant: tenant("acme"),
        scope: RollupScope::Agent(AgentId::parse("agent_id", "ana").expect("agent")),
        day: Day::parse("day", "2026-11-02").expect("day"),
    };
    rollups.get(&key).map_or(0, |t| t.calls)
}

#[tokio::test]
async fn duplicates_within_a_batch_and_redeliveries_are_counted_once() {
    let rollups = Arc::new(MemoryRollups::default());
    let aggregate = AggregateRollups::new(rollups.clone(), clock());
    let dlq = MemoryDeadLetter::default();
    let batch = [
        received("m1", &event("c-1"), &[]),
        received("m2", &event("c-1"), &[]),
        received("m3", &event("c-2"), &[]),
    ];
    assert!(consume(&aggregate, &dlq, &batch, Deadline::NONE)
        .await
        .is_empty());
    assert_eq!(agent_calls(&rollups), 2);
    assert!(consume(&aggregate, &dlq, &batch, Deadline::NONE)
        .await
        .is_empty());
    assert_eq!(
        agent_calls(&rollups),
        2,
        "a redelivered batch changes nothing"
    );
}

#[tokio::test]
async fn exactly_the_messages_of_calls_not_applied_are_retried() {
    let rollups = Arc::new(MemoryRollups::default());
    rollups.fail_after(Some(1));
    let aggregate = AggregateRollups::new(rollups.clone(), clock());
    let dlq = MemoryDeadLetter::default();
    let batch = [
        received("m1", &event("c-1"), &[]),
        received("m2", &event("c-2"), &[]),
        received("m3", &event("c-2"), &[]),
        received("m4", &event("c-3"), &[]),
    ];
    let failed = consume(&aggregate, &dlq, &batch, Deadline::NONE).await;
    assert_eq!(failed, ["m2", "m3", "m4"], "both copies of c-2 and c-3");
    rollups.fail_after(None);
    assert!(consume(&aggregate, &dlq, &batch[1..], Deadline::NONE)
        .await
        .is_empty());
    assert_eq!(agent_calls(&rollups), 3);
}

#[tokio::test]
async fn an_event_that_is_not_a_call_analysed_is_parked() {
    let aggregate = AggregateRollups::new(Arc::new(MemoryRollups::default()), clock());
    let dlq = MemoryDeadLetter::default();
    let failed = consume(
        &aggregate,
        &dlq,
        &[received("m1", "[]", &[])],
        Deadline::NONE,
    )
    .await;
    assert!(failed.is_empty());
    assert!(dlq.parked()[0]
        .1
        .starts_with("body is not a CallAnalysed event"));
}

#[tokio::test]
async fn an_event_older_than_its_marker_may_live_is_parked_not_applied() {
    let rollups = Arc::new(MemoryRollups::default());
    let aggregate = AggregateRollups::new(rollups.clone(), clock());
    let dlq = MemoryDeadLetter::default();
    let at = |when: &str| {
        let mut event: CallAnalysed = serde_json::from_str(&event("c-1")).expect("json");
        event.analysed_at = Some(callscope_core::domain::Timestamp::parse("t", when).expect("t"));
        serde_json::to_string(&event).expect("json")
    };
    let old = received("m1", &at("2026-10-01T00:00:00Z"), &[]);
    let recent = received("m2", &at("2026-11-20T00:00:00Z"), &[]);
    assert!(consume(&aggregate, &dlq, &[old], Deadline::NONE)
        .await
        .is_empty());
    assert_eq!(agent_calls(&rollups), 0, "31 days old: not applied");
    assert!(dlq.parked()[0]
        .1
        .contains("longer ago than its idempotency marker is kept"));
    assert!(consume(&aggregate, &dlq, &[recent], Deadline::NONE)
        .await
        .is_empty());
    assert_eq!(agent_calls(&rollups), 1);
}
