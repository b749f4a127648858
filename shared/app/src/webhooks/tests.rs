//! Webhook delivery on in-memory ports: signing, retries, parking with the receiver's answer.

use std::sync::Arc;

use callscope_core::settings::Section;

use super::signature::{sign, verify, SignatureError, TOLERANCE_SECONDS};
use super::*;
use crate::consume;
use crate::memory::{
    FixedClock, MemoryDeadLetter, MemoryParked, MemoryReceiver, MemorySecrets, MemorySettings,
};
use crate::ports::{SettingsStore, SigningSecret, StoredSecret};
use crate::test_support::{received, tenant};

/// Computed by Python's `hmac` (an implementation independent of the `hmac` crate):
/// `hmac.new(b"whsec_5f0c2a", f"{t}.{body}".encode(), hashlib.sha256).hexdigest()`.
const PYTHON_VECTOR: &str = "877936496113a518999c4d8af71d96209957b8023e3ae856c79eb301c7931382";
const VECTOR_BODY: &str = r#"{"event_id":"acme/c1/2026-12-05T03:00:00.000Z","tenant":"acme"}"#;

#[test]
fn the_signature_matches_pythons_hmac_and_verifies() {
    let secret = SigningSecret::new("whsec_5f0c2a".into());
    let header = sign(&secret, 1_764_900_000, VECTOR_BODY);
    assert_eq!(header, format!("t=1764900000,v1={PYTHON_VECTOR}"));
    assert_eq!(
        verify(
            &secret,
            &header,
            VECTOR_BODY,
            1_764_900_100,
            TOLERANCE_SECONDS
        ),
        Ok(())
    );
}

#[test]
fn a_changed_body_an_old_timestamp_or_another_secret_do_not_verify() {
    let secret = SigningSecret::new("whsec_5f0c2a".into());
    let header = sign(&secret, 1_764_900_000, VECTOR_BODY);
    let now = 1_764_900_000;
    let tampered = VECTOR_BODY.replace("acme", "acne");
    assert_eq!(
        verify(&secret, &header, &tampered, now, TOLERANCE_SECONDS),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify(&secret, &header, VECTOR_BODY, now + 301, TOLERANCE_SECONDS),
        Err(SignatureError::OutsideTolerance(301))
    );
    let other = SigningSecret::new("whsec_other".into());
    assert_eq!(
        verify(&other, &header, VECTOR_BODY, now, TOLERANCE_SECONDS),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify(&secret, "v1=00", VECTOR_BODY, now, TOLERANCE_SECONDS),
        Err(SignatureError::Malformed)
    );
}

#[test]
fn backoff_doubles_from_the_base_up_to_the_cap() {
    let retry = RetryPolicy {
        max_attempts: 10,
        base_delay: Duration::from_secs(60),
        max_delay: Duration::from_secs(7_200),
        timeout: Duration::from_secs(5),
    };
    let delays: Vec<u64> = (1..=9).map(|r| retry.delay_after(r).as_secs()).collect();
    assert_eq!(delays, [60, 120, 240, 480, 960, 1_920, 3_840, 7_200, 7_200]);
    assert_eq!(retry.delay_after(u32::MAX).as_secs(), 7_200);
}

struct Fixture {
    receiver: Arc<MemoryReceiver>,
    secrets: Arc<MemorySecrets>,
    parked: Arc<MemoryParked>,
    settings: Arc<MemorySettings>,
    dlq: MemoryDeadLetter,
    deliver: DeliverWebhooks,
}

async fn fixture(endpoint: Option<&str>, with_secret: bool) -> Fixture {
    let settings = Arc::new(MemorySettings::default());
    let clock = Arc::new(FixedClock::at("2026-12-05T03:00:00Z"));
    let acme = tenant("acme");
    if let Some(url) = endpoint {
        let body = format!(r#"{{"endpoints": {{"CallAnalysed": "{url}"}}}}"#);
        let value = Section::Webhooks.read(body.as_bytes()).expect("valid");
        settings
            .put_section(&acme, &value, None, clock.now())
            .await
            .expect("stored");
    }
    let secrets = Arc::new(MemorySecrets::default());
    if with_secret {
        secrets.rotate(&acme, clock.now()).await.expect("rotated");
    }
    let receiver = Arc::new(MemoryReceiver::default());
    let parked = Arc::new(MemoryParked::default());
    let deliver = DeliverWebhooks::new(
        SettingsCache::new(settings.clone(), clock.clone()),
        secrets.clone(),
        parked.clone(),
        receiver.clone(),
        clock,
        EndpointPolicy::HttpsOnly,
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(4),
            timeout: Duration::from_secs(5),
        },
    );
    Fixture {
        receiver,
        secrets,
        parked,
        settings,
        dlq: MemoryDeadLetter::default(),
        deliver,
    }
}

const DETAIL: &str =
    r#"{"version":1,"event_id":"acme/c1/2026-12-05T02:59:00.000Z","tenant":"acme","call_id":"c1"}"#;

fn event(kind: &str, receive: u32) -> Received {
    let body = format!(
        r#"{{"version":"0","id":"eb-1","detail-type":"{kind}","source":"callscope","detail":{DETAIL}}}"#
    );
    Received {
        receive_count: Some(receive),
        ..received("m1", &body, &[])
    }
}

async fn secret_of(f: &Fixture) -> StoredSecret {
    f.secrets
        .current(&tenant("acme"))
        .await
        .expect("read")
        .expect("a secret")
}

#[tokio::test]
async fn a_2xx_receiver_gets_the_detail_signed_once() {
    let f = fixture(Some("https://hooks.example.com/in?token=x"), true).await;
    let failed = consume(
        &f.deliver,
        &f.dlq,
        &[event("CallAnalysed", 1)],
        Deadline::NONE,
    )
    .await;
    assert!(failed.is_empty());
    let requests = f.receiver.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.url, "https://hooks.example.com/in?token=x");
    assert_eq!(request.body, DETAIL);
    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .expect(name)
    };
    assert_eq!(
        header("callscope-event-id"),
        "acme/c1/2026-12-05T02:59:00.000Z"
    );
    let secret = secret_of(&f).await.secret;
    let now = f.deliver.clock.now().time().timestamp();
    assert_eq!(
        verify(
            &secret,
            &header("callscope-signature"),
            DETAIL,
            now,
            TOLERANCE_SECONDS
        ),
        Ok(())
    );
    assert!(f.dlq.parked().is_empty());
}

#[tokio::test]
async fn no_endpoint_for_the_kind_is_done_without_a_request() {
    let f = fixture(Some("https://hooks.example.com/"), true).await;
    let failed = consume(&f.deliver, &f.dlq, &[event("CallAlert", 1)], Deadline::NONE).await;
    assert!(failed.is_empty());
    assert!(f.receiver.requests().is_empty());
    assert!(f.dlq.parked().is_empty());
}

#[tokio::test]
async fn a_failing_receiver_is_retried_then_parked_with_its_answer() {
    let f = fixture(Some("https://hooks.example.com/in?token=x"), true).await;
    for receive in 1..3 {
        f.receiver.answer(Ok(WebhookAnswer {
            status: 500,
            body_start: "boom".into(),
        }));
        let failed = consume(
            &f.deliver,
            &f.dlq,
            &[event("CallAnalysed", receive)],
            Deadline::NONE,
        )
        .await;
        assert_eq!(failed, ["m1"], "receive {receive} is retried");
        assert_eq!(records(&f).await, [], "nothing parked on receive {receive}");
    }
    f.receiver
        .answer(Err(SendError::Timeout(Duration::from_secs(5))));
    let failed = consume(
        &f.deliver,
        &f.dlq,
        &[event("CallAnalysed", 3)],
        Deadline::NONE,
    )
    .await;
    assert!(failed.is_empty());
    let parked = f.dlq.parked();
    assert_eq!(parked.len(), 1);
    assert_eq!(
        parked[0].1,
        "webhook not delivered: attempt 3 of 3 failed: https://hooks.example.com/in: no answer within 5s"
    );
    assert_eq!(f.receiver.requests().len(), 3);
    // The tenant's record says the same, and which call's event it was.
    assert_eq!(
        records(&f).await,
        [ParkedDelivery {
            event_id: "acme/c1/2026-12-05T02:59:00.000Z".into(),
            kind: "CallAnalysed".into(),
            call_id: Some("c1".into()),
            reason: "attempt 3 of 3 failed: https://hooks.example.com/in: no answer within 5s"
                .into(),
            attempts: 3,
            parked_at: FixedClock::at("2026-12-05T03:00:00Z").now(),
        }]
    );
}

async fn records(f: &Fixture) -> Vec<ParkedDelivery> {
    f.parked.list(&tenant("acme")).await.expect("listed").0
}

#[tokio::test]
async fn a_parked_event_delivered_after_a_redrive_leaves_no_record() {
    let f = fixture(Some("https://hooks.example.com/"), true).await;
    f.receiver.answer(Ok(WebhookAnswer {
        status: 500,
        body_start: "down".into(),
    }));
    consume(
        &f.deliver,
        &f.dlq,
        &[event("CallAnalysed", 3)],
        Deadline::NONE,
    )
    .await;
    assert_eq!(records(&f).await.len(), 1);
    // Redriven: a new message, received for the first time, and the receiver is back.
    let failed = consume(
        &f.deliver,
        &f.dlq,
        &[event("CallAnalysed", 1)],
        Deadline::NONE,
    )
    .await;
    assert!(failed.is_empty());
    assert_eq!(records(&f).await, []);
}

#[tokio::test]
async fn a_record_that_cannot_be_written_still_parks_the_delivery() {
    let f = fixture(Some("https://hooks.example.com/"), false).await;
    f.parked.fail(true);
    let failed = consume(
        &f.deliver,
        &f.dlq,
        &[event("CallAnalysed", 1)],
        Deadline::NONE,
    )
    .await;
    assert!(failed.is_empty(), "not retried for the record's sake");
    assert_eq!(f.dlq.parked().len(), 1);
}

#[tokio::test]
async fn a_receivers_error_answer_is_the_reason_clipped() {
    let f = fixture(Some("https://hooks.example.com/"), true).await;
    f.receiver.answer(Ok(WebhookAnswer {
        status: 503,
        body_start: "x".repeat(500),
    }));
    consume(
        &f.deliver,
        &f.dlq,
        &[event("CallAnalysed", 3)],
        Deadline::NONE,
    )
    .await;
    let reason = &f.dlq.parked()[0].1;
    assert!(
        reason.starts_with("webhook not delivered: attempt 3 of 3 failed: https://hooks.example.com/ answered HTTP 503: xxx"),
        "{reason}"
    );
    assert!(reason.ends_with("x…") && reason.len() < 400, "{reason}");
}

#[tokio::test]
async fn without_a_secret_or_with_a_forbidden_endpoint_the_event_is_parked_at_once() {
    let f = fixture(Some("https://hooks.example.com/"), false).await;
    consume(
        &f.deliver,
        &f.dlq,
        &[event("CallAnalysed", 1)],
        Deadline::NONE,
    )
    .await;
    assert!(f.dlq.parked()[0].1.contains("no webhook signing secret"));
    assert!(f.receiver.requests().is_empty());
    assert!(records(&f).await[0]
        .reason
        .contains("no webhook signing secret"));

    // Stored while running against an emulator, read by a deployed function.
    let f = fixture(Some("http://127.0.0.1:9/"), true).await;
    consume(
        &f.deliver,
        &f.dlq,
        &[event("CallAnalysed", 1)],
        Deadline::NONE,
    )
    .await;
    assert!(
        f.dlq.parked()[0].1.contains("local emulator"),
        "{:?}",
        f.dlq.parked()
    );
    assert!(f.receiver.requests().is_empty());
}

#[tokio::test]
async fn unreadable_events_are_parked_with_why() {
    let f = fixture(Some("https://hooks.example.com/"), true).await;
    let bad = [
        received("a", "not json", &[]),
        received(
            "b",
            r#"{"detail-type":"CallErased","detail":{"tenant":"acme"}}"#,
            &[],
        ),
        received(
            "c",
            r#"{"detail-type":"CallAnalysed","detail":{"event_id":"x"}}"#,
            &[],
        ),
    ];
    let failed = consume(&f.deliver, &f.dlq, &bad, Deadline::NONE).await;
    assert!(failed.is_empty());
    let reasons: Vec<String> = f.dlq.parked().into_iter().map(|(_, r)| r).collect();
    assert!(
        reasons[0].starts_with("body is not an EventBridge event"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].contains("\"CallErased\" is not a webhook event kind"),
        "{reasons:?}"
    );
    assert!(reasons[2].contains("has no tenant"), "{reasons:?}");
    assert!(f.receiver.requests().is_empty());
}

#[tokio::test]
async fn settings_that_cannot_be_read_are_retried_not_parked() {
    let f = fixture(Some("https://hooks.example.com/"), true).await;
    f.settings.fail(true);
    let failed = consume(
        &f.deliver,
        &f.dlq,
        &[event("CallAnalysed", 1)],
        Deadline::NONE,
    )
    .await;
    assert_eq!(failed, ["m1"]);
    assert!(f.dlq.parked().is_empty());
}
