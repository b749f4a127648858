//! Erasure in the export: one exported file read back and written again without the rows of
//! erased calls, so an erased call leaves the Parquet files as it leaves the tables.

use arrow_array::{
    Array, BooleanArray, RecordBatch, RecordBatchReader, StringArray, TimestampMicrosecondArray,
};
use arrow_select::filter::filter_record_batch;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;

use crate::columns::writer_properties;
use crate::ExportError;

/// A file with some rows taken out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rewrite {
    /// No row matched: the file stays as it is.
    Unchanged { rows: usize },
    /// Every row matched: the file goes.
    Empty { removed: usize },
    /// The file's other rows, as a new file with the same schema.
    Rewritten {
        removed: usize,
        kept: usize,
        bytes: Vec<u8>,
    },
}

/// The file without the rows `erase(call_id, analysed_at)` picks.
pub fn without_rows(
    file: Vec<u8>,
    erase: impl Fn(&str, DateTime<Utc>) -> bool,
) -> Result<Rewrite, ExportError> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(file))?.build()?;
    let schema = reader.schema();
    let mut kept_batches: Vec<RecordBatch> = Vec::new();
    let (mut removed, mut kept) = (0, 0);
    for batch in reader {
        let batch = batch?;
        let mask = keep_mask(&batch, &erase)?;
        let keep_here = mask.true_count();
        removed += batch.num_rows() - keep_here;
        kept += keep_here;
        kept_batches.push(filter_record_batch(&batch, &mask)?);
    }
    if removed == 0 {
        return Ok(Rewrite::Unchanged { rows: kept });
    }
    if kept == 0 {
        return Ok(Rewrite::Empty { removed });
    }
    let mut bytes = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut bytes, schema, Some(writer_properties()))?;
    for batch in kept_batches.iter().filter(|b| b.num_rows() > 0) {
        writer.write(batch)?;
    }
    writer.close()?;
    Ok(Rewrite::Rewritten {
        removed,
        kept,
        bytes,
    })
}

/// True for the rows to keep.
fn keep_mask(
    batch: &RecordBatch,
    erase: &impl Fn(&str, DateTime<Utc>) -> bool,
) -> Result<BooleanArray, ExportError> {
    let (call_ids, analysed) = identity_columns(batch)?;
    Ok((0..batch.num_rows())
        .map(|i| {
            let at = DateTime::from_timestamp_micros(analysed.value(i)).unwrap_or_default();
            Some(call_ids.is_null(i) || !erase(call_ids.value(i), at))
        })
        .collect())
}

/// The columns that say which analysis of which call a row is: what erasure and compaction
/// go by.
pub(crate) fn identity_columns(
    batch: &RecordBatch,
) -> Result<(&StringArray, &TimestampMicrosecondArray), ExportError> {
    let column = |name: &'static str| {
        batch
            .column_by_name(name)
            .ok_or(ExportError::Unreadable(name))
    };
    let call_ids = column("call_id")?
        .as_any()
        .downcast_ref::<StringArray>()
        .ok_or(ExportError::Unreadable("call_id"))?;
    let analysed = column("analysed_at")?
        .as_any()
        .downcast_ref::<TimestampMicrosecondArray>()
        .ok_or(ExportError::Unreadable("analysed_at"))?;
    Ok((call_ids, analysed))
}
