//! The export bucket's files as erasure and compaction rewrite them: listed under a partition,
//! read with the version they are, and replaced or deleted only while still that version, so two
//! rewrites of one file at once (two erasures on different stream shards, or an erasure and a
//! compaction) cannot undo each other. And the erasure marks (`callscope_export::ErasureMark`):
//! written before an erasure's rewrites, listed by compaction, so a file folded from a read made
//! before the erasure cannot keep the erased rows.

use async_trait::async_trait;

use super::{ExportStore, OutboundError};

/// An exported file as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFile {
    pub key: String,
    pub bytes: Vec<u8>,
    /// The version read (S3's ETag): what a replacement is conditional on.
    pub etag: String,
}

/// A file as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub key: String,
    /// Its size: compaction leaves full files alone without reading them.
    pub size: u64,
}

/// What a conditional replacement found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Swapped {
    Done,
    /// The file changed (or went) since it was read: read it again.
    Changed,
}

#[async_trait]
/// Besides `ExportStore::put`, which compaction writes its new file with.
pub trait ExportFiles: ExportStore + Send + Sync + std::fmt::Debug {
    /// The files under `prefix`, every page of them.
    async fn list(&self, prefix: &str) -> Result<Vec<Listed>, OutboundError>;

    /// The file, or `None` when it is not there (any more).
    async fn read(&self, key: &str) -> Result<Option<ExportFile>, OutboundError>;

    /// The file's current version (S3's ETag, by `HeadObject`), or `None` when it is gone:
    /// what compaction checks its inputs against before deleting them.
    async fn version(&self, key: &str) -> Result<Option<String>, OutboundError>;

    /// Writes the empty object `key` (an erasure mark: its key is all it says), overwriting
    /// one already there.
    async fn mark(&self, key: &str) -> Result<(), OutboundError>;

    /// Replaces the file at `key` with `bytes` (`None`: deletes it), only if it is still the
    /// version `etag`. Deleting a file that is already gone is `Done`.
    async fn swap(
        &self,
        key: &str,
        etag: &str,
        bytes: Option<Vec<u8>>,
    ) -> Result<Swapped, OutboundError>;
}
