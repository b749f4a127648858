//! A bulk re-analysis through the API against the local cloud: `POST /api/v1/reanalyses` for
//! two of three days, the erasure queue drained by the erasures function (pages of the
//! `ByTenant` index's range, cursors carried through the queue), `GET /api/v1/reanalyses/{id}`
//! until done, then the reanalyse queue drained by process. Exactly the range's processed calls
//! have a new revision; the third day's and another tenant's do not, and an unprocessed call of
//! the range is skipped.
//!
//! `infra/local-cloud.sh run cargo test -p callscope-tests --test e2e bulk_reanalysis::`

use std::sync::Arc;
use std::time::Duration;

use callscope_app::erasure::CustomerErasures;
use callscope_app::lifecycle::{CallLifecycle, NoRawObjects};
use callscope_app::ports::{CallRepository, SystemClock};
use callscope_cloud::sqs::SqsConsumer;
use callscope_core::domain::{CallId, TenantId};
use callscope_samples::generate_call_document;
use callscope_tests::{TestCloud, TENANT};
use serde_json::{json, Value};

const OTHER_TENANT: &str = "globex";

fn document(id: &str, start: &str, seed: u64) -> Value {
    let mut doc = generate_call_document(2, seed, id);
    doc["start_time"] = json!(start);
    doc
}

/// The call's revision (from the table) and `updated_at` (from the API).
async fn version(cloud: &TestCloud, tenant: &str, id: &str) -> (u32, String) {
    let head = cloud
        .calls_store()
        .head(
            &TenantId::parse("tenant", tenant).expect("tenant"),
            &CallId::parse("call_id", id).expect("id"),
        )
        .await
        .expect("read")
        .expect("stored");
    let reply = cloud
        .get(&format!("/api/v1/calls/{id}"), Some(tenant))
        .await;
    assert_eq!(reply.status, 200, "{id}: {}", reply.body);
    let updated_at = reply.body["updated_at"].as_str().expect("updated_at");
    (head.revision, updated_at.to_owned())
}

#[tokio::test]
async fn a_two_day_range_is_reanalysed_and_nothing_else() {
    let cloud = TestCloud::start().await;
    // Days 3, 4 and 5 of November; the range is the 3rd and 4th.
    cloud
        .post_bulk_until_accepted(&[
            document("rb-1", "2026-11-03T00:00:00Z", 1),
            document("rb-2", "2026-11-04T10:00:00Z", 2),
            document("rb-3", "2026-11-04T23:59:59Z", 3),
            document("rb-4", "2026-11-05T00:00:00Z", 4),
        ])
        .await;
    let reply = cloud
        .post(
            "/api/v1/calls",
            &document("rb-2", "2026-11-04T10:00:00Z", 5).to_string(),
            Some(OTHER_TENANT),
        )
        .await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    cloud.drain().await;
    // In the range but not processed when its page is looked through: skipped.
    cloud
        .post_bulk_until_accepted(&[document("rb-5", "2026-11-04T12:00:00Z", 6)])
        .await;
    let ids = ["rb-1", "rb-2", "rb-3", "rb-4"];
    let mut before = Vec::new();
    for id in ids {
        before.push(version(&cloud, TENANT, id).await);
    }
    let other_before = version(&cloud, OTHER_TENANT, "rb-2").await;

    let bad = cloud
        .post(
            "/api/v1/reanalyses",
            r#"{"from_date": "2026-11-04", "to_date": "2026-11-03"}"#,
            Some(TENANT),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert_eq!(bad.body["detail"][0]["loc"][1], "to_date");

    let reply = cloud
        .post(
            "/api/v1/reanalyses",
            r#"{"from_date": "2026-11-03", "to_date": "2026-11-04"}"#,
            Some(TENANT),
        )
        .await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    assert_eq!(reply.body["status"], "running");
    assert_eq!(reply.body["from_date"], "2026-11-03T00:00:00.000Z");
    assert_eq!(reply.body["to_date"], "2026-11-04T23:59:59.999Z");
    let id = reply.body["reanalysis_id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let location = reply.header("location").expect("Location").to_owned();
    assert!(
        location.ends_with(&format!("/api/v1/reanalyses/{id}")),
        "{location}"
    );
    let path = format!("/api/v1/reanalyses/{id}");
    let elsewhere = cloud.send_to_ingest("GET", &path, Some(OTHER_TENANT)).await;
    assert_eq!(elsewhere.status, 404, "another tenant's re-analysis");

    // The erasures function as deployed but with pages of 2, so the cursor goes through the
    // queue; only its runner, so rb-5 is still RECEIVED when its page is looked through.
    let calls = Arc::new(cloud.calls_store());
    let pages = SqsConsumer::new(
        CustomerErasures::new(
            cloud.clients.erasures(cloud.table("CallsTable")),
            calls.clone(),
            CallLifecycle::new(
                calls,
                cloud.clients.queue(cloud.queue_url("AnalyticsQueue")),
                cloud.clients.queue(cloud.queue_url("ReanalyseQueue")),
                Arc::new(NoRawObjects),
                Arc::new(SystemClock),
            ),
            cloud.clients.queue(cloud.queue_url("ErasureQueue")),
            Arc::new(SystemClock),
        )
        .with_page_size(2),
        cloud
            .clients
            .dead_letter(cloud.queue_url("ErasureDeadLetterQueue")),
    );
    // Poll as a client does: run what is queued, read the progress, until done.
    let mut progress = Value::Null;
    for _ in 0..10 {
        cloud
            .runner("ErasuresFunction")
            .run_until_idle(&pages, 1, Duration::from_secs(120))
            .await
            .expect("running the re-analysis pages");
        let reply = cloud.send_to_ingest("GET", &path, Some(TENANT)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        progress = reply.body;
        if progress["status"] == "done" {
            break;
        }
    }
    assert_eq!(progress["status"], "done", "{progress}");
    assert_eq!(progress["queued"], 3, "rb-1, rb-2, rb-3: {progress}");
    assert_eq!(progress["skipped"], 1, "rb-5, not processed: {progress}");
    assert!(
        progress["pages"].as_u64().expect("pages") >= 2,
        "{progress}"
    );
    assert!(progress["finished_at"].is_string(), "{progress}");
    // The range as stored in the request item and read back.
    assert_eq!(progress["from_date"], "2026-11-03T00:00:00.000Z");
    assert_eq!(progress["to_date"], "2026-11-04T23:59:59.999Z");
    // The re-analyses run from the reanalyse queue (and rb-5's first analysis).
    cloud.drain().await;
    for (id, (revision, updated_at)) in ids.iter().zip(before) {
        let (now_revision, now_updated_at) = version(&cloud, TENANT, id).await;
        if *id == "rb-4" {
            assert_eq!(
                (now_revision, &now_updated_at),
                (revision, &updated_at),
                "{id} is on the third day"
            );
        } else {
            assert_eq!(now_revision, revision + 1, "{id} re-analysed once");
            assert!(now_updated_at > updated_at, "{id}: {now_updated_at}");
        }
    }
    assert_eq!(
        version(&cloud, OTHER_TENANT, "rb-2").await,
        other_before,
        "another tenant's call"
    );
    assert_eq!(
        version(&cloud, TENANT, "rb-5").await.0,
        0,
        "rb-5 was skipped"
    );
    for dlq in [
        "ErasureDeadLetterQueue",
        "ReanalyseDeadLetterQueue",
        "ProcessDeadLetterQueue",
    ] {
        assert!(cloud.peek_all(dlq).await.is_empty(), "{dlq} must be empty");
    }
    cloud.cleanup().await;
}
