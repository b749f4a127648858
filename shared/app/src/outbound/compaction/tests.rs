//! Compaction on in-memory ports: files written by the outbound use case (a batch retried under
//! a new name, a re-analysed call), folded into one; and erasures landing at each step of a
//! compaction, after which the erased call is in no file — also when the compaction dies right
//! after writing its folded file.

use std::collections::BTreeSet;
use std::sync::Mutex;

use callscope_core::domain::Timestamp;
use callscope_core::redaction::RedactionCounts;
use callscope_export::{fold, without_rows};

use super::*;
use crate::memory::{ExportCall, HookedExport, MemoryBus, MemoryCalls, MemoryExport};
use crate::outbound::{ErasedCall, ExportErasure, Outbound, Processed, Removal};
use crate::ports::{CallRepository, ExportStore, ReceivedCall};
use crate::test_support::{analyse, call, call_id, correlation, tenant};

const AT: &str = "2026-11-02T10:00:00Z";
const LATER: &str = "2026-11-02T11:00:00Z";
const NOON: &str = "2026-11-02T12:00:00Z";

fn day() -> Day {
    Day::parse("day", "2026-11-02").unwrap()
}

/// Four files: `b1` (c-1, c-2), `b2` (c-3), `b2-retried` (c-3 again: the same batch retried under
/// a new name) and `b3` (c-2 re-analysed at 11:00; erasure of its 10:00 row has not run yet).
async fn exported() -> Arc<MemoryExport> {
    let calls = Arc::new(MemoryCalls::default());
    let export = Arc::new(MemoryExport::default());
    let acme = tenant("acme");
    let outbound = Outbound::new(
        calls.clone(),
        Arc::new(MemoryBus::default()),
        export.clone(),
        BTreeSet::new(),
    );
    for id in ["c-1", "c-2", "c-3"] {
        let received = ReceivedCall {
            tenant: acme.clone(),
            call: call(id, "sam"),
            content_hash: format!("hash-{id}"),
            redactions: RedactionCounts::default(),
            correlation_id: correlation(id),
            received_at: Timestamp::parse("at", AT).unwrap(),
            source: None,
        };
        calls.put_received(&received).await.unwrap();
        analyse(&calls, &acme, id, AT, true).await;
    }
    let processed = |id: &str, at: &str| Processed {
        tenant: acme.clone(),
        call_id: call_id(id),
        analysed_at: Timestamp::parse("at", at).unwrap(),
    };
    for (batch, calls) in [
        ("b1", vec![processed("c-1", AT), processed("c-2", AT)]),
        ("b2", vec![processed("c-3", AT)]),
        ("b2-retried", vec![processed("c-3", AT)]),
        ("b3", vec![processed("c-2", LATER)]),
    ] {
        assert_eq!(outbound.handle(&calls, batch).await.retry_from, None);
    }
    export
}

/// One more outbound batch, `name`, exporting call `id` analysed at `at`.
async fn export_batch(export: &Arc<MemoryExport>, name: &str, id: &str, at: &str) {
    let calls = Arc::new(MemoryCalls::default());
    let acme = tenant("acme");
    let received = ReceivedCall {
        tenant: acme.clone(),
        call: call(id, "sam"),
        content_hash: format!("hash-{id}-{at}"),
        redactions: RedactionCounts::default(),
        correlation_id: correlation(id),
        received_at: Timestamp::parse("at", at).unwrap(),
        source: None,
    };
    calls.put_received(&received).await.unwrap();
    analyse(&calls, &acme, id, at, true).await;
    let outbound = Outbound::new(
        calls,
        Arc::new(MemoryBus::default()),
        export.clone(),
        BTreeSet::new(),
    );
    let sent = Processed {
        tenant: acme,
        call_id: call_id(id),
        analysed_at: Timestamp::parse("at", at).unwrap(),
    };
    assert_eq!(outbound.handle(&[sent], name).await.retry_from, None);
}

/// Every row of the export as (file, call, analysed at), by file.
fn rows(export: &MemoryExport) -> Vec<(String, String, String)> {
    let mut all = Vec::new();
    for (key, bytes) in export.objects() {
        // Erasure marks are no files of the export.
        if !key.ends_with(".parquet") {
            continue;
        }
        let found = Mutex::new(Vec::new());
        without_rows(bytes, |id, at| {
            found.lock().unwrap().push((id.to_owned(), at.to_rfc3339()));
            false
        })
        .unwrap();
        let name = key.rsplit('/').next().unwrap_or_default().to_owned();
        all.extend(
            found
                .into_inner()
                .unwrap()
                .into_iter()
                .map(|(id, at)| (name.clone(), id, at)),
        );
    }
    all
}

/// The calls of the export with how many rows each has.
fn calls_in(export: &MemoryExport) -> Vec<(String, String)> {
    let mut calls: Vec<(String, String)> = rows(export)
        .into_iter()
        .map(|(_, id, at)| (id, at))
        .collect();
    calls.sort();
    calls
}

fn at(s: &str) -> String {
    Timestamp::parse("at", s).unwrap().time().to_rfc3339()
}

fn erased(id: &str, until: &str) -> ErasedCall {
    ErasedCall {
        tenant: tenant("acme"),
        call_id: call_id(id),
        day: day(),
        analysed_until: Timestamp::parse("at", until).unwrap(),
        removal: Removal::Erased,
    }
}

/// The export's files (not its erasure marks).
fn files(export: &MemoryExport) -> Vec<String> {
    export
        .objects()
        .into_keys()
        .filter(|k| k.ends_with(".parquet"))
        .collect()
}

#[tokio::test]
async fn a_partition_past_the_threshold_becomes_one_file_with_each_calls_latest_row() {
    let export = exported().await;
    assert_eq!(rows(&export).len(), 5);
    let compaction = ExportCompaction::new(export.clone(), 3);
    let done = compaction
        .compact(&tenant("acme"), day(), "run-1", false)
        .await
        .unwrap();
    let Compacted::Done {
        inputs: 4,
        rows_in: 5,
        rows_out: 3,
        erased: 0,
        file: Some(file),
        kept,
    } = done
    else {
        panic!("expected four files folded into one: {done:?}");
    };
    assert!(kept.is_empty());
    assert_eq!(files(&export), [file]);
    assert_eq!(
        calls_in(&export),
        [
            ("c-1".into(), at(AT)),
            ("c-2".into(), at(LATER)),
            ("c-3".into(), at(AT))
        ]
    );
    // Folded again (forced): the same rows.
    let before = calls_in(&export);
    compaction
        .compact(&tenant("acme"), day(), "run-2", true)
        .await
        .unwrap();
    assert_eq!(calls_in(&export), before);
}

#[tokio::test]
async fn a_partition_within_the_threshold_is_left_alone() {
    let export = exported().await;
    let before = export.objects();
    let done = ExportCompaction::new(export.clone(), 4)
        .compact(&tenant("acme"), day(), "run", false)
        .await
        .unwrap();
    assert_eq!(done, Compacted::NotNeeded { files: 4 });
    assert_eq!(export.objects(), before);
}

/// Where an erasure (of c-1, analysed at 10:00) lands inside a compaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Moment {
    /// After compaction read its inputs, before it wrote the folded file.
    BeforeWrite,
    /// After the inputs' versions were checked, before the first delete.
    BeforeDelete,
}

/// An erasure of c-1 (analysed at 10:00) run on the real files, as a hook's work.
fn erase_c1(
    export: &Arc<MemoryExport>,
) -> impl std::future::Future<Output = Result<(), OutboundError>> {
    let export = export.clone();
    async move {
        let report = ExportErasure::new(export).erase(&[erased("c-1", AT)]).await;
        assert_eq!(report.retry_from, None);
        Ok(())
    }
}

/// Compaction's write of its folded file (step 2).
fn folded_write(call: &ExportCall<'_>) -> bool {
    matches!(call, ExportCall::Put(key) if key.contains("compacted-"))
}

/// Compaction's first delete of an input (step 4).
fn input_delete(call: &ExportCall<'_>) -> bool {
    matches!(call, ExportCall::Swap { key, delete: true } if !key.contains("compacted-"))
}

async fn raced_at(moment: Moment) -> (Arc<MemoryExport>, Compacted) {
    let export = exported().await;
    let at = match moment {
        Moment::BeforeWrite => folded_write,
        Moment::BeforeDelete => input_delete,
    };
    let (racing, erasure) = HookedExport::once(export.clone(), at, {
        let export = export.clone();
        move || erase_c1(&export)
    });
    let done = ExportCompaction::new(Arc::new(racing), 1)
        .compact(&tenant("acme"), day(), "run", false)
        .await
        .unwrap();
    assert!(erasure.fired(), "the erasure ran");
    (export, done)
}

#[tokio::test]
async fn an_erasure_between_compactions_read_and_its_write_withdraws_the_folded_file() {
    let (export, done) = raced_at(Moment::BeforeWrite).await;
    // The first attempt saw b1 rewritten and withdrew; the second folded what was left.
    assert!(
        matches!(done, Compacted::Done { rows_out: 2, ref kept, .. } if kept.is_empty()),
        "{done:?}"
    );
    assert_eq!(
        calls_in(&export),
        [("c-2".into(), at(LATER)), ("c-3".into(), at(AT))]
    );
}

#[tokio::test]
async fn an_erasure_between_compactions_check_and_its_deletes_still_takes_the_call_out() {
    let (export, done) = raced_at(Moment::BeforeDelete).await;
    // b1 changed under the delete: kept beside the folded file (c-2's 10:00 row is in it, and
    // the folded file holds c-2's 11:00 row), until the next compaction.
    let Compacted::Done { kept, .. } = done else {
        panic!("{done:?}")
    };
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(
        calls_in(&export).iter().all(|(id, _)| id != "c-1"),
        "{:?}",
        rows(&export)
    );
    ExportCompaction::new(export.clone(), 1)
        .compact(&tenant("acme"), day(), "next", false)
        .await
        .unwrap();
    assert_eq!(
        calls_in(&export),
        [("c-2".into(), at(LATER)), ("c-3".into(), at(AT))]
    );
}

#[tokio::test]
async fn an_erasure_whose_files_were_compacted_under_it_lists_again_and_finds_the_row() {
    use futures::channel::oneshot;
    let export = exported().await;
    // A compaction reads its inputs before the erasure writes its mark (so its fold keeps c-1),
    // and commits (writes, checks, deletes) between the erasure's listing and its first read.
    let (read, erasure_may_start) = oneshot::channel::<()>();
    let (listed, compaction_may_write) = oneshot::channel::<()>();
    let (committed, erasure_may_read) = oneshot::channel::<()>();
    let (compacting, paused) =
        HookedExport::once(export.clone(), folded_write, move || async move {
            let _ = read.send(());
            let _ = compaction_may_write.await;
            Ok(())
        });
    let (erasing, waited) = HookedExport::once(
        export.clone(),
        |call| matches!(call, ExportCall::Read(_)),
        move || async move {
            let _ = listed.send(());
            let _ = erasure_may_read.await;
            Ok(())
        },
    );
    let compaction = async {
        let done = ExportCompaction::new(Arc::new(compacting), 1)
            .compact(&tenant("acme"), day(), "under", false)
            .await
            .unwrap();
        let _ = committed.send(());
        done
    };
    let erasure = async {
        let _ = erasure_may_start.await;
        ExportErasure::new(Arc::new(erasing))
            .erase(&[erased("c-1", AT)])
            .await
    };
    let (done, report) = futures::join!(compaction, erasure);
    assert!(paused.fired() && waited.fired());
    assert!(
        matches!(done, Compacted::Done { erased: 0, ref kept, .. } if kept.is_empty()),
        "{done:?}"
    );
    assert_eq!(report.retry_from, None);
    assert_eq!(report.rows_removed, 1, "taken out of the folded file");
    assert_eq!(
        calls_in(&export),
        [("c-2".into(), at(LATER)), ("c-3".into(), at(AT))]
    );
}

#[tokio::test]
async fn a_compaction_that_died_before_its_deletes_is_healed_by_the_next() {
    let export = exported().await;
    // The folded file written, no input deleted: every row is there twice or more.
    let inputs: Vec<Vec<u8>> = export.objects().into_values().collect();
    let folded = fold(inputs).unwrap().bytes.unwrap();
    export
        .put(
            &object_key(&tenant("acme"), day(), "compacted-died"),
            folded,
        )
        .await
        .unwrap();
    assert_eq!(rows(&export).len(), 8);
    ExportCompaction::new(export.clone(), 3)
        .compact(&tenant("acme"), day(), "next", false)
        .await
        .unwrap();
    assert_eq!(files(&export).len(), 1);
    assert_eq!(
        calls_in(&export),
        [
            ("c-1".into(), at(AT)),
            ("c-2".into(), at(LATER)),
            ("c-3".into(), at(AT))
        ]
    );
}

/// The crash erasure marks are for: an erasure of c-1 runs whole between compaction's read of
/// its inputs and its write of the folded file, and the process dies right after that write,
/// before it checks its inputs (the check fails here: the compaction stops where a crash would,
/// with the folded file written and nothing withdrawn or deleted).
async fn died_after_its_write_with_c1_erased_meanwhile(export: &Arc<MemoryExport>) {
    let (erasing, erasure) = HookedExport::once(export.clone(), folded_write, {
        let export = export.clone();
        move || erase_c1(&export)
    });
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
        .compact(&tenant("acme"), day(), "died", false)
        .await;
    assert!(
        result.is_err() && erasure.fired() && died.fired(),
        "{result:?}"
    );
    // What the crash leaves: the folded file holds c-1's row (read before the erasure), beside
    // its inputs, the erasure done everywhere else.
    let c1: Vec<String> = rows(export)
        .into_iter()
        .filter(|(_, id, _)| id == "c-1")
        .map(|(file, ..)| file)
        .collect();
    assert!(
        c1.len() == 1 && c1[0].starts_with("compacted-"),
        "{:?}",
        rows(export)
    );
}

#[tokio::test]
async fn a_compaction_that_died_after_writing_a_file_an_erasure_missed_cannot_keep_the_erased_row()
{
    let export = exported().await;
    died_after_its_write_with_c1_erased_meanwhile(&export).await;
    // The next compaction of the day folds the dead one's file with its inputs: c-1's mark
    // drops the row.
    let done = ExportCompaction::new(export.clone(), 1)
        .compact(&tenant("acme"), day(), "next", false)
        .await
        .unwrap();
    assert!(
        matches!(done, Compacted::Done { erased: 1, ref kept, .. } if kept.is_empty()),
        "{done:?}"
    );
    assert_eq!(files(&export).len(), 1);
    assert_eq!(
        calls_in(&export),
        [("c-2".into(), at(LATER)), ("c-3".into(), at(AT))]
    );
}

#[tokio::test]
async fn a_call_sent_again_under_an_erased_id_keeps_its_newer_row() {
    let export = exported().await;
    died_after_its_write_with_c1_erased_meanwhile(&export).await;
    // c-1 sent again under the same id and analysed at noon: a new call, after the mark.
    export_batch(&export, "b4", "c-1", NOON).await;
    let done = ExportCompaction::new(export.clone(), 1)
        .compact(&tenant("acme"), day(), "next", false)
        .await
        .unwrap();
    assert!(
        matches!(done, Compacted::Done { erased: 1, .. }),
        "{done:?}"
    );
    assert_eq!(
        calls_in(&export),
        [
            ("c-1".into(), at(NOON)),
            ("c-2".into(), at(LATER)),
            ("c-3".into(), at(AT))
        ]
    );
}
