//! Compaction of the export on the local cloud: a day's small files — three outbound batches, a
//! batch written again under a new name, a file still holding a re-analysed call's earlier row —
//! fold into one file through the S3 adapter, and DuckDB reads back one row per call equal to
//! the stored analyses; an erasure landing between compaction's read and its write leaves the
//! erased call in no file, and so does one landing there when the compaction then dies right
//! after its write (the erasure's mark makes the next compaction drop the row).

use std::sync::Arc;

use callscope_app::memory::{ExportCall, HookedExport};
use callscope_app::outbound::{Compacted, ErasedCall, ExportCompaction, ExportErasure, Removal};
use callscope_app::ports::{ExportFiles, ExportStore, OutboundError};
use callscope_cloud::aws::load_sdk_config;
use callscope_cloud::outbound::S3Export;
use callscope_core::domain::{CallId, Day, TenantId, Timestamp};
use callscope_export::{erasure_prefix, partition_prefix, without_rows, ErasureMark, Rewrite};
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

/// Compaction's write of its folded file.
fn folded_write(call: &ExportCall<'_>) -> bool {
    matches!(call, ExportCall::Put(key) if key.contains("compacted-"))
}

async fn s3_export(cloud: &TestCloud) -> Arc<S3Export> {
    Arc::new(S3Export::new(
        aws_sdk_s3::Client::new(&load_sdk_config().await),
        cloud.provisioned.buckets["ExportBucket"].clone(),
    ))
}

/// `ids` through the pipeline and the outbound function, two calls a batch: a file each.
async fn export_in_batches(cloud: &TestCloud, ids: &[String]) {
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
    let export = s3_export(&cloud).await;
    let prefix = format!("{}/", partition_prefix(&tenant(), day()));
    // Three outbound batches of one day: three files.
    let ids: Vec<String> = (0..6).map(|i| format!("cp-{i}")).collect();
    export_in_batches(&cloud, &ids).await;
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
    let erase = {
        let export = export.clone();
        move || async move {
            let erased = ErasedCall {
                tenant: tenant(),
                call_id: CallId::parse("call_id", "cp-5").expect("id"),
                day: day(),
                analysed_until: Timestamp::new(chrono::Utc::now()),
                removal: Removal::Erased,
            };
            let report = ExportErasure::new(export).erase(&[erased]).await;
            assert_eq!((report.rows_removed, report.retry_from), (1, None));
            Ok(())
        }
    };
    let (racing, raced) = HookedExport::once(export.clone(), folded_write, erase);
    let done = ExportCompaction::new(Arc::new(racing), 3)
        .compact(&tenant(), day(), "e2e", false)
        .await
        .expect("compaction");
    assert!(raced.fired());
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

#[tokio::test]
async fn a_compaction_that_died_after_its_write_cannot_keep_a_call_erased_meanwhile() {
    let cloud = Arc::new(TestCloud::start().await);
    let export = s3_export(&cloud).await;
    let prefix = format!("{}/", partition_prefix(&tenant(), day()));
    // Two outbound batches of one day: two files.
    let ids: Vec<String> = (0..4).map(|i| format!("cd-{i}")).collect();
    export_in_batches(&cloud, &ids).await;
    assert_eq!(export.list(&prefix).await.expect("list").len(), 2);

    // cd-3 erased; the outbound function takes it out of the export (its stream record) after
    // compaction read the files and before it writes the folded file; then the compaction dies
    // before checking its inputs (its first HeadObject fails: it stops where a crash would).
    let reply = cloud
        .send_to_ingest("DELETE", "/api/v1/calls/cd-3", Some(TENANT))
        .await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    let outbound_erasure = {
        let cloud = cloud.clone();
        move || async move {
            cloud.drain_streams().await;
            Ok(())
        }
    };
    let (erasing, erased) = HookedExport::once(export.clone(), folded_write, outbound_erasure);
    let (dying, died) = HookedExport::once(
        Arc::new(erasing),
        |call| matches!(call, ExportCall::Version(_)),
        || async {
            Err(OutboundError {
                operation: "HeadObject".into(),
                detail: "the function died".into(),
            })
        },
    );
    let result = ExportCompaction::new(Arc::new(dying), 1)
        .compact(&tenant(), day(), "died", false)
        .await;
    assert!(
        result.is_err() && erased.fired() && died.fired(),
        "{result:?}"
    );
    // The window: cd-3 is back, in the dead compaction's file (the rest of it twice).
    let ids_of = |rows: &[Value]| -> Vec<String> {
        rows.iter()
            .filter_map(|r| r["call_id"].as_str().map(str::to_owned))
            .collect()
    };
    let after_crash = ids_of(&rows(&cloud).await);
    assert!(after_crash.iter().any(|id| id == "cd-3"), "{after_crash:?}");
    let marks = export
        .list(&format!("{}/", erasure_prefix(&tenant(), day())))
        .await
        .expect("list");
    let mark = marks
        .iter()
        .find_map(|m| ErasureMark::parse(&m.key))
        .expect("the erasure's mark");
    assert_eq!((marks.len(), mark.call_id.as_str()), (1, "cd-3"));

    // The next compaction of the day (the retried batch's, or `callscope export compact`).
    let done = ExportCompaction::new(export.clone(), 1)
        .compact(&tenant(), day(), "next", false)
        .await
        .expect("compaction");
    assert!(
        matches!(done, Compacted::Done { erased: 1, ref kept, .. } if kept.is_empty()),
        "{done:?}"
    );
    assert_eq!(export.list(&prefix).await.expect("list").len(), 1);
    assert_eq!(
        ids_of(&rows(&cloud).await),
        ["cd-0", "cd-1", "cd-2"],
        "each call once, cd-3 in no file"
    );
    // The hooks that held the cloud went with the dead compaction.
    if let Ok(cloud) = Arc::try_unwrap(cloud) {
        cloud.cleanup().await;
    }
}
