//! The intake consumer on in-memory ports: what is parked, retried and admitted.

use std::sync::Arc;

use callscope_core::pipeline::ProcessCall;

use super::*;
use crate::consume;
use crate::memory::{FixedClock, MemoryCalls, MemoryDeadLetter, MemoryPublisher};
use crate::ports::CallRepository;
use crate::test_support::{call_id, document, received, tenant};
use crate::Deadline;

struct Fixture {
    calls: Arc<MemoryCalls>,
    queue: Arc<MemoryPublisher>,
    dlq: MemoryDeadLetter,
    intake: IntakeCalls,
}

fn fixture() -> Fixture {
    let calls = Arc::new(MemoryCalls::default());
    let queue = Arc::new(MemoryPublisher::default());
    let clock = Arc::new(FixedClock::at("2026-11-02T10:00:00Z"));
    let intake = IntakeCalls::new(AdmitCalls::new(calls.clone(), queue.clone(), clock), None);
    Fixture {
        calls,
        queue,
        dlq: MemoryDeadLetter::default(),
        intake,
    }
}

fn body(id: &str, agent: &str) -> String {
    document(id, agent).to_string()
}

#[tokio::test]
async fn refused_messages_are_parked_naming_the_attribute_or_field_while_neighbours_are_admitted() {
    let f = fixture();
    let mut missing_customer = document("bad", "ana");
    missing_customer
        .as_object_mut()
        .expect("object")
        .remove("customer_id");
    let batch = [
        received("m1", &body("c-1", "ana"), &[("tenant", "acme")]),
        received("m2", &body("c-2", "ana"), &[]),
        received("m3", &missing_customer.to_string(), &[("tenant", "acme")]),
        received("m4", &body("c-4", "ana"), &[("tenant", "a#b")]),
    ];
    let failed = consume(&f.intake, &f.dlq, &batch, Deadline::NONE).await;
    assert!(failed.is_empty(), "{failed:?}");
    let reasons: Vec<(String, String)> = f
        .dlq
        .parked()
        .into_iter()
        .map(|(m, reason)| (m.id, reason))
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert_eq!(reasons[0].0, "m2");
    assert!(reasons[0].1.contains("`tenant` is required"), "{reasons:?}");
    assert_eq!(reasons[1].0, "m3");
    assert!(
        reasons[1].1.starts_with("customer_id: is required"),
        "{reasons:?}"
    );
    assert_eq!(reasons[2].0, "m4");
    assert!(reasons[2].1.starts_with("tenant:"), "{reasons:?}");
    assert_eq!(f.calls.len(), 1);
    assert_eq!(f.queue.sent().len(), 1);
}

#[tokio::test]
async fn a_conflict_is_parked_and_a_duplicate_is_done() {
    let f = fixture();
    let first = [received("m1", &body("c-1", "ana"), &[("tenant", "acme")])];
    assert!(consume(&f.intake, &f.dlq, &first, Deadline::NONE)
        .await
        .is_empty());
    let batch = [
        received("m2", &body("c-1", "ana"), &[("tenant", "acme")]),
        received("m3", &body("c-1", "ben"), &[("tenant", "acme")]),
    ];
    let failed = consume(&f.intake, &f.dlq, &batch, Deadline::NONE).await;
    assert!(failed.is_empty(), "{failed:?}");
    let parked = f.dlq.parked();
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].0.id, "m3");
    assert!(parked[0]
        .1
        .contains("already exists with different content"));
}

#[tokio::test]
async fn a_store_outage_retries_the_messages_instead_of_parking_them() {
    let f = fixture();
    f.calls.set_unavailable(true);
    let batch = [
        received("m1", &body("c-1", "ana"), &[("tenant", "acme")]),
        received("m2", &body("c-2", "ana"), &[("tenant", "acme")]),
    ];
    assert_eq!(
        consume(&f.intake, &f.dlq, &batch, Deadline::NONE).await,
        ["m1", "m2"]
    );
    assert!(f.dlq.parked().is_empty());
}

#[tokio::test]
async fn each_call_of_a_mixed_batch_is_stored_under_its_own_messages_tenant() {
    let f = fixture();
    let batch = [
        received("m1", &body("c-1", "ana"), &[("tenant", "acme")]),
        received("m2", &body("c-1", "ana"), &[("tenant", "globex")]),
    ];
    assert!(consume(&f.intake, &f.dlq, &batch, Deadline::NONE)
        .await
        .is_empty());
    for t in ["acme", "globex"] {
        let stored = f
            .calls
            .load(&tenant(t), &call_id("c-1"))
            .await
            .expect("load");
        assert!(stored.is_some(), "{t}");
    }
    let queued: Vec<ProcessCall> = f.queue.sent_as();
    let tenants: Vec<&str> = queued.iter().map(|r| r.tenant.as_str()).collect();
    assert_eq!(tenants, ["acme", "globex"]);
}

#[tokio::test]
async fn an_unusable_correlation_id_falls_back_to_the_message_id() {
    let f = fixture();
    let oversized = "c".repeat(2_000);
    let batch = [
        received(
            "5e0b6f1c-0000-4000-8000-000000000001",
            &body("c-1", "ana"),
            &[("tenant", "acme"), ("correlation_id", &oversized)],
        ),
        received(
            "m2",
            &body("c-2", "ana"),
            &[("tenant", "acme"), ("correlation_id", "telephony-7f3a")],
        ),
    ];
    assert!(consume(&f.intake, &f.dlq, &batch, Deadline::NONE)
        .await
        .is_empty());
    let queued: Vec<ProcessCall> = f.queue.sent_as();
    let ids: Vec<&str> = queued.iter().map(|r| r.correlation_id.as_str()).collect();
    assert_eq!(
        ids,
        ["5e0b6f1c-0000-4000-8000-000000000001", "telephony-7f3a"]
    );
}

#[tokio::test]
async fn a_parked_call_document_has_its_personal_data_redacted() {
    let f = fixture();
    let mut doc = document("bad", "ana");
    doc.as_object_mut().expect("object").remove("customer_id");
    doc["transcript"] = serde_json::json!("Agent: Hi.\nCustomer: Mail ana@example.com or call +1 415 555 0134, card 4111 1111 1111 1111.");
    let batch = [received("m1", &doc.to_string(), &[("tenant", "acme")])];
    assert!(consume(&f.intake, &f.dlq, &batch, Deadline::NONE)
        .await
        .is_empty());
    let parked = f.dlq.parked();
    let body = parked[0].0.body.clone().expect("body");
    assert!(
        !body.contains("ana@example.com") && !body.contains("4111") && !body.contains("555 0134"),
        "{body}"
    );
    assert!(
        body.contains("[EMAIL]") && body.contains("[CARD]"),
        "{body}"
    );
    assert_eq!(
        parked[0].0.attribute("tenant"),
        Some("acme"),
        "attributes are kept"
    );
}

#[tokio::test]
async fn producers_send_only_for_the_tenant_they_are_bound_to() {
    let calls = Arc::new(MemoryCalls::default());
    let clock = Arc::new(FixedClock::at("2026-11-02T10:00:00Z"));
    let admit = AdmitCalls::new(calls.clone(), Arc::new(MemoryPublisher::default()), clock);
    let producers = ProducerTenants::from([("AROATELEPHONY".to_owned(), tenant("acme"))]);
    let intake = IntakeCalls::new(admit, Some(producers));
    let dlq = MemoryDeadLetter::default();
    let from = |id: &str, sender: Option<&str>, tenant: &str| {
        let mut message = received(id, &body(id, "ana"), &[("tenant", tenant)]);
        message.sender_id = sender.map(str::to_owned);
        message
    };
    let batch = [
        from("ok", Some("AROATELEPHONY:lambda-session"), "acme"),
        from("other-tenant", Some("AROATELEPHONY:s"), "globex"),
        from("stranger", Some("AIDASTRANGER"), "acme"),
        from("unknown", None, "acme"),
    ];
    assert!(consume(&intake, &dlq, &batch, Deadline::NONE)
        .await
        .is_empty());
    assert_eq!(
        calls.len(),
        1,
        "only the bound producer's call for its tenant"
    );
    let reasons: Vec<String> = dlq.parked().into_iter().map(|(_, r)| r).collect();
    assert_eq!(reasons.len(), 3);
    assert!(
        reasons[0].contains("tenant acme only, not globex"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].contains("AIDASTRANGER") && reasons[2].contains("not allowed"),
        "{reasons:?}"
    );
}

/// A message of `body` on its `receives`-th receive.
fn receive(id: &str, body: &str, receives: u32) -> crate::ports::Received {
    let mut message = received(id, body, &[("tenant", "acme")]);
    message.receive_count = Some(receives);
    message
}

#[tokio::test]
async fn a_message_failing_on_every_receive_is_parked_redacted_before_sqs_would_move_it() {
    let f = fixture();
    let intake = f.intake.clone().parking_before(3);
    f.calls.set_unavailable(true);
    let mut doc = document("c-1", "ana");
    doc["transcript"] = serde_json::json!("Agent: Hi.\nCustomer: I'm ana\\u0040example.com");
    let raw = doc.to_string().replace("\\\\u0040", "\\u0040");
    assert!(
        raw.contains("\\u0040example.com"),
        "the body escapes the @: {raw}"
    );
    let first = consume(&intake, &f.dlq, &[receive("m1", &raw, 1)], Deadline::NONE).await;
    assert_eq!(first, ["m1"], "retried while receives are left");
    assert!(f.dlq.parked().is_empty());
    let second = consume(&intake, &f.dlq, &[receive("m1", &raw, 2)], Deadline::NONE).await;
    assert!(
        second.is_empty(),
        "parked and done on receive maxReceiveCount - 1"
    );
    let parked = f.dlq.parked();
    assert_eq!(parked.len(), 1);
    let body = parked[0].0.body.clone().expect("body");
    assert!(!body.contains("example.com"), "{body}");
    assert!(body.contains("[EMAIL]"), "{body}");
    assert!(parked[0].1.contains("receive 2"), "{}", parked[0].1);
    assert_eq!(parked[0].0.attribute(REDACTION_ATTRIBUTE), Some("strings"));
}

#[tokio::test]
async fn a_parking_that_fails_before_the_last_receive_is_tried_again_on_it() {
    let f = fixture();
    let intake = f.intake.clone().parking_before(3);
    f.calls.set_unavailable(true);
    f.dlq.set_unavailable(true);
    let raw = body("c-1", "ana");
    let failed = consume(&intake, &f.dlq, &[receive("m1", &raw, 2)], Deadline::NONE).await;
    assert_eq!(failed, ["m1"], "not parked: retried");
    f.dlq.set_unavailable(false);
    let failed = consume(&intake, &f.dlq, &[receive("m1", &raw, 3)], Deadline::NONE).await;
    assert!(failed.is_empty());
    assert_eq!(f.dlq.parked().len(), 1);
}

#[tokio::test]
async fn an_unreadable_body_is_parked_redacted_as_text() {
    let f = fixture();
    let raw = "{\"transcript\": \"card 4111 1111 1111 1111\" (cut";
    let failed = consume(&f.intake, &f.dlq, &[receive("m1", raw, 1)], Deadline::NONE).await;
    assert!(failed.is_empty());
    let parked = f.dlq.parked();
    assert_eq!(
        parked[0].0.body.as_deref(),
        Some("{\"transcript\": \"card [CARD]\" (cut")
    );
    assert_eq!(parked[0].0.attribute(REDACTION_ATTRIBUTE), Some("text"));
}

#[tokio::test]
async fn a_parked_message_redriven_keeps_its_producers_binding() {
    let calls = Arc::new(MemoryCalls::default());
    let clock = Arc::new(FixedClock::at("2026-11-02T10:00:00Z"));
    let admit = AdmitCalls::new(calls.clone(), Arc::new(MemoryPublisher::default()), clock);
    let producers = ProducerTenants::from([("AROATELEPHONY".to_owned(), tenant("acme"))]);
    let intake = IntakeCalls::new(admit, Some(producers))
        .with_redrive_senders(RedriveSenders::from(["AROAREDRIVE".to_owned()]));
    let dlq = MemoryDeadLetter::default();
    // Parked for a reason a fix can mend (an invalid call), by the bound producer.
    let mut sent = received("c1", "{\"call_id\": \"c1\"}", &[("tenant", "acme")]);
    sent.sender_id = Some("AROATELEPHONY:call-7".to_owned());
    assert!(consume(&intake, &dlq, &[sent], Deadline::NONE)
        .await
        .is_empty());
    let (parked, _) = dlq.parked().remove(0);
    assert_eq!(
        parked.attribute(ORIGINAL_SENDER_ATTRIBUTE),
        Some("AROATELEPHONY")
    );

    // Fixed and sent back by the redrive role: admitted under the producer's binding.
    let mut fixed = parked.clone();
    fixed.body = Some(body("c1", "ana"));
    fixed.sender_id = Some("AROAREDRIVE:operator".to_owned());
    // The same, but claiming another tenant, and a producer forging the attribute.
    let mut other_tenant = fixed.clone();
    other_tenant.id = "c2".into();
    other_tenant.body = Some(body("c2", "ana"));
    other_tenant
        .attributes
        .insert("tenant".into(), parked.attributes["tenant"].clone());
    other_tenant
        .attributes
        .get_mut("tenant")
        .expect("tenant")
        .value = "globex".into();
    let mut forged = fixed.clone();
    forged.id = "c3".into();
    forged.body = Some(body("c3", "ana"));
    forged.sender_id = Some("AIDAMALLORY".to_owned());
    assert!(consume(
        &intake,
        &dlq,
        &[fixed, other_tenant, forged],
        Deadline::NONE
    )
    .await
    .is_empty());
    assert_eq!(
        calls.len(),
        1,
        "only the redriven call of the producer's own tenant"
    );
    let reasons: Vec<String> = dlq.parked().into_iter().skip(1).map(|(_, r)| r).collect();
    assert!(
        reasons[0].contains("tenant acme only, not globex"),
        "{reasons:?}"
    );
    assert!(reasons[1].contains("AIDAMALLORY"), "{reasons:?}");
}
