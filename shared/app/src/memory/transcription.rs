//! Transcribe in memory: the jobs started, with a switch to throttle or refuse them; and the
//! recordings stage's object operations on [`MemoryObjects`].

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use callscope_core::recordings::JobPlan;

use super::MemoryObjects;
use crate::ports::{
    JobError, JobStarted, ObjectError, ObjectStore, RecordingObjects, StoredObject,
    TranscriptionJobs,
};

#[derive(Debug, Default)]
pub struct MemoryTranscribe {
    started: Mutex<Vec<JobPlan>>,
    /// The next starts fail with this, until cleared.
    failing: Mutex<Option<JobError>>,
}

impl MemoryTranscribe {
    pub fn started(&self) -> Vec<JobPlan> {
        self.started
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn fail_with(&self, error: Option<JobError>) {
        *self.failing.lock().unwrap_or_else(|e| e.into_inner()) = error;
    }
}

#[async_trait]
impl TranscriptionJobs for MemoryTranscribe {
    async fn start(&self, job: &JobPlan) -> Result<JobStarted, JobError> {
        if let Some(error) = self
            .failing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return Err(error);
        }
        let mut started = self.started.lock().unwrap_or_else(|e| e.into_inner());
        if started.iter().any(|j| j.job_name == job.job_name) {
            return Ok(JobStarted::AlreadyExists);
        }
        started.push(job.clone());
        Ok(JobStarted::Started)
    }
}

#[async_trait]
impl RecordingObjects for MemoryObjects {
    async fn metadata(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<BTreeMap<String, String>, ObjectError> {
        self.get(bucket, key, None, u64::MAX)
            .await
            .map(|object| object.metadata)
    }

    async fn put_json(&self, bucket: &str, key: &str, bytes: Vec<u8>) -> Result<(), ObjectError> {
        // Reading first honours the unavailable switch for writes too.
        if let Err(ObjectError::Unavailable(why)) = self.get(bucket, key, None, u64::MAX).await {
            return Err(ObjectError::Unavailable(why));
        }
        self.put(
            bucket,
            key,
            StoredObject {
                bytes,
                ..StoredObject::default()
            },
        );
        Ok(())
    }
}
