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
