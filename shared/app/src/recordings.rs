//! The recordings queue (issue 21, item 3): S3 tells it of each audio object written under
//! `{tenant}/audio/`; each becomes an Amazon Transcribe job ([`recordings::plan`]) whose output
//! lands in the drop-in bucket, where the drop-in path turns it into a call.
//!
//! Per object: its metadata is read (the call's fields travel in the job's sidecar, written
//! before the job starts, so the output never arrives without them), then the job is started.
//! A redelivered event finds its job already there (the name is stable per object): done.
//! Throttling and an unavailable service are retried through the batch's item failures (the
//! event source mapping's maximum concurrency keeps starts under the account's concurrent-job
//! quota; SQS redelivers after the visibility timeout); a refused job, or an object that is not
//! a recording, is parked with its reason.
//!
//! The same queue carries Transcribe's job state changes for callscope's jobs that failed (an
//! EventBridge rule), told apart by their shape; [`failed`] makes each failed job's recording
//! the FAILED call its output would have been, with Transcribe's reason.

use std::sync::Arc;

use async_trait::async_trait;
use callscope_core::domain::CorrelationId;
use callscope_core::objects::{ObjectCreated, ObjectEvent};
use callscope_core::recordings::{self, JobStateChange, RecordingSettings};

use crate::consumer::{Consume, Disposition, Refusal};
use crate::dropin::DropMessage;
use crate::intake::correlation_id_of;
use crate::ports::{
    CallRepository, Clock, JobError, JobStarted, ObjectError, Received, RecordingObjects,
    TranscriptionJobs,
};

mod failed;

/// A recordings queue message, read: an object's event from S3, or a job's state from
/// EventBridge.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordingMessage {
    Object(DropMessage),
    JobState {
        change: JobStateChange,
        correlation_id: CorrelationId,
    },
}
use crate::Deadline;

#[derive(Debug, Clone)]
pub struct StartTranscriptions {
    jobs: Arc<dyn TranscriptionJobs>,
    objects: Arc<dyn RecordingObjects>,
    /// Where a failed job's call is stored FAILED.
    calls: Arc<dyn CallRepository>,
    clock: Arc<dyn Clock>,
    settings: RecordingSettings,
}

impl StartTranscriptions {
    pub fn new(
        jobs: Arc<dyn TranscriptionJobs>,
        objects: Arc<dyn RecordingObjects>,
        calls: Arc<dyn CallRepository>,
        clock: Arc<dyn Clock>,
        settings: RecordingSettings,
    ) -> Self {
        Self {
            jobs,
            objects,
            calls,
            clock,
            settings,
        }
    }

    /// One recording: its job started (or found started), or why not.
    async fn take(&self, object: &ObjectCreated) -> Disposition {
        let park = |reason: String| {
            Disposition::Park(Refusal::Object {
                uri: object.uri(),
                reason,
            })
        };
        let metadata = match self.objects.metadata(&object.bucket, &object.key).await {
            Ok(metadata) => metadata,
            Err(ObjectError::Unavailable(why)) => {
                tracing::warn!(reason = %why, "reading the recording's metadata failed; retrying");
                return Disposition::Retry;
            }
            Err(error) => return park(error.to_string()),
        };
        let stamp = object
            .version_id
            .as_deref()
            .or(object.etag.as_deref())
            .unwrap_or_default();
        let job = match recordings::plan(
            &object.bucket,
            &object.key,
            stamp,
            &metadata,
            &self.settings,
        ) {
            Ok(Some(job)) => job,
            Ok(None) => return park(
                "is not a recording: audio (.wav .mp3 .mp4 .m4a .flac .ogg) under TENANT/audio/"
                    .into(),
            ),
            Err(error) => return park(error.to_string()),
        };
        let sidecar = job.sidecar.to_string().into_bytes();
        match self
            .objects
            .put_json(&job.output_bucket, &job.sidecar_key, sidecar)
            .await
        {
            Ok(()) => {}
            Err(ObjectError::Unavailable(why)) => {
                tracing::warn!(reason = %why, "writing the job's sidecar failed; retrying");
                return Disposition::Retry;
            }
            Err(error) => return park(format!("its sidecar {}: {error}", job.sidecar_key)),
        }
        match self.jobs.start(&job).await {
            Ok(JobStarted::Started) => {
                tracing::info!(job = %job.job_name, "transcription job started");
                Disposition::Done
            }
            Ok(JobStarted::AlreadyExists) => {
                tracing::info!(job = %job.job_name, "transcription job already started");
                Disposition::Done
            }
            Err(error @ (JobError::Throttled(_) | JobError::Unavailable(_))) => {
                tracing::warn!(reason = %error, "starting the job failed for now; retrying");
                Disposition::Retry
            }
            Err(error @ JobError::Rejected(_)) => park(error.to_string()),
        }
    }
}

#[async_trait]
impl Consume for StartTranscriptions {
    type Message = RecordingMessage;

    const QUEUE: &'static str = "recordings";

    fn read(&self, message: &Received) -> Result<RecordingMessage, Refusal> {
        let body = message
            .body
            .as_deref()
            .ok_or(crate::consumer::UnreadableMessage::NoBody)?;
        // EventBridge's events carry a detail-type; S3's notifications never do.
        if let Ok(event) = serde_json::from_str::<serde_json::Value>(body) {
            if event.get("detail-type").is_some() {
                return Ok(RecordingMessage::JobState {
                    change: JobStateChange::parse(&event)?,
                    correlation_id: correlation_id_of(message),
                });
            }
        }
        Ok(RecordingMessage::Object(DropMessage {
            event: ObjectEvent::parse(body)?,
            correlation_id: correlation_id_of(message),
        }))
    }

    async fn handle(&self, batch: &[RecordingMessage], deadline: Deadline) -> Vec<Disposition> {
        let mut dispositions = Vec::with_capacity(batch.len());
        for message in batch {
            if !deadline.allows_more_work() {
                dispositions.push(Disposition::Retry);
                continue;
            }
            let message = match message {
                RecordingMessage::Object(message) => message,
                RecordingMessage::JobState {
                    change,
                    correlation_id,
                } => {
                    dispositions.push(self.job_state(change, correlation_id).await);
                    continue;
                }
            };
            let ObjectEvent::Created(records) = &message.event else {
                dispositions.push(Disposition::Done);
                continue;
            };
            let mut outcome = Disposition::Done;
            for object in records {
                let disposition = self.take(object).await;
                outcome = match (outcome, disposition) {
                    (Disposition::Retry, _) | (_, Disposition::Retry) => Disposition::Retry,
                    (Disposition::Park(first), _) => Disposition::Park(first),
                    (Disposition::Done, other) => other,
                };
            }
            dispositions.push(outcome);
        }
        dispositions
    }
}

#[cfg(test)]
mod tests;
