//! The sweep use case on in-memory ports.

use std::sync::Arc;

use callscope_core::pipeline::ProcessCall;

use super::*;
use crate::admit::AdmitCalls;
use crate::memory::{FixedClock, MemoryCalls, MemoryPublisher};
use crate::ports::{CallRepository, Clock};
use crate::test_support::{analyse, call, call_id, correlation, process, tenant};
use crate::Deadline;

struct Fixture {
    calls: Arc<MemoryCalls>,
    clock: Arc<FixedClock>,
    queue: Arc<MemoryPublisher>,
    sweep: Sweep,
}

async fn fixture() -> Fixture {
    let calls = Arc::new(MemoryCalls::default());
    let clock = Arc::new(FixedClock::at("2026-11-02T10:00:00Z"));
    let queue = Arc::new(MemoryPublisher::default());
    let sweep = Sweep::new(
        calls.clone(),
        queue.clone(),
        clock.clone(),
        chrono::Duration::minutes(15),
    );
    Fixture {
        calls,
        clock,
        queue,
        sweep,
    }
}

async fn admit(f: &Fixture, id: &str) {
    let ingest_queue = Arc::new(MemoryPublisher::default());
    AdmitCalls::new(f.calls.clone(), ingest_queue, f.clock.clone())
        .admit(
            &tenant("acme"),
            vec![(call(id, "ana"), correlation(id))],
            Deadline::NONE,
        )
        .await;
}

fn queued(f: &Fixture) -> Vec<String> {
    let mut ids: Vec<String> = f
        .queue
        .sent_as::<ProcessCall>()
        .into_iter()
        .map(|r| r.call_id.to_string())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn calls_pending_longer_than_the_threshold_are_queued_again_and_handed_off_ones_are_not() {
    let f = fixture().await;
    admit(&f, "lost").await;
    admit(&f, "unpublished").await;
    admit(&f, "done").await;
    admit(&f, "failed").await;
    // Analysed, but its event was never sent, so never marked PROCESSED.
    analyse(
        &f.calls,
        &tenant("acme"),
        "unpublished",
        "2026-11-02T10:00:01Z",
        false,
    )
    .await;
    process(&f.calls, &tenant("acme"), "done", "2026-11-02T10:00:01Z").await;
    let at = f.clock.now();
    f.calls
        .mark_failed(&tenant("acme"), &call_id("failed"), "broken", at)
        .await
        .expect("failed");
    f.clock.advance(chrono::Duration::minutes(10));
    admit(&f, "recent").await;

    let early = f.sweep.run().await.expect("sweep");
    assert_eq!(early.stale, 0, "nothing is 15 minutes old yet");
    f.clock.advance(chrono::Duration::minutes(6));
    let report = f.sweep.run().await.expect("sweep");
    assert_eq!(
        report,
        SweepReport {
            stale: 2,
            requeued: 2
        }
    );
    assert_eq!(
        queued(&f),
        ["lost", "unpublished"],
        "never the FAILED or the handed-off call"
    );
    let requests: Vec<ProcessCall> = f.queue.sent_as();
    assert!(
        requests
            .iter()
            .all(|r| r.correlation_id.as_str() == r.call_id.as_str()),
        "a call keeps its correlation id"
    );
}

#[tokio::test]
async fn a_call_queued_again_is_left_alone_until_it_is_stale_again() {
    let f = fixture().await;
    admit(&f, "lost").await;
    f.clock.advance(chrono::Duration::minutes(20));
    assert_eq!(f.sweep.run().await.expect("sweep").requeued, 1);
    f.clock.advance(chrono::Duration::minutes(5));
    assert_eq!(
        f.sweep.run().await.expect("sweep").stale,
        0,
        "queued 5 minutes ago"
    );
    f.clock.advance(chrono::Duration::minutes(11));
    assert_eq!(
        f.sweep.run().await.expect("sweep").requeued,
        1,
        "stale again"
    );
}

#[tokio::test]
async fn one_run_queues_at_most_its_cap() {
    let f = fixture().await;
    let calls: Vec<_> = (0..MAX_PER_RUN + 5)
        .map(|i| {
            let id = format!("c-{i:05}");
            (call(&id, "ana"), correlation(&id))
        })
        .collect();
    AdmitCalls::new(
        f.calls.clone(),
        Arc::new(MemoryPublisher::default()),
        f.clock.clone(),
    )
    .admit(&tenant("acme"), calls, Deadline::NONE)
    .await;
    f.clock.advance(chrono::Duration::hours(1));
    let first = f.sweep.run().await.expect("sweep");
    assert_eq!(first.requeued, MAX_PER_RUN);
    let second = f.sweep.run().await.expect("sweep");
    assert_eq!(second.requeued, 5, "the rest on the next run");
}

#[tokio::test]
async fn a_sweep_that_could_not_queue_every_stale_call_fails() {
    let f = fixture().await;
    admit(&f, "a").await;
    admit(&f, "b").await;
    f.clock.advance(chrono::Duration::hours(1));
    f.queue.refuse_bodies_containing(Some("\"b\""));
    let error = f.sweep.run().await.expect_err("one was not queued");
    assert_eq!(
        error,
        SweepError::NotQueued {
            stale: 2,
            not_sent: 1
        }
    );
    f.queue.refuse_bodies_containing(None);
    let retry = f.sweep.run().await.expect("the next run");
    assert_eq!(
        retry,
        SweepReport {
            stale: 1,
            requeued: 1
        },
        "only the one not sent"
    );
}

#[tokio::test]
async fn a_store_outage_fails_the_sweep() {
    let f = fixture().await;
    f.calls.set_unavailable(true);
    assert!(matches!(f.sweep.run().await, Err(SweepError::List(_))));
}
