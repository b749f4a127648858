//! Erasing and re-analysing on in-memory ports, through the whole pipeline.

use std::sync::Arc;

use callscope_core::analysis::Analyser;

use super::*;
use crate::admit::AdmitCalls;
use crate::aggregate::AggregateRollups;
use crate::consume;
use crate::memory::{
    FixedClock, MemoryCalls, MemoryDeadLetter, MemoryObjects, MemoryPublisher, MemoryRollups,
};
use crate::ports::{OutgoingMessage, Received};
use crate::process::ProcessCalls;
use crate::test_support::{call, call_id, correlation, tenant};
use crate::Deadline;

struct Pipeline {
    calls: Arc<MemoryCalls>,
    rollups: Arc<MemoryRollups>,
    process_queue: Arc<MemoryPublisher>,
    analytics: Arc<MemoryPublisher>,
    reanalyse: Arc<MemoryPublisher>,
    objects: Arc<MemoryObjects>,
    admit: AdmitCalls,
    process: ProcessCalls,
    aggregate: AggregateRollups,
    lifecycle: CallLifecycle,
}

fn pipeline() -> Pipeline {
    let calls = Arc::new(MemoryCalls::default());
    let rollups = Arc::new(MemoryRollups::default());
    let clock = Arc::new(FixedClock::at("2026-11-02T10:00:00Z"));
    let process_queue = Arc::new(MemoryPublisher::default());
    let analytics = Arc::new(MemoryPublisher::default());
    let reanalyse = Arc::new(MemoryPublisher::default());
    let objects = Arc::new(MemoryObjects::default());
    Pipeline {
        admit: AdmitCalls::new(calls.clone(), process_queue.clone(), clock.clone()),
        process: ProcessCalls::new(
            calls.clone(),
            analytics.clone(),
            clock.clone(),
            Arc::new(Analyser::default()),
        )
        .with_erasure_ledger(rollups.clone()),
        aggregate: AggregateRollups::new(rollups.clone(), clock.clone()),
        lifecycle: CallLifecycle::new(
            calls.clone(),
            analytics.clone(),
            reanalyse.clone(),
            objects.clone(),
            clock,
        ),
        objects,
        calls,
        rollups,
        process_queue,
        analytics,
        reanalyse,
    }
}

/// The messages a publisher sent from the `from`-th on, as received.
fn delivered(messages: &[OutgoingMessage], from: usize) -> Vec<Received> {
    messages[from..]
        .iter()
        .enumerate()
        .map(|(i, m)| crate::test_support::received(&format!("m{i}"), &m.body, &[]))
        .collect()
}

impl Pipeline {
    async fn admit(&self, ids: &[&str]) {
        let documents = ids
            .iter()
            .map(|id| (call(id, "ana"), correlation(id)))
            .collect();
        self.admit
            .admit(&tenant("acme"), documents, Deadline::NONE)
            .await;
    }

    async fn run(&self, consumer: &impl crate::Consume, messages: Vec<Received>) {
        let dlq = MemoryDeadLetter::default();
        let failed = consume(consumer, &dlq, &messages, Deadline::NONE).await;
        assert!(failed.is_empty(), "{failed:?}");
        assert!(dlq.parked().is_empty());
    }

    async fn process_from(&self, from: usize) {
        self.run(&self.process, delivered(&self.process_queue.sent(), from))
            .await;
    }

    async fn aggregate_from(&self, from: usize) {
        self.run(&self.aggregate, delivered(&self.analytics.sent(), from))
            .await;
    }

    fn calls_counted(&self) -> u64 {
        self.rollups
            .all()
            .iter()
            .filter(|(k, _)| k.scope == callscope_core::pipeline::RollupScope::Tenant)
            .map(|(_, t)| t.calls)
            .sum()
    }
}

#[tokio::test]
async fn an_erased_call_is_gone_from_the_store_and_the_rollups_and_a_second_erase_is_not_found() {
    let p = pipeline();
    p.admit(&["c-1", "c-2"]).await;
    p.process_from(0).await;
    p.aggregate_from(0).await;
    assert_eq!(p.calls_counted(), 2);
    p.lifecycle
        .erase(&tenant("acme"), &call_id("c-1"), "user-1")
        .await
        .expect("erased");
    p.aggregate_from(2).await;
    // Delivered again: subtracts nothing twice.
    p.aggregate_from(2).await;
    assert_eq!(p.calls_counted(), 1);
    assert_eq!(p.calls.len(), 1, "c-2 only");
    let again = p
        .lifecycle
        .erase(&tenant("acme"), &call_id("c-1"), "user-1")
        .await;
    assert!(matches!(again, Err(LifecycleError::NotFound(_))));
    let other_tenant = p
        .lifecycle
        .erase(&tenant("globex"), &call_id("c-2"), "user-1")
        .await;
    assert!(matches!(other_tenant, Err(LifecycleError::NotFound(_))));
    assert_eq!(p.calls.len(), 1, "another tenant cannot erase c-2");
}

#[tokio::test]
async fn a_call_erased_before_it_is_processed_is_never_counted() {
    let p = pipeline();
    p.admit(&["c-1"]).await;
    p.lifecycle
        .erase(&tenant("acme"), &call_id("c-1"), "user-1")
        .await
        .expect("erased");
    // Its CallErased is applied (a few seconds) before the process message's retry (after its
    // visibility timeout) finds the call gone and the tombstone.
    p.aggregate_from(0).await;
    p.process_from(0).await;
    p.aggregate_from(0).await;
    assert_eq!(p.calls_counted(), 0);
    assert!(p.calls.is_empty());
    assert!(p.rollups.all().is_empty());
}

#[tokio::test]
async fn an_erasure_whose_event_cannot_be_sent_keeps_the_call_for_the_retry() {
    let p = pipeline();
    p.admit(&["c-1"]).await;
    p.analytics.set_unavailable(true);
    let failed = p
        .lifecycle
        .erase(&tenant("acme"), &call_id("c-1"), "user-1")
        .await;
    assert!(matches!(failed, Err(LifecycleError::NotSent("analytics"))));
    assert_eq!(p.calls.len(), 1, "still there to be erased by the retry");
    p.analytics.set_unavailable(false);
    p.lifecycle
        .erase(&tenant("acme"), &call_id("c-1"), "user-1")
        .await
        .expect("erased");
    assert!(p.calls.is_empty());
}

#[tokio::test]
async fn the_same_id_sent_again_after_its_erasure_is_counted_once() {
    let p = pipeline();
    p.admit(&["c-1"]).await;
    p.process_from(0).await;
    p.aggregate_from(0).await;
    p.lifecycle
        .erase(&tenant("acme"), &call_id("c-1"), "user-1")
        .await
        .expect("erased");
    // The same id again, received later (another incarnation).
    let later = Arc::new(FixedClock::at("2026-11-03T10:00:00Z"));
    AdmitCalls::new(p.calls.clone(), p.process_queue.clone(), later)
        .admit(
            &tenant("acme"),
            vec![(call("c-1", "ana"), correlation("c-1-again"))],
            Deadline::NONE,
        )
        .await;
    p.process_from(1).await;
    p.aggregate_from(1).await;
    p.aggregate_from(0).await;
    assert_eq!(p.calls_counted(), 1, "the new call, once");
}

#[tokio::test]
async fn a_reanalysis_is_queued_for_processed_calls_only_with_the_next_revision() {
    let p = pipeline();
    p.admit(&["c-1"]).await;
    let early = p
        .lifecycle
        .reanalyse(&tenant("acme"), &call_id("c-1"))
        .await;
    assert!(matches!(early, Err(LifecycleError::NotProcessed { .. })));
    p.process_from(0).await;
    let queued = p
        .lifecycle
        .reanalyse(&tenant("acme"), &call_id("c-1"))
        .await
        .expect("queued");
    assert_eq!(queued.revision, 1);
    let requests = p.reanalyse.sent_as::<ProcessCall>();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].revision, Some(1));
    p.run(&p.process, delivered(&p.reanalyse.sent(), 0)).await;
    p.aggregate_from(0).await;
    assert_eq!(p.calls_counted(), 1, "moved, not added");
    let missing = p
        .lifecycle
        .reanalyse(&tenant("acme"), &call_id("c-9"))
        .await;
    assert!(matches!(missing, Err(LifecycleError::NotFound(_))));
}

#[tokio::test]
async fn erasing_a_call_read_from_an_object_deletes_the_object_and_its_sidecar_retryably() {
    let p = pipeline();
    let source = SourceObject {
        bucket: "drop".into(),
        key: "acme/in/c-1.txt".into(),
        version_id: None,
        sidecar_key: Some("acme/in/c-1.meta.json".into()),
        recording_key: None,
    };
    for key in [
        "acme/in/c-1.txt",
        "acme/in/c-1.meta.json",
        "acme/in/c-2.txt",
    ] {
        p.objects.put("drop", key, Default::default());
    }
    p.admit
        .admit_from(
            &tenant("acme"),
            vec![(call("c-1", "ana"), correlation("c-1"), Some(source))],
            Deadline::NONE,
        )
        .await;
    // The store of raw objects is down: the call stays, to be erased by the retry.
    p.objects.set_unavailable(true);
    let failed = p
        .lifecycle
        .erase(&tenant("acme"), &call_id("c-1"), "user-1")
        .await;
    assert!(
        matches!(failed, Err(LifecycleError::Store(_))),
        "{failed:?}"
    );
    assert_eq!(p.calls.len(), 1);
    p.objects.set_unavailable(false);
    p.lifecycle
        .erase(&tenant("acme"), &call_id("c-1"), "user-1")
        .await
        .expect("erased");
    assert!(p.calls.is_empty());
    assert!(!p.objects.contains("drop", "acme/in/c-1.txt"));
    assert!(!p.objects.contains("drop", "acme/in/c-1.meta.json"));
    assert!(
        p.objects.contains("drop", "acme/in/c-2.txt"),
        "another object stays"
    );
}
