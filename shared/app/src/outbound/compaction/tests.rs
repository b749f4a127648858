//! Compaction on in-memory ports: files written by the outbound use case (a batch retried under
//! a new name, a re-analysed call), folded into one; and erasures landing at each step of a
//! compaction, after which the erased call is in no file.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;
use callscope_core::domain::Timestamp;
use callscope_core::redaction::RedactionCounts;
use callscope_export::without_rows;

use super::*;
use crate::memory::{MemoryBus, MemoryCalls, MemoryExport};
use crate::outbound::{ErasedCall, ExportErasure, Outbound, Processed};
use crate::ports::{CallRepository, ExportStore, Listed, ReceivedCall};
use crate::test_support::{analyse, call, call_id, correlation, tenant};

const AT: &str = "2026-11-02T10:00:00Z";
const LATER: &str = "2026-11-02T11:00:00Z";

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

/// Every row of the export as (file, call, analysed at), by file.
fn rows(export: &MemoryExport) -> Vec<(String, String, String)> {
    let mut all = Vec::new();
    for (key, bytes) in export.objects() {
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
    }
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
        file: Some(file),
        kept,
    } = done
    else {
        panic!("expected four files folded into one: {done:?}");
    };
    assert!(kept.is_empty());
    assert_eq!(export.objects().keys().collect::<Vec<_>>(), [&file]);
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

/// The export as compaction sees it, with one erasure run on the real files at `moment`.
#[derive(Debug)]
struct Racing {
    inner: Arc<MemoryExport>,
    moment: Moment,
    raced: AtomicBool,
}

impl Racing {
    async fn maybe_erase(&self, now: Moment) {
        if now == self.moment && !self.raced.swap(true, Ordering::SeqCst) {
            let report = ExportErasure::new(self.inner.clone())
                .erase(&[erased("c-1", AT)])
                .await;
            assert_eq!(report.retry_from, None);
        }
    }
}

#[async_trait]
impl ExportStore for Racing {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), OutboundError> {
        self.maybe_erase(Moment::BeforeWrite).await;
        self.inner.put(key, bytes).await
    }
}

#[async_trait]
impl ExportFiles for Racing {
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
        if bytes.is_none() && !key.contains("compacted-") {
            self.maybe_erase(Moment::BeforeDelete).await;
        }
        self.inner.swap(key, etag, bytes).await
    }
}

async fn raced_at(moment: Moment) -> (Arc<MemoryExport>, Compacted) {
    let export = exported().await;
    let racing = Arc::new(Racing {
        inner: export.clone(),
        moment,
        raced: AtomicBool::new(false),
    });
    let done = ExportCompaction::new(racing.clone(), 1)
        .compact(&tenant("acme"), day(), "run", false)
        .await
        .unwrap();
    assert!(racing.raced.load(Ordering::SeqCst), "the erasure ran");
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

/// The export as an erasure sees it, with a whole compaction run on the real files between its
/// listing and its first read.
#[derive(Debug)]
struct CompactedUnder {
    inner: Arc<MemoryExport>,
    raced: AtomicBool,
}

#[async_trait]
impl ExportStore for CompactedUnder {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), OutboundError> {
        self.inner.put(key, bytes).await
    }
}

#[async_trait]
impl ExportFiles for CompactedUnder {
    async fn list(&self, prefix: &str) -> Result<Vec<Listed>, OutboundError> {
        self.inner.list(prefix).await
    }

    async fn read(&self, key: &str) -> Result<Option<ExportFile>, OutboundError> {
        if !self.raced.swap(true, Ordering::SeqCst) {
            let done = ExportCompaction::new(self.inner.clone(), 1)
                .compact(&tenant("acme"), day(), "under", false)
                .await
                .unwrap();
            assert!(matches!(done, Compacted::Done { .. }), "{done:?}");
        }
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

#[tokio::test]
async fn an_erasure_whose_files_were_compacted_under_it_lists_again_and_finds_the_row() {
    let export = exported().await;
    let under = Arc::new(CompactedUnder {
        inner: export.clone(),
        raced: AtomicBool::new(false),
    });
    let report = ExportErasure::new(under).erase(&[erased("c-1", AT)]).await;
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
    assert_eq!(export.objects().len(), 1);
    assert_eq!(
        calls_in(&export),
        [
            ("c-1".into(), at(AT)),
            ("c-2".into(), at(LATER)),
            ("c-3".into(), at(AT))
        ]
    );
}
