//! Recordings end to end in the local cloud: an audio object under `{tenant}/audio/` reaches the
//! recordings queue through the emulator's S3 notification, the recordings function writes its
//! sidecar and starts one Transcribe job (moto records it), a redelivery starts none; the test
//! then plays Transcribe's part, writing a real-shaped output where the job would, and the
//! drop-in path makes it the call; a failed job's state change (delivered twice) makes its
//! recording one FAILED call with Transcribe's reason, listed, never counted, erasable. moto has
//! no StartCallAnalyticsJob, and its
//! GetTranscriptionJob answers neither the output key nor the redaction: those are held by the
//! use case's unit tests.

use callscope_app::ports::{CallRepository, CallStatus, FAILURE_REASON_ATTRIBUTE};
use callscope_cloud::aws::load_sdk_config;
use callscope_cloud::config::{FromEnv, RecordingsConfig};
use callscope_core::domain::TenantId;
use callscope_core::objects::call_id_of;
use callscope_core::recordings::{self, JobPlan};
use callscope_samples::generate_call_document;
use callscope_tests::{attribute, TestCloud, TENANT};
use serde_json::{json, Value};
use std::time::Duration;

/// The reasons a queue's DLQ holds.
async fn parked(cloud: &TestCloud, dlq: &str) -> Vec<String> {
    cloud
        .peek_all(dlq)
        .await
        .iter()
        .filter_map(|m| attribute(m, FAILURE_REASON_ATTRIBUTE).map(str::to_owned))
        .collect()
}

/// The job the function plans for an object, from the object as stored.
async fn plan_of(
    cloud: &TestCloud,
    key: &str,
    settings: &recordings::RecordingSettings,
) -> JobPlan {
    let bucket = cloud.bucket("DropInBucket").to_owned();
    let head = cloud
        .clients
        .s3
        .head_object()
        .bucket(&bucket)
        .key(key)
        .send()
        .await
        .expect("head");
    let metadata = head
        .metadata
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    recordings::plan(
        &bucket,
        key,
        head.e_tag().unwrap_or_default(),
        &metadata,
        settings,
    )
    .expect("valid")
    .expect("a recording")
}

/// Transcribe's channel-identification output: the customer on ch_0, the agent on ch_1.
fn channel_output(job_name: &str) -> Value {
    let lines: [(&str, &str); 4] = [
        (
            "ch_1",
            "Thanks for calling Northwind, how can I help you today",
        ),
        (
            "ch_0",
            "Hi, I am calling about the pricing of your team plan",
        ),
        (
            "ch_1",
            "Sure, what budget do you have in mind for this quarter",
        ),
        ("ch_0", "About five thousand, and we need it by next month"),
    ];
    let mut at = 0.0_f64;
    let mut channels: [Vec<Value>; 2] = [Vec::new(), Vec::new()];
    for (label, text) in lines {
        for word in text.split(' ') {
            let item = json!({"channel_label": label, "type": "pronunciation",
                "start_time": format!("{at:.2}"), "end_time": format!("{:.2}", at + 0.3),
                "alternatives": [{"confidence": "0.99", "content": word}]});
            channels[usize::from(label == "ch_1")].push(item);
            at += 0.4;
        }
        at += 0.6;
    }
    json!({"jobName": job_name, "status": "COMPLETED", "results": {"language_code": "en-US",
        "transcripts": [{"transcript": "…"}],
        "channel_labels": {"number_of_channels": 2, "channels": [
            {"channel_label": "ch_0", "items": channels[0]},
            {"channel_label": "ch_1", "items": channels[1]}]}}})
}

#[tokio::test]
async fn a_recording_starts_one_transcribe_job_and_its_output_becomes_the_call() {
    let cloud = TestCloud::start().await;
    let key = "acme/audio/2026/call one.wav";
    cloud
        .drop_object(
            key,
            b"RIFF\0\0\0\0WAVEfmt ".to_vec(),
            &[
                ("agent-id", "sam.ortiz"),
                ("customer-id", "acme-dana"),
                ("start-time", "2026-11-03T09:00:00Z"),
            ],
        )
        .await
        .expect("drop");
    // Two-channel recordings with the agent on channel 1, as the template's parameters set it.
    let mut config =
        RecordingsConfig::from_lookup(cloud.provisioned.env_of("RecordingsFunction").expect("env"))
            .expect("config");
    config.settings.agent_channel = Some(1);
    config.settings.redact_pii = true;
    let sdk = load_sdk_config().await;
    let consumer = callscope_recordings::consumer(&config, &sdk, &cloud.clients);
    let runner = cloud.runner("RecordingsFunction");
    let report = runner
        .run_until_idle(&consumer, 1, Duration::from_secs(120))
        .await
        .expect("recordings");
    // The recording's event, and S3's test event from when the notifications were configured.
    assert_eq!((report.received, report.deleted), (2, 2), "{report:?}");
    assert_eq!(
        parked(&cloud, "RecordingsDeadLetterQueue").await,
        Vec::<String>::new()
    );

    let job = plan_of(&cloud, key, &config.settings).await;
    let transcribe = aws_sdk_transcribe::Client::new(&sdk);
    let started = transcribe
        .get_transcription_job()
        .transcription_job_name(&job.job_name)
        .send()
        .await
        .expect("moto has the job");
    let started = started.transcription_job().expect("a job");
    let bucket = cloud.bucket("DropInBucket").to_owned();
    assert_eq!(
        started.media().and_then(|m| m.media_file_uri()),
        Some(format!("s3://{bucket}/{key}").as_str())
    );
    assert_eq!(started.media_format().map(|f| f.as_str()), Some("wav"));
    assert_eq!(started.language_code().map(|l| l.as_str()), Some("en-US"));
    let settings = started.settings().expect("settings");
    assert_eq!(settings.channel_identification(), Some(true));
    assert_ne!(settings.show_speaker_labels(), Some(true));
    assert_eq!(
        job.output_key,
        format!("acme/transcribe/{}.json", job.job_name),
        "under the drop-in prefix the drop-in path reads"
    );
    // The sidecar, written before the job started: the call's metadata and its channels.
    let sidecar = cloud
        .clients
        .s3
        .get_object()
        .bucket(&bucket)
        .key(&job.sidecar_key)
        .send()
        .await
        .expect("sidecar");
    let sidecar: Value =
        serde_json::from_slice(&sidecar.body.collect().await.expect("body").into_bytes())
            .expect("json");
    assert_eq!(sidecar["agent_id"], "sam.ortiz");
    assert_eq!(sidecar["speaker_roles"]["ch_1"], "agent");

    // S3 delivers the notification again: the job exists, nothing new starts, nothing parks.
    let event = json!({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": bucket},
        "object": {"key": "acme/audio/2026/call+one.wav", "size": 16,
            "eTag": started_etag(&cloud, key).await}}}]});
    cloud.send("RecordingsQueue", &event.to_string(), &[]).await;
    let again = runner
        .run_until_idle(&consumer, 1, Duration::from_secs(120))
        .await
        .expect("recordings");
    assert_eq!((again.received, again.deleted), (1, 1), "{again:?}");
    assert_eq!(
        parked(&cloud, "RecordingsDeadLetterQueue").await,
        Vec::<String>::new()
    );
    let jobs = transcribe
        .list_transcription_jobs()
        .job_name_contains(&job.job_name)
        .send()
        .await
        .expect("list");
    assert_eq!(jobs.transcription_job_summaries().len(), 1);

    // Transcribe's part: its output where the job writes it; the drop-in path takes it.
    cloud
        .drop_object(
            &job.output_key,
            channel_output(&job.job_name).to_string().into_bytes(),
            &[],
        )
        .await
        .expect("output");
    cloud.drain().await;
    assert_eq!(
        parked(&cloud, "DropInDeadLetterQueue").await,
        Vec::<String>::new()
    );
    let call_id = call_id_of(&bucket, &job.output_key);
    let stored = cloud
        .calls_store()
        .load(
            &TenantId::parse("tenant", TENANT).expect("tenant"),
            &call_id,
        )
        .await
        .expect("load")
        .expect("the call");
    assert_eq!(stored.status, CallStatus::Processed);
    assert_eq!(stored.call.agent_id.as_str(), "sam.ortiz");
    assert_eq!(stored.call.customer_id.as_str(), "acme-dana");
    let roles = stored.call.roles.expect("labelled");
    assert!(!roles.inferred, "the configured channels: {roles:?}");
    let reply = cloud
        .get(&format!("/api/v1/calls/{call_id}"), Some(TENANT))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["status"], "PROCESSED", "{}", reply.body);

    // Erased: the transcript's document, the job's sidecar and the recording itself go.
    let held = [key, job.output_key.as_str(), job.sidecar_key.as_str()];
    for object in held {
        assert!(
            in_bucket(&cloud, object).await,
            "{object} before the erasure"
        );
    }
    let reply = cloud
        .send_to_ingest("DELETE", &format!("/api/v1/calls/{call_id}"), Some(TENANT))
        .await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    for object in held {
        assert!(
            !in_bucket(&cloud, object).await,
            "{object} after the erasure"
        );
    }
    cloud.cleanup().await;
}

/// Whether the drop-in bucket holds `key`.
async fn in_bucket(cloud: &TestCloud, key: &str) -> bool {
    match cloud
        .clients
        .s3
        .head_object()
        .bucket(cloud.bucket("DropInBucket"))
        .key(key)
        .send()
        .await
    {
        Ok(_) => true,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => false,
        Err(e) => panic!("HeadObject {key}: {e:?}"),
    }
}

#[tokio::test]
async fn a_failed_transcription_is_one_failed_call_listed_with_transcribes_reason_and_never_counted(
) {
    let cloud = TestCloud::start().await;
    // A call that is counted, of the same team and day, so the rollups have something to show.
    let mut counted = generate_call_document(2, 7, "rec-counted");
    counted["agent_id"] = json!("ana");
    counted["team_id"] = json!("east");
    counted["start_time"] = json!("2026-11-03T10:00:00Z");
    cloud
        .drop_object(
            &format!("{TENANT}/calls/counted.json"),
            counted.to_string().into_bytes(),
            &[],
        )
        .await
        .expect("drop");
    let broken = format!("{TENANT}/audio/broken.mp3");
    cloud
        .drop_object(
            &broken,
            b"ID3 not really".to_vec(),
            &[
                ("agent-id", "lee"),
                ("customer-id", "globex-ana"),
                ("team-id", "east"),
                ("start-time", "2026-11-03T11:00:00Z"),
            ],
        )
        .await
        .expect("drop");
    let config =
        RecordingsConfig::from_lookup(cloud.provisioned.env_of("RecordingsFunction").expect("env"))
            .expect("config");
    let sdk = load_sdk_config().await;
    let consumer = callscope_recordings::consumer(&config, &sdk, &cloud.clients);
    let runner = cloud.runner("RecordingsFunction");
    runner
        .run_until_idle(&consumer, 1, Duration::from_secs(120))
        .await
        .expect("recordings");

    // Transcribe fails the job; EventBridge delivers its state change, twice.
    let failing = plan_of(&cloud, &broken, &config.settings).await;
    let reason = "The media format provided does not match the detected media format.";
    let event = json!({"version": "0", "source": "aws.transcribe",
        "detail-type": "Transcribe Job State Change",
        "detail": {"TranscriptionJobName": failing.job_name, "TranscriptionJobStatus": "FAILED",
            "FailureReason": reason}});
    for _ in 0..2 {
        cloud.send("RecordingsQueue", &event.to_string(), &[]).await;
        let report = runner
            .run_until_idle(&consumer, 1, Duration::from_secs(120))
            .await
            .expect("recordings");
        assert_eq!((report.received, report.deleted), (1, 1), "{report:?}");
    }
    cloud.drain().await;
    for dlq in [
        "RecordingsDeadLetterQueue",
        "DropInDeadLetterQueue",
        "ProcessDeadLetterQueue",
        "AnalyticsDeadLetterQueue",
    ] {
        assert_eq!(parked(&cloud, dlq).await, Vec::<String>::new(), "{dlq}");
    }

    // The call its output would have been: FAILED with Transcribe's reason, no transcript.
    let bucket = cloud.bucket("DropInBucket").to_owned();
    let id = call_id_of(&bucket, &failing.output_key);
    let detail = cloud
        .get(&format!("/api/v1/calls/{id}"), Some(TENANT))
        .await;
    assert_eq!(detail.status, 200, "{}", detail.body);
    assert_eq!(detail.body["status"], "FAILED", "{}", detail.body);
    let stored_reason = detail.body["failure_reason"].as_str().unwrap_or_default();
    assert!(stored_reason.contains(reason), "{}", detail.body);
    assert_eq!(detail.body["agent_id"], "lee");
    assert_eq!(detail.body["customer_id"], "globex-ana");
    assert_eq!(detail.body["start_time"], "2026-11-03T11:00:00.000Z");
    assert_eq!(detail.body["transcript"], "");
    assert!(detail.body["analysis"].is_null(), "{}", detail.body);
    assert!(detail.body.get("expired").is_none(), "{}", detail.body);

    // Listed once (the second delivery stored nothing new), beside the counted call.
    let listed = cloud.get("/api/v1/calls?limit=10", Some(TENANT)).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let rows: Vec<(&str, &str)> = listed.body["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .map(|c| {
            (
                c["call_id"].as_str().unwrap_or_default(),
                c["status"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [(id.as_str(), "FAILED"), ("rec-counted", "PROCESSED")],
        "{}",
        listed.body
    );
    assert_eq!(listed.body["total"], 2);

    // Never counted: the team's leaderboard has the processed call's agent only.
    let agents = cloud
        .get("/api/v1/analytics/agents?team_id=east", Some(TENANT))
        .await;
    let counts: Vec<(&str, u64)> = agents.body["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .map(|a| {
            (
                a["agent_id"].as_str().unwrap_or_default(),
                a["total_calls"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(counts, [("ana", 1)], "{}", agents.body);

    // Erased like any call: the call, its recording and the job's sidecar go.
    assert!(in_bucket(&cloud, &broken).await);
    let reply = cloud
        .send_to_ingest("DELETE", &format!("/api/v1/calls/{id}"), Some(TENANT))
        .await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    cloud.drain().await;
    assert_eq!(
        cloud
            .get(&format!("/api/v1/calls/{id}"), Some(TENANT))
            .await
            .status,
        404
    );
    assert!(!in_bucket(&cloud, &broken).await);
    assert!(!in_bucket(&cloud, &failing.sidecar_key).await);
    assert_eq!(
        parked(&cloud, "AnalyticsDeadLetterQueue").await,
        Vec::<String>::new()
    );
    cloud.cleanup().await;
}

/// The object's ETag as S3 announces it.
async fn started_etag(cloud: &TestCloud, key: &str) -> String {
    cloud
        .clients
        .s3
        .head_object()
        .bucket(cloud.bucket("DropInBucket"))
        .key(key)
        .send()
        .await
        .expect("head")
        .e_tag()
        .unwrap_or_default()
        .trim_matches('"')
        .to_owned()
}
