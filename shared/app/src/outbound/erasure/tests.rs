//! Erasure in the export on in-memory ports: files written by the outbound use case, then
//! rewritten without erased calls' rows.

use std::collections::BTreeSet;
use std::sync::Mutex;

use callscope_core::domain::Timestamp;
use callscope_core::redaction::RedactionCounts;

use super::*;
use crate::memory::{ExportCall, HookedExport, MemoryBus, MemoryCalls, MemoryExport};
use crate::outbound::{Outbound, Processed};
use crate::ports::{CallRepository, ReceivedCall};
use crate::test_support::{analyse, call, call_id, correlation, tenant};

const AT: &str = "2026-11-02T10:00:00Z";
const DAY: &str = "calls/tenant=acme/day=2026-11-02/";

/// The export after two outbound batches: `first` (c-1, c-2) and `second` (c-3).
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
    for (batch, ids) in [("first", &["c-1", "c-2"][..]), ("second", &["c-3"][..])] {
        let mut transitions = Vec::new();
        for id in ids {
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
            transitions.push(Processed {
                tenant: acme.clone(),
                call_id: call_id(id),
                analysed_at: Timestamp::parse("at", AT).unwrap(),
            });
        }
        let report = outbound.handle(&transitions, batch).await;
        assert_eq!(report.retry_from, None);
    }
    export
}

fn erased(id: &str, analysed_until: &str) -> ErasedCall {
    ErasedCall {
        tenant: tenant("acme"),
        call_id: call_id(id),
        day: Day::parse("day", "2026-11-02").unwrap(),
        analysed_until: Timestamp::parse("at", analysed_until).unwrap(),
        removal: Removal::Erased,
    }
}

/// The call ids in each file of the export.
fn rows(export: &MemoryExport) -> Vec<(String, Vec<String>)> {
    export
        .objects()
        .into_iter()
        // Erasure marks are no files of the export.
        .filter(|(key, _)| key.ends_with(".parquet"))
        .map(|(key, bytes)| {
            let ids = std::cell::RefCell::new(Vec::new());
            let _ = without_rows(bytes, |id, _| {
                ids.borrow_mut().push(id.to_owned());
                false
            })
            .unwrap();
            (key, ids.into_inner())
        })
        .collect()
}

#[tokio::test]
async fn erased_calls_leave_their_files_and_the_other_rows_stay() {
    let export = exported().await;
    assert_eq!(
        rows(&export),
        [
            (
                format!("{DAY}first.parquet"),
                vec!["c-1".into(), "c-2".into()]
            ),
            (format!("{DAY}second.parquet"), vec!["c-3".into()]),
        ]
    );
    let erasure = ExportErasure::new(export.clone());
    let batch = [erased("c-1", AT), erased("c-3", AT)];
    let report = erasure.erase(&batch).await;
    assert_eq!(
        report,
        ErasureReport {
            rows_removed: 2,
            files_rewritten: 1,
            files_deleted: 1,
            marks: 2,
            unreadable: vec![],
            retry_from: None,
        }
    );
    assert_eq!(
        rows(&export),
        [(format!("{DAY}first.parquet"), vec!["c-2".to_owned()])]
    );
    // Delivered again: nothing more to do but the marks, written again over themselves.
    let again = erasure.erase(&batch).await;
    assert_eq!(
        again,
        ErasureReport {
            marks: 2,
            ..ErasureReport::default()
        }
    );
}

#[tokio::test]
async fn rows_analysed_after_the_erased_incarnation_belong_to_the_call_sent_again() {
    let export = exported().await;
    // The erased incarnation was last analysed before the exported rows were: a later call
    // under the same id, whose rows stay.
    let report = ExportErasure::new(export.clone())
        .erase(&[erased("c-1", "2026-11-02T09:59:59Z")])
        .await;
    assert_eq!(report.rows_removed, 0);
    assert_eq!(rows(&export)[0].1, ["c-1", "c-2"]);
}

#[tokio::test]
async fn an_export_that_cannot_be_reached_retries_from_the_first_erased_call() {
    let export = exported().await;
    export.set_unavailable(true);
    let report = ExportErasure::new(export.clone())
        .erase(&[erased("c-2", AT), erased("c-1", AT)])
        .await;
    assert_eq!(report.retry_from, Some(0));
    export.set_unavailable(false);
    assert_eq!(rows(&export)[0].1, ["c-1", "c-2"], "nothing half done");
}

#[tokio::test]
async fn two_erasures_rewriting_one_file_at_once_both_take_effect() {
    let export = exported().await;
    // The other erasure (of c-2) lands between this one's read and its rewrite.
    let other = {
        let export = export.clone();
        move || async move {
            ExportErasure::new(export).erase(&[erased("c-2", AT)]).await;
            Ok(())
        }
    };
    let (racing, raced) = HookedExport::once(
        export.clone(),
        |call| matches!(call, ExportCall::Swap { .. }),
        other,
    );
    let report = ExportErasure::new(Arc::new(racing))
        .erase(&[erased("c-1", AT)])
        .await;
    assert!(raced.fired());
    assert_eq!(report.retry_from, None);
    assert_eq!(
        report.files_deleted, 1,
        "read again: c-1 was all that was left"
    );
    assert_eq!(
        rows(&export),
        [(format!("{DAY}second.parquet"), vec!["c-3".to_owned()])]
    );
}

#[tokio::test]
async fn a_file_that_is_not_the_exports_parquet_is_reported_and_left() {
    let export = exported().await;
    crate::ports::ExportStore::put(
        export.as_ref(),
        &format!("{DAY}stray.parquet"),
        b"no".to_vec(),
    )
    .await
    .unwrap();
    let report = ExportErasure::new(export.clone())
        .erase(&[erased("c-1", AT)])
        .await;
    assert_eq!(report.unreadable, [format!("{DAY}stray.parquet")]);
    assert_eq!(report.rows_removed, 1);
    assert_eq!(report.retry_from, None);
}

#[tokio::test]
async fn an_erasure_marks_its_call_before_any_rewrite_and_a_superseded_analysis_leaves_no_mark() {
    let export = exported().await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let hooked = HookedExport::new(export.clone(), move |call| {
        if matches!(call, ExportCall::Mark(_) | ExportCall::Swap { .. }) {
            log.lock()
                .unwrap()
                .push(matches!(call, ExportCall::Mark(_)));
        }
        None
    });
    let superseded = ErasedCall {
        removal: Removal::Superseded,
        ..erased("c-3", AT)
    };
    let report = ExportErasure::new(Arc::new(hooked))
        .erase(&[erased("c-1", AT), superseded])
        .await;
    assert_eq!((report.rows_removed, report.marks), (2, 1));
    assert_eq!(
        *seen.lock().unwrap(),
        [true, false, false],
        "the mark, then the rewrites"
    );
    let marks: Vec<String> = export
        .objects()
        .into_keys()
        .filter(|k| !k.ends_with(".parquet"))
        .collect();
    assert_eq!(
        marks,
        ["erasures/tenant=acme/day=2026-11-02/c-1/2026-11-02T10:00:00.000000Z"]
    );
}
