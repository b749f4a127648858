//! The recordings consumer on in-memory ports: audio starts one job with the right settings and
//! its sidecar, redeliveries start none, throttling is retried and refusals parked.

use std::sync::Arc;

use callscope_core::recordings::JobKind;
use serde_json::json;

use super::*;
use crate::consume;
use crate::memory::{MemoryDeadLetter, MemoryObjects, MemoryTranscribe};
use crate::ports::{ObjectStore, StoredObject};
use crate::test_support::received;

const BUCKET: &str = "drop";

struct Fixture {
    objects: Arc<MemoryObjects>,
    jobs: Arc<MemoryTranscribe>,
    dlq: MemoryDeadLetter,
    start: StartTranscriptions,
}

fn fixture(settings: RecordingSettings) -> Fixture {
    let objects = Arc::new(MemoryObjects::default());
    let jobs = Arc::new(MemoryTranscribe::default());
    Fixture {
        start: StartTranscriptions::new(jobs.clone(), objects.clone(), settings),
        objects,
        jobs,
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
            "speaker_roles": {"ch_0": "agent", "ch_1": "customer"}})
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

#[tokio::test]
async fn a_failed_job_is_parked_with_transcribes_reason_and_the_call_it_would_have_been() {
    let f = fixture(RecordingSettings::default());
    put_audio(&f, "acme/audio/c1.wav");
    let failed = consume(
        &f.start,
        &f.dlq,
        &[event("m1", "acme/audio/c1.wav")],
        Deadline::NONE,
    )
    .await;
    assert!(failed.is_empty());
    let job = f.jobs.started()[0].clone();
    f.jobs.fail_job(
        &job.job_name,
        "The media format provided does not match the detected media format.",
    );
    // A completed job's event is acknowledged; the failed one's reason comes from the job,
    // since the event carries none.
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
    let parked = f.dlq.parked();
    assert_eq!(parked.len(), 1, "{parked:?}");
    let call_id = callscope_core::objects::call_id_of(BUCKET, &job.output_key);
    let reason = &parked[0].1;
    assert!(
        reason.contains("does not match the detected media format"),
        "{reason}"
    );
    assert!(
        reason.contains(&format!("call {call_id} of tenant acme")),
        "{reason}"
    );
    assert!(
        reason.starts_with("object s3://drop/acme/audio/c1.wav"),
        "{reason}"
    );

    // Transcribe unavailable: retried, not parked.
    f.jobs.fail_with(Some(JobError::Unavailable(
        "InternalFailureException".into(),
    )));
    let failed = consume(
        &f.start,
        &f.dlq,
        &[job_state("s3", &job.job_name, "FAILED")],
        Deadline::NONE,
    )
    .await;
    assert_eq!(failed, ["s3"]);
    assert_eq!(f.dlq.parked().len(), 1);
}
