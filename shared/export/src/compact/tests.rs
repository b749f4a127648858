//! Folding a partition's files: each call once, its latest analysis, nothing else.

use std::collections::BTreeMap;

use arrow_array::{Int32Array, StringArray, TimestampMicrosecondArray};
use bytes::Bytes;
use callscope_core::analysis::Analyser;
use callscope_core::domain::{AgentId, CallId, CustomerId, Language, Timestamp};
use callscope_core::redaction::RedactionCounts;
use chrono::{DateTime, Duration, Utc};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use proptest::prelude::*;

use super::*;
use crate::{to_parquet, CallFacts, ExportRow};

const AT: &str = "2026-11-02T09:00:00Z";

/// One analysed row, analysed once; tests vary only the columns folding goes by (and `score`,
/// to tell copies apart).
fn template() -> ExportRow {
    let transcript = callscope_samples::generate_call(3, 7);
    let analysis = Analyser::default().analyse(&transcript, None, RedactionCounts::default());
    let (call_id, agent_id) = (
        CallId::parse("call_id", "c").unwrap(),
        AgentId::parse("agent_id", "sam").unwrap(),
    );
    let customer_id = CustomerId::parse("customer_id", "cust").unwrap();
    let language = Language::parse("language", "en").unwrap();
    let at = Timestamp::parse("t", AT).unwrap();
    let facts = CallFacts {
        call_id: &call_id,
        agent_id: &agent_id,
        team_id: None,
        customer_id: &customer_id,
        language: &language,
        start_time: at,
        duration_seconds: 120.0,
        outcome: None,
        analysed_at: at,
    };
    ExportRow::new(&facts, &analysis, None)
}

/// (call, minutes after 09:00 it was analysed, score as a mark of which copy it is).
type Spec = (u8, u8, i32);

fn file(template: &ExportRow, specs: &[Spec]) -> Vec<u8> {
    let base: DateTime<Utc> = AT.parse().unwrap();
    let rows: Vec<ExportRow> = specs
        .iter()
        .map(|&(call, minutes, score)| ExportRow {
            call_id: format!("call-{call}"),
            analysed_at: base + Duration::minutes(i64::from(minutes)),
            score,
            ..template.clone()
        })
        .collect();
    to_parquet(&rows).unwrap()
}

/// The (call, analysed minutes, score) of each row of a file.
fn rows_of(bytes: &[u8]) -> Vec<(String, i64, i32)> {
    let base: DateTime<Utc> = AT.parse().unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(bytes.to_vec()))
        .unwrap()
        .build()
        .unwrap();
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let column = |name| batch.column_by_name(name).unwrap().as_any();
        let ids = column("call_id").downcast_ref::<StringArray>().unwrap();
        let at = column("analysed_at")
            .downcast_ref::<TimestampMicrosecondArray>()
            .unwrap();
        let score = column("score").downcast_ref::<Int32Array>().unwrap();
        for i in 0..batch.num_rows() {
            let minutes = (at.value(i) - base.timestamp_micros()) / 60_000_000;
            rows.push((ids.value(i).to_owned(), minutes, score.value(i)));
        }
    }
    rows.sort();
    rows
}

fn folded_rows(files: Vec<Vec<u8>>) -> Vec<(String, i64, i32)> {
    fold(files)
        .unwrap()
        .bytes
        .map_or_else(Vec::new, |b| rows_of(&b))
}

#[test]
fn a_batch_written_twice_and_a_reanalysed_call_fold_to_one_row_each_the_latest() {
    let t = template();
    let first = file(&t, &[(1, 0, 10), (2, 0, 20)]);
    // The same batch retried under a new name (after the bus refused an entry).
    let again = file(&t, &[(1, 0, 11), (2, 0, 21)]);
    // Call 2 re-analysed five minutes later; call 3 new.
    let later = file(&t, &[(2, 5, 25), (3, 1, 30)]);
    let folded = fold(vec![first, again, later]).unwrap();
    assert_eq!((folded.rows_in, folded.rows_out), (6, 3));
    assert_eq!(
        rows_of(&folded.bytes.unwrap()),
        [
            ("call-1".to_owned(), 0, 10),
            ("call-2".to_owned(), 5, 25),
            ("call-3".to_owned(), 1, 30)
        ],
        "ties keep the first file's row; a later analysis wins"
    );
}

#[test]
fn files_without_rows_fold_to_nothing_and_foreign_files_are_errors() {
    assert_eq!(
        fold(vec![]).unwrap(),
        Folded {
            rows_in: 0,
            rows_out: 0,
            erased: 0,
            bytes: None
        }
    );
    let t = template();
    assert!(fold(vec![file(&t, &[(1, 0, 1)]), b"not parquet".to_vec()]).is_err());
}

#[test]
fn erased_rows_are_left_out_before_each_calls_latest_is_chosen() {
    let t = template();
    let base: DateTime<Utc> = AT.parse().unwrap();
    let first = file(&t, &[(1, 0, 10), (2, 0, 20)]);
    // Call 1 erased as analysed at 09:00, then sent again and analysed at 09:03.
    let again = file(&t, &[(1, 3, 13), (2, 0, 21)]);
    let erased = |id: &str, at: DateTime<Utc>| id == "call-1" && at <= base;
    let folded = fold_without(vec![first.clone(), again], erased).unwrap();
    assert_eq!((folded.rows_in, folded.rows_out, folded.erased), (4, 2, 1));
    assert_eq!(
        rows_of(&folded.bytes.unwrap()),
        [("call-1".to_owned(), 3, 13), ("call-2".to_owned(), 0, 20)]
    );
    let only = fold_without(vec![file(&t, &[(1, 0, 10)])], erased).unwrap();
    assert_eq!((only.rows_out, only.erased, only.bytes), (0, 1, None));
}

fn files_strategy() -> impl Strategy<Value = Vec<Vec<Spec>>> {
    let spec = (0u8..6, 0u8..4, 0i32..100);
    prop::collection::vec(prop::collection::vec(spec, 1..6), 1..5)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn folding_keeps_each_calls_latest_row_and_nothing_absent_from_the_inputs(
        files in files_strategy()
    ) {
        let t = template();
        let bytes: Vec<Vec<u8>> = files.iter().map(|f| file(&t, f)).collect();
        let out = folded_rows(bytes.clone());
        // The expected rows: per call, the first row (in file order) with its latest time.
        let mut expected: BTreeMap<String, (i64, i32)> = BTreeMap::new();
        for &(call, minutes, score) in files.iter().flatten() {
            let (call, minutes) = (format!("call-{call}"), i64::from(minutes));
            match expected.get(&call) {
                Some(&(kept, _)) if kept >= minutes => {}
                _ => { expected.insert(call, (minutes, score)); }
            }
        }
        let expected: Vec<(String, i64, i32)> =
            expected.into_iter().map(|(c, (m, s))| (c, m, s)).collect();
        prop_assert_eq!(&out, &expected);
        // Every row written was a row of an input.
        let inputs: Vec<(String, i64, i32)> = bytes.iter().flat_map(|b| rows_of(b)).collect();
        prop_assert!(out.iter().all(|r| inputs.contains(r)));
        // Idempotent: the folded file folds to itself, and folded again with its inputs (a
        // compaction that died before deleting them) to the same rows.
        let once = fold(bytes.clone()).unwrap().bytes.unwrap();
        prop_assert_eq!(folded_rows(vec![once.clone()]), out.clone());
        let mut healed = vec![once];
        healed.extend(bytes);
        prop_assert_eq!(folded_rows(healed), out);
    }
}

/// `cargo test --release -p callscope-export fold_time -- --ignored --nocapture`: what one
/// compaction of nine 1,000-call files costs in CPU (docs/export.md, Compaction's cost).
#[test]
#[ignore = "a measurement, not a check"]
fn fold_time() {
    let t = template();
    let files: Vec<Vec<u8>> = (0..9)
        .map(|f| {
            let rows: Vec<ExportRow> = (0..1000)
                .map(|i| ExportRow {
                    call_id: format!("call-{f}-{i}"),
                    score: i,
                    ..t.clone()
                })
                .collect();
            to_parquet(&rows).unwrap()
        })
        .collect();
    let bytes: usize = files.iter().map(Vec::len).sum();
    let start = std::time::Instant::now();
    let folded = fold(files).unwrap();
    eprintln!(
        "fold: 9 files, {} rows, {bytes} bytes → {} rows, {} bytes in {:?}",
        folded.rows_in,
        folded.rows_out,
        folded.bytes.as_ref().map_or(0, Vec::len),
        start.elapsed()
    );
}
