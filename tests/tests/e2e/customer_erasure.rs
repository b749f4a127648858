//! A customer's erasure through the API against the local cloud: `POST /api/v1/erasures`, the
//! erasure queue drained by the erasures function (page by page through DynamoDB's `ByTenant`
//! index, its cursors carried from one message to the next), `GET /api/v1/erasures/{id}` until
//! done. The customer's calls are gone from the API and the rollups; the other customer's
//! calls and another tenant's call of the same customer id (and call id) are untouched.
//!
//! `infra/local-cloud.sh run cargo test -p callscope-tests --test e2e customer_erasure::`

use std::sync::Arc;
use std::time::Duration;

use callscope_app::erasure::CustomerErasures;
use callscope_app::lifecycle::{CallLifecycle, NoRawObjects};
use callscope_app::ports::{
    ErasureRequest, ErasureRequests, ErasureStatus, JobKind, PageEnd, SystemClock,
};
use callscope_cloud::sqs::SqsConsumer;
use callscope_core::domain::{CustomerId, TenantId, Timestamp};
use callscope_samples::generate_call_document;
use callscope_tests::{TestCloud, TENANT};
use serde_json::{json, Value};

const OTHER_TENANT: &str = "globex";

fn document(id: &str, agent: &str, customer: &str, seed: u64) -> Value {
    let mut doc = generate_call_document(2, seed, id);
    doc["agent_id"] = json!(agent);
    doc["customer_id"] = json!(customer);
    doc["start_time"] = json!(format!("2026-11-05T10:0{seed}:00Z"));
    doc
}

/// Calls counted in the tenant's leaderboard (`/api/v1/analytics/agents`).
async fn counted(cloud: &TestCloud, tenant: &str) -> u64 {
    let reply = cloud.get("/api/v1/analytics/agents", Some(tenant)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .map(|a| a["total_calls"].as_u64().expect("total_calls"))
        .sum()
}

#[tokio::test]
async fn a_customers_calls_are_erased_page_by_page_and_no_one_elses() {
    let cloud = TestCloud::start().await;
    // acme: alice's three calls among bob's two; pages of 2 take three pages.
    cloud
        .post_bulk_until_accepted(&[
            document("ce-1", "ana", "alice", 1),
            document("ce-2", "ana", "bob", 2),
            document("ce-3", "ben", "alice", 3),
            document("ce-4", "ben", "bob", 4),
            document("ce-5", "ana", "alice", 5),
        ])
        .await;
    // globex: a call of its own customer `alice`, under an id acme uses too.
    let reply = cloud
        .post(
            "/api/v1/calls",
            &document("ce-1", "gus", "alice", 6).to_string(),
            Some(OTHER_TENANT),
        )
        .await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    cloud.drain().await;
    assert_eq!(counted(&cloud, TENANT).await, 5);
    assert_eq!(counted(&cloud, OTHER_TENANT).await, 1);

    let bad = cloud
        .post(
            "/api/v1/erasures",
            r#"{"customer_id": "a#b"}"#,
            Some(TENANT),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert_eq!(bad.body["detail"][0]["loc"][1], "customer_id");

    let reply = cloud
        .post(
            "/api/v1/erasures",
            r#"{"customer_id": "alice"}"#,
            Some(TENANT),
        )
        .await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    assert_eq!(reply.body["status"], "running");
    assert_eq!(reply.body["erased"], 0);
    let erasure_id = reply.body["erasure_id"].as_str().expect("an id").to_owned();
    let location = reply.header("location").expect("Location").to_owned();
    assert!(
        location.ends_with(&format!("/api/v1/erasures/{erasure_id}")),
        "{location}"
    );
    let path = format!("/api/v1/erasures/{erasure_id}");
    let elsewhere = cloud.send_to_ingest("GET", &path, Some(OTHER_TENANT)).await;
    assert_eq!(elsewhere.status, 404, "another tenant's erasure");

    // The erasures function as deployed but with pages of 2, so the cursor goes through the
    // queue twice.
    let calls = Arc::new(cloud.calls_store());
    let erasures = SqsConsumer::new(
        CustomerErasures::new(
            cloud.clients.erasures(cloud.table("CallsTable")),
            calls.clone(),
            CallLifecycle::eraser(
                calls,
                cloud.clients.queue(cloud.queue_url("AnalyticsQueue")),
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
            .run_until_idle(&erasures, 1, Duration::from_secs(120))
            .await
            .expect("running the erasure pages");
        cloud.drain().await;
        let reply = cloud.send_to_ingest("GET", &path, Some(TENANT)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        progress = reply.body;
        if progress["status"] == "done" {
            break;
        }
    }
    assert_eq!(progress["status"], "done", "{progress}");
    assert_eq!(progress["erased"], 3, "{progress}");
    assert_eq!(progress["pages"], 3, "{progress}");
    assert_eq!(progress["customer_id"], "alice");
    assert!(progress["finished_at"].is_string(), "{progress}");

    for gone in ["ce-1", "ce-3", "ce-5"] {
        let reply = cloud
            .get(&format!("/api/v1/calls/{gone}"), Some(TENANT))
            .await;
        assert_eq!(reply.status, 404, "{gone}: {}", reply.body);
    }
    for kept in ["ce-2", "ce-4"] {
        let reply = cloud
            .get(&format!("/api/v1/calls/{kept}"), Some(TENANT))
            .await;
        assert_eq!(reply.status, 200, "{kept}");
        assert_eq!(reply.body["customer_id"], "bob");
    }
    let other = cloud.get("/api/v1/calls/ce-1", Some(OTHER_TENANT)).await;
    assert_eq!(
        other.status, 200,
        "globex's alice is another tenant's customer"
    );
    assert_eq!(counted(&cloud, TENANT).await, 2);
    assert_eq!(counted(&cloud, OTHER_TENANT).await, 1);
    assert!(cloud.peek_all("ErasureDeadLetterQueue").await.is_empty());
    assert!(cloud.peek_all("AnalyticsDeadLetterQueue").await.is_empty());

    // A second request for the same customer runs harmlessly: nothing is left to erase.
    let again = cloud
        .post(
            "/api/v1/erasures",
            r#"{"customer_id": "alice"}"#,
            Some(TENANT),
        )
        .await;
    assert_eq!(again.status, 202);
    cloud.drain().await;
    let again_path = format!(
        "/api/v1/erasures/{}",
        again.body["erasure_id"].as_str().expect("an id")
    );
    let second = cloud.send_to_ingest("GET", &again_path, Some(TENANT)).await;
    assert_eq!(second.body["status"], "done", "{}", second.body);
    assert_eq!(second.body["erased"], 0);
    assert_eq!(counted(&cloud, TENANT).await, 2);
    cloud.cleanup().await;
}

/// The request item's page records in DynamoDB: each page counts once, a stopped page's calls
/// are added only while it is unrecorded, the last page marks the request done.
#[tokio::test]
async fn a_page_is_recorded_once_in_the_table() {
    let cloud = TestCloud::start().await;
    let store = cloud.clients.erasures(cloud.table("CallsTable"));
    let tenant = TenantId::parse("tenant", TENANT).expect("tenant");
    let now = Timestamp::parse("now", "2026-12-05T09:00:00Z").expect("time");
    store
        .create(&ErasureRequest {
            tenant: tenant.clone(),
            erasure_id: "e-1".into(),
            kind: JobKind::Erase(CustomerId::parse("customer_id", "alice").expect("id")),
            status: ErasureStatus::Running,
            erased: 0,
            skipped: 0,
            pages: 0,
            next_cursor: None,
            requested_at: now,
            requested_by: "officer-1".into(),
            finished_at: None,
        })
        .await
        .expect("created");
    let more = PageEnd::More("cursor-1".into());
    assert!(store
        .record_page(&tenant, "e-1", 0, 2, 0, &more)
        .await
        .expect("recorded"));
    assert!(!store
        .record_page(&tenant, "e-1", 0, 2, 0, &more)
        .await
        .expect("read"));
    assert!(!store.add_erased(&tenant, "e-1", 0, 1).await.expect("read"));
    assert!(store.add_erased(&tenant, "e-1", 1, 1).await.expect("added"));
    let running = store
        .get(&tenant, "e-1")
        .await
        .expect("read")
        .expect("there");
    assert_eq!((running.erased, running.pages), (3, 1));
    assert_eq!(running.next_cursor.as_deref(), Some("cursor-1"));
    assert!(store
        .record_page(&tenant, "e-1", 1, 1, 0, &PageEnd::Last(now))
        .await
        .expect("recorded"));
    let done = store
        .get(&tenant, "e-1")
        .await
        .expect("read")
        .expect("there");
    assert_eq!(done.status, ErasureStatus::Done);
    assert_eq!((done.erased, done.pages), (4, 2));
    assert_eq!((done.next_cursor, done.finished_at), (None, Some(now)));
    assert!(store
        .get(&TenantId::parse("tenant", "globex").expect("tenant"), "e-1")
        .await
        .expect("read")
        .is_none());
    cloud.cleanup().await;
}
