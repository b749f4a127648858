//! Transcribe in memory: the jobs started, with a switch to throttle or refuse them; and the
//! recordings stage's object operations on [`MemoryObjects`].

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use callscope_core::recordings::JobPlan;

use super::MemoryObjects;
use crate::ports::{
    JobError, JobRecord, JobStarted, ObjectError, ObjectStore, RecordingObjects, StoredObject,
    TranscriptionJobs,
};

#[derive(Debug, Default)]
pub struct MemoryTranscribe {
    started: Mutex<Vec<JobPlan>>,
    /// The next starts fail with this, until cleared.
    failing: Mutex<Option<JobError>>,
    /// Jobs that failed, with Transcribe's reason.
    failures: Mutex<BTreeMap<String, String>>,
}

impl MemoryTranscribe {
    pub fn started(&self) -> Vec<JobPlan> {
        self.started
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Transcribe fails the started job of this name with `reason`.
    pub fn fail_job(&self, name: &str, reason: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_owned(), reason.to_owned());
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

    async fn job(&self, name: &str, _call_analytics: bool) -> Result<JobRecord, JobError> {
        if let Some(error) = self
            .failing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return Err(error);
        }
        let started = self.started.lock().unwrap_or_else(|e| e.into_inner());
        let job = started
            .iter()
            .find(|j| j.job_name == name)
            .ok_or_else(|| JobError::Rejected(format!("no job named {name}")))?;
        Ok(JobRecord {
            media_uri: Some(job.media_uri.clone()),
            failure_reason: self
                .failures
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(name)
                .cloned(),
        })
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
