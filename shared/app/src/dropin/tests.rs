//! The drop-in consumer on in-memory ports: objects become calls, and what cannot is parked
//! with its reason.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::consume;
use crate::memory::{FixedClock, MemoryCalls, MemoryDeadLetter, MemoryObjects, MemoryPublisher};
use crate::ports::{CallRepository, StoredObject};
use crate::test_support::{received, tenant};

const BUCKET: &str = "drop";

struct Fixture {
    calls: Arc<MemoryCalls>,
    queue: Arc<MemoryPublisher>,
    objects: Arc<MemoryObjects>,
    dlq: MemoryDeadLetter,
    dropin: DropIn,
}

fn fixture() -> Fixture {
    let calls = Arc::new(MemoryCalls::default());
    let queue = Arc::new(MemoryPublisher::default());
    let objects = Arc::new(MemoryObjects::default());
    let clock = Arc::new(FixedClock::at("2026-11-02T10:00:00Z"));
    let admit = AdmitCalls::new(calls.clone(), queue.clone(), clock);
    let dropin = DropIn::new(admit, objects.clone(), BUCKET)
        .with_sources(ObjectSources::parse("connect-b/Analysis/Voice/=globex").unwrap())
        .with_patterns(
            NamePatterns::parse("acme={agent_id}_{customer_id}_{start_time}.txt").unwrap(),
        );
    Fixture {
        calls,
        queue,
        objects,
        dlq: MemoryDeadLetter::default(),
        dropin,
    }
}

fn put(f: &Fixture, bucket: &str, key: &str, bytes: &[u8], metadata: &[(&str, &str)]) {
    f.objects.put(
        bucket,
        key,
        StoredObject {
            bytes: bytes.to_vec(),
            metadata: metadata
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>(),
            etag: Some(format!("etag-{}", bytes.len())),
            version_id: None,
        },
    );
}

/// The S3 event of one object, its key encoded as S3 encodes it.
fn event(id: &str, bucket: &str, key: &str) -> crate::ports::Received {
    let encoded: String = key
        .bytes()
        .map(|b| match b {
            b' ' => "+".to_owned(),
            b':' => "%3A".to_owned(),
            b => (b as char).to_string(),
        })
        .collect();
    let body = json!({"Records": [{"eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": bucket}, "object": {"key": encoded, "size": 1}}}]});
    received(id, &body.to_string(), &[])
}

const PLAIN: &[u8] = b"Agent: Hello, what brings you here?\nCustomer: Our reps waste hours.";

fn call_document(id: &str) -> Vec<u8> {
    json!({"call_id": id, "agent_id": "ana", "customer_id": "c1",
        "start_time": "2026-11-02T09:00:00Z", "transcript": "Agent: Hi.\nCustomer: Hello."})
    .to_string()
    .into_bytes()
}

#[tokio::test]
async fn documents_become_calls_of_the_tenant_their_key_starts_with() {
    let f = fixture();
    put(&f, BUCKET, "acme/in/c-1.json", &call_document("c-1"), &[]);
    // Plain text, its metadata from the file name by acme's pattern (a space in the key).
    put(
        &f,
        BUCKET,
        "acme/in box/sam_c7_2026-11-01T14:30:00Z.txt",
        PLAIN,
        &[],
    );
    let batch = [
        event("m1", BUCKET, "acme/in/c-1.json"),
        event("m2", BUCKET, "acme/in box/sam_c7_2026-11-01T14:30:00Z.txt"),
    ];
    let failed = consume(&f.dropin, &f.dlq, &batch, Deadline::NONE).await;
    assert!(
        failed.is_empty() && f.dlq.parked().is_empty(),
        "{:?}",
        f.dlq.parked()
    );
    let acme = tenant("acme");
    assert!(f
        .calls
        .load(&acme, &crate::test_support::call_id("c-1"))
        .await
        .unwrap()
        .is_some());
    let derived = objects::call_id_of(BUCKET, "acme/in box/sam_c7_2026-11-01T14:30:00Z.txt");
    let stored = f
        .calls
        .load(&acme, &derived)
        .await
        .unwrap()
        .expect("the text call");
    assert_eq!(stored.call.agent_id.as_str(), "sam");
    assert_eq!(f.queue.sent().len(), 2);
}

#[tokio::test]
async fn a_sidecar_completes_its_document_and_is_itself_acknowledged() {
    let f = fixture();
    put(
        &f,
        BUCKET,
        "acme/x/call.txt",
        PLAIN,
        &[("agent-id", "from-metadata")],
    );
    let sidecar = json!({"agent_id": "from-sidecar", "customer_id": "c9", "start_time": "2026-11-02T08:00:00Z"});
    put(
        &f,
        BUCKET,
        "acme/x/call.meta.json",
        sidecar.to_string().as_bytes(),
        &[],
    );
    let batch = [
        event("s", BUCKET, "acme/x/call.meta.json"),
        event("d", BUCKET, "acme/x/call.txt"),
    ];
    let failed = consume(&f.dropin, &f.dlq, &batch, Deadline::NONE).await;
    assert!(
        failed.is_empty() && f.dlq.parked().is_empty(),
        "{:?}",
        f.dlq.parked()
    );
    let id = objects::call_id_of(BUCKET, "acme/x/call.txt");
    let stored = f
        .calls
        .load(&tenant("acme"), &id)
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(stored.call.agent_id.as_str(), "from-metadata");
    assert_eq!(stored.call.customer_id.as_str(), "c9");
}

#[tokio::test]
async fn a_redelivery_is_one_call_and_other_content_under_the_key_is_parked_as_a_conflict() {
    let f = fixture();
    put(&f, BUCKET, "acme/c.json", &call_document("c-9"), &[]);
    for id in ["m1", "m2"] {
        let failed = consume(
            &f.dropin,
            &f.dlq,
            &[event(id, BUCKET, "acme/c.json")],
            Deadline::NONE,
        )
        .await;
        assert!(failed.is_empty());
    }
    assert!(f.dlq.parked().is_empty());
    let mut changed: serde_json::Value = serde_json::from_slice(&call_document("c-9")).unwrap();
    changed["transcript"] = json!("Agent: Something else.\nCustomer: Indeed.");
    put(
        &f,
        BUCKET,
        "acme/c.json",
        changed.to_string().as_bytes(),
        &[],
    );
    consume(
        &f.dropin,
        &f.dlq,
        &[event("m3", BUCKET, "acme/c.json")],
        Deadline::NONE,
    )
    .await;
    let parked = f.dlq.parked();
    assert_eq!(parked.len(), 1);
    assert!(
        parked[0].1.starts_with(
            "object s3://drop/acme/c.json: call_id: c-9 already exists with other content"
        ),
        "{}",
        parked[0].1
    );
}

#[tokio::test]
async fn what_cannot_become_a_call_is_parked_with_its_reason_and_a_failed_read_is_retried() {
    let f = fixture();
    put(&f, BUCKET, "acme/broken.json", b"{not json", &[]);
    put(&f, BUCKET, "acme/no-agent.txt", PLAIN, &[]);
    let batch = [
        event("bad-json", BUCKET, "acme/broken.json"),
        event("no-meta", BUCKET, "acme/no-agent.txt"),
        event("gone", BUCKET, "acme/deleted.json"),
        event("audio", BUCKET, "acme/audio/a.wav"),
        event("no-tenant", BUCKET, "top.json"),
        event("stranger", "elsewhere", "acme/a.json"),
        received("not-s3", "{\"hello\": 1}", &[]),
    ];
    let failed = consume(&f.dropin, &f.dlq, &batch, Deadline::NONE).await;
    assert!(failed.is_empty());
    let reasons: BTreeMap<String, String> =
        f.dlq.parked().into_iter().map(|(m, r)| (m.id, r)).collect();
    assert_eq!(reasons.len(), 7, "{reasons:?}");
    assert!(
        reasons["bad-json"].contains("document: is not valid JSON"),
        "{reasons:?}"
    );
    assert!(reasons["no-meta"].contains("agent_id: is required: give it in the document, as S3 object metadata (x-amz-meta-agent-id)"), "{reasons:?}");
    assert!(reasons["gone"].contains("does not exist"), "{reasons:?}");
    assert!(reasons["audio"].contains("transcribe stage"), "{reasons:?}");
    assert!(reasons["no-tenant"].contains("tenant"), "{reasons:?}");
    assert!(
        reasons["stranger"].contains("not a configured source"),
        "{reasons:?}"
    );
    assert!(
        reasons["not-s3"].starts_with("Records: is required"),
        "{reasons:?}"
    );

    f.objects.set_unavailable(true);
    put(&f, BUCKET, "acme/c.json", &call_document("c-1"), &[]);
    let failed = consume(
        &f.dropin,
        &f.dlq,
        &[event("later", BUCKET, "acme/c.json")],
        Deadline::NONE,
    )
    .await;
    assert_eq!(failed, ["later"]);
}

#[tokio::test]
async fn contact_lens_files_in_connects_layout_are_calls_of_the_sources_tenant() {
    let f = fixture();
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../events/calls/contact_lens.json"
    ))
    .unwrap();
    let key = "Analysis/Voice/2026/11/01/1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901_analysis_2026-11-01T14:30:00Z.json";
    put(&f, "connect-b", key, &bytes, &[]);
    let failed = consume(
        &f.dropin,
        &f.dlq,
        &[event("cl", "connect-b", key)],
        Deadline::NONE,
    )
    .await;
    assert!(
        failed.is_empty() && f.dlq.parked().is_empty(),
        "{:?}",
        f.dlq.parked()
    );
    let id = crate::test_support::call_id("1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901");
    let stored = f
        .calls
        .load(&tenant("globex"), &id)
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(stored.call.agent_id.as_str(), sources::UNASSIGNED);
    assert_eq!(
        stored
            .call
            .start_time
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "2026-11-01T14:30:00Z"
    );
}

#[tokio::test]
async fn the_s3_test_event_is_acknowledged() {
    let f = fixture();
    let test = received(
        "t",
        &json!({"Event": "s3:TestEvent", "Bucket": BUCKET}).to_string(),
        &[],
    );
    let failed = consume(&f.dropin, &f.dlq, &[test], Deadline::NONE).await;
    assert!(failed.is_empty() && f.dlq.parked().is_empty());
}

#[tokio::test]
async fn a_call_remembers_the_object_and_sidecar_it_was_read_from_for_erasure() {
    let f = fixture();
    put(&f, BUCKET, "acme/in/c-1.json", &call_document("c-1"), &[]);
    put(&f, BUCKET, "acme/x/call.txt", PLAIN, &[]);
    let sidecar =
        json!({"agent_id": "a", "customer_id": "c9", "start_time": "2026-11-02T08:00:00Z"});
    put(
        &f,
        BUCKET,
        "acme/x/call.meta.json",
        sidecar.to_string().as_bytes(),
        &[],
    );
    // A transcript of a recording: its sidecar names the recording (one of another tenant's
    // is not taken: the erasure deletes what is named).
    put(&f, BUCKET, "acme/t/job.txt", PLAIN, &[]);
    put(&f, BUCKET, "acme/t/other.txt", PLAIN, &[]);
    for (name, recording) in [("job", "acme/audio/r.wav"), ("other", "globex/audio/r.wav")] {
        let mut with_recording = sidecar.clone();
        with_recording["recording_key"] = json!(recording);
        put(
            &f,
            BUCKET,
            &format!("acme/t/{name}.meta.json"),
            with_recording.to_string().as_bytes(),
            &[],
        );
    }
    let batch = [
        event("a", BUCKET, "acme/in/c-1.json"),
        event("b", BUCKET, "acme/x/call.txt"),
        event("c", BUCKET, "acme/t/job.txt"),
        event("d", BUCKET, "acme/t/other.txt"),
    ];
    let failed = consume(&f.dropin, &f.dlq, &batch, Deadline::NONE).await;
    assert!(failed.is_empty() && f.dlq.parked().is_empty());
    let acme = tenant("acme");
    let head = |id: callscope_core::domain::CallId| {
        let calls = f.calls.clone();
        let acme = acme.clone();
        async move { calls.head(&acme, &id).await.unwrap().expect("stored") }
    };
    let plain = head(crate::test_support::call_id("c-1")).await;
    assert_eq!(
        plain.source,
        Some(SourceObject {
            bucket: BUCKET.into(),
            key: "acme/in/c-1.json".into(),
            version_id: None,
            sidecar_key: None,
            recording_key: None,
        }),
        "no sidecar was there, so none is remembered"
    );
    let with_sidecar = head(objects::call_id_of(BUCKET, "acme/x/call.txt")).await;
    assert_eq!(
        with_sidecar.source.and_then(|s| s.sidecar_key).as_deref(),
        Some("acme/x/call.meta.json")
    );
    let transcribed = head(objects::call_id_of(BUCKET, "acme/t/job.txt")).await;
    assert_eq!(
        transcribed.source.and_then(|s| s.recording_key).as_deref(),
        Some("acme/audio/r.wav")
    );
    let foreign = head(objects::call_id_of(BUCKET, "acme/t/other.txt")).await;
    assert_eq!(foreign.source.and_then(|s| s.recording_key), None);
}
