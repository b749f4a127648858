//! Erasure in the Parquet export (the outbound function): when a PROCESSED call's item leaves
//! the calls table (its REMOVE on the stream, whose old image names the tenant, the start day
//! and the last analysis time), its rows leave the export. Only the files of that tenant's day
//! can hold them (`partition_prefix`); each is read, and written back without the call's rows,
//! or deleted when nothing else is left.
//!
//! Idempotent, so at-least-once is enough: a second pass finds no row to remove. Each rewrite
//! is conditional on the file being the version read (S3's If-Match), so two erasures rewriting
//! one file at once (records of different calls are on different shards) cannot undo each
//! other: the loser reads the file again. Rows analysed after the erased incarnation's last
//! analysis belong to a call sent again under the same id, and stay.
//!
//! Alongside compaction (which writes a partition's rows into a new file, then deletes the old
//! ones): a pass that took a row out, or found a listed file gone, lists the partition again and
//! reads the files it had not seen, until a pass finds neither. A compacted file written from a
//! read made before this erasure's rewrite is then either listed by the next pass, or withdrawn
//! by the compaction itself, which checks its inputs' versions before deleting them
//! (`compaction.rs` and docs/export.md walk through the interleavings). One such file can still
//! outlive both: when the compaction dies between its write and that check. So an erasure first
//! leaves a durable mark of the call (`callscope_export::ErasureMark`), before any rewrite, and
//! every compaction drops the rows a mark of its day covers: the next one folds that file
//! without the call. A re-analysis's removal of the earlier rows leaves no mark: in any fold the
//! later row wins anyway.

use std::collections::BTreeMap;
use std::sync::Arc;

use callscope_core::domain::{CallId, Day, TenantId, Timestamp};
use callscope_export::{partition_prefix, without_rows, ErasureMark, Rewrite};

use crate::ports::{ExportFiles, OutboundError, Swapped};

/// Reads of one file before a rewrite gives up for this batch (then the record is retried).
const ATTEMPTS: u32 = 5;
/// Listings of one partition before an erasure gives up for this batch (each after a pass that
/// took a row out or found a file gone: a compaction may have moved rows into a new file).
const PASSES: u32 = 5;

/// What one file's rewrite found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    /// No row of the erased calls (or not the export's Parquet).
    Nothing,
    /// Rows taken out.
    Removed,
    /// Gone when read: its rows may be in a compacted file this pass did not list.
    Gone,
}

/// Why a call's rows leave the export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// The call was erased: its rows must never come back, so a mark is left first.
    Erased,
    /// A re-analysis replaced the analysis: any fold keeps the later row over these, so they
    /// need no mark.
    Superseded,
}

/// A PROCESSED call the stream shows erased (or an analysis of it replaced).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasedCall {
    pub tenant: TenantId,
    pub call_id: CallId,
    /// The UTC day it started: its partition.
    pub day: Day,
    /// Its last analysis (the old image's `processed_at`): rows analysed up to then are its.
    pub analysed_until: Timestamp,
    pub removal: Removal,
}

impl ErasedCall {
    /// The mark an erasure leaves (none for a superseded analysis).
    fn mark(&self) -> Option<ErasureMark> {
        (self.removal == Removal::Erased).then(|| ErasureMark {
            call_id: self.call_id.as_str().to_owned(),
            analysed_until: self.analysed_until.time(),
        })
    }
}

/// What an erasure batch did: `retry_from` is the first erased call (by index) to retry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErasureReport {
    pub rows_removed: usize,
    pub files_rewritten: usize,
    pub files_deleted: usize,
    /// Erasure marks written (one per erased call, again on a retry).
    pub marks: usize,
    /// Files in a partition that are not the export's Parquet (left, and logged at ERROR).
    pub unreadable: Vec<String>,
    pub retry_from: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct ExportErasure {
    files: Arc<dyn ExportFiles>,
}

impl ExportErasure {
    pub fn new(files: Arc<dyn ExportFiles>) -> Self {
        Self { files }
    }

    /// Takes the calls' rows out of the export, partition by partition.
    pub async fn erase(&self, batch: &[ErasedCall]) -> ErasureReport {
        let mut report = ErasureReport::default();
        let mut partitions: BTreeMap<(&TenantId, Day), Vec<(usize, &ErasedCall)>> = BTreeMap::new();
        for (index, call) in batch.iter().enumerate() {
            partitions
                .entry((&call.tenant, call.day))
                .or_default()
                .push((index, call));
        }
        for ((tenant, day), calls) in partitions {
            let prefix = format!("{}/", partition_prefix(tenant, day));
            let erased: Vec<&ErasedCall> = calls.iter().map(|(_, c)| *c).collect();
            let done = match self.mark(tenant, day, &erased, &mut report).await {
                Ok(()) => self.erase_in(&prefix, &erased, &mut report).await,
                Err(error) => Err(error),
            };
            if let Err(error) = done {
                tracing::warn!(%error, %prefix, "erased calls' rows not yet out of the export; will retry");
                let first = calls.iter().map(|(i, _)| *i).min().unwrap_or(0);
                report.retry_from = Some(report.retry_from.map_or(first, |r| r.min(first)));
            }
        }
        if report.rows_removed > 0 {
            tracing::info!(
                rows = report.rows_removed,
                rewritten = report.files_rewritten,
                deleted = report.files_deleted,
                "erased calls' rows taken out of the export"
            );
        }
        report
    }

    /// The marks of the erased calls, before any of their rows is taken out: a compaction that
    /// read them before the rewrite and dies after writing its file leaves them to the next
    /// compaction, which must know they are erased. Retried with the record if one fails.
    async fn mark(
        &self,
        tenant: &TenantId,
        day: Day,
        calls: &[&ErasedCall],
        report: &mut ErasureReport,
    ) -> Result<(), OutboundError> {
        for mark in calls.iter().filter_map(|c| c.mark()) {
            self.files.mark(&mark.key(tenant, day)).await?;
            report.marks += 1;
        }
        Ok(())
    }

    async fn erase_in(
        &self,
        prefix: &str,
        calls: &[&ErasedCall],
        report: &mut ErasureReport,
    ) -> Result<(), OutboundError> {
        let mut seen: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        for _ in 0..PASSES {
            let listed = self.files.list(prefix).await?;
            let mut settled = true;
            for key in listed
                .iter()
                .map(|f| &f.key)
                .filter(|k| k.ends_with(".parquet"))
            {
                // Files seen in an earlier pass were rewritten or held no row then; only other
                // erasures (which take rows out) rewrite them since.
                if !seen.insert(key.clone()) {
                    continue;
                }
                settled &= self.rewrite(key, calls, report).await? == Found::Nothing;
            }
            if settled {
                return Ok(());
            }
        }
        Err(OutboundError {
            operation: format!("erasing under {prefix}"),
            detail: format!("files still changing after {PASSES} passes"),
        })
    }

    /// One file without the calls' rows; read again when it changed under the rewrite.
    async fn rewrite(
        &self,
        key: &str,
        calls: &[&ErasedCall],
        report: &mut ErasureReport,
    ) -> Result<Found, OutboundError> {
        let erased = |call_id: &str, at: chrono::DateTime<chrono::Utc>| {
            calls
                .iter()
                .any(|c| c.call_id.as_str() == call_id && at <= c.analysed_until.time())
        };
        for _ in 0..ATTEMPTS {
            let Some(file) = self.files.read(key).await? else {
                return Ok(Found::Gone);
            };
            let (bytes, removed) = match without_rows(file.bytes, erased) {
                Ok(Rewrite::Unchanged { .. }) => return Ok(Found::Nothing),
                Ok(Rewrite::Empty { removed }) => (None, removed),
                Ok(Rewrite::Rewritten { removed, bytes, .. }) => (Some(bytes), removed),
                // Retrying cannot make it readable; an operator has to look at it.
                Err(error) => {
                    tracing::error!(%error, key, "a file in the export is not its Parquet; erasure left it");
                    report.unreadable.push(key.to_owned());
                    return Ok(Found::Nothing);
                }
            };
            let deleting = bytes.is_none();
            match self.files.swap(key, &file.etag, bytes).await? {
                Swapped::Done => {
                    report.rows_removed += removed;
                    if deleting {
                        report.files_deleted += 1;
                    } else {
                        report.files_rewritten += 1;
                    }
                    return Ok(Found::Removed);
                }
                Swapped::Changed => {}
            }
        }
        Err(OutboundError {
            operation: format!("rewriting {key}"),
            detail: format!("it changed under the rewrite {ATTEMPTS} times in a row"),
        })
    }
}

#[cfg(test)]
mod tests;
