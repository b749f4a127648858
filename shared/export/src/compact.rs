//! Compaction in the export: the files of one partition (a tenant's day) folded into one, each
//! call once, as its latest analysis. Pure: the files in, the new file out; the S3 side (which
//! files, and replacing them safely alongside erasure) is the app's `ExportCompaction`.
//!
//! Why fold by call: a batch retried after the bus refused an entry writes its rows again under
//! a new file name, and a re-analysed call's new row lands in a later file than its old one
//! (until erasure's rewrite takes the old one out). The row with the latest `analysed_at` is the
//! call's current analysis; equal times are one analysis written twice, and the first in file
//! order is kept, so folding the same files always gives the same bytes. Only rows of the input
//! files are ever written: a row absent from every input (erased) cannot come back, and rows an
//! erasure mark covers are dropped ([`fold_without`]): a folded file written from a read made
//! before an erasure cannot carry the erased row into the next fold.

use std::collections::HashMap;

use arrow_array::{Array, BooleanArray, RecordBatch, RecordBatchReader};
use arrow_schema::SchemaRef;
use arrow_select::filter::filter_record_batch;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;

use crate::columns::writer_properties;
use crate::erase::identity_columns;
use crate::ExportError;

/// One partition's files folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folded {
    pub rows_in: usize,
    pub rows_out: usize,
    /// Rows left out because they are erased (the `erased` of [`fold_without`]).
    pub erased: usize,
    /// The folded file; `None` when the inputs held no row.
    pub bytes: Option<Vec<u8>>,
}

/// The files, in the order given (ties keep the earlier file's row), as one file with one row
/// per call: its latest analysis.
pub fn fold(files: Vec<Vec<u8>>) -> Result<Folded, ExportError> {
    fold_without(files, |_, _| false)
}

/// [`fold`], leaving out every row `erased(call_id, analysed_at)` picks (the calls an erasure
/// mark covers) before choosing each call's latest row.
pub fn fold_without(
    files: Vec<Vec<u8>>,
    erased: impl Fn(&str, DateTime<Utc>) -> bool,
) -> Result<Folded, ExportError> {
    let mut schema: Option<SchemaRef> = None;
    let mut batches: Vec<RecordBatch> = Vec::new();
    for file in files {
        let reader = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(file))?.build()?;
        match &schema {
            Some(first) if *first != reader.schema() => return Err(ExportError::Mismatched),
            Some(_) => {}
            None => schema = Some(reader.schema()),
        }
        for batch in reader {
            batches.push(batch?);
        }
    }
    let rows_in = batches.iter().map(RecordBatch::num_rows).sum();
    // Per call: (analysed_at in µs, batch, row) of the row kept so far.
    let mut latest: HashMap<&str, (i64, usize, usize)> = HashMap::new();
    let mut erased_rows = 0;
    let mut identities = Vec::with_capacity(batches.len());
    for batch in &batches {
        identities.push(identity_columns(batch)?);
    }
    for (b, (call_ids, analysed)) in identities.iter().enumerate() {
        for row in 0..call_ids.len() {
            if call_ids.is_null(row) {
                continue;
            }
            let at = analysed.value(row);
            let time = DateTime::from_timestamp_micros(at).unwrap_or_default();
            if erased(call_ids.value(row), time) {
                erased_rows += 1;
                continue;
            }
            let candidate = (at, b, row);
            latest
                .entry(call_ids.value(row))
                .and_modify(|kept| {
                    if candidate.0 > kept.0 {
                        *kept = candidate;
                    }
                })
                .or_insert(candidate);
        }
    }
    let mut masks: Vec<Vec<bool>> = batches.iter().map(|b| vec![false; b.num_rows()]).collect();
    for (b, (call_ids, _)) in identities.iter().enumerate() {
        // Rows without a call id cannot be folded: they stay as they are.
        for row in (0..call_ids.len()).filter(|&r| call_ids.is_null(r)) {
            masks[b][row] = true;
        }
    }
    for &(_, b, row) in latest.values() {
        masks[b][row] = true;
    }
    let rows_out = masks.iter().flatten().filter(|keep| **keep).count();
    let Some(schema) = schema.filter(|_| rows_out > 0) else {
        return Ok(Folded {
            rows_in,
            rows_out: 0,
            erased: erased_rows,
            bytes: None,
        });
    };
    let mut bytes = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut bytes, schema, Some(writer_properties()))?;
    for (batch, mask) in batches.iter().zip(masks) {
        let kept = filter_record_batch(batch, &BooleanArray::from(mask))?;
        if kept.num_rows() > 0 {
            writer.write(&kept)?;
        }
    }
    writer.close()?;
    Ok(Folded {
        rows_in,
        rows_out,
        erased: erased_rows,
        bytes: Some(bytes),
    })
}

#[cfg(test)]
mod tests;
