//! Compaction in the Parquet export: once a partition (a tenant's day) holds more than a
//! threshold of small files, they are folded into one (`callscope_export::fold`: each call once,
//! its latest analysis) and the small files deleted, so Athena reads a few files a day instead
//! of one per outbound batch, and the rows a retried batch wrote twice are one again.
//!
//! Alongside erasure, which rewrites files conditional on their ETag. The commit:
//! 1. list the partition, read the inputs with their versions, fold;
//! 2. write the folded file under a new key;
//! 3. check that every input is still the version read (`HeadObject`); if one is not — an
//!    erasure rewrote it after the read, so the folded file may hold a row it took out — delete
//!    the folded file and try again (nothing was deleted yet, so nothing is lost);
//! 4. delete each input conditional on the version read; one that changed in between is kept
//!    (its rows are in the folded file too: the next compaction folds the duplicates).
//!
//! An erasure's rewrite after step 2 is followed by its own next pass, which lists the folded
//! file; one before step 3 is seen by step 3; an input that vanished under an erasure's pass
//! makes that erasure list again (erasure.rs). A crash after step 2 leaves the folded file beside
//! its inputs: readers see those rows twice until the next compaction folds them (by call id).
//! If an erasure finished between steps 1 and 2, that folded file also holds the erased call's
//! row, and nothing of this compaction is left to withdraw it: step 1 therefore also lists the
//! day's erasure marks (which an erasure writes before its first rewrite) and the fold drops
//! every row a mark covers, so the next compaction of the day takes the row out.

use std::sync::Arc;

use callscope_core::domain::{Day, TenantId};
use callscope_export::{erasure_prefix, fold_without, object_key, partition_prefix, ErasureMark};
use sha2::{Digest, Sha256};

use crate::ports::{ExportFile, ExportFiles, OutboundError, Swapped};

/// A file this large is full: left as it is, not read again by every compaction of its day.
/// (Athena reads files of 100 MB or more best; a busy tenant's day is a few tens of MB.)
pub const FULL_BYTES: u64 = 64 << 20;
/// Attempts at one partition when an erasure keeps rewriting its inputs.
const ATTEMPTS: u32 = 3;

/// What compacting one partition did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compacted {
    /// At most the threshold of small files: nothing to do.
    NotNeeded { files: usize },
    Done {
        inputs: usize,
        rows_in: usize,
        rows_out: usize,
        /// Rows left out because an erasure mark covers them.
        erased: usize,
        /// The folded file (none: the inputs held no row).
        file: Option<String>,
        /// Inputs that changed between the check and their delete: kept, folded next time.
        kept: Vec<String>,
    },
    /// Erasures rewrote an input under every attempt: the folded files were withdrawn.
    Withdrawn { changed: String },
}

#[derive(Debug, Clone)]
pub struct ExportCompaction {
    files: Arc<dyn ExportFiles>,
    /// Small files a partition may hold before it is compacted.
    threshold: usize,
}

impl ExportCompaction {
    pub fn new(files: Arc<dyn ExportFiles>, threshold: usize) -> Self {
        Self { files, threshold }
    }

    /// Compacts the partition if it holds more small files than the threshold (`force`: if it
    /// holds two or more). `run` names this compaction (a batch's name, a time): the folded
    /// file's key is derived from it and the inputs' versions, so it is no existing file's.
    pub async fn compact(
        &self,
        tenant: &TenantId,
        day: Day,
        run: &str,
        force: bool,
    ) -> Result<Compacted, OutboundError> {
        let mut changed = String::new();
        for _ in 0..ATTEMPTS {
            match self.attempt(tenant, day, run, force).await? {
                Compacted::Withdrawn { changed: key } => changed = key,
                done => return Ok(done),
            }
        }
        tracing::warn!(%tenant, %day, changed, "compaction withdrawn: erasures kept rewriting its inputs");
        Ok(Compacted::Withdrawn { changed })
    }

    async fn attempt(
        &self,
        tenant: &TenantId,
        day: Day,
        run: &str,
        force: bool,
    ) -> Result<Compacted, OutboundError> {
        let prefix = format!("{}/", partition_prefix(tenant, day));
        let small: Vec<String> = self
            .files
            .list(&prefix)
            .await?
            .into_iter()
            .filter(|f| f.key.ends_with(".parquet") && f.size < FULL_BYTES)
            .map(|f| f.key)
            .collect();
        let enough = if force { 2 } else { self.threshold + 1 };
        if small.len() < enough {
            return Ok(Compacted::NotNeeded { files: small.len() });
        }
        let mut inputs: Vec<ExportFile> = Vec::new();
        for key in small {
            // Gone since the listing (an erasure emptied it, another compaction took it).
            if let Some(file) = self.files.read(&key).await? {
                inputs.push(file);
            }
        }
        if inputs.len() < 2 {
            return Ok(Compacted::NotNeeded {
                files: inputs.len(),
            });
        }
        let marks = self.marks(tenant, day).await?;
        let erased = |call_id: &str, at| marks.iter().any(|m| m.covers(call_id, at));
        let folded = fold_without(inputs.iter().map(|f| f.bytes.clone()).collect(), erased)
            .map_err(|e| OutboundError {
                operation: format!("folding {prefix}"),
                detail: e.to_string(),
            })?;
        let key = folded_key(tenant, day, run, &inputs);
        if inputs.iter().any(|f| f.key == key) {
            return Err(OutboundError {
                operation: format!("compacting {prefix}"),
                detail: format!("the folded file's key {key} is an input's"),
            });
        }
        if let Some(bytes) = folded.bytes {
            self.files.put(&key, bytes).await?;
        }
        for input in &inputs {
            if self.files.version(&input.key).await?.as_deref() != Some(input.etag.as_str()) {
                self.withdraw(&key).await?;
                return Ok(Compacted::Withdrawn {
                    changed: input.key.clone(),
                });
            }
        }
        let mut kept = Vec::new();
        for input in &inputs {
            if self.files.swap(&input.key, &input.etag, None).await? == Swapped::Changed {
                kept.push(input.key.clone());
            }
        }
        let file = (folded.rows_out > 0).then_some(key);
        tracing::info!(%tenant, %day, inputs = inputs.len(), rows_in = folded.rows_in,
            rows_out = folded.rows_out, erased = folded.erased, ?file, kept = kept.len(),
            "export partition compacted");
        Ok(Compacted::Done {
            inputs: inputs.len(),
            rows_in: folded.rows_in,
            rows_out: folded.rows_out,
            erased: folded.erased,
            file,
            kept,
        })
    }

    /// The day's erasure marks (one listing; a key that is no mark is skipped and logged).
    async fn marks(&self, tenant: &TenantId, day: Day) -> Result<Vec<ErasureMark>, OutboundError> {
        let listed = self
            .files
            .list(&format!("{}/", erasure_prefix(tenant, day)))
            .await?;
        Ok(listed
            .into_iter()
            .filter_map(|f| {
                let mark = ErasureMark::parse(&f.key);
                if mark.is_none() {
                    tracing::error!(
                        key = f.key,
                        "not an erasure mark under erasures/; compaction ignores it"
                    );
                }
                mark
            })
            .collect())
    }

    /// Deletes the folded file again: every row of it is still in the inputs. (An erasure may
    /// have rewritten it meanwhile, hence the read of its version each time.)
    async fn withdraw(&self, key: &str) -> Result<(), OutboundError> {
        for _ in 0..ATTEMPTS {
            let Some(etag) = self.files.version(key).await? else {
                return Ok(());
            };
            if self.files.swap(key, &etag, None).await? == Swapped::Done {
                return Ok(());
            }
        }
        Err(OutboundError {
            operation: format!("withdrawing {key}"),
            detail: "it kept changing".into(),
        })
    }
}

/// `compacted-{hash}`: of the run's name and the inputs' keys and versions.
fn folded_key(tenant: &TenantId, day: Day, run: &str, inputs: &[ExportFile]) -> String {
    let mut hash = Sha256::new();
    hash.update(run.as_bytes());
    for input in inputs {
        hash.update([0]);
        hash.update(input.key.as_bytes());
        hash.update([0]);
        hash.update(input.etag.as_bytes());
    }
    let digest = hex::encode(hash.finalize());
    object_key(tenant, day, &format!("compacted-{}", &digest[..20]))
}

#[cfg(test)]
mod tests;
