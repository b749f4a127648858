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

fn at(when: &str) -> callscope_core::domain::Timestamp {
    callscope_core::domain::Timestamp::parse("t", when).expect("time")
}

/// The event of call `id` received at `received` (its incarnation), at `revision`, with
/// `score` (so moves between revisions show).
fn versioned(id: &str, received: &str, revision: u32, score: u8) -> String {
    let mut event: CallAnalysed = serde_json::from_str(&event(id)).expect("json");
    event.received_at = Some(at(received));
    event.revision = revision;
    event.score = score;
    serde_json::to_string(&event).expect("json")
}

fn erased(id: &str, received: &str) -> String {
    serde_json::to_string(&callscope_core::pipeline::CallErased {
        tenant: tenant("acme"),
        call_id: crate::test_support::call_id(id),
        correlation_id: correlation(id),
        received_at: Some(at(received)),
        erased_at: at("2026-11-30T00:00:00Z"),
    })
    .expect("json")
}

/// The agent's rollup for the day: (calls, score sum).
fn agent_totals(rollups: &MemoryRollups) -> (u64, u64) {
    let key = RollupKey {
        tenant: tenant("acme"),
        scope: RollupScope::Agent(AgentId::parse("agent_id", "ana").expect("agent")),
        day: Day::parse("day", "2026-11-02").expect("day"),
    };
    rollups.get(&key).map_or((0, 0), |t| (t.calls, t.score_sum))
}

async fn deliver(aggregate: &AggregateRollups, bodies: &[&str]) {
    let dlq = MemoryDeadLetter::default();
    let batch: Vec<_> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| received(&format!("m{i}"), body, &[]))
        .collect();
    assert!(consume(aggregate, &dlq, &batch, Deadline::NONE)
        .await
        .is_empty());
    assert!(dlq.parked().is_empty());
}

const FIRST: &str = "2026-11-02T09:00:01Z";
const AGAIN: &str = "2026-11-03T09:00:01Z";

#[tokio::test]
async fn an_erasure_subtracts_what_was_counted_once_however_often_it_is_delivered() {
    let rollups = Arc::new(MemoryRollups::default());
    let aggregate = AggregateRollups::new(rollups.clone(), clock());
    deliver(
        &aggregate,
        &[
            &versioned("c-1", FIRST, 0, 70),
            &versioned("c-2", FIRST, 0, 50),
        ],
    )
    .await;
    assert_eq!(agent_totals(&rollups), (2, 120));
    deliver(&aggregate, &[&erased("c-1", FIRST), &erased("c-1", FIRST)]).await;
    deliver(&aggregate, &[&erased("c-1", FIRST)]).await;
    assert_eq!(agent_totals(&rollups), (1, 50), "c-1 subtracted once");
    deliver(&aggregate, &[&versioned("c-1", FIRST, 0, 70)]).await;
    assert_eq!(
        agent_totals(&rollups),
        (1, 50),
        "a late redelivery of the erased call's analysis counts nothing"
    );
}

#[tokio::test]
async fn an_erasure_before_the_analysis_arrives_leaves_a_tombstone() {
    let rollups = Arc::new(MemoryRollups::default());
    let aggregate = AggregateRollups::new(rollups.clone(), clock());
    deliver(&aggregate, &[&erased("c-1", FIRST)]).await;
    deliver(&aggregate, &[&versioned("c-1", FIRST, 0, 70)]).await;
    deliver(&aggregate, &[&versioned("c-1", FIRST, 1, 90)]).await;
    assert_eq!(agent_totals(&rollups), (0, 0), "never counted");
    // In one batch, in either order: the same.
    let rollups = Arc::new(MemoryRollups::default());
    let aggregate = AggregateRollups::new(rollups.clone(), clock());
    deliver(
        &aggregate,
        &[&erased("c-1", FIRST), &versioned("c-1", FIRST, 0, 70)],
    )
    .await;
    assert_eq!(agent_totals(&rollups), (0, 0));
    deliver(
        &aggregate,
        &[&versioned("c-2", FIRST, 0, 70), &erased("c-2", FIRST)],
    )
    .await;
    assert_eq!(agent_totals(&rollups), (0, 0));
    assert!(rollups.all().is_empty(), "no rollup counts a call");
}

#[tokio::test]
async fn the_same_id_sent_again_after_its_erasure_is_counted_as_a_new_call() {
    let rollups = Arc::new(MemoryRollups::default());
    let aggregate = AggregateRollups::new(rollups.clone(), clock());
    deliver(&aggregate, &[&versioned("c-1", FIRST, 0, 70)]).await;
    deliver(&aggregate, &[&erased("c-1", FIRST)]).await;
    deliver(&aggregate, &[&versioned("c-1", AGAIN, 0, 40)]).await;
    deliver(&aggregate, &[&versioned("c-1", AGAIN, 0, 40)]).await;
    assert_eq!(agent_totals(&rollups), (1, 40));
    deliver(
        &aggregate,
        &[&versioned("c-1", FIRST, 1, 99), &erased("c-1", FIRST)],
    )
    .await;
    assert_eq!(
        agent_totals(&rollups),
        (1, 40),
        "changes to the erased incarnation do not touch the new one"
    );
}

#[tokio::test]
async fn a_reanalysis_moves_the_rollups_to_the_latest_revision_once() {
    let rollups = Arc::new(MemoryRollups::default());
    let aggregate = AggregateRollups::new(rollups.clone(), clock());
    deliver(&aggregate, &[&versioned("c-1", FIRST, 0, 70)]).await;
    deliver(&aggregate, &[&versioned("c-1", FIRST, 2, 90)]).await;
    deliver(
        &aggregate,
        &[
            &versioned("c-1", FIRST, 1, 10),
            &versioned("c-1", FIRST, 2, 90),
        ],
    )
    .await;
    deliver(&aggregate, &[&versioned("c-1", FIRST, 0, 70)]).await;
    assert_eq!(agent_totals(&rollups), (1, 90), "revision 2, counted once");
    deliver(&aggregate, &[&erased("c-1", FIRST)]).await;
    assert_eq!(agent_totals(&rollups), (0, 0));
}

#[tokio::test]
async fn a_call_counted_before_markers_kept_measures_is_never_counted_twice() {
    let rollups = Arc::new(MemoryRollups::default());
    let aggregate = AggregateRollups::new(rollups.clone(), clock());
    rollups.insert_legacy_marker((tenant("acme"), crate::test_support::call_id("c-1")));
    deliver(&aggregate, &[&versioned("c-1", FIRST, 1, 90)]).await;
    assert_eq!(
        agent_totals(&rollups),
        (0, 0),
        "a re-analysis cannot move it"
    );
    deliver(&aggregate, &[&erased("c-1", FIRST)]).await;
    deliver(&aggregate, &[&versioned("c-1", AGAIN, 0, 40)]).await;
    assert_eq!(
        agent_totals(&rollups),
        (1, 40),
        "sent again after its erasure: counted"
    );
}
