//! Compaction of the export on the local cloud: a day's small files — three outbound batches, a
//! batch written again under a new name, a file still holding a re-analysed call's earlier row —
//! fold into one file through the S3 adapter, and DuckDB reads back one row per call equal to
//! the stored analyses; an erasure landing between compaction's read and its write leaves the
//! erased call in no file.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use callscope_app::outbound::{Compacted, ErasedCall, ExportCompaction, ExportErasure};
use callscope_app::ports::{ExportFile, ExportFiles, ExportStore, Listed, OutboundError, Swapped};
use callscope_cloud::aws::load_sdk_config;
use callscope_cloud::outbound::S3Export;
use callscope_core::domain::{CallId, Day, TenantId, Timestamp};
use callscope_export::{partition_prefix, without_rows, Rewrite};
use callscope_samples::generate_call_document;
use callscope_tests::{TestCloud, TENANT};
use serde_json::{json, Value};

use super::duckdb;

const DAY: &str = "2026-11-17";

fn tenant() -> TenantId {
    TenantId::parse("tenant", TENANT).expect("tenant")
}

fn day() -> Day {
    Day::parse("day", DAY).expect("day")
}

/// The S3 export, with one erasure of `victim` run on it just before compaction writes its
/// folded file (after it read its inputs).
#[derive(Debug)]
struct ErasedBeforeWrite {
    inner: Arc<S3Export>,
    victim: CallId,
    raced: AtomicBool,
}

#[async_trait]
impl ExportStore for ErasedBeforeWrite {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), OutboundError> {
        if !self.raced.swap(true, Ordering::SeqCst) {
            let erased = ErasedCall {
                tenant: tenant(),
                call_id: self.victim.clone(),
                day: day(),
                analysed_until: Timestamp::new(chrono::Utc::now()),
            };
            let report = ExportErasure::new(self.inner.clone())
                .erase(&[erased])
                .await;
            assert_eq!((report.rows_removed, report.retry_from), (1, None));
        }
        self.inner.put(key, bytes).await
    }
}

#[async_trait]
impl ExportFiles for ErasedBeforeWrite {
    async fn list(&self, prefix: &str) -> Result<Vec<Listed>, OutboundError> {
        self.inner.list(prefix).await
    }
    async fn read(&self, key: &str) -> Result<Option<ExportFile>, OutboundError> {
        self.inner.read(key).await
    }
    async fn version(&self, key: &str) -> Result<Option<String>, OutboundError> {
        self.inner.version(key).await
    }
    async fn swap(
        &self,
        key: &str,
        etag: &str,
        bytes: Option<Vec<u8>>,
    ) -> Result<Swapped, OutboundError> {
        self.inner.swap(key, etag, bytes).await
    }
}

async fn rows(cloud: &TestCloud) -> Vec<Value> {
    duckdb(
        cloud,
        &format!(
            "SELECT call_id, epoch_ms(analysed_at) AS analysed_ms, score FROM calls \
             WHERE tenant = '{TENANT}' AND day = '{DAY}' ORDER BY call_id, analysed_ms"
        ),
    )
    .await
}

#[tokio::test]
async fn a_days_small_files_fold_into_one_with_the_stored_analyses_and_a_racing_erasure_wins() {
    let cloud = TestCloud::start().await;
    let export = Arc::new(S3Export::new(
        aws_sdk_s3::Client::new(&load_sdk_config().await),
        cloud.provisioned.buckets["ExportBucket"].clone(),
    ));
    let prefix = format!("{}/", partition_prefix(&tenant(), day()));
    // Three outbound batches of one day: three files.
    let ids: Vec<String> = (0..6).map(|i| format!("cp-{i}")).collect();
    for pair in ids.chunks(2) {
        let docs: Vec<Value> = pair
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let mut doc = generate_call_document(2, 300 + i as u64, id);
                doc["start_time"] = json!(format!("{DAY}T10:0{i}:00Z"));
                doc
            })
            .collect();
        cloud.post_bulk_until_accepted(&docs).await;
        cloud.drain().await;
        cloud.drain_streams().await;
    }
    let batches: Vec<String> = export
        .list(&prefix)
        .await
        .expect("list")
        .into_iter()
        .map(|f| f.key)
        .collect();
    assert_eq!(batches.len(), 3, "{batches:?}");
    // The first batch (cp-0, cp-1) written again under another name (a retry after the bus
    // refused an entry).
    let mut first = None;
    for key in &batches {
        let file = export.read(key).await.expect("read").expect("file");
        let holds = |id: &str, _| id == "cp-0";
        if matches!(
            without_rows(file.bytes.clone(), holds),
            Ok(Rewrite::Rewritten { .. })
        ) {
            first = Some(file);
        }
    }
    let first = first.expect("the file of cp-0");
    export
        .put(&format!("{prefix}retried.parquet"), first.bytes.clone())
        .await
        .expect("put");
    // cp-0 re-analysed; a copy of its first file as it was before the re-analysis's rewrite.
    let before_reanalysis = chrono::Utc::now().timestamp_millis();
    let reply = cloud
        .post("/api/v1/calls/cp-0/reanalyse", "", Some(TENANT))
        .await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    cloud.drain().await;
    cloud.drain_streams().await;
    export
        .put(&format!("{prefix}stale.parquet"), first.bytes)
        .await
        .expect("put");
    let before = rows(&cloud).await;
    assert_eq!(
        before.len(),
        6 + 2 + 1,
        "duplicates and the stale row: {before:?}"
    );

    // cp-5 erased; its erasure lands after compaction read the files, before it writes.
    let reply = cloud
        .send_to_ingest("DELETE", "/api/v1/calls/cp-5", Some(TENANT))
        .await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    let racing = Arc::new(ErasedBeforeWrite {
        inner: export.clone(),
        victim: CallId::parse("call_id", "cp-5").expect("id"),
        raced: AtomicBool::new(false),
    });
    let done = ExportCompaction::new(racing, 3)
        .compact(&tenant(), day(), "e2e", false)
        .await
        .expect("compaction");
    assert!(
        matches!(done, Compacted::Done { rows_out: 5, ref kept, .. } if kept.is_empty()),
        "withdrawn once, then folded without cp-5: {done:?}"
    );
    let files = export.list(&prefix).await.expect("list");
    assert_eq!(files.len(), 1, "{files:?}");

    // One row per call left, the stored analysis; cp-0's the re-analysis.
    let after = rows(&cloud).await;
    let store = cloud.calls_store();
    let expected: Vec<&String> = ids.iter().filter(|id| *id != "cp-5").collect();
    let got: Vec<&str> = after.iter().filter_map(|r| r["call_id"].as_str()).collect();
    assert_eq!(got, expected, "{after:?}");
    for row in &after {
        let id = CallId::parse("call_id", row["call_id"].as_str().expect("id")).expect("id");
        let analysis = store
            .get_analysis(&tenant(), &id)
            .await
            .expect("read")
            .expect("analysed");
        assert_eq!(row["score"], json!(analysis.score), "{row}");
    }
    assert!(
        after[0]["analysed_ms"].as_i64().expect("at") > before_reanalysis,
        "{after:?}"
    );
    // The outbound function's own erasure of cp-5 (and its compaction) find nothing more.
    cloud.drain_streams().await;
    assert_eq!(rows(&cloud).await, after);
    cloud.cleanup().await;
}
