//! Erasing and re-analysing calls against the local cloud, through the same functions, queues
//! and tables a deployment uses: a call erased before, during and after it is processed, erased
//! twice, erased and sent again, and re-analysed twice; afterwards no table holds an erased
//! call (but its tombstone: ids only), the API no longer serves it, the Parquet export has no
//! row of it (and one of every call that remains), and every rollup equals the sum of the
//! analyses stored for the calls that remain. A call dropped in the bucket leaves it when
//! erased: its object, its sidecar and its exported row.
//!
//! This is the proof the erasure docs name:
//! `cargo test -p callscope-tests --test e2e erasure::`.

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use callscope_app::lifecycle::{CallLifecycle, NoRawObjects};
use callscope_app::ports::{
    CallHead, CallRepository, PendingCall, ProcessedCall, PutOutcome, ReceivedCall, StoreError,
    StoredCall, SystemClock,
};
use callscope_app::process::ProcessCalls;
use callscope_cloud::dynamo::DynamoCalls;
use callscope_cloud::sqs::SqsConsumer;
use callscope_core::analysis::Analyser;
use callscope_core::domain::{CallId, CorrelationId, TenantId, Timestamp};
use callscope_core::objects::call_id_of;
use callscope_core::pipeline::{CallAnalysed, CallErased, RollupScope};
use callscope_local::{expected, traces};
use callscope_samples::generate_call_document;
use callscope_tests::{TestCloud, TENANT};
use serde_json::{json, Value};

fn document(id: &str, agent: &str, seed: u64) -> Value {
    let mut doc = generate_call_document(2, seed, id);
    doc["agent_id"] = json!(agent);
    doc["team_id"] = json!("east");
    doc["start_time"] = json!("2026-11-05T10:00:00Z");
    doc
}

fn tenant() -> TenantId {
    TenantId::parse("tenant", TENANT).expect("tenant")
}

fn id(raw: &str) -> CallId {
    CallId::parse("call_id", raw).expect("id")
}

/// The calls table as the process function sees it, with one call erased (through the same
/// lifecycle use case the DELETE route runs) right after its analysis is stored: the erasure
/// lands while the call is being processed.
#[derive(Debug)]
struct ErasedWhileProcessed {
    inner: Arc<DynamoCalls>,
    lifecycle: CallLifecycle,
    victim: CallId,
}

#[async_trait]
impl CallRepository for ErasedWhileProcessed {
    async fn put_received(&self, call: &ReceivedCall) -> Result<PutOutcome, StoreError> {
        self.inner.put_received(call).await
    }
    async fn put_failed(
        &self,
        call: &ReceivedCall,
        reason: &str,
        at: Timestamp,
    ) -> Result<PutOutcome, StoreError> {
        self.inner.put_failed(call, reason, at).await
    }
    async fn load(&self, t: &TenantId, c: &CallId) -> Result<Option<StoredCall>, StoreError> {
        self.inner.load(t, c).await
    }
    async fn head(&self, t: &TenantId, c: &CallId) -> Result<Option<CallHead>, StoreError> {
        self.inner.head(t, c).await
    }
    async fn erase(&self, t: &TenantId, c: &CallId) -> Result<bool, StoreError> {
        self.inner.erase(t, c).await
    }
    async fn erase_leftovers(&self, t: &TenantId, c: &CallId) -> Result<bool, StoreError> {
        self.inner.erase_leftovers(t, c).await
    }
    async fn store_analysis(&self, processed: &ProcessedCall<'_>) -> Result<(), StoreError> {
        self.inner.store_analysis(processed).await?;
        if *processed.call_id == self.victim {
            self.lifecycle
                .erase(processed.tenant, processed.call_id, "e2e")
                .await
                .expect("erased while processed");
        }
        Ok(())
    }
    async fn mark_processed(&self, processed: &ProcessedCall<'_>) -> Result<(), StoreError> {
        self.inner.mark_processed(processed).await
    }
    async fn record_failure(&self, t: &TenantId, c: &CallId) -> Result<u32, StoreError> {
        self.inner.record_failure(t, c).await
    }
    async fn mark_failed(
        &self,
        t: &TenantId,
        c: &CallId,
        r: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.inner.mark_failed(t, c, r, at).await
    }
    async fn pending_before(
        &self,
        cutoff: Timestamp,
        limit: usize,
        rotation: u64,
    ) -> Result<Vec<PendingCall>, StoreError> {
        self.inner.pending_before(cutoff, limit, rotation).await
    }
    async fn mark_requeued(&self, call: &PendingCall, at: Timestamp) -> Result<(), StoreError> {
        self.inner.mark_requeued(call, at).await
    }
}

/// Where an erased call still shows in the tables (but its tombstone).
async fn traces_of(cloud: &TestCloud, call: &str) -> Vec<String> {
    let calls = BTreeSet::from([call.to_owned()]);
    traces::traces_of(cloud, &cloud.clients.dynamodb, &calls)
        .await
        .expect("scanning the tables")
        .remove(call)
        .unwrap_or_default()
}

#[tokio::test]
async fn erased_calls_leave_no_trace_and_the_rollups_equal_the_stored_analyses() {
    let cloud = TestCloud::start().await;
    let docs = [
        document("er-before", "gone-agent", 1),
        document("er-during", "gone-agent", 2),
        document("er-after", "gone-agent", 3),
        document("er-again", "kept-agent", 4),
        document("er-reanalysed", "kept-agent", 5),
        document("er-kept", "kept-agent", 6),
    ];
    cloud.post_bulk_until_accepted(&docs).await;

    // Before: erased while its process message is still queued.
    let reply = cloud
        .send_to_ingest("DELETE", "/api/v1/calls/er-before", Some(TENANT))
        .await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    // Another tenant's DELETE finds nothing and erases nothing.
    let reply = cloud
        .send_to_ingest("DELETE", "/api/v1/calls/er-kept", Some("globex"))
        .await;
    assert_eq!(reply.status, 404);

    // During: the process function's store erases `er-during` right after its analysis.
    let calls = cloud.calls_store();
    let lifecycle = CallLifecycle::new(
        Arc::new(calls.clone()),
        cloud.clients.queue(cloud.queue_url("AnalyticsQueue")),
        cloud.clients.queue(cloud.queue_url("ReanalyseQueue")),
        Arc::new(NoRawObjects),
        Arc::new(SystemClock),
    );
    let racing = SqsConsumer::new(
        ProcessCalls::new(
            Arc::new(ErasedWhileProcessed {
                inner: Arc::new(calls.clone()),
                lifecycle,
                victim: id("er-during"),
            }),
            cloud.clients.queue(cloud.queue_url("AnalyticsQueue")),
            Arc::new(SystemClock),
            Arc::new(Analyser::default()),
        )
        .with_erasure_ledger(Arc::new(cloud.rollup_store())),
        cloud
            .clients
            .dead_letter(cloud.queue_url("ProcessDeadLetterQueue")),
    );
    // `er-before`'s CallErased is applied first, as it is deployed: the analytics queue's
    // 5-second window is well inside the process message's 180-second visibility timeout, so
    // its retry finds the tombstone (here the runner retries at once, so aggregate goes first).
    cloud
        .runner("AggregateFunction")
        .run_until_idle(&cloud.aggregate, 1, std::time::Duration::from_secs(60))
        .await
        .expect("aggregating");
    cloud
        .drain_through(&cloud.intake, &racing, &cloud.aggregate)
        .await
        .expect("draining");

    // After: processed and counted, then erased twice, and its CallErased delivered twice.
    for expected_status in [204, 404] {
        let reply = cloud
            .send_to_ingest("DELETE", "/api/v1/calls/er-after", Some(TENANT))
            .await;
        assert_eq!(reply.status, expected_status, "{}", reply.body);
    }
    let duplicate = CallErased {
        tenant: tenant(),
        call_id: id("er-after"),
        correlation_id: CorrelationId::parse("correlation_id", "dup").expect("id"),
        received_at: None,
        erased_at: Timestamp::new(chrono::Utc::now()),
    };
    // An erasure of an unknown incarnation is older than the counted one: nothing subtracted.
    cloud
        .send(
            "AnalyticsQueue",
            &serde_json::to_string(&duplicate).expect("json"),
            &[],
        )
        .await;

    // Erased and sent again: a new call under the same id, counted once.
    let reply = cloud
        .send_to_ingest("DELETE", "/api/v1/calls/er-again", Some(TENANT))
        .await;
    assert_eq!(reply.status, 204);
    cloud
        .post_bulk_until_accepted(&[document("er-again", "kept-agent", 40)])
        .await;

    // Re-analysed twice: the rollups move, the call counts once.
    let before_reanalysis = chrono::Utc::now().timestamp_millis();
    for revision in [1, 2] {
        let reply = cloud
            .post("/api/v1/calls/er-reanalysed/reanalyse", "", Some(TENANT))
            .await;
        assert_eq!(reply.status, 202, "{}", reply.body);
        assert_eq!(reply.body["revision"], revision);
        cloud.drain().await;
    }
    cloud.drain().await;

    for dlq in ["ProcessDeadLetterQueue", "AnalyticsDeadLetterQueue"] {
        assert!(cloud.peek_all(dlq).await.is_empty(), "{dlq} must be empty");
    }
    for erased in ["er-before", "er-during", "er-after"] {
        let traces = traces_of(&cloud, erased).await;
        assert!(traces.is_empty(), "{erased} is still stored: {traces:#?}");
        let reply = cloud
            .get(&format!("/api/v1/calls/{erased}"), Some(TENANT))
            .await;
        assert_eq!(reply.status, 404, "{erased} is still served");
    }
    let listed = cloud.get("/api/v1/calls?limit=100", Some(TENANT)).await;
    let mut ids: Vec<&str> = listed.body["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .filter_map(|c| c["call_id"].as_str())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["er-again", "er-kept", "er-reanalysed"]);

    // The export: the outbound function saw each erased PROCESSED call item's removal and
    // rewrote its day's files; `er-again`'s first incarnation left, its second stayed, and the
    // re-analysed call is one row.
    cloud.drain_streams().await;
    let exported = crate::export::duckdb(
        &cloud,
        "SELECT call_id, COUNT(*) AS n FROM calls WHERE call_id LIKE 'er-%' GROUP BY call_id ORDER BY call_id",
    )
    .await;
    assert_eq!(
        exported,
        [
            json!({"call_id": "er-again", "n": 1}),
            json!({"call_id": "er-kept", "n": 1}),
            json!({"call_id": "er-reanalysed", "n": 1}),
        ]
    );
    // ... and that row is the latest analysis's, not the first one's.
    let latest = crate::export::duckdb(
        &cloud,
        "SELECT epoch_ms(analysed_at) AS at FROM calls WHERE call_id = 'er-reanalysed'",
    )
    .await;
    let at = latest[0]["at"].as_i64().expect("a time");
    assert!(
        at > before_reanalysis,
        "{latest:?}: the first analysis's row"
    );

    // The rollups are the stored analyses of the calls that remain, and nothing else.
    let mut events = Vec::new();
    for remaining in ids {
        let stored = calls
            .load(&tenant(), &id(remaining))
            .await
            .expect("load")
            .expect("stored");
        let analysis = calls
            .get_analysis(&tenant(), &id(remaining))
            .await
            .expect("read")
            .expect("analysed");
        if remaining == "er-reanalysed" {
            assert_eq!(stored.revision, 2);
        }
        events.push(CallAnalysed::new(
            tenant(),
            &stored.call,
            &analysis,
            stored.correlation_id,
        ));
    }
    let expected = expected::rollups_of(&events);
    let mismatches = expected::mismatches(&cloud.rollup_store(), &expected)
        .await
        .expect("reading the rollups");
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    let gone = cloud
        .rollup_store()
        .get(&callscope_core::pipeline::RollupKey {
            tenant: tenant(),
            scope: RollupScope::Agent(
                callscope_core::domain::AgentId::parse("agent_id", "gone-agent").expect("id"),
            ),
            day: callscope_core::domain::Day::parse("day", "2026-11-05").expect("day"),
        })
        .await
        .expect("read");
    assert_eq!(
        gone.map_or(0, |t| t.calls),
        0,
        "the erased calls' agent counts none"
    );
    cloud.cleanup().await;
}

/// What a process run interrupted by an erasure stored after it is removed only while the id
/// has no call: once the id is sent again, its items belong to the new call.
#[tokio::test]
async fn leftovers_of_an_erased_call_go_but_a_call_sent_again_under_its_id_stays() {
    let cloud = TestCloud::start().await;
    let calls = cloud.calls_store();
    cloud
        .post_bulk_until_accepted(&[document("er-left", "left-agent", 50)])
        .await;
    cloud.drain().await;
    let removed = calls
        .erase_leftovers(&tenant(), &id("er-left"))
        .await
        .expect("erasing leftovers");
    assert!(!removed, "a stored call has no leftovers");
    assert!(calls
        .get_analysis(&tenant(), &id("er-left"))
        .await
        .expect("read")
        .is_some());

    // The call item gone, as after an erasure, and its analysis still there, as a run that
    // stored it after the erasure leaves it.
    let pk = format!("TENANT#{TENANT}#CALL#er-left");
    for sk in ["CALL", "TRANSCRIPT"] {
        cloud
            .clients
            .dynamodb
            .delete_item()
            .table_name(cloud.table("CallsTable"))
            .key("pk", AttributeValue::S(pk.clone()))
            .key("sk", AttributeValue::S(sk.to_owned()))
            .send()
            .await
            .expect("deleting");
    }
    let removed = calls
        .erase_leftovers(&tenant(), &id("er-left"))
        .await
        .expect("erasing leftovers");
    assert!(removed, "the analysis left behind goes");
    let left = cloud
        .clients
        .dynamodb
        .query()
        .table_name(cloud.table("CallsTable"))
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(pk))
        .send()
        .await
        .expect("querying");
    assert_eq!(left.count, 0, "{:?}", left.items);
    cloud.cleanup().await;
}

/// Whether the drop-in bucket holds `key`.
async fn in_bucket(cloud: &TestCloud, key: &str) -> bool {
    traces::in_drop_in_bucket(cloud, &cloud.clients.s3, key)
        .await
        .expect("HeadObject")
}

#[tokio::test]
async fn a_call_dropped_in_the_bucket_leaves_the_bucket_and_the_export_when_erased() {
    let cloud = TestCloud::start().await;
    // A document naming no call id (so its id is the object's) and no customer (its sidecar's).
    let document = |seed: u64| {
        let mut doc = generate_call_document(2, seed, "unused");
        let fields = doc.as_object_mut().expect("an object");
        fields.remove("call_id");
        fields.remove("customer_id");
        fields.insert("start_time".into(), json!("2026-11-06T10:00:00Z"));
        doc.to_string().into_bytes()
    };
    let sidecar = |customer: &str| json!({"customer_id": customer}).to_string().into_bytes();
    // Two calls of one day, each an object with its sidecar; the export puts both in one file
    // of that day.
    for (name, seed) in [("gone", 11), ("kept", 12)] {
        cloud
            .drop_object(
                &format!("{TENANT}/erase/{name}.meta.json"),
                sidecar(name),
                &[],
            )
            .await
            .expect("drop");
        cloud
            .drop_object(&format!("{TENANT}/erase/{name}.json"), document(seed), &[])
            .await
            .expect("drop");
    }
    cloud.drain().await;
    cloud.drain_streams().await;
    let bucket = cloud.bucket("DropInBucket").to_owned();
    let gone = call_id_of(&bucket, &format!("{TENANT}/erase/gone.json"));
    let kept = call_id_of(&bucket, &format!("{TENANT}/erase/kept.json"));
    let query = "SELECT call_id FROM calls WHERE call_id LIKE 's3-%' ORDER BY call_id";
    let mut both = vec![
        json!({"call_id": gone.as_str()}),
        json!({"call_id": kept.as_str()}),
    ];
    both.sort_by_key(|v| v["call_id"].as_str().unwrap_or_default().to_owned());
    assert_eq!(crate::export::duckdb(&cloud, query).await, both, "exported");

    let reply = cloud
        .send_to_ingest("DELETE", &format!("/api/v1/calls/{gone}"), Some(TENANT))
        .await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    cloud.drain().await;
    cloud.drain_streams().await;

    assert!(!in_bucket(&cloud, &format!("{TENANT}/erase/gone.json")).await);
    assert!(!in_bucket(&cloud, &format!("{TENANT}/erase/gone.meta.json")).await);
    assert!(in_bucket(&cloud, &format!("{TENANT}/erase/kept.json")).await);
    assert!(in_bucket(&cloud, &format!("{TENANT}/erase/kept.meta.json")).await);
    assert_eq!(
        crate::export::duckdb(&cloud, query).await,
        [json!({"call_id": kept.as_str()})],
        "the erased call's row left the export, the other stayed"
    );
    let traces = traces_of(&cloud, gone.as_str()).await;
    assert!(traces.is_empty(), "{gone} is still stored: {traces:#?}");
    // A second DELETE finds nothing: the erasure is done everywhere.
    let reply = cloud
        .send_to_ingest("DELETE", &format!("/api/v1/calls/{gone}"), Some(TENANT))
        .await;
    assert_eq!(reply.status, 404);
    cloud.cleanup().await;
}
