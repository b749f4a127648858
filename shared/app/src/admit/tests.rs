//! Every branch of admission on in-memory ports.

use std::sync::Arc;

use callscope_core::pipeline::ProcessCall;

use super::*;
use crate::memory::{FixedClock, MemoryCalls, MemoryPublisher};
use crate::test_support::{call, call_id, correlation, process, tenant};
use crate::Deadline;

struct Fixture {
    calls: Arc<MemoryCalls>,
    queue: Arc<MemoryPublisher>,
    admit: AdmitCalls,
}

fn fixture() -> Fixture {
    let calls = Arc::new(MemoryCalls::default());
    let queue = Arc::new(MemoryPublisher::default());
    let clock = Arc::new(FixedClock::at("2026-11-02T10:00:00Z"));
    let admit = AdmitCalls::new(calls.clone(), queue.clone(), clock);
    Fixture {
        calls,
        queue,
        admit,
    }
}

async fn admit_one(f: &Fixture, id: &str, agent: &str, correlation_id: &str) -> Admitted {
    let mut admitted = f
        .admit
        .admit(
            &tenant("acme"),
            vec![(call(id, agent), correlation(correlation_id))],
            Deadline::NONE,
        )
        .await;
    assert_eq!(admitted.len(), 1);
    admitted.remove(0)
}

#[tokio::test]
async fn a_new_call_is_stored_redacted_and_queued_once() {
    let f = fixture();
    let admitted = admit_one(&f, "c-1", "ana", "corr-1").await;
    assert_eq!(admitted.admission, Admission::Accepted);
    assert_eq!(admitted.correlation_id, correlation("corr-1"));
    let stored = f
        .calls
        .load(&tenant("acme"), &call_id("c-1"))
        .await
        .expect("load")
        .expect("stored");
    assert_eq!(stored.redactions.emails, 1);
    let text = &stored.call.utterances.utterances()[1].text;
    assert!(
        !text.contains("ana@example.com") && text.contains("[EMAIL]"),
        "{text}"
    );
    let queued: Vec<ProcessCall> = f.queue.sent_as();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].call_id, call_id("c-1"));
    assert_eq!(queued[0].correlation_id, correlation("corr-1"));
}

#[tokio::test]
async fn the_same_call_again_keeps_its_first_correlation_id_and_is_queued_again_only_while_received(
) {
    let f = fixture();
    admit_one(&f, "c-1", "ana", "first").await;
    let again = admit_one(&f, "c-1", "ana", "second").await;
    assert_eq!(again.admission, Admission::Accepted);
    assert_eq!(again.correlation_id, correlation("first"));
    assert_eq!(f.queue.sent().len(), 2, "still RECEIVED: queued again");

    process(&f.calls, &tenant("acme"), "c-1", "2026-11-02T10:01:00Z").await;
    let processed = admit_one(&f, "c-1", "ana", "third").await;
    assert_eq!(processed.admission, Admission::Accepted);
    assert_eq!(f.queue.sent().len(), 2, "processed: not queued again");
    assert_eq!(f.calls.len(), 1, "one record");
}

#[tokio::test]
async fn other_content_under_the_same_id_is_a_conflict_and_is_not_queued() {
    let f = fixture();
    admit_one(&f, "c-1", "ana", "first").await;
    let other = admit_one(&f, "c-1", "ben", "second").await;
    assert_eq!(other.admission, Admission::Conflict);
    assert_eq!(f.queue.sent().len(), 1);
}

#[tokio::test]
async fn a_call_too_large_to_store_is_rejected_naming_the_utterances() {
    let f = fixture();
    f.calls.set_transcript_limit(10);
    let admitted = admit_one(&f, "c-1", "ana", "corr").await;
    let Admission::Rejected(error) = admitted.admission else {
        panic!("expected a rejection, got {admitted:?}");
    };
    assert_eq!(error.field, "utterances");
    assert_eq!(error.kind, callscope_core::error::InputErrorKind::TooLarge);
    assert!(f.queue.sent().is_empty() && f.calls.is_empty());
}

#[tokio::test]
async fn a_store_outage_makes_the_call_unavailable_and_queues_nothing() {
    let f = fixture();
    f.calls.set_unavailable(true);
    let admitted = admit_one(&f, "c-1", "ana", "corr").await;
    assert!(matches!(admitted.admission, Admission::Unavailable(_)));
    assert!(f.queue.sent().is_empty());
}

#[tokio::test]
async fn a_call_stored_but_not_queued_is_unavailable_until_a_retry_queues_it() {
    let f = fixture();
    f.queue.set_unavailable(true);
    let first = admit_one(&f, "c-1", "ana", "corr").await;
    assert!(matches!(first.admission, Admission::Unavailable(_)));
    assert_eq!(
        f.calls.status(&tenant("acme"), &call_id("c-1")),
        Some(CallStatus::Received)
    );
    f.queue.set_unavailable(false);
    let retry = admit_one(&f, "c-1", "ana", "corr").await;
    assert_eq!(retry.admission, Admission::Accepted);
    assert_eq!(f.queue.sent().len(), 1);
}

#[tokio::test]
async fn only_the_calls_whose_message_failed_are_unavailable_in_a_batch() {
    let f = fixture();
    f.queue.refuse_bodies_containing(Some("\"c-2\""));
    let admitted = f
        .admit
        .admit(
            &tenant("acme"),
            ["c-1", "c-2", "c-3"]
                .iter()
                .map(|id| (call(id, "ana"), correlation(id)))
                .collect(),
            Deadline::NONE,
        )
        .await;
    let outcomes: Vec<bool> = admitted
        .iter()
        .map(|a| a.admission == Admission::Accepted)
        .collect();
    assert_eq!(outcomes, [true, false, true]);
}

#[tokio::test]
async fn calls_not_started_before_the_deadline_are_unavailable_and_not_stored() {
    let f = fixture();
    let almost_over = Deadline::at(std::time::SystemTime::now() + crate::deadline::MARGIN / 2);
    let admitted = f
        .admit
        .admit(
            &tenant("acme"),
            vec![(call("c-1", "ana"), correlation("c-1"))],
            almost_over,
        )
        .await;
    assert!(matches!(admitted[0].admission, Admission::Unavailable(_)));
    assert!(f.calls.is_empty() && f.queue.sent().is_empty());
}

/// Issue 25: a call holding every type stores none of them, in its transcript or its preview.
#[tokio::test]
async fn a_call_with_every_kind_of_personal_data_stores_none_of_it() {
    let f = fixture();
    let document = serde_json::json!({
        "call_id": "c-pii", "agent_id": "ana", "customer_id": "cust-1",
        "start_time": "2026-11-02T09:00:00Z", "duration_seconds": 60,
        "transcript": "Agent: Can I have your account number?\n\
            Customer: It's 7731 0482 5519.\n\
            Agent: And your address?\n\
            Customer: 1840 Cedar Lane, Fairview, Oregon 97024.\n\
            Agent: Date of birth?\n\
            Customer: March 14th, 1985. My social is 123-45-6789.\n\
            Customer: Card 4111 1111 1111 1111, expires 04/27, security code 321.\n\
            Customer: The routing number is 021000021. My name is Jordan Lockwood."
    });
    let call =
        callscope_core::formats::parse_value(document, callscope_core::formats::Format::Auto)
            .expect("valid call");
    let admitted = f
        .admit
        .admit(
            &tenant("acme"),
            vec![(call, correlation("corr-pii"))],
            Deadline::NONE,
        )
        .await;
    assert_eq!(admitted[0].admission, Admission::Accepted);
    let stored = f
        .calls
        .load(&tenant("acme"), &call_id("c-pii"))
        .await
        .expect("load")
        .expect("stored");
    let text = stored.call.utterances.to_lines();
    for secret in [
        "7731",
        "0482",
        "5519",
        "1840",
        "Cedar",
        "Fairview",
        "97024",
        "March",
        "1985",
        "6789",
        "4111",
        "04/27",
        "321",
        "021000021",
        "Jordan",
        "Lockwood",
    ] {
        assert!(!text.contains(secret), "{secret} stored in {text}");
    }
    for pii in callscope_core::redaction::PiiType::ALL {
        if pii != callscope_core::redaction::PiiType::Phone
            && pii != callscope_core::redaction::PiiType::Email
            && pii != callscope_core::redaction::PiiType::Pin
        {
            assert!(
                stored.redactions.of(pii) >= 1,
                "{pii:?}: {:?}",
                stored.redactions
            );
        }
    }
}
