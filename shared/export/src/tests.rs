use bytes::Bytes;
use callscope_core::analysis::Analyser;
use callscope_core::domain::{
    AgentId, CallId, CustomerId, Day, Language, Outcome, TenantId, Timestamp,
};
use callscope_core::redaction::RedactionCounts;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::*;

fn row(seed: u64) -> ExportRow {
    let transcript = callscope_samples::generate_call(4, seed);
    let analysis = Analyser::default().analyse(&transcript, None, RedactionCounts::default());
    let call_id = CallId::parse("call_id", format!("call-{seed}")).unwrap();
    let agent_id = AgentId::parse("agent_id", "sam").unwrap();
    let customer_id = CustomerId::parse("customer_id", "cust").unwrap();
    let language = Language::parse("language", "en").unwrap();
    let at = Timestamp::parse("t", "2026-11-02T09:00:00Z").unwrap();
    let facts = CallFacts {
        call_id: &call_id,
        agent_id: &agent_id,
        team_id: None,
        customer_id: &customer_id,
        language: &language,
        start_time: at,
        duration_seconds: 240.0,
        outcome: Some(Outcome::FollowUp),
        analysed_at: at,
    };
    ExportRow::new(&facts, &analysis, None)
}

#[test]
fn a_row_carries_the_analysis_measures_and_only_the_trackers_hit() {
    let r = row(3);
    assert_eq!(r.outcome.as_deref(), Some("follow_up"));
    assert_eq!(r.sentiment_quarters.len(), 4);
    assert!(!r.trackers.is_empty(), "a generated call mentions pricing");
    assert!(r.trackers.iter().all(|t| t.count > 0));
    assert_eq!(
        r.tracker_names,
        r.trackers
            .iter()
            .map(|t| t.name.clone())
            .collect::<Vec<_>>()
    );
    assert_eq!(r.transcript, None);
}

#[test]
fn rows_written_as_parquet_read_back_with_every_column_and_row() {
    let rows: Vec<ExportRow> = (1..=5).map(row).collect();
    let bytes = to_parquet(&rows).unwrap();
    assert_eq!(&bytes[..4], b"PAR1");
    let reader = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(bytes))
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<_> = reader.map(Result::unwrap).collect();
    let read: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(read, 5);
    assert_eq!(batches[0].schema().fields().len(), schema().fields().len());
    let written = columns::record_batch(&rows).unwrap();
    assert_eq!(batches[0], written);
}

#[test]
fn glue_columns_name_nested_types_in_hive_syntax() {
    let columns = glue_columns();
    let get = |name: &str| {
        columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
    };
    assert_eq!(get("score"), Some("int"));
    assert_eq!(get("start_time"), Some("timestamp"));
    assert_eq!(get("sentiment_quarters"), Some("array<double>"));
    assert_eq!(
        get("trackers"),
        Some("array<struct<name:string,category:string,count:int,satisfied:boolean>>")
    );
    assert_eq!(get("tenant"), None, "partition keys come from the folders");
}

#[test]
fn object_keys_are_hive_partitions_by_tenant_and_day() {
    let tenant = TenantId::parse("tenant", "acme").unwrap();
    let day = Day::parse("day", "2026-11-02").unwrap();
    assert_eq!(
        object_key(&tenant, day, "part-1"),
        "calls/tenant=acme/day=2026-11-02/part-1.parquet"
    );
}

fn read_back(bytes: Vec<u8>) -> arrow_array::RecordBatch {
    let reader = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(bytes))
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<_> = reader.map(Result::unwrap).collect();
    arrow_select::concat::concat_batches(&schema(), &batches).unwrap()
}

#[test]
fn erasure_rewrites_a_file_without_the_erased_calls_rows_and_keeps_the_rest_whole() {
    let rows: Vec<ExportRow> = (1..=5).map(row).collect();
    let file = to_parquet(&rows).unwrap();
    let rewrite = without_rows(file, |call_id, _| {
        call_id == "call-2" || call_id == "call-4"
    });
    let Ok(Rewrite::Rewritten {
        removed: 2,
        kept: 3,
        bytes,
    }) = rewrite
    else {
        panic!("expected two rows removed, three kept: {rewrite:?}");
    };
    let others: Vec<ExportRow> = rows
        .into_iter()
        .filter(|r| r.call_id != "call-2" && r.call_id != "call-4")
        .collect();
    assert_eq!(read_back(bytes), columns::record_batch(&others).unwrap());
}

#[test]
fn erasure_leaves_a_file_without_the_call_alone_and_empties_one_with_only_it() {
    let file = to_parquet(&[row(1), row(2)]).unwrap();
    assert_eq!(
        without_rows(file.clone(), |call_id, _| call_id == "call-9").unwrap(),
        Rewrite::Unchanged { rows: 2 }
    );
    assert_eq!(
        without_rows(file, |call_id, _| call_id.starts_with("call-")).unwrap(),
        Rewrite::Empty { removed: 2 }
    );
}

#[test]
fn erasure_can_keep_a_later_analysis_of_the_same_call_id() {
    // The erased incarnation was analysed at 09:00; the call sent again under its id since
    // was analysed at 10:00, and must stay.
    let mut again = row(1);
    again.analysed_at = "2026-11-02T10:00:00Z".parse().unwrap();
    let file = to_parquet(&[row(1), again.clone()]).unwrap();
    let cutoff: chrono::DateTime<chrono::Utc> = "2026-11-02T09:00:00Z".parse().unwrap();
    let rewrite = without_rows(file, |call_id, at| call_id == "call-1" && at <= cutoff).unwrap();
    let Rewrite::Rewritten {
        removed: 1,
        kept: 1,
        bytes,
    } = rewrite
    else {
        panic!("expected the earlier row removed: {rewrite:?}");
    };
    assert_eq!(read_back(bytes), columns::record_batch(&[again]).unwrap());
}

#[test]
fn a_file_that_is_not_parquet_is_an_error_not_a_panic() {
    assert!(without_rows(b"not parquet".to_vec(), |_, _| true).is_err());
}
