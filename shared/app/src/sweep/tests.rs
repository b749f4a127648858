//! The sweep use case on in-memory ports.

use std::sync::Arc;

use callscope_core::pipeline::ProcessCall;

use super::*;
use crate::admit::AdmitCalls;
use crate::memory::{FixedClock, MemoryCalls, MemoryPublisher};
use crate::test_support::{call, call_id, correlation, process, tenant};

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
        .admit(&tenant("acme"), vec![(call(id, "ana"), correlation(id))])
        .await;
}

#[tokio::test]
async fn only_calls_received_longer_ago_than_the_threshold_and_still_received_are_queued_again() {
    let f = fixture().await;
    admit(&f, "old").await;
    admit(&f, "old-processed").await;
    process(
        &f.calls,
        &tenant("acme"),
        "old-processed",
        "2026-11-02T10:00:01Z",
    )
    .await;
    f.clock.advance(chrono::Duration::minutes(10));
    admit(&f, "recent").await;

    assert_eq!(
        f.sweep.run().await.expect("sweep").stale,
        0,
        "nothing is 15 minutes old yet"
    );
    f.clock.advance(chrono::Duration::minutes(6));
    let report = f.sweep.run().await.expect("sweep");
    assert_eq!(
        report,
        SweepReport {
            stale: 1,
            requeued: 1
        }
    );
    let queued: Vec<ProcessCall> = f.queue.sent_as();
    assert_eq!(queued[0].call_id, call_id("old"));
    assert_eq!(
        queued[0].correlation_id,
        correlation("old"),
        "the call keeps its id"
    );
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
}

#[tokio::test]
async fn a_store_outage_fails_the_sweep() {
    let f = fixture().await;
    f.calls.set_unavailable(true);
    assert!(matches!(f.sweep.run().await, Err(SweepError::List(_))));
}
