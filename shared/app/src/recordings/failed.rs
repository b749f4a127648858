//! A failed Transcribe job (its state change, from EventBridge): the recording becomes the call
//! its output would have been — same id, same fields, read back from the job's sidecar — stored
//! FAILED with Transcribe's `FailureReason` and no transcript, so the API, the listing and the
//! dashboard show it like any FAILED call. It is never pending and no `CallAnalysed` event is
//! sent for it, so no rollup counts it.
//!
//! One conditional write ([`CallRepository::put_failed`]): the same failure delivered again
//! finds its call and is done; a call already stored under the id with other content is left as
//! it is, and the event parked saying so. What cannot become a call (the job or its sidecar
//! unreadable, a required field missing) is parked as before: Transcribe's reason, the call that
//! will not arrive, and why it was not stored. The call's raw object is the recording (and its
//! sidecar): erasing the call deletes them.

use callscope_core::domain::CorrelationId;
use callscope_core::objects::{self, SourceObject, MAX_SIDECAR_BYTES};
use callscope_core::recordings::{self, JobStateChange};

use super::StartTranscriptions;
use crate::consumer::{Disposition, Refusal};
use crate::ports::{CallStatus, JobError, ObjectError, PutOutcome, ReceivedCall, StoreError};

/// Where a failed job's recording is: its drop-in object and tenant.
struct Recording<'a> {
    bucket: &'a str,
    key: &'a str,
    tenant: callscope_core::domain::TenantId,
}

impl StartTranscriptions {
    /// A job's state change: nothing to do unless it failed; a failed job's recording becomes
    /// its FAILED call, or is parked naming the call and Transcribe's reason.
    pub(super) async fn job_state(
        &self,
        change: &JobStateChange,
        correlation_id: &CorrelationId,
    ) -> Disposition {
        if !change.failed() {
            tracing::info!(job = %change.job_name, status = %change.status, "job state acknowledged");
            return Disposition::Done;
        }
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
        let recording = Recording {
            bucket,
            key,
            tenant,
        };
        let why_not = match self
            .store_failed(change, &recording, &reason, correlation_id)
            .await
        {
            Ok(disposition) => return disposition,
            Err(why_not) => why_not,
        };
        let Recording {
            bucket,
            key,
            tenant,
        } = recording;
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
        tracing::warn!(job = %change.job_name, %tenant, call_id, why_not, "transcription job failed; no call stored");
        park(
            uri,
            format!(
                "Transcribe job {} failed: {reason}; call {call_id} of tenant {tenant} will not arrive (write the recording again, fixed, under a new key); it was not stored as a FAILED call: {why_not}",
                change.job_name
            ),
        )
    }

    /// The recording stored as its FAILED call: `Ok` with what to do with the message (done,
    /// retried, or parked when another call holds the id), `Err` with why it cannot be stored.
    async fn store_failed(
        &self,
        change: &JobStateChange,
        recording: &Recording<'_>,
        reason: &str,
        correlation_id: &CorrelationId,
    ) -> Result<Disposition, String> {
        let Recording {
            bucket,
            key,
            tenant,
        } = recording;
        let output_key = format!("{tenant}/transcribe/{}.json", change.job_name);
        let sidecar_key = objects::sidecar_key(&output_key);
        let sidecar = match self
            .objects
            .get(bucket, &sidecar_key, None, MAX_SIDECAR_BYTES)
            .await
        {
            Ok(sidecar) => sidecar,
            Err(ObjectError::Unavailable(why)) => {
                tracing::warn!(reason = %why, "reading the job's sidecar failed; retrying");
                return Ok(Disposition::Retry);
            }
            Err(error) => return Err(format!("its sidecar {sidecar_key}: {error}")),
        };
        let call = recordings::failed_call(bucket, &output_key, &sidecar.bytes)
            .map_err(|error| format!("its sidecar {sidecar_key}: {error}"))?;
        let call_id = call.call_id.clone();
        let now = self.clock.now();
        let received = ReceivedCall {
            tenant: tenant.clone(),
            content_hash: call.fingerprint(),
            // No transcript: nothing to redact.
            redactions: Default::default(),
            call,
            correlation_id: correlation_id.clone(),
            received_at: now,
            source: Some(SourceObject {
                bucket: (*bucket).to_owned(),
                key: (*key).to_owned(),
                version_id: None,
                sidecar_key: Some(sidecar_key),
                // The object is the recording itself.
                recording_key: None,
            }),
        };
        let stored_reason = format!(
            "transcription failed (Amazon Transcribe job {}): {reason}",
            change.job_name
        );
        match self.calls.put_failed(&received, &stored_reason, now).await {
            Ok(PutOutcome::Created) => {
                tracing::warn!(job = %change.job_name, %tenant, %call_id, "transcription job failed; call stored FAILED");
                Ok(Disposition::Done)
            }
            Ok(PutOutcome::AlreadyExists {
                same_content: true,
                status: CallStatus::Failed,
                ..
            }) => {
                tracing::info!(job = %change.job_name, %tenant, %call_id, "failed call already stored");
                Ok(Disposition::Done)
            }
            Ok(PutOutcome::AlreadyExists { status, .. }) => Ok(park(
                format!("s3://{bucket}/{key}"),
                format!(
                    "Transcribe job {} failed: {reason}; call {call_id} of tenant {tenant} already exists ({}) with other content and is left as it is",
                    change.job_name,
                    status.as_str()
                ),
            )),
            Err(StoreError::Unavailable { operation, detail }) => {
                tracing::warn!(operation, detail, "storing the failed call failed; retrying");
                Ok(Disposition::Retry)
            }
            Err(error) => Err(error.to_string()),
        }
    }
}

fn park(uri: String, reason: String) -> Disposition {
    Disposition::Park(Refusal::Object { uri, reason })
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
