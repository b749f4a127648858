//! The analyse use case on in-memory ports.

use std::sync::Arc;

use callscope_core::domain::{CallId, TenantId, Timestamp};
use callscope_core::pipeline::{CallAnalysed, ProcessCall};

use super::*;
use crate::admit::AdmitCalls;
use crate::consume;
use crate::memory::{FixedClock, MemoryCalls, MemoryDeadLetter, MemoryPublisher};
use crate::ports::{
    CallRepository, CallStatus, PendingCall, ProcessedCall, PutOutcome, ReceivedCall,
    RollupRepository, StoreError, StoredCall,
};
use crate::test_support::{call, call_id, correlation, received, tenant};
use crate::Deadline;

struct Fixture {
    calls: Arc<MemoryCalls>,
    analytics: Arc<MemoryPublisher>,
    dlq: MemoryDeadLetter,
    analyse: ProcessCalls,
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
    admit
        .admit(&tenant("acme"), documents, Deadline::NONE)
        .await;
    let analytics = Arc::new(MemoryPublisher::default());
    let analyse = ProcessCalls::new(
        calls.clone(),
        analytics.clone(),
        clock,
        Arc::new(Analyser::default()),
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
        revision: None,
    })
    .expect("json")
}

fn status(f: &Fixture, id: &str) -> Option<CallStatus> {
    f.calls.status(&tenant("acme"), &call_id(id))
}

#[tokio::test]
async fn a_stored_call_is_analysed_marked_processed_and_its_event_sent() {
    let f = fixture_with(&["c-1"]).await;
    let failed = consume(
        &f.analyse,
        &f.dlq,
        &[received("m1", &request("c-1"), &[])],
        Deadline::NONE,
    )
    .await;
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
    assert_eq!(
        consume(&f.analyse, &f.dlq, &batch, Deadline::NONE).await,
        ["m1"]
    );
    assert!(f.dlq.parked().is_empty());
    assert_eq!(f.analytics.sent().len(), 1);
}

/// The ledger as aggregate leaves it once an erasure of `id` is applied.
async fn tombstone(id: &str) -> Arc<crate::memory::MemoryRollups> {
    let rollups = Arc::new(crate::memory::MemoryRollups::default());
    let settled = rollups
        .settle(&crate::ports::Settlement {
            tenant: tenant("acme"),
            call_id: call_id(id),
            correlation_id: correlation(id),
            expected: None,
            entry: crate::ports::LedgerEntry {
                version: callscope_core::pipeline::Version::new(
                    None,
                    callscope_core::pipeline::Version::ERASED,
                ),
                counted: None,
                legacy: false,
            },
            deltas: Default::default(),
        })
        .await
        .expect("settled");
    assert_eq!(settled, crate::ports::Settled::Written);
    rollups
}

#[tokio::test]
async fn a_request_for_a_call_that_is_gone_with_a_tombstone_was_erased_and_is_done() {
    let f = fixture_with(&[]).await;
    let analyse = f
        .analyse
        .clone()
        .with_erasure_ledger(tombstone("c-1").await);
    let batch = [received("m1", &request("c-1"), &[])];
    assert!(consume(&analyse, &f.dlq, &batch, Deadline::NONE)
        .await
        .is_empty());
    assert!(f.dlq.parked().is_empty(), "nothing to park: it was erased");
    assert!(f.analytics.sent().is_empty());
}

/// A store in a race with an erasure.
#[derive(Debug)]
struct ErasedMidway(Arc<MemoryCalls>, Race);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Race {
    /// The call is erased right after its analysis is stored: the erasure lands while the call
    /// is being processed.
    AfterTheAnalysis,
    /// The load finds the call erased, and the id is sent again before the run goes on: the
    /// items then belong to the new call.
    SentAgainAfterTheLoad,
}

#[async_trait::async_trait]
impl CallRepository for ErasedMidway {
    async fn put_received(&self, call: &ReceivedCall) -> Result<PutOutcome, StoreError> {
        self.0.put_received(call).await
    }
    async fn put_failed(
        &self,
        call: &ReceivedCall,
        reason: &str,
        at: Timestamp,
    ) -> Result<PutOutcome, StoreError> {
        self.0.put_failed(call, reason, at).await
    }
    async fn load(&self, t: &TenantId, c: &CallId) -> Result<Option<StoredCall>, StoreError> {
        if self.1 == Race::SentAgainAfterTheLoad {
            return Ok(None);
        }
        self.0.load(t, c).await
    }
    async fn head(
        &self,
        t: &TenantId,
        c: &CallId,
    ) -> Result<Option<crate::ports::CallHead>, StoreError> {
        self.0.head(t, c).await
    }
    async fn erase(&self, t: &TenantId, c: &CallId) -> Result<bool, StoreError> {
        self.0.erase(t, c).await
    }
    async fn erase_leftovers(&self, t: &TenantId, c: &CallId) -> Result<bool, StoreError> {
        self.0.erase_leftovers(t, c).await
    }
    async fn store_analysis(&self, processed: &ProcessedCall<'_>) -> Result<(), StoreError> {
        self.0.store_analysis(processed).await?;
        if self.1 == Race::AfterTheAnalysis {
            self.0.erase(processed.tenant, processed.call_id).await?;
        }
        Ok(())
    }
    async fn mark_processed(&self, processed: &ProcessedCall<'_>) -> Result<(), StoreError> {
        self.0.mark_processed(processed).await
    }
    async fn record_failure(&self, t: &TenantId, c: &CallId) -> Result<u32, StoreError> {
        self.0.record_failure(t, c).await
    }
    async fn mark_failed(
        &self,
        t: &TenantId,
        c: &CallId,
        r: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.0.mark_failed(t, c, r, at).await
    }
    async fn pending_before(
        &self,
        cutoff: Timestamp,
        limit: usize,
        rotation: u64,
    ) -> Result<Vec<PendingCall>, StoreError> {
        self.0.pending_before(cutoff, limit, rotation).await
    }
    async fn mark_requeued(&self, call: &PendingCall, at: Timestamp) -> Result<(), StoreError> {
        self.0.mark_requeued(call, at).await
    }
}

#[tokio::test]
async fn a_call_erased_while_it_is_processed_is_not_brought_back() {
    let f = fixture_with(&["c-1"]).await;
    let analyse = ProcessCalls::new(
        Arc::new(ErasedMidway(f.calls.clone(), Race::AfterTheAnalysis)),
        f.analytics.clone(),
        Arc::new(FixedClock::at("2026-11-02T10:00:00Z")),
        Arc::new(Analyser::default()),
    )
    .with_erasure_ledger(tombstone("c-1").await);
    let batch = [received("m1", &request("c-1"), &[])];
    assert!(
        consume(&analyse, &f.dlq, &batch, Deadline::NONE)
            .await
            .is_empty(),
        "the PROCESSED mark finds no call: erased, done"
    );
    assert!(consume(&analyse, &f.dlq, &batch, Deadline::NONE)
        .await
        .is_empty());
    assert!(f.calls.is_empty(), "the erased call stays erased");
    assert!(f.dlq.parked().is_empty());
    // Its event went out before the erasure was seen: aggregate's ledger orders it before the
    // erasure, so it counts nothing (aggregate's tests).
    assert_eq!(f.analytics.sent().len(), 1);
}

#[tokio::test]
async fn an_erased_calls_late_message_leaves_the_call_sent_again_under_its_id() {
    // c-1 here is the new call: the message is the erased one's, whose load saw no call.
    let f = fixture_with(&["c-1"]).await;
    let analyse = ProcessCalls::new(
        Arc::new(ErasedMidway(f.calls.clone(), Race::SentAgainAfterTheLoad)),
        f.analytics.clone(),
        Arc::new(FixedClock::at("2026-11-02T10:00:00Z")),
        Arc::new(Analyser::default()),
    )
    .with_erasure_ledger(tombstone("c-1").await);
    let batch = [received("m1", &request("c-1"), &[])];
    assert!(consume(&analyse, &f.dlq, &batch, Deadline::NONE)
        .await
        .is_empty());
    let kept = f
        .calls
        .head(&tenant("acme"), &call_id("c-1"))
        .await
        .expect("read");
    assert!(kept.is_some(), "the call sent again is kept");
    assert!(f.dlq.parked().is_empty());
}

fn reanalyse(id: &str, revision: u32) -> String {
    serde_json::to_string(&ProcessCall {
        tenant: tenant("acme"),
        call_id: call_id(id),
        correlation_id: correlation(id),
        revision: Some(revision),
    })
    .expect("json")
}

#[tokio::test]
async fn a_reanalysis_sends_the_next_revision_once_and_only_for_an_analysed_call() {
    let f = fixture_with(&["c-1"]).await;
    let early = [received("r0", &reanalyse("c-1", 1), &[])];
    assert!(consume(&f.analyse, &f.dlq, &early, Deadline::NONE)
        .await
        .is_empty());
    assert!(
        f.analytics.sent().is_empty(),
        "a call not yet analysed is left to its own process message"
    );
    consume(
        &f.analyse,
        &f.dlq,
        &[received("m1", &request("c-1"), &[])],
        Deadline::NONE,
    )
    .await;
    let again = [received("r1", &reanalyse("c-1", 1), &[])];
    assert!(consume(&f.analyse, &f.dlq, &again, Deadline::NONE)
        .await
        .is_empty());
    assert!(consume(&f.analyse, &f.dlq, &again, Deadline::NONE)
        .await
        .is_empty());
    let sent = f.analytics.sent();
    let revisions: Vec<u32> = sent
        .iter()
        .map(|m| {
            serde_json::from_str::<CallAnalysed>(&m.body)
                .expect("event")
                .revision
        })
        .collect();
    assert_eq!(revisions, [0, 1], "the redelivered request did nothing");
    let head = f
        .calls
        .head(&tenant("acme"), &call_id("c-1"))
        .await
        .expect("read")
        .expect("stored");
    assert_eq!((head.revision, head.status), (1, CallStatus::Processed));
}

#[tokio::test]
async fn an_unreadable_request_is_parked_at_once() {
    let f = fixture_with(&[]).await;
    let failed = consume(
        &f.analyse,
        &f.dlq,
        &[received("m1", "{\"call\": 1}", &[])],
        Deadline::NONE,
    )
    .await;
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
    assert_eq!(
        consume(&f.analyse, &f.dlq, &batch, Deadline::NONE).await,
        ["m2"]
    );
    // Storing is idempotent, so the retry can store again and send the event.
    f.analytics.refuse_bodies_containing(None);
    assert!(consume(&f.analyse, &f.dlq, &batch[1..], Deadline::NONE)
        .await
        .is_empty());
    let events: Vec<CallAnalysed> = f.analytics.sent_as();
    let ids: Vec<(&TenantId, &CallId)> = events.iter().map(|e| (&e.tenant, &e.call_id)).collect();
    assert_eq!(ids.len(), 2);
}

#[tokio::test]
async fn a_store_outage_retries_every_message() {
    let f = fixture_with(&["c-1"]).await;
    f.calls.set_unavailable(true);
    let failed = consume(
        &f.analyse,
        &f.dlq,
        &[received("m1", &request("c-1"), &[])],
        Deadline::NONE,
    )
    .await;
    assert_eq!(failed, ["m1"]);
    assert!(f.analytics.sent().is_empty());
}

#[tokio::test]
async fn a_call_whose_store_keeps_failing_is_marked_failed_and_parked_once_with_the_reason() {
    let f = fixture_with(&["c-1"]).await;
    let message = [received("m1", &request("c-1"), &[])];
    f.calls.set_analysis_too_large(false);
    // Loading works, storing the analysis does not: a failure that may pass, counted.
    let flaky = FlakyStore::new(f.calls.clone());
    let analyse = ProcessCalls::new(
        flaky.clone(),
        f.analytics.clone(),
        Arc::new(FixedClock::at("2026-11-02T11:00:00Z")),
        Arc::new(Analyser::default()),
    );
    for attempt in 1..MAX_ATTEMPTS {
        assert_eq!(
            consume(&analyse, &f.dlq, &message, Deadline::NONE).await,
            ["m1"],
            "attempt {attempt}"
        );
    }
    assert!(
        consume(&analyse, &f.dlq, &message, Deadline::NONE)
            .await
            .is_empty(),
        "parked, not retried"
    );
    assert_eq!(status(&f, "c-1"), Some(CallStatus::Failed));
    let parked = f.dlq.parked();
    assert_eq!(parked.len(), 1);
    assert!(
        parked[0].1.contains("marked FAILED") && parked[0].1.contains("after 5 attempts"),
        "{parked:?}"
    );
    assert!(f.analytics.sent().is_empty());
}

#[tokio::test]
async fn an_analysis_too_large_to_store_fails_the_call_at_once() {
    let f = fixture_with(&["c-1"]).await;
    f.calls.set_analysis_too_large(true);
    assert!(consume(
        &f.analyse,
        &f.dlq,
        &[received("m1", &request("c-1"), &[])],
        Deadline::NONE
    )
    .await
    .is_empty());
    assert_eq!(status(&f, "c-1"), Some(CallStatus::Failed));
    let reason = f
        .calls
        .failure_reason(&tenant("acme"), &call_id("c-1"))
        .expect("reason");
    assert!(reason.contains("analysis"), "{reason}");
    assert_eq!(f.dlq.parked().len(), 1);
}

#[tokio::test]
async fn a_call_stays_received_and_pending_until_its_event_is_sent_and_then_a_duplicate_does_nothing(
) {
    let f = fixture_with(&["c-1"]).await;
    let message = [received("m1", &request("c-1"), &[])];
    f.analytics.set_unavailable(true);
    assert_eq!(
        consume(&f.analyse, &f.dlq, &message, Deadline::NONE).await,
        ["m1"]
    );
    let pending = f
        .calls
        .pending_before(
            Timestamp::parse("t", "2100-01-01T00:00:00Z").expect("t"),
            10,
            0,
        )
        .await
        .expect("pending");
    assert_eq!(
        pending.len(),
        1,
        "analysed but not handed off: still pending"
    );
    assert_eq!(
        status(&f, "c-1"),
        Some(CallStatus::Received),
        "PROCESSED only once its event is sent"
    );
    assert!(
        f.calls.analysis(&tenant("acme"), &call_id("c-1")).is_some(),
        "the analysis is stored before the event is sent"
    );

    f.analytics.set_unavailable(false);
    assert!(consume(&f.analyse, &f.dlq, &message, Deadline::NONE)
        .await
        .is_empty());
    assert_eq!(f.analytics.sent().len(), 1);
    let pending = f
        .calls
        .pending_before(
            Timestamp::parse("t", "2100-01-01T00:00:00Z").expect("t"),
            10,
            0,
        )
        .await
        .expect("pending");
    assert!(pending.is_empty(), "handed off");
    assert_eq!(status(&f, "c-1"), Some(CallStatus::Processed));
    assert!(consume(&f.analyse, &f.dlq, &message, Deadline::NONE)
        .await
        .is_empty());
    assert_eq!(
        f.analytics.sent().len(),
        1,
        "a duplicate delivery sends nothing again"
    );
}

#[tokio::test]
async fn a_call_whose_processed_mark_fails_is_retried_and_its_second_event_is_the_same() {
    let f = fixture_with(&["c-1"]).await;
    let message = [received("m1", &request("c-1"), &[])];
    let flaky = FlakyStore::failing(f.calls.clone(), Failing::MarkProcessed);
    let analyse = ProcessCalls::new(
        flaky,
        f.analytics.clone(),
        Arc::new(FixedClock::at("2026-11-02T11:00:00Z")),
        Arc::new(Analyser::default()),
    );
    assert_eq!(
        consume(&analyse, &f.dlq, &message, Deadline::NONE).await,
        ["m1"],
        "sent but not marked: retried"
    );
    assert_eq!(status(&f, "c-1"), Some(CallStatus::Received));
    assert!(consume(&f.analyse, &f.dlq, &message, Deadline::NONE)
        .await
        .is_empty());
    assert_eq!(status(&f, "c-1"), Some(CallStatus::Processed));
    let events: Vec<CallAnalysed> = f.analytics.sent_as();
    assert_eq!(events.len(), 2, "the retry sends the event again");
    assert_eq!(
        events[0].call_id, events[1].call_id,
        "the same call's event, which aggregate counts once"
    );
}

/// Which write of [`FlakyStore`] fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failing {
    StoreAnalysis,
    MarkProcessed,
}

/// The call store with one write failing as an unreachable table would.
#[derive(Debug, Clone)]
struct FlakyStore(Arc<MemoryCalls>, Failing);

impl FlakyStore {
    fn new(inner: Arc<MemoryCalls>) -> Arc<Self> {
        Self::failing(inner, Failing::StoreAnalysis)
    }

    fn failing(inner: Arc<MemoryCalls>, failing: Failing) -> Arc<Self> {
        Arc::new(Self(inner, failing))
    }

    fn refuse(&self, write: Failing, operation: &str) -> Result<(), StoreError> {
        if self.1 == write {
            return Err(StoreError::Unavailable {
                operation: operation.into(),
                detail: "throttled".into(),
            });
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl CallRepository for FlakyStore {
    async fn put_received(&self, call: &ReceivedCall) -> Result<PutOutcome, StoreError> {
        self.0.put_received(call).await
    }
    async fn put_failed(
        &self,
        call: &ReceivedCall,
        reason: &str,
        at: Timestamp,
    ) -> Result<PutOutcome, StoreError> {
        self.0.put_failed(call, reason, at).await
    }
    async fn load(&self, t: &TenantId, c: &CallId) -> Result<Option<StoredCall>, StoreError> {
        self.0.load(t, c).await
    }
    async fn head(
        &self,
        t: &TenantId,
        c: &CallId,
    ) -> Result<Option<crate::ports::CallHead>, StoreError> {
        self.0.head(t, c).await
    }
    async fn erase(&self, t: &TenantId, c: &CallId) -> Result<bool, StoreError> {
        self.0.erase(t, c).await
    }
    async fn erase_leftovers(&self, t: &TenantId, c: &CallId) -> Result<bool, StoreError> {
        self.0.erase_leftovers(t, c).await
    }
    async fn store_analysis(&self, processed: &ProcessedCall<'_>) -> Result<(), StoreError> {
        self.refuse(Failing::StoreAnalysis, "storing an analysis")?;
        self.0.store_analysis(processed).await
    }
    async fn mark_processed(&self, processed: &ProcessedCall<'_>) -> Result<(), StoreError> {
        self.refuse(Failing::MarkProcessed, "marking a call processed")?;
        self.0.mark_processed(processed).await
    }
    async fn record_failure(&self, t: &TenantId, c: &CallId) -> Result<u32, StoreError> {
        self.0.record_failure(t, c).await
    }
    async fn mark_failed(
        &self,
        t: &TenantId,
        c: &CallId,
        r: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.0.mark_failed(t, c, r, at).await
    }
    async fn pending_before(
        &self,
        cutoff: Timestamp,
        limit: usize,
        rotation: u64,
    ) -> Result<Vec<PendingCall>, StoreError> {
        self.0.pending_before(cutoff, limit, rotation).await
    }
    async fn mark_requeued(&self, call: &PendingCall, at: Timestamp) -> Result<(), StoreError> {
        self.0.mark_requeued(call, at).await
    }
}

#[tokio::test]
async fn nothing_is_started_once_the_invocation_is_out_of_time() {
    let f = fixture_with(&["c-1"]).await;
    let almost_over = Deadline::at(std::time::SystemTime::now() + crate::deadline::MARGIN / 2);
    let failed = consume(
        &f.analyse,
        &f.dlq,
        &[received("m1", &request("c-1"), &[])],
        almost_over,
    )
    .await;
    assert_eq!(failed, ["m1"]);
    assert_eq!(
        status(&f, "c-1"),
        Some(CallStatus::Received),
        "not analysed"
    );
    assert!(f.analytics.sent().is_empty());
}

#[tokio::test]
async fn roles_inferred_at_ingest_are_reported_in_the_analysis() {
    let f = fixture_with(&[]).await;
    let named = callscope_core::formats::parse_value(
        serde_json::json!({
            "call_id": "c-names", "agent_id": "ana", "customer_id": "k1",
            "start_time": "2026-11-02T09:00:00Z",
            "transcript": "Dana: Hi, I'm calling about my bill.\nSam: Thanks for calling Brightline, this is Sam, how can I help?"
        }),
        callscope_core::formats::Format::Auto,
    )
    .expect("valid");
    let clock = Arc::new(FixedClock::at("2026-11-02T10:00:00Z"));
    AdmitCalls::new(f.calls.clone(), Arc::new(MemoryPublisher::default()), clock)
        .admit(
            &tenant("acme"),
            vec![(named, correlation("c-names"))],
            Deadline::NONE,
        )
        .await;
    let failed = consume(
        &f.analyse,
        &f.dlq,
        &[received("m1", &request("c-names"), &[])],
        Deadline::NONE,
    )
    .await;
    assert!(failed.is_empty());
    let analysis = f
        .calls
        .analysis(&tenant("acme"), &call_id("c-names"))
        .expect("analysis");
    let roles = analysis.roles.expect("names were labels");
    assert!(roles.inferred && !roles.low_confidence, "{roles:?}");
    assert_eq!(roles.labels["Sam"], callscope_core::Role::Agent);
    assert_eq!(
        analysis.word_count.customer, 6,
        "Dana's words count as the customer's"
    );
}
