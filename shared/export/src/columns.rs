//! The export's columns: the Arrow schema (one definition), rows turned into a Parquet file with
//! it, and the Glue column types derived from it, so the files and the table cannot disagree.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int32Builder, ListBuilder, StringBuilder, StructBuilder,
    TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::ExportRow;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("building the export's columns failed: {0}")]
    Columns(#[from] arrow_schema::ArrowError),
    #[error("writing the Parquet file failed: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// A file read back lacks a column erasure goes by (not a file this export wrote).
    #[error("the Parquet file has no {0} column of the export's type")]
    Unreadable(&'static str),
    /// Files of one partition written with different schemas: compaction leaves them.
    #[error("the partition's files do not share one schema")]
    Mismatched,
}

fn utc_micros() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn list_of(item: DataType) -> DataType {
    DataType::List(Arc::new(Field::new("item", item, true)))
}

fn tracker_fields() -> Fields {
    Fields::from(vec![
        Field::new("name", DataType::Utf8, false),
        Field::new("category", DataType::Utf8, false),
        Field::new("count", DataType::Int32, false),
        Field::new("satisfied", DataType::Boolean, true),
    ])
}

fn next_step_fields() -> Fields {
    Fields::from(vec![
        Field::new("speaker", DataType::Utf8, false),
        Field::new("text", DataType::Utf8, false),
        Field::new("due", DataType::Utf8, true),
        Field::new("at_seconds", DataType::Float64, false),
    ])
}

/// The export's schema, in [`ExportRow`]'s field order.
pub fn schema() -> SchemaRef {
    let f = |name: &str, kind: DataType, nullable: bool| Field::new(name, kind, nullable);
    Arc::new(Schema::new(vec![
        f("call_id", DataType::Utf8, false),
        f("agent_id", DataType::Utf8, false),
        f("team_id", DataType::Utf8, true),
        f("customer_id", DataType::Utf8, false),
        f("language", DataType::Utf8, false),
        f("start_time", utc_micros(), false),
        f("duration_seconds", DataType::Float64, false),
        f("outcome", DataType::Utf8, true),
        f("analysed_at", utc_micros(), false),
        f("timing", DataType::Utf8, false),
        f("score", DataType::Int32, false),
        f("agent_talk_ratio", DataType::Float64, false),
        f("customer_sentiment", DataType::Float64, false),
        f("agent_sentiment", DataType::Float64, true),
        f("overall_sentiment", DataType::Float64, true),
        f("sentiment_quarters", list_of(DataType::Float64), false),
        f("questions_agent", DataType::Int32, false),
        f("questions_customer", DataType::Int32, false),
        f("interruptions_agent", DataType::Int32, false),
        f("interruptions_customer", DataType::Int32, false),
        f("longest_monologue_seconds", DataType::Float64, false),
        f("longest_customer_story_seconds", DataType::Float64, false),
        f("interactivity", DataType::Float64, false),
        f("patience_seconds", DataType::Float64, true),
        f("filler_words_per_minute", DataType::Float64, false),
        f("non_talk_time_seconds", DataType::Float64, false),
        f("tracker_names", list_of(DataType::Utf8), false),
        f(
            "trackers",
            list_of(DataType::Struct(tracker_fields())),
            false,
        ),
        f(
            "next_steps",
            list_of(DataType::Struct(next_step_fields())),
            false,
        ),
        f("transcript", DataType::Utf8, true),
    ]))
}

/// The Hive type Glue declares for an Arrow type (what Athena reads the column as).
fn glue_type(kind: &DataType) -> String {
    match kind {
        DataType::Utf8 => "string".into(),
        DataType::Int32 => "int".into(),
        DataType::Float64 => "double".into(),
        DataType::Boolean => "boolean".into(),
        DataType::Timestamp(_, _) => "timestamp".into(),
        DataType::List(item) => format!("array<{}>", glue_type(item.data_type())),
        DataType::Struct(fields) => {
            let inner: Vec<String> = fields
                .iter()
                .map(|f| format!("{}:{}", f.name(), glue_type(f.data_type())))
                .collect();
            format!("struct<{}>", inner.join(","))
        }
        other => unreachable!("the export schema has no {other} column"),
    }
}

/// The Glue table's columns (name, Hive type) in file order; the partition keys `tenant` and
/// `day` (both `string`) come on top, from the folders.
pub fn glue_columns() -> Vec<(String, String)> {
    schema()
        .fields()
        .iter()
        .map(|f| (f.name().clone(), glue_type(f.data_type())))
        .collect()
}

fn strings<'a>(values: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(values.collect::<arrow_array::StringArray>())
}

fn floats(values: impl Iterator<Item = Option<f64>>) -> ArrayRef {
    Arc::new(values.collect::<arrow_array::Float64Array>())
}

fn ints(values: impl Iterator<Item = i32>) -> ArrayRef {
    Arc::new(values.map(Some).collect::<arrow_array::Int32Array>())
}

fn timestamps(values: impl Iterator<Item = i64>) -> ArrayRef {
    let mut builder = TimestampMicrosecondBuilder::new().with_timezone("UTC");
    values.for_each(|v| builder.append_value(v));
    Arc::new(builder.finish())
}

fn tracker_column(rows: &[ExportRow]) -> ArrayRef {
    let values = StructBuilder::new(
        tracker_fields(),
        vec![
            Box::new(StringBuilder::new()),
            Box::new(StringBuilder::new()),
            Box::new(Int32Builder::new()),
            Box::new(BooleanBuilder::new()),
        ],
    );
    let mut list = ListBuilder::new(values).with_field(Arc::new(Field::new(
        "item",
        DataType::Struct(tracker_fields()),
        true,
    )));
    for row in rows {
        let items = list.values();
        for t in &row.trackers {
            builder_at::<StringBuilder>(items, 0).append_value(&t.name);
            builder_at::<StringBuilder>(items, 1).append_value(&t.category);
            builder_at::<Int32Builder>(items, 2).append_value(t.count);
            builder_at::<BooleanBuilder>(items, 3).append_option(t.satisfied);
            items.append(true);
        }
        list.append(true);
    }
    Arc::new(list.finish())
}

fn next_step_column(rows: &[ExportRow]) -> ArrayRef {
    let values = StructBuilder::new(
        next_step_fields(),
        vec![
            Box::new(StringBuilder::new()),
            Box::new(StringBuilder::new()),
            Box::new(StringBuilder::new()),
            Box::new(Float64Builder::new()),
        ],
    );
    let mut list = ListBuilder::new(values).with_field(Arc::new(Field::new(
        "item",
        DataType::Struct(next_step_fields()),
        true,
    )));
    for row in rows {
        let items = list.values();
        for s in &row.next_steps {
            builder_at::<StringBuilder>(items, 0).append_value(&s.speaker);
            builder_at::<StringBuilder>(items, 1).append_value(&s.text);
            builder_at::<StringBuilder>(items, 2).append_option(s.due.as_deref());
            builder_at::<Float64Builder>(items, 3).append_value(s.at_seconds);
            items.append(true);
        }
        list.append(true);
    }
    Arc::new(list.finish())
}

/// A struct builder's child builder; the types are fixed by the fields built just above.
fn builder_at<T: arrow_array::builder::ArrayBuilder>(
    items: &mut StructBuilder,
    i: usize,
) -> &mut T {
    items
        .field_builder::<T>(i)
        .expect("child builders match the struct's fields")
}

/// The rows as one Arrow batch in [`schema`]'s order.
pub fn record_batch(rows: &[ExportRow]) -> Result<RecordBatch, ExportError> {
    let mut quarters = ListBuilder::new(Float64Builder::new());
    for row in rows {
        for q in &row.sentiment_quarters {
            quarters.values().append_option(*q);
        }
        quarters.append(true);
    }
    let mut names = ListBuilder::new(StringBuilder::new());
    for row in rows {
        for name in &row.tracker_names {
            names.values().append_value(name);
        }
        names.append(true);
    }
    let columns: Vec<ArrayRef> = vec![
        strings(rows.iter().map(|r| Some(r.call_id.as_str()))),
        strings(rows.iter().map(|r| Some(r.agent_id.as_str()))),
        strings(rows.iter().map(|r| r.team_id.as_deref())),
        strings(rows.iter().map(|r| Some(r.customer_id.as_str()))),
        strings(rows.iter().map(|r| Some(r.language.as_str()))),
        timestamps(rows.iter().map(|r| r.start_time.timestamp_micros())),
        floats(rows.iter().map(|r| Some(r.duration_seconds))),
        strings(rows.iter().map(|r| r.outcome.as_deref())),
        timestamps(rows.iter().map(|r| r.analysed_at.timestamp_micros())),
        strings(rows.iter().map(|r| Some(r.timing.as_str()))),
        ints(rows.iter().map(|r| r.score)),
        floats(rows.iter().map(|r| Some(r.agent_talk_ratio))),
        floats(rows.iter().map(|r| Some(r.customer_sentiment))),
        floats(rows.iter().map(|r| r.agent_sentiment)),
        floats(rows.iter().map(|r| r.overall_sentiment)),
        Arc::new(quarters.finish()),
        ints(rows.iter().map(|r| r.questions_agent)),
        ints(rows.iter().map(|r| r.questions_customer)),
        ints(rows.iter().map(|r| r.interruptions_agent)),
        ints(rows.iter().map(|r| r.interruptions_customer)),
        floats(rows.iter().map(|r| Some(r.longest_monologue_seconds))),
        floats(rows.iter().map(|r| Some(r.longest_customer_story_seconds))),
        floats(rows.iter().map(|r| Some(r.interactivity))),
        floats(rows.iter().map(|r| r.patience_seconds)),
        floats(rows.iter().map(|r| Some(r.filler_words_per_minute))),
        floats(rows.iter().map(|r| Some(r.non_talk_time_seconds))),
        Arc::new(names.finish()),
        tracker_column(rows),
        next_step_column(rows),
        strings(rows.iter().map(|r| r.transcript.as_deref())),
    ];
    Ok(RecordBatch::try_new(schema(), columns)?)
}

/// The rows as one Snappy-compressed Parquet file, in memory (a batch is a few MB at most).
pub fn to_parquet(rows: &[ExportRow]) -> Result<Vec<u8>, ExportError> {
    let batch = record_batch(rows)?;
    let mut bytes = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut bytes, schema(), Some(writer_properties()))?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(bytes)
}

/// How every export file is written (and rewritten by erasure).
pub(crate) fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build()
}
