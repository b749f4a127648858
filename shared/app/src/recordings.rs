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
//! EventBridge rule), told apart by their shape. A failed job's call never arrives: its event is
//! parked with Transcribe's `FailureReason` and the id the call would have had (the id the
//! drop-in path gives the job's output), so the DLQ's alarm and `callscope dlq peek` show which
//! call is missing and why. No call item is created for it: a call without a transcript has no
//! place in the listings and rollups yet.

use std::sync::Arc;

use async_trait::async_trait;
use callscope_core::objects::{self, ObjectCreated, ObjectEvent};
use callscope_core::recordings::{self, JobStateChange, RecordingSettings};

use crate::consumer::{Consume, Disposition, Refusal};
use crate::dropin::DropMessage;
use crate::intake::correlation_id_of;
use crate::ports::{
    JobError, JobStarted, ObjectError, Received, RecordingObjects, TranscriptionJobs,
};

/// A recordings queue message, read: an object's event from S3, or a job's state from
/// EventBridge.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordingMessage {
    Object(DropMessage),
    JobState(JobStateChange),
}
use crate::Deadline;

#[derive(Debug, Clone)]
pub struct StartTranscriptions {
    jobs: Arc<dyn TranscriptionJobs>,
    objects: Arc<dyn RecordingObjects>,
    settings: RecordingSettings,
}

impl StartTranscriptions {
    pub fn new(
        jobs: Arc<dyn TranscriptionJobs>,
        objects: Arc<dyn RecordingObjects>,
        settings: RecordingSettings,
    ) -> Self {
        Self {
            jobs,
            objects,
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

impl StartTranscriptions {
    /// A job's state change: nothing to do unless it failed; a failed job's call is named, with
    /// Transcribe's reason, in the parked event.
    async fn job_state(&self, change: &JobStateChange) -> Disposition {
        if !change.failed() {
            tracing::info!(job = %change.job_name, status = %change.status, "job state acknowledged");
            return Disposition::Done;
        }
        let park = |uri: String, reason: String| Disposition::Park(Refusal::Object { uri, reason });
        let job = match self.jobs.job(&change.job_name, change.call_analytics).await {
            Ok(job) => job,
            Err(error @ (JobError::Throttled(_) | JobError::Unavailable(_))) => {
                tracing::warn!(reason = %error, "reading the failed job failed; retrying");
                return Disposition::Retry;
            }
            Err(error) => {
                return park(
                    format!("transcribe:{}", change.job_name),
                    format!("the job failed ({}), and {error}", reason_of(change, None)),
                )
            }
        };
        let reason = reason_of(change, job.failure_reason.as_deref());
        let Some((bucket, key)) = job
            .media_uri
            .as_deref()
            .and_then(|uri| uri.strip_prefix("s3://"))
            .and_then(|rest| rest.split_once('/'))
        else {
            return park(
                format!("transcribe:{}", change.job_name),
                format!("Transcribe job {} failed: {reason}", change.job_name),
            );
        };
        let uri = format!("s3://{bucket}/{key}");
        let tenant = match objects::tenant_of(key) {
            Ok(tenant) => tenant,
            Err(error) => return park(uri, format!("Transcribe job failed: {reason}; {error}")),
        };
        // The id the drop-in path would have given the job's output: the recording's own
        // call_id when its metadata names one, else the output object's.
        let output_key = format!("{tenant}/transcribe/{}.json", change.job_name);
        let named = match self.objects.metadata(bucket, key).await {
            Ok(metadata) => objects::from_object_metadata(&metadata)
                .get("call_id")
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            Err(ObjectError::Unavailable(why)) => {
                tracing::warn!(reason = %why, "reading the recording's metadata failed; retrying");
                return Disposition::Retry;
            }
            Err(_) => None,
        };
        let call_id = named.unwrap_or_else(|| objects::call_id_of(bucket, &output_key).to_string());
        tracing::warn!(job = %change.job_name, %tenant, call_id, "transcription job failed");
        park(
            uri,
            format!(
                "Transcribe job {} failed: {reason}; call {call_id} of tenant {tenant} will not arrive (write the recording again, fixed, under a new key)",
                change.job_name
            ),
        )
    }
}

/// Transcribe's reason: the event's, else the job's.
fn reason_of(change: &JobStateChange, job: Option<&str>) -> String {
    change
        .failure_reason
        .as_deref()
        .or(job)
        .unwrap_or("Transcribe gave no reason")
        .to_owned()
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
                return Ok(RecordingMessage::JobState(JobStateChange::parse(&event)?));
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
                RecordingMessage::JobState(change) => {
                    dispositions.push(self.job_state(change).await);
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
