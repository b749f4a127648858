//! Amazon Transcribe, as the recordings stage needs it: starting a job, reading a failed one,
//! and the object operations around it (an audio object's metadata, the job's sidecar).

use std::collections::BTreeMap;

use async_trait::async_trait;
use callscope_core::recordings::JobPlan;

use super::{ObjectError, ObjectStore};

/// What starting a job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobStarted {
    Started,
    /// A job of this name exists: the object's event was delivered again.
    AlreadyExists,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Over the account's rate or concurrent-job quota: try again later.
    #[error("Transcribe is throttling job starts: {0}")]
    Throttled(String),
    /// Transcribe refused the job (bad media, settings, permissions): it never will start.
    #[error("Transcribe refused the job: {0}")]
    Rejected(String),
    #[error("Transcribe is unavailable: {0}")]
    Unavailable(String),
}

/// What Transcribe keeps of a job: where its audio is, and why it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRecord {
    /// `s3://bucket/key` of the recording.
    pub media_uri: Option<String>,
    pub failure_reason: Option<String>,
}

#[async_trait]
pub trait TranscriptionJobs: Send + Sync + std::fmt::Debug {
    /// Starts the planned job (`StartCallAnalyticsJob` or `StartTranscriptionJob`).
    async fn start(&self, job: &JobPlan) -> Result<JobStarted, JobError>;

    /// The job as Transcribe keeps it (`GetTranscriptionJob` or `GetCallAnalyticsJob`); a job
    /// Transcribe does not know is `Rejected`.
    async fn job(&self, name: &str, call_analytics: bool) -> Result<JobRecord, JobError>;
}

/// The drop-in bucket as the recordings stage uses it: reading objects (a job's sidecar, when
/// the job failed) as the drop-in path does, and the two operations below.
#[async_trait]
pub trait RecordingObjects: ObjectStore {
    /// The object's user metadata (`x-amz-meta-*`, names lower-case without the prefix),
    /// without reading its bytes.
    async fn metadata(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<BTreeMap<String, String>, ObjectError>;

    /// Writes a small JSON object (the job's sidecar).
    async fn put_json(&self, bucket: &str, key: &str, bytes: Vec<u8>) -> Result<(), ObjectError>;
}
