//! The recordings consumer on in-memory ports: audio starts one job with the right settings and
//! its sidecar, redeliveries start none, throttling is retried and refusals parked; a failed
//! job's recording becomes its FAILED call once, or is parked when it cannot.

use std::sync::Arc;

use callscope_core::recordings::JobKind;
use serde_json::json;

use super::*;
use crate::consume;
use crate::memory::{FixedClock, MemoryCalls, MemoryDeadLetter, MemoryObjects, MemoryTranscribe};
use crate::ports::{
    CallQueries, CallRepository, CallStatus, ObjectStore, Read, ReceivedCall, StoredObject,
};
use crate::test_support::{call, correlation, received, tenant};

const BUCKET: &str = "drop";

struct Fixture {
    objects: Arc<MemoryObjects>,
    jobs: Arc<MemoryTranscribe>,
    calls: Arc<MemoryCalls>,
    clock: Arc<FixedClock>,
    dlq: MemoryDeadLetter,
    start: StartTranscriptions,
}

fn fixture(settings: RecordingSettings) -> Fixture {
    let objects = Arc::new(MemoryObjects::default());
    let jobs = Arc::new(MemoryTranscribe::default());
    let calls = Arc::new(MemoryCalls::default());
    let clock = Arc::new(FixedClock::at("2026-11-02T10:05:00Z"));
    Fixture {
        start: StartTranscriptions::new(
            jobs.clone(),
            objects.clone(),
            calls.clone(),
            clock.clone(),
            settings,
        ),
        objects,
        jobs,
        calls,
        clock,
        dlq: MemoryDeadLetter::default(),
    }
}

fn put_audio(f: &Fixture, key: &str) {
    f.objects.put(
        BUCKET,
        key,
        StoredObject {
            bytes: b"RIFF....WAVE".to_vec(),
            metadata: [
                ("agent-id".to_owned(), "sam".to_owned()),
                ("customer-id".to_owned(), "acme-corp".to_owned()),
                ("start-time".to_owned(), "2026-11-02T10:00:00Z".to_owned()),
            ]
            .into(),
            etag: Some("e1".into()),
            version_id: None,
        },
    );
}

fn event(id: &str, key: &str) -> crate::ports::Received {
    let body = json!({"Records": [{"eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": BUCKET}, "object": {"key": key, "size": 12, "eTag": "e1"}}}]});
    received(id, &body.to_string(), &[])
}

#[tokio::test]
async fn a_recording_starts_one_job_with_its_settings_and_sidecar_even_when_redelivered() {
    let f = fixture(RecordingSettings {
        agent_channel: Some(0),
        redact_pii: true,
        ..RecordingSettings::default()
    });
    put_audio(&f, "acme/audio/c1.wav");
    for receive in ["m1", "m2"] {
        let failed = consume(
            &f.start,
            &f.dlq,
            &[event(receive, "acme/audio/c1.wav")],
            Deadline::NONE,
        )
        .await;
        assert!(failed.is_empty());
    }
    let started = f.jobs.started();
    assert_eq!(started.len(), 1, "a redelivery finds its job started");
    let job = &started[0];
    assert_eq!(job.kind, JobKind::StandardChannels);
    assert!(job.redact_pii);
    assert_eq!(job.media_uri, "s3://drop/acme/audio/c1.wav");
    assert_eq!(
        job.output_key,
        format!("acme/transcribe/{}.json", job.job_name)
    );
    let sidecar = f
        .objects
        .get(BUCKET, &job.sidecar_key, None, 4096)
        .await
        .expect("the sidecar is written before the job starts");
    let sidecar: serde_json::Value = serde_json::from_slice(&sidecar.bytes).expect("json");
    assert_eq!(
        sidecar,
        json!({"agent_id": "sam", "customer_id": "acme-corp",
            "start_time": "2026-11-02T10:00:00Z",
            "speaker_roles": {"ch_0": "agent", "ch_1": "customer"},
            "recording_key": "acme/audio/c1.wav"})
    );
    assert!(f.dlq.parked().is_empty());
}

#[tokio::test]
async fn throttling_is_retried_and_a_refused_job_is_parked_with_its_reason() {
    let f = fixture(RecordingSettings {
        call_analytics: true,
        ..RecordingSettings::default()
    });
    put_audio(&f, "acme/audio/c1.wav");
    f.jobs
        .fail_with(Some(JobError::Throttled("LimitExceededException".into())));
    let failed = consume(
        &f.start,
        &f.dlq,
        &[event("m1", "acme/audio/c1.wav")],
        Deadline::NONE,
    )
    .await;
    assert_eq!(failed, ["m1"], "a batch item failure: SQS redelivers it");
    assert!(f.dlq.parked().is_empty());
    f.jobs.fail_with(None);
    let failed = consume(
        &f.start,
        &f.dlq,
        &[event("m1", "acme/audio/c1.wav")],
        Deadline::NONE,
    )
    .await;
    assert!(failed.is_empty());
    assert_eq!(
        f.jobs.started()[0].kind,
        JobKind::CallAnalytics { agent_channel: 0 }
    );

    put_audio(&f, "acme/audio/c2.wav");
    f.jobs.fail_with(Some(JobError::Rejected(
        "BadRequestException: unsupported sample rate".into(),
    )));
    let failed = consume(
        &f.start,
        &f.dlq,
        &[event("m2", "acme/audio/c2.wav")],
        Deadline::NONE,
    )
    .await;
    assert!(failed.is_empty(), "parked, not retried");
    let parked = f.dlq.parked();
    assert_eq!(parked.len(), 1);
    assert!(
        parked[0].1.contains("unsupported sample rate"),
        "{:?}",
        parked[0]
    );
}

#[tokio::test]
async fn what_is_not_a_recording_is_parked_and_an_unavailable_store_retried() {
    let f = fixture(RecordingSettings::default());
    f.objects
        .put(BUCKET, "acme/calls/c1.json", StoredObject::default());
    let failed = consume(
        &f.start,
        &f.dlq,
        &[event("m1", "acme/calls/c1.json")],
        Deadline::NONE,
    )
    .await;
    assert!(failed.is_empty());
    assert!(f.dlq.parked()[0].1.contains("is not a recording"));
    let failed = consume(
        &f.start,
        &f.dlq,
        &[event("m2", "acme/audio/gone.wav")],
        Deadline::NONE,
    )
    .await;
    assert!(failed.is_empty());
    assert!(
        f.dlq.parked()[1].1.contains("does not exist"),
        "{:?}",
        f.dlq.parked()
    );
    put_audio(&f, "acme/audio/c1.wav");
    f.objects.set_unavailable(true);
    let failed = consume(
        &f.start,
        &f.dlq,
        &[event("m3", "acme/audio/c1.wav")],
        Deadline::NONE,
    )
    .await;
    assert_eq!(failed, ["m3"]);
    assert!(f.jobs.started().is_empty());
}

fn job_state(id: &str, name: &str, status: &str) -> crate::ports::Received {
    let body = json!({"version": "0", "source": "aws.transcribe",
        "detail-type": "Transcribe Job State Change",
        "detail": {"TranscriptionJobName": name, "TranscriptionJobStatus": status}});
    received(id, &body.to_string(), &[])
}

const MEDIA_MISMATCH: &str = "The media format provided does not match the detected media format.";

/// A recording under `key` whose job was started, then failed with [`MEDIA_MISMATCH`].
async fn failed_job(f: &Fixture, key: &str) -> callscope_core::recordings::JobPlan {
    put_audio(f, key);
    let failed = consume(&f.start, &f.dlq, &[event("m1", key)], Deadline::NONE).await;
    assert!(failed.is_empty());
    let job = f
        .jobs
        .started()
        .into_iter()
        .find(|j| j.media_uri.ends_with(key))
        .expect("started");
    f.jobs.fail_job(&job.job_name, MEDIA_MISMATCH);
    job
}

#[tokio::test]
async fn a_failed_jobs_recording_becomes_its_failed_call_once_with_transcribes_reason() {
    let f = fixture(RecordingSettings::default());
    let job = failed_job(&f, "acme/audio/c1.wav").await;
    // A completed job's event is acknowledged; the failed one's reason comes from the job,
    // since the event carries none. The failure delivered twice stores one call, unchanged.
    let failed = consume(
        &f.start,
        &f.dlq,
        &[
            job_state("s1", &job.job_name, "COMPLETED"),
            job_state("s2", &job.job_name, "FAILED"),
        ],
        Deadline::NONE,
    )
    .await;
    assert!(failed.is_empty());
    f.clock.advance(chrono::Duration::minutes(5));
    let failed = consume(
        &f.start,
        &f.dlq,
        &[job_state("s3", &job.job_name, "FAILED")],
        Deadline::NONE,
    )
    .await;
    assert!(failed.is_empty());
    assert!(f.dlq.parked().is_empty(), "{:?}", f.dlq.parked());
    assert_eq!(f.calls.len(), 1);

    let id = callscope_core::objects::call_id_of(BUCKET, &job.output_key);
    let acme = tenant("acme");
    assert_eq!(f.calls.status(&acme, &id), Some(CallStatus::Failed));
    let reason = f.calls.failure_reason(&acme, &id).expect("a reason");
    assert!(reason.contains(MEDIA_MISMATCH), "{reason}");
    assert!(reason.contains(&job.job_name), "{reason}");
    let record = f
        .calls
        .record(&acme, &id, Read::Strong)
        .await
        .expect("read")
        .expect("the call");
    assert_eq!(record.listing.agent_id.as_str(), "sam");
    assert_eq!(record.listing.customer_id.as_str(), "acme-corp");
    assert_eq!(
        record.listing.start_time.to_string(),
        "2026-11-02T10:00:00.000Z"
    );
    assert_eq!(
        record.listing.received_at.to_string(),
        "2026-11-02T10:05:00.000Z",
        "the second delivery left it as it was"
    );
    assert_eq!(record.listing.preview, None);
    assert!(record.analysis.is_none());
    assert!(record.transcript.is_some_and(|t| t.utterances().is_empty()));
    // Never pending: nothing processes it, so nothing counts it.
    let later =
        callscope_core::domain::Timestamp::parse("now", "2027-01-01T00:00:00Z").expect("time");
    assert!(f
        .calls
        .pending_before(later, 10, 0)
        .await
        .expect("pending")
        .is_empty());
    // Its raw object is the recording and the job's sidecar: erasing the call deletes them.
    let head = f.calls.head(&acme, &id).await.expect("head").expect("call");
    let source = head.source.expect("the recording");
    assert_eq!(source.key, "acme/audio/c1.wav");
    assert_eq!(
        source.sidecar_key.as_deref(),
        Some(job.sidecar_key.as_str())
    );
}

#[tokio::test]
async fn a_failed_job_whose_call_cannot_be_made_is_parked_with_the_call_that_will_not_arrive() {
    let f = fixture(RecordingSettings::default());
    let job = failed_job(&f, "acme/audio/c1.wav").await;
    // The sidecar lost its start time: no call can be made of it.
    f.objects.put(
        BUCKET,
        &job.sidecar_key,
        StoredObject {
            bytes: br#"{"agent_id": "sam", "customer_id": "acme-corp"}"#.to_vec(),
            ..StoredObject::default()
        },
    );
    let failed = consume(
        &f.start,
        &f.dlq,
        &[job_state("s1", &job.job_name, "FAILED")],
        Deadline::NONE,
    )
    .await;
    assert!(failed.is_empty());
    assert_eq!(f.calls.len(), 0);
    let parked = f.dlq.parked();
    assert_eq!(parked.len(), 1, "{parked:?}");
    let call_id = callscope_core::objects::call_id_of(BUCKET, &job.output_key);
    let reason = &parked[0].1;
    assert!(
        reason.starts_with("object s3://drop/acme/audio/c1.wav"),
        "{reason}"
    );
    assert!(reason.contains(MEDIA_MISMATCH), "{reason}");
    assert!(
        reason.contains(&format!("call {call_id} of tenant acme will not arrive")),
        "{reason}"
    );
    assert!(reason.contains("start_time"), "{reason}");

    // Transcribe, or the calls table, unavailable: retried, not parked.
    f.jobs.fail_with(Some(JobError::Unavailable(
        "InternalFailureException".into(),
    )));
    let failed = consume(
        &f.start,
        &f.dlq,
        &[job_state("s2", &job.job_name, "FAILED")],
        Deadline::NONE,
    )
    .await;
    assert_eq!(failed, ["s2"]);
    f.jobs.fail_with(None);
    let other = failed_job(&f, "acme/audio/c2.wav").await;
    f.calls.set_unavailable(true);
    let failed = consume(
        &f.start,
        &f.dlq,
        &[job_state("s3", &other.job_name, "FAILED")],
        Deadline::NONE,
    )
    .await;
    assert_eq!(failed, ["s3"]);
    assert_eq!(f.dlq.parked().len(), 1);
}

#[tokio::test]
async fn a_failed_job_leaves_a_call_already_stored_under_its_id_as_it_is() {
    let f = fixture(RecordingSettings::default());
    // The recording names its call, and a call of that id was already sent as a document.
    f.objects.put(
        BUCKET,
        "acme/audio/c1.wav",
        StoredObject {
            bytes: b"RIFF....WAVE".to_vec(),
            metadata: [
                ("call-id".to_owned(), "c-1".to_owned()),
                ("agent-id".to_owned(), "sam".to_owned()),
                ("customer-id".to_owned(), "acme-corp".to_owned()),
                ("start-time".to_owned(), "2026-11-02T10:00:00Z".to_owned()),
            ]
            .into(),
            etag: Some("e1".into()),
            version_id: None,
        },
    );
    let existing = call("c-1", "sam");
    f.calls
        .put_received(&ReceivedCall {
            tenant: tenant("acme"),
            content_hash: existing.fingerprint(),
            call: existing,
            redactions: Default::default(),
            correlation_id: correlation("r-1"),
            received_at: f.clock.now(),
            source: None,
        })
        .await
        .expect("stored");
    let failed = consume(
        &f.start,
        &f.dlq,
        &[event("m1", "acme/audio/c1.wav")],
        Deadline::NONE,
    )
    .await;
    assert!(failed.is_empty());
    let job = f.jobs.started()[0].clone();
    f.jobs.fail_job(&job.job_name, MEDIA_MISMATCH);
    let failed = consume(
        &f.start,
        &f.dlq,
        &[job_state("s1", &job.job_name, "FAILED")],
        Deadline::NONE,
    )
    .await;
    assert!(failed.is_empty());
    let c1 = callscope_core::domain::CallId::parse("call_id", "c-1").expect("id");
    assert_eq!(
        f.calls.status(&tenant("acme"), &c1),
        Some(CallStatus::Received)
    );
    assert_eq!(f.calls.failure_reason(&tenant("acme"), &c1), None);
    let parked = f.dlq.parked();
    assert_eq!(parked.len(), 1, "{parked:?}");
    assert!(
        parked[0]
            .1
            .contains("call c-1 of tenant acme already exists (RECEIVED)"),
        "{parked:?}"
    );
}
