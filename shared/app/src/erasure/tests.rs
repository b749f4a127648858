//! A customer's erasure and a bulk re-analysis on in-memory ports, through the pipeline:
//! pages, a redelivered page, a page that fails part-way, bad input.

use std::sync::Arc;

use async_trait::async_trait;
use callscope_core::domain::TenantId;

use callscope_core::analysis::Analyser;
use callscope_core::domain::{Call, CallId};
use callscope_core::formats::{self, Format};
use callscope_core::pipeline::RollupScope;

use super::*;
use crate::admit::AdmitCalls;
use crate::aggregate::AggregateRollups;
use crate::consume;
use crate::memory::{
    FixedClock, MemoryCalls, MemoryDeadLetter, MemoryErasures, MemoryObjects, MemoryPublisher,
    MemoryRollups,
};
use crate::ports::{OutgoingMessage, Received};
use crate::process::ProcessCalls;
use crate::test_support::{call_id, correlation, document, received, tenant};

struct Pipeline {
    calls: Arc<MemoryCalls>,
    rollups: Arc<MemoryRollups>,
    process_queue: Arc<MemoryPublisher>,
    analytics: Arc<MemoryPublisher>,
    erasure_queue: Arc<MemoryPublisher>,
    reanalyse_queue: Arc<MemoryPublisher>,
    requests: Arc<MemoryErasures>,
    admit: AdmitCalls,
    process: ProcessCalls,
    aggregate: AggregateRollups,
    erasures: CustomerErasures,
}

fn pipeline() -> Pipeline {
    let calls = Arc::new(MemoryCalls::default());
    let rollups = Arc::new(MemoryRollups::default());
    let clock = Arc::new(FixedClock::at("2026-11-02T10:00:00Z"));
    let process_queue = Arc::new(MemoryPublisher::default());
    let analytics = Arc::new(MemoryPublisher::default());
    let erasure_queue = Arc::new(MemoryPublisher::default());
    let reanalyse_queue = Arc::new(MemoryPublisher::default());
    let requests = Arc::new(MemoryErasures::default());
    let lifecycle = CallLifecycle::new(
        calls.clone(),
        analytics.clone(),
        reanalyse_queue.clone(),
        Arc::new(MemoryObjects::default()),
        clock.clone(),
    );
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
        erasures: CustomerErasures::new(
            requests.clone(),
            calls.clone(),
            lifecycle,
            erasure_queue.clone(),
            clock,
        )
        .with_page_size(2),
        calls,
        rollups,
        process_queue,
        analytics,
        erasure_queue,
        reanalyse_queue,
        requests,
    }
}

fn call_of(id: &str, customer: &str) -> Call {
    let mut doc = document(id, "ana");
    doc["customer_id"] = serde_json::json!(customer);
    formats::parse_value(doc, Format::Auto).expect("valid call")
}

fn delivered(messages: &[OutgoingMessage], from: usize) -> Vec<Received> {
    messages[from..]
        .iter()
        .enumerate()
        .map(|(i, m)| received(&format!("m{}", from + i), &m.body, &[]))
        .collect()
}

impl Pipeline {
    /// Stores, processes and counts the calls: (tenant, call id, customer).
    async fn calls_of(&self, calls: &[(&str, &str, &str)]) {
        for (t, id, customer) in calls {
            self.admit
                .admit(
                    &tenant(t),
                    vec![(call_of(id, customer), correlation(id))],
                    Deadline::NONE,
                )
                .await;
        }
        self.run(&self.process, delivered(&self.process_queue.sent(), 0))
            .await;
        self.run(&self.aggregate, delivered(&self.analytics.sent(), 0))
            .await;
    }

    async fn run(&self, consumer: &impl crate::Consume, messages: Vec<Received>) -> Vec<String> {
        let dlq = MemoryDeadLetter::default();
        let failed = consume(consumer, &dlq, &messages, Deadline::NONE).await;
        assert!(dlq.parked().is_empty(), "{:?}", dlq.parked());
        failed
    }

    /// Delivers the erasure queue's messages from the `from`-th, then those they queued, until
    /// none is new; returns the ids failed on the way.
    async fn pages_from(&self, mut from: usize) -> Vec<String> {
        let mut failed = Vec::new();
        loop {
            let sent = self.erasure_queue.sent();
            if sent.len() == from {
                return failed;
            }
            failed.extend(self.run(&self.erasures, delivered(&sent, from)).await);
            from = sent.len();
        }
    }

    fn page(&self, index: usize) -> ErasurePage {
        serde_json::from_str(&self.erasure_queue.sent()[index].body).expect("a page")
    }

    async fn state(&self, id: &str) -> ErasureRequest {
        self.erasures
            .progress(&tenant("acme"), id)
            .await
            .expect("the request")
    }

    fn left(&self, t: &str) -> Vec<CallId> {
        let mut left: Vec<CallId> = ["c-1", "c-2", "c-3", "c-4", "c-5"]
            .iter()
            .map(|id| call_id(id))
            .filter(|id| self.calls.status(&tenant(t), id).is_some())
            .collect();
        left.sort();
        left
    }

    async fn counted(&self, t: &str) -> u64 {
        self.run(&self.aggregate, delivered(&self.analytics.sent(), 0))
            .await;
        self.rollups
            .all()
            .iter()
            .filter(|(k, _)| k.scope == RollupScope::Tenant && k.tenant == tenant(t))
            .map(|(_, r)| r.calls)
            .sum()
    }
}

/// acme: alice's c-1, c-3, c-4 and bob's c-2, c-5; globex: alice's c-1 (the same customer id).
async fn two_customers() -> Pipeline {
    let p = pipeline();
    p.calls_of(&[
        ("acme", "c-1", "alice"),
        ("acme", "c-2", "bob"),
        ("acme", "c-3", "alice"),
        ("acme", "c-4", "alice"),
        ("acme", "c-5", "bob"),
        ("globex", "c-1", "alice"),
    ])
    .await;
    assert_eq!(p.counted("acme").await, 5);
    p
}

#[tokio::test]
async fn every_call_of_the_customer_is_erased_page_by_page_and_counted_once() {
    let p = two_customers().await;
    let request = p
        .erasures
        .request(&tenant("acme"), "e-1", "alice", "officer-1")
        .await
        .expect("accepted");
    assert_eq!(request.status, ErasureStatus::Running);
    assert_eq!((request.erased, request.pages), (0, 0));
    assert_eq!(p.page(0).cursor, None);
    let failed = p.pages_from(0).await;
    assert!(failed.is_empty(), "{failed:?}");
    // Pages of 2 over 5 calls: c-1 c-2, c-3 c-4, c-5.
    assert_eq!(p.erasure_queue.sent().len(), 3);
    let done = p.state("e-1").await;
    assert_eq!(done.status, ErasureStatus::Done);
    assert_eq!((done.erased, done.pages), (3, 3));
    assert!(done.finished_at.is_some());
    assert_eq!(p.left("acme"), [call_id("c-2"), call_id("c-5")]);
    assert_eq!(p.left("globex"), [call_id("c-1")], "another tenant's alice");
    assert_eq!(p.counted("acme").await, 2);
    assert_eq!(p.counted("globex").await, 1);
}

#[tokio::test]
async fn a_redelivered_page_counts_once_and_queues_nothing_again() {
    let p = two_customers().await;
    p.erasures
        .request(&tenant("acme"), "e-1", "alice", "officer-1")
        .await
        .expect("accepted");
    let first = delivered(&p.erasure_queue.sent(), 0);
    assert!(p.run(&p.erasures, first.clone()).await.is_empty());
    assert_eq!(p.state("e-1").await.erased, 1);
    assert_eq!(p.erasure_queue.sent().len(), 2);
    // The same message again (its delete was lost): recorded already, so it counts nothing
    // and queues nothing (its next page was queued before it was recorded).
    assert!(p.run(&p.erasures, first).await.is_empty());
    let state = p.state("e-1").await;
    assert_eq!((state.erased, state.pages), (1, 1));
    assert_eq!(p.erasure_queue.sent().len(), 2);
    assert!(p.pages_from(1).await.is_empty());
    // Every page delivered twice more: nothing changes.
    assert!(p
        .run(&p.erasures, delivered(&p.erasure_queue.sent(), 0))
        .await
        .is_empty());
    let done = p.state("e-1").await;
    assert_eq!(done.status, ErasureStatus::Done);
    assert_eq!((done.erased, done.pages), (3, 3));
    assert_eq!(p.erasure_queue.sent().len(), 3, "pages 0, 1, 2");
    assert_eq!(p.counted("acme").await, 2);
}

#[tokio::test]
async fn a_page_whose_erase_fails_is_retried_not_skipped_and_its_calls_counted_once() {
    let p = two_customers().await;
    p.erasures
        .request(&tenant("acme"), "e-1", "alice", "officer-1")
        .await
        .expect("accepted");
    assert!(p
        .run(&p.erasures, delivered(&p.erasure_queue.sent(), 0))
        .await
        .is_empty());
    // Page 1 (c-3, c-4): c-3 is erased, c-4's CallErased is refused by the analytics queue.
    p.analytics.refuse_bodies_containing(Some("\"c-4\""));
    let page_1 = delivered(&p.erasure_queue.sent(), 1);
    assert_eq!(p.run(&p.erasures, page_1.clone()).await, ["m1"]);
    let stopped = p.state("e-1").await;
    assert_eq!(stopped.status, ErasureStatus::Running);
    assert_eq!(
        (stopped.erased, stopped.pages),
        (2, 1),
        "c-3 counted, the page not"
    );
    assert_eq!(
        p.erasure_queue.sent().len(),
        2,
        "no page after a failed one"
    );
    assert_eq!(
        p.left("acme"),
        [call_id("c-2"), call_id("c-4"), call_id("c-5")]
    );
    // The retry lists page 1 again from its cursor: c-4 is erased, not skipped.
    p.analytics.refuse_bodies_containing(None);
    assert!(p.run(&p.erasures, page_1).await.is_empty());
    assert!(p.pages_from(2).await.is_empty());
    let done = p.state("e-1").await;
    assert_eq!(done.status, ErasureStatus::Done);
    assert_eq!(done.erased, 3);
    assert_eq!(p.left("acme"), [call_id("c-2"), call_id("c-5")]);
    assert_eq!(p.counted("acme").await, 2);
}

#[tokio::test]
async fn a_page_not_recorded_is_retried_and_a_store_down_loses_nothing() {
    let p = two_customers().await;
    p.erasures
        .request(&tenant("acme"), "e-1", "alice", "officer-1")
        .await
        .expect("accepted");
    p.requests.set_unavailable(true);
    assert_eq!(
        p.run(&p.erasures, delivered(&p.erasure_queue.sent(), 0))
            .await,
        ["m0"]
    );
    p.requests.set_unavailable(false);
    assert!(p.pages_from(0).await.is_empty());
    let done = p.state("e-1").await;
    assert_eq!(done.status, ErasureStatus::Done);
    assert_eq!(p.left("acme"), [call_id("c-2"), call_id("c-5")]);
}

#[tokio::test]
async fn a_bad_customer_id_is_refused_naming_the_field_and_nothing_is_queued() {
    let p = pipeline();
    let long = "x".repeat(129);
    for bad in ["", long.as_str()] {
        let refused = p
            .erasures
            .request(&tenant("acme"), "e-1", bad, "officer-1")
            .await;
        match refused {
            Err(ErasureError::Invalid(error)) => assert_eq!(error.field, "customer_id"),
            other => panic!("{other:?}"),
        }
    }
    assert!(p.erasure_queue.sent().is_empty());
    assert!(matches!(
        p.erasures.progress(&tenant("acme"), "e-1").await,
        Err(ErasureError::NotFound(_))
    ));
}

#[tokio::test]
async fn a_request_whose_first_page_is_not_queued_is_not_kept() {
    let p = pipeline();
    p.erasure_queue.set_unavailable(true);
    let refused = p
        .erasures
        .request(&tenant("acme"), "e-1", "alice", "officer-1")
        .await;
    assert!(matches!(refused, Err(ErasureError::NotSent)), "{refused:?}");
    assert!(p
        .requests
        .get(&tenant("acme"), "e-1")
        .await
        .expect("read")
        .is_none());
}

#[tokio::test]
async fn another_tenants_request_is_not_found_and_a_bad_id_names_its_rule() {
    let p = pipeline();
    p.erasures
        .request(&tenant("acme"), "e-1", "alice", "officer-1")
        .await
        .expect("accepted");
    assert!(matches!(
        p.erasures.progress(&tenant("globex"), "e-1").await,
        Err(ErasureError::NotFound(_))
    ));
    match p.erasures.progress(&tenant("acme"), "e/1").await {
        Err(ErasureError::Invalid(error)) => assert_eq!(error.field, "erasure_id"),
        other => panic!("{other:?}"),
    }
}

/// The erasure requests of a pipeline, with page records held back until `release`: the window
/// between a page queueing the next one and recording itself, stretched.
#[derive(Debug)]
struct HeldRecords {
    inner: Arc<MemoryErasures>,
    /// Records let through so far.
    released: std::sync::atomic::AtomicU32,
    recorded: std::sync::atomic::AtomicU32,
}

#[async_trait]
impl ErasureRequests for HeldRecords {
    async fn create(&self, request: &ErasureRequest) -> Result<(), StoreError> {
        self.inner.create(request).await
    }
    async fn get(&self, t: &TenantId, id: &str) -> Result<Option<ErasureRequest>, StoreError> {
        self.inner.get(t, id).await
    }
    async fn record_page(
        &self,
        t: &TenantId,
        id: &str,
        page: u32,
        erased: u64,
        skipped: u64,
        end: &PageEnd,
    ) -> Result<bool, StoreError> {
        use std::sync::atomic::Ordering::SeqCst;
        let mine = self.recorded.fetch_add(1, SeqCst);
        while self.released.load(SeqCst) <= mine {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        self.inner
            .record_page(t, id, page, erased, skipped, end)
            .await
    }
    async fn add_erased(
        &self,
        t: &TenantId,
        id: &str,
        page: u32,
        erased: u64,
    ) -> Result<bool, StoreError> {
        self.inner.add_erased(t, id, page, erased).await
    }
    async fn forget(&self, t: &TenantId, id: &str) -> Result<(), StoreError> {
        self.inner.forget(t, id).await
    }
}

#[tokio::test]
async fn a_page_taken_before_the_page_before_it_recorded_itself_waits_for_the_record() {
    let p = two_customers().await;
    let held = Arc::new(HeldRecords {
        inner: p.requests.clone(),
        released: Default::default(),
        recorded: Default::default(),
    });
    let erasures = CustomerErasures::new(
        held.clone(),
        p.calls.clone(),
        CallLifecycle::eraser(
            p.calls.clone(),
            p.analytics.clone(),
            Arc::new(MemoryObjects::default()),
            Arc::new(FixedClock::at("2026-11-02T10:00:00Z")),
        ),
        p.erasure_queue.clone(),
        Arc::new(FixedClock::at("2026-11-02T10:00:00Z")),
    )
    .with_page_size(2);
    erasures
        .request(&tenant("acme"), "e-1", "alice", "officer-1")
        .await
        .expect("accepted");
    let first = delivered(&p.erasure_queue.sent(), 0);
    let (page_0, page_1, ()) = tokio::join!(
        // Queues page 1, then waits in its record.
        p.run(&erasures, first),
        async {
            while p.erasure_queue.sent().len() < 2 {
                tokio::task::yield_now().await;
            }
            // Taken by another instance before page 0 recorded itself.
            p.run(&erasures, delivered(&p.erasure_queue.sent(), 1))
                .await
        },
        async {
            tokio::time::sleep(std::time::Duration::from_millis(600)).await;
            // Page 0's record, and then page 1's (once it went on).
            held.released.store(2, std::sync::atomic::Ordering::SeqCst);
        },
    );
    assert!(page_0.is_empty(), "{page_0:?}");
    assert!(
        page_1.is_empty(),
        "page 1 waited for page 0's record: {page_1:?}"
    );
    let state = p.state("e-1").await;
    assert_eq!((state.erased, state.pages), (3, 2), "c-1, then c-3 and c-4");
}

/// acme's calls by start day: c-1 on the 1st, c-2, c-3 and c-5 on the 2nd, c-4 on the 3rd;
/// all processed but c-5 (received only). globex's c-2 on the 2nd, processed.
async fn three_days() -> Pipeline {
    let p = pipeline();
    let on = |id: &str, start: &str| {
        let mut doc = document(id, "ana");
        doc["start_time"] = serde_json::json!(start);
        formats::parse_value(doc, Format::Auto).expect("valid call")
    };
    for (t, id, start) in [
        ("acme", "c-1", "2026-11-01T09:00:00Z"),
        ("acme", "c-2", "2026-11-02T00:00:00Z"),
        ("acme", "c-3", "2026-11-02T23:59:59Z"),
        ("acme", "c-4", "2026-11-03T09:00:00Z"),
        ("globex", "c-2", "2026-11-02T09:00:00Z"),
    ] {
        p.admit
            .admit(
                &tenant(t),
                vec![(on(id, start), correlation(id))],
                Deadline::NONE,
            )
            .await;
    }
    p.run(&p.process, delivered(&p.process_queue.sent(), 0))
        .await;
    p.admit
        .admit(
            &tenant("acme"),
            vec![(on("c-5", "2026-11-02T12:00:00Z"), correlation("c-5"))],
            Deadline::NONE,
        )
        .await;
    p
}

/// The call ids the reanalyse queue was sent, in order.
fn queued_for_reanalysis(p: &Pipeline) -> Vec<String> {
    p.reanalyse_queue
        .sent()
        .iter()
        .map(|m| {
            let request: callscope_core::pipeline::ProcessCall =
                serde_json::from_str(&m.body).expect("a process request");
            assert_eq!(request.tenant, tenant("acme"));
            assert!(
                request.revision.is_some(),
                "a re-analysis names its revision"
            );
            request.call_id.to_string()
        })
        .collect()
}

fn day(raw: &str, bound: callscope_core::domain::Bound) -> Option<Timestamp> {
    Some(callscope_core::domain::range_bound("date", raw, bound).expect("a date"))
}

#[tokio::test]
async fn a_range_s_processed_calls_are_queued_once_each_over_pages_and_the_rest_skipped() {
    use callscope_core::domain::Bound;
    let p = three_days().await;
    let request = p
        .erasures
        .request_reanalysis(
            &tenant("acme"),
            "r-1",
            day("2026-11-01", Bound::Start),
            day("2026-11-02", Bound::End),
            "lead-1",
        )
        .await
        .expect("accepted");
    assert_eq!(request.status, ErasureStatus::Running);
    assert!(matches!(request.kind, JobKind::Reanalyse { .. }));
    let failed = p.pages_from(0).await;
    assert!(failed.is_empty(), "{failed:?}");
    // Pages of 2 over the range's 4 calls (c-1 c-2, c-3 c-5, then an empty one): c-4 is on
    // the 3rd, globex's c-2 another tenant's, c-5 not processed.
    assert_eq!(queued_for_reanalysis(&p), ["c-1", "c-2", "c-3"]);
    let done = p.state("r-1").await;
    assert_eq!(done.status, ErasureStatus::Done);
    assert_eq!((done.erased, done.skipped, done.pages), (3, 1, 3));
    assert!(done.finished_at.is_some());
    // Every page delivered again: recorded already, nothing queued or counted twice.
    let failed = p
        .run(&p.erasures, delivered(&p.erasure_queue.sent(), 0))
        .await;
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(queued_for_reanalysis(&p).len(), 3);
    let again = p.state("r-1").await;
    assert_eq!((again.erased, again.skipped, again.pages), (3, 1, 3));
    // Nothing was erased.
    assert_eq!(
        p.calls.status(&tenant("acme"), &call_id("c-4")),
        Some(crate::ports::CallStatus::Processed)
    );
}

#[tokio::test]
async fn a_reanalysis_without_a_range_takes_every_processed_call() {
    let p = three_days().await;
    p.erasures
        .request_reanalysis(&tenant("acme"), "r-all", None, None, "lead-1")
        .await
        .expect("accepted");
    let failed = p.pages_from(0).await;
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(queued_for_reanalysis(&p), ["c-1", "c-2", "c-3", "c-4"]);
    let done = p.state("r-all").await;
    assert_eq!((done.erased, done.skipped), (4, 1));
}

#[tokio::test]
async fn a_page_redelivered_before_it_is_recorded_elsewhere_counts_once() {
    let p = three_days().await;
    p.erasures
        .request_reanalysis(&tenant("acme"), "r-2", None, None, "lead-1")
        .await
        .expect("accepted");
    // Two copies of page 0 at once (SQS delivers at least once).
    let first = delivered(&p.erasure_queue.sent(), 0);
    let (a, b) = tokio::join!(p.run(&p.erasures, first.clone()), p.run(&p.erasures, first));
    assert!(a.is_empty() && b.is_empty(), "{a:?} {b:?}");
    let state = p.state("r-2").await;
    assert_eq!((state.erased, state.skipped, state.pages), (2, 0, 1));
}

#[tokio::test]
async fn a_range_that_ends_before_it_starts_is_refused_naming_to_date() {
    use callscope_core::domain::Bound;
    let p = three_days().await;
    let error = p
        .erasures
        .request_reanalysis(
            &tenant("acme"),
            "r-3",
            day("2026-11-02", Bound::Start),
            day("2026-11-01", Bound::End),
            "lead-1",
        )
        .await
        .expect_err("refused");
    assert!(
        matches!(&error, ErasureError::Invalid(e) if e.to_string().contains("to_date")),
        "{error:?}"
    );
    assert!(p.erasure_queue.sent().is_empty());
    assert!(p.reanalyse_queue.sent().is_empty());
}
