//! The drop-in bucket end to end in the local cloud: an object written under `{tenant}/`
//! reaches the drop-in queue through the emulator's S3 notification (its key URL-encoded, as
//! on AWS), the dropin function reads it, and its call is processed like any other; what cannot
//! become a call lands in the drop-in DLQ with its reason.

use callscope_app::ports::{CallRepository, CallStatus, FAILURE_REASON_ATTRIBUTE};
use callscope_cloud::config::{DropInConfig, FromEnv};
use callscope_core::domain::{CallId, TenantId};
use callscope_core::objects::call_id_of;
use callscope_tests::{attribute, fixture, TestCloud, TENANT};
use serde_json::{json, Value};

fn id(raw: &str) -> CallId {
    CallId::parse("call_id", raw).expect("call id")
}

async fn status_of(cloud: &TestCloud, tenant: &str, call_id: &CallId) -> Option<CallStatus> {
    cloud
        .calls_store()
        .load(&TenantId::parse("tenant", tenant).expect("tenant"), call_id)
        .await
        .expect("load")
        .map(|stored| stored.status)
}

/// The reasons the drop-in DLQ holds.
async fn parked_reasons(cloud: &TestCloud) -> Vec<String> {
    let mut reasons: Vec<String> = cloud
        .peek_all("DropInDeadLetterQueue")
        .await
        .iter()
        .filter_map(|m| attribute(m, FAILURE_REASON_ATTRIBUTE).map(str::to_owned))
        .collect();
    reasons.sort();
    reasons
}

/// Standard Transcribe output of `words` words in turns of 12, two speakers: ~150 bytes a word.
fn long_standard_transcript(words: usize) -> Value {
    let items: Vec<Value> = (0..words)
        .map(|i| {
            let start = i as f64 * 0.4;
            json!({
                "start_time": format!("{start:.3}"), "end_time": format!("{:.3}", start + 0.3),
                "alternatives": [{"confidence": "0.99", "content": if i % 12 == 11 { "budget" } else { "word" }}],
                "type": "pronunciation", "speaker_label": if (i / 12) % 2 == 0 { "spk_0" } else { "spk_1" }
            })
        })
        .collect();
    // Transcribe's turns: one segment per 12 words.
    let segments: Vec<Value> = (0..words.div_ceil(12))
        .map(|turn| {
            let start = turn as f64 * 12.0 * 0.4;
            json!({"start_time": format!("{start:.3}"), "end_time": format!("{:.3}", start + 11.0 * 0.4 + 0.3),
                "speaker_label": if turn % 2 == 0 { "spk_0" } else { "spk_1" }})
        })
        .collect();
    json!({"jobName": "long", "status": "COMPLETED",
        "results": {"transcripts": [{"transcript": "…"}], "items": items,
            "speaker_labels": {"speakers": 2, "segments": segments}}})
}

#[tokio::test]
async fn each_format_dropped_in_the_bucket_becomes_a_processed_call_readable_from_the_api() {
    let cloud = TestCloud::start().await;
    let meta = [
        ("agent-id", "sam.ortiz"),
        ("customer-id", "acme-dana"),
        ("start-time", "2026-11-01T14:30:00Z"),
    ];
    // A call document naming its own id, under a key with a space and a colon.
    cloud
        .drop_object(
            "acme/calls/discovery call:1.json",
            fixture("events/calls/callscope_discovery.json").into_bytes(),
            &[],
        )
        .await
        .expect("drop");
    // Plain text whose metadata is a sidecar written first.
    let sidecar = json!({"agent_id": "sam.ortiz", "customer_id": "acme-dana", "start_time": "2026-11-01T14:30:00Z"});
    cloud
        .drop_object(
            "acme/text/plain.meta.json",
            sidecar.to_string().into_bytes(),
            &[],
        )
        .await
        .expect("drop");
    let plain: Value = serde_json::from_str(&fixture("events/calls/plain_discovery.json")).unwrap();
    let text = plain["transcript"].as_str().unwrap().to_owned();
    cloud
        .drop_object("acme/text/plain.txt", text.into_bytes(), &[])
        .await
        .expect("drop");
    // Bare Transcribe outputs, their metadata on the objects.
    for (key, file) in [
        (
            "acme/transcribe/standard.json",
            "events/calls/transcribe_standard.json",
        ),
        (
            "acme/transcribe/analytics.json",
            "events/calls/transcribe_call_analytics.json",
        ),
    ] {
        cloud
            .drop_object(key, fixture(file).into_bytes(), &meta)
            .await
            .expect("drop");
    }
    // Over 1 MB: an hour-scale standard Transcribe document.
    let long = long_standard_transcript(9_000).to_string();
    assert!(long.len() > 1_000_000, "{} bytes", long.len());
    cloud
        .drop_object("acme/transcribe/long.json", long.into_bytes(), &meta)
        .await
        .expect("drop");

    cloud.drain().await;
    assert_eq!(parked_reasons(&cloud).await, Vec::<String>::new());
    let bucket = cloud.bucket("DropInBucket").to_owned();
    let expected = [
        id("call-2026-11-01-0001"),
        call_id_of(&bucket, "acme/text/plain.txt"),
        call_id_of(&bucket, "acme/transcribe/standard.json"),
        call_id_of(&bucket, "acme/transcribe/analytics.json"),
        call_id_of(&bucket, "acme/transcribe/long.json"),
    ];
    for call_id in &expected {
        assert_eq!(
            status_of(&cloud, TENANT, call_id).await,
            Some(CallStatus::Processed),
            "{call_id}"
        );
        let reply = cloud
            .get(&format!("/api/v1/calls/{call_id}"), Some(TENANT))
            .await;
        assert_eq!(reply.status, 200, "{call_id}: {}", reply.body);
        assert_eq!(reply.body["agent_id"], "sam.ortiz", "{call_id}");
        assert!(
            reply.body["customer_sentiment_score"].is_number(),
            "{}",
            reply.body
        );
    }
    cloud.cleanup().await;
}

#[tokio::test]
async fn a_duplicate_is_one_call_and_a_conflicting_or_unreadable_object_is_parked_with_its_reason()
{
    let cloud = TestCloud::start().await;
    let document = fixture("events/calls/callscope_discovery.json");
    let mut without_id: Value = serde_json::from_str(&document).unwrap();
    without_id.as_object_mut().unwrap().remove("call_id");
    let bytes = without_id.to_string().into_bytes();
    // The same object written twice: one call.
    cloud
        .drop_object("acme/dup.json", bytes.clone(), &[])
        .await
        .expect("drop");
    cloud
        .drop_object("acme/dup.json", bytes, &[])
        .await
        .expect("drop");
    cloud.drain().await;
    let bucket = cloud.bucket("DropInBucket").to_owned();
    let dup = call_id_of(&bucket, "acme/dup.json");
    assert_eq!(
        status_of(&cloud, TENANT, &dup).await,
        Some(CallStatus::Processed)
    );
    let listed = cloud.get("/api/v1/calls?limit=100", Some(TENANT)).await;
    assert_eq!(listed.body["total"], 1, "{}", listed.body);
    assert_eq!(parked_reasons(&cloud).await, Vec::<String>::new());

    // Other content under the same key, an unreadable document, one without a tenant prefix.
    without_id["outcome"] = json!("lost");
    cloud
        .drop_object("acme/dup.json", without_id.to_string().into_bytes(), &[])
        .await
        .expect("drop");
    cloud
        .drop_object("acme/broken.json", b"{\"utterances\": [".to_vec(), &[])
        .await
        .expect("drop");
    cloud
        .drop_object("no-tenant.json", document.into_bytes(), &[])
        .await
        .expect("drop");
    cloud.drain().await;
    let reasons = parked_reasons(&cloud).await;
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(
        reasons[0].starts_with(&format!(
            "object s3://{bucket}/acme/broken.json: document: is not valid JSON"
        )),
        "{reasons:?}"
    );
    assert!(
        reasons[1].starts_with(&format!(
            "object s3://{bucket}/acme/dup.json: call_id: {dup} already exists with other content"
        )),
        "{reasons:?}"
    );
    assert!(
        reasons[2].starts_with(&format!(
            "object s3://{bucket}/no-tenant.json: key: must start with the tenant's prefix"
        )),
        "{reasons:?}"
    );
    cloud.cleanup().await;
}

#[tokio::test]
async fn contact_lens_files_in_connects_layout_become_calls_of_the_sources_tenant() {
    let cloud = TestCloud::start().await;
    // A Connect bucket of its own, notifying the drop-in queue as its operator would set it up.
    let connect = format!("{}connect", cloud.provisioned.prefix);
    let s3 = &cloud.clients.s3;
    s3.create_bucket()
        .bucket(&connect)
        .send()
        .await
        .expect("bucket");
    let queue = &cloud.provisioned.queues["DropInQueue"].arn;
    s3.put_bucket_notification_configuration()
        .bucket(&connect)
        .notification_configuration(
            aws_sdk_s3::types::NotificationConfiguration::builder()
                .queue_configurations(
                    aws_sdk_s3::types::QueueConfiguration::builder()
                        .queue_arn(queue)
                        .events(aws_sdk_s3::types::Event::from("s3:ObjectCreated:*"))
                        .build()
                        .expect("configuration"),
                )
                .build(),
        )
        .send()
        .await
        .expect("notification");
    // The function as deployed with ConnectBucket/ConnectPrefix/ConnectTenant set.
    let mut config =
        DropInConfig::from_lookup(cloud.provisioned.env_of("DropInFunction").unwrap()).unwrap();
    config.sources =
        callscope_app::dropin::ObjectSources::parse(&format!("{connect}/Analysis/Voice/=globex"))
            .unwrap();
    let dropin = callscope_dropin::consumer(&config, &cloud.clients);

    let key = "Analysis/Voice/2026/11/01/1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901_analysis_2026-11-01T14:30:00Z.json";
    s3.put_object()
        .bucket(&connect)
        .key(key)
        .body(
            fixture("events/calls/contact_lens.json")
                .into_bytes()
                .into(),
        )
        .send()
        .await
        .expect("put");
    cloud
        .runner("DropInFunction")
        .run_until_idle(&dropin, 1, std::time::Duration::from_secs(120))
        .await
        .expect("dropin");
    cloud.drain().await;
    assert_eq!(parked_reasons(&cloud).await, Vec::<String>::new());
    let contact = id("1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901");
    assert_eq!(
        status_of(&cloud, "globex", &contact).await,
        Some(CallStatus::Processed)
    );
    let reply = cloud
        .get(&format!("/api/v1/calls/{contact}"), Some("globex"))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.body["start_time"].as_str().map(|s| &s[..19]),
        Some("2026-11-01T14:30:00")
    );

    let listed = s3
        .list_objects_v2()
        .bucket(&connect)
        .send()
        .await
        .expect("list");
    for object in listed.contents() {
        s3.delete_object()
            .bucket(&connect)
            .key(object.key().unwrap())
            .send()
            .await
            .expect("delete");
    }
    s3.delete_bucket()
        .bucket(&connect)
        .send()
        .await
        .expect("delete bucket");
    cloud.cleanup().await;
}

#[tokio::test]
async fn a_presigned_upload_of_a_document_past_the_request_limit_becomes_a_call() {
    let cloud = TestCloud::start().await;
    let document = json!({
        "agent_id": "sam.ortiz", "customer_id": "acme-dana", "start_time": "2026-11-01T14:30:00Z",
        "transcribe": long_standard_transcript(12_000),
    })
    .to_string();
    assert!(document.len() > 1_500_000, "{} bytes", document.len());
    let ask = json!({"size": document.len(), "content_type": "application/json"}).to_string();
    let reply = cloud.post("/api/v1/uploads", &ask, Some(TENANT)).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let key = reply.body["key"].as_str().expect("key");
    assert!(
        key.starts_with("acme/uploads/") && key.ends_with(".json"),
        "{key}"
    );
    let mut put = reqwest::Client::new()
        .put(reply.body["url"].as_str().expect("url"))
        .body(document.clone());
    for (name, value) in reply.body["headers"].as_object().expect("headers") {
        put = put.header(name.as_str(), value.as_str().expect("a header value"));
    }
    let put = put.send().await.expect("PUT");
    assert!(
        put.status().is_success(),
        "{}",
        put.text().await.unwrap_or_default()
    );

    cloud.drain().await;
    assert_eq!(parked_reasons(&cloud).await, Vec::<String>::new());
    let call_id = id(reply.body["call_id"].as_str().expect("call_id"));
    assert_eq!(
        status_of(&cloud, TENANT, &call_id).await,
        Some(CallStatus::Processed)
    );

    // Out of bounds: refused naming the field, before anything is signed.
    let too_big = json!({"size": 16_000_001, "content_type": "application/json"}).to_string();
    let reply = cloud.post("/api/v1/uploads", &too_big, Some(TENANT)).await;
    assert_eq!(reply.status, 413, "{}", reply.body);
    let pdf = json!({"size": 10, "content_type": "application/pdf"}).to_string();
    let reply = cloud.post("/api/v1/uploads", &pdf, Some(TENANT)).await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert!(
        reply.body.to_string().contains("content_type"),
        "{}",
        reply.body
    );
    cloud.cleanup().await;
}
