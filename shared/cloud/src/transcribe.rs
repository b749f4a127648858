//! Amazon Transcribe behind the recordings ports: a planned job started as a standard
//! (`StartTranscriptionJob`) or Call Analytics (`StartCallAnalyticsJob`) job, and Transcribe's
//! errors told apart into "already started", "try again" and "never".

use async_trait::async_trait;
use aws_sdk_transcribe::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_transcribe::types::{
    CallAnalyticsJobSettings, ChannelDefinition, ContentRedaction, LanguageCode, Media,
    MediaFormat, ParticipantRole, RedactionOutput, RedactionType, Settings, Tag,
};
use callscope_app::ports::{JobError, JobRecord, JobStarted, TranscriptionJobs};
use callscope_core::recordings::{JobKind, JobLanguage, JobPlan};

#[derive(Debug, Clone)]
pub struct TranscribeJobs {
    client: aws_sdk_transcribe::Client,
    /// The role Transcribe assumes to read the audio and write the output of a Call Analytics
    /// job (`DataAccessRoleArn`; standard jobs act with the caller's own permissions).
    data_access_role_arn: Option<String>,
}

impl TranscribeJobs {
    pub fn new(client: aws_sdk_transcribe::Client, data_access_role_arn: Option<String>) -> Self {
        Self {
            client,
            data_access_role_arn,
        }
    }

    async fn start_standard(&self, job: &JobPlan) -> Result<JobStarted, JobError> {
        let settings = match job.kind {
            JobKind::StandardSpeakers { max_speakers } => Settings::builder()
                .show_speaker_labels(true)
                .max_speaker_labels(i32::from(max_speakers)),
            _ => Settings::builder().channel_identification(true),
        };
        let mut start = self
            .client
            .start_transcription_job()
            .transcription_job_name(&job.job_name)
            .media(Media::builder().media_file_uri(&job.media_uri).build())
            .media_format(MediaFormat::from(job.media_format.as_str()))
            .output_bucket_name(&job.output_bucket)
            .output_key(&job.output_key)
            .settings(settings.build());
        start = match &job.language {
            JobLanguage::Code(code) => start.language_code(LanguageCode::from(code.as_str())),
            JobLanguage::Identify(options) => start
                .identify_language(true)
                .set_language_options(Some(language_codes(options))),
        };
        if job.redact_pii {
            start = start.content_redaction(redaction()?);
        }
        for (key, value) in &job.tags {
            let tag = Tag::builder().key(key).value(value).build();
            start = start.tags(tag.map_err(|e| JobError::Rejected(format!("tag {key}: {e}")))?);
        }
        match start.send().await {
            Ok(_) => Ok(JobStarted::Started),
            Err(error) => failed(error),
        }
    }

    async fn start_call_analytics(
        &self,
        job: &JobPlan,
        agent_channel: u8,
    ) -> Result<JobStarted, JobError> {
        let role = self.data_access_role_arn.as_deref().ok_or_else(|| {
            JobError::Rejected(
                "Call Analytics jobs need the data access role (TRANSCRIBE_DATA_ACCESS_ROLE_ARN)"
                    .into(),
            )
        })?;
        let channel = |id: u8, role: ParticipantRole| {
            ChannelDefinition::builder()
                .channel_id(i32::from(id))
                .participant_role(role)
                .build()
        };
        // Call Analytics takes no language code: one option is the language, several are
        // identified among.
        let options = match &job.language {
            JobLanguage::Code(code) => std::slice::from_ref(code),
            JobLanguage::Identify(options) => options.as_slice(),
        };
        let mut settings =
            CallAnalyticsJobSettings::builder().set_language_options(Some(language_codes(options)));
        if job.redact_pii {
            settings = settings.content_redaction(redaction()?);
        }
        let mut start = self
            .client
            .start_call_analytics_job()
            .call_analytics_job_name(&job.job_name)
            .media(Media::builder().media_file_uri(&job.media_uri).build())
            .output_location(format!("s3://{}/{}", job.output_bucket, job.output_key))
            .data_access_role_arn(role)
            .channel_definitions(channel(agent_channel, ParticipantRole::Agent))
            .channel_definitions(channel(
                u8::from(agent_channel == 0),
                ParticipantRole::Customer,
            ))
            .settings(settings.build());
        for (key, value) in &job.tags {
            let tag = Tag::builder().key(key).value(value).build();
            start = start.tags(tag.map_err(|e| JobError::Rejected(format!("tag {key}: {e}")))?);
        }
        match start.send().await {
            Ok(_) => Ok(JobStarted::Started),
            Err(error) => failed(error),
        }
    }
}

#[async_trait]
impl TranscriptionJobs for TranscribeJobs {
    async fn start(&self, job: &JobPlan) -> Result<JobStarted, JobError> {
        match job.kind {
            JobKind::CallAnalytics { agent_channel } => {
                self.start_call_analytics(job, agent_channel).await
            }
            JobKind::StandardChannels | JobKind::StandardSpeakers { .. } => {
                self.start_standard(job).await
            }
        }
    }

    async fn job(&self, name: &str, call_analytics: bool) -> Result<JobRecord, JobError> {
        let record = |media: Option<&Media>, reason: Option<&str>| JobRecord {
            media_uri: media.and_then(Media::media_file_uri).map(str::to_owned),
            failure_reason: reason.map(str::to_owned),
        };
        if call_analytics {
            let got = self
                .client
                .get_call_analytics_job()
                .call_analytics_job_name(name)
                .send()
                .await
                .or_else(failed_read)?;
            let job = got.call_analytics_job();
            Ok(record(
                job.and_then(|j| j.media()),
                job.and_then(|j| j.failure_reason()),
            ))
        } else {
            let got = self
                .client
                .get_transcription_job()
                .transcription_job_name(name)
                .send()
                .await
                .or_else(failed_read)?;
            let job = got.transcription_job();
            Ok(record(
                job.and_then(|j| j.media()),
                job.and_then(|j| j.failure_reason()),
            ))
        }
    }
}

fn language_codes(codes: &[String]) -> Vec<LanguageCode> {
    codes
        .iter()
        .map(|c| LanguageCode::from(c.as_str()))
        .collect()
}

/// PII replaced in the only transcript Transcribe writes (no unredacted copy beside it).
fn redaction() -> Result<ContentRedaction, JobError> {
    ContentRedaction::builder()
        .redaction_type(RedactionType::Pii)
        .redaction_output(RedactionOutput::Redacted)
        .build()
        .map_err(|e| JobError::Rejected(format!("content redaction: {e}")))
}

fn failed<E: ProvideErrorMetadata, R>(error: SdkError<E, R>) -> Result<JobStarted, JobError> {
    match &error {
        SdkError::ServiceError(service) => classify(service.err().code(), service.err().message()),
        // Timeouts, connection failures, unreadable answers: the request may not have reached
        // Transcribe; a retry with the same job name is safe either way.
        other => Err(JobError::Unavailable(other.to_string())),
    }
}

/// A failed read of a job: as a start's, where a conflict cannot happen.
fn failed_read<T, E: ProvideErrorMetadata, R>(error: SdkError<E, R>) -> Result<T, JobError> {
    match failed(error) {
        Ok(_) => Err(JobError::Unavailable("an unexpected conflict".into())),
        Err(error) => Err(error),
    }
}

/// Transcribe's error codes, as the recordings stage acts on them. Pure, so tested as such.
fn classify(code: Option<&str>, message: Option<&str>) -> Result<JobStarted, JobError> {
    let message = message.unwrap_or("no message").to_owned();
    Err(match code {
        // A job of this name exists: the same object's event, delivered again.
        Some("ConflictException") => return Ok(JobStarted::AlreadyExists),
        // Over the concurrent-job or request-rate quota.
        Some("LimitExceededException" | "ThrottlingException" | "TooManyRequestsException") => {
            JobError::Throttled(message)
        }
        // Bad media, bad settings, or a role Transcribe may not use: the same request never
        // starts, so the event is parked with Transcribe's words.
        Some("BadRequestException" | "AccessDeniedException" | "ValidationException") => {
            JobError::Rejected(message)
        }
        Some(code) => JobError::Unavailable(format!("{code}: {message}")),
        None => JobError::Unavailable(message),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcribes_errors_are_told_apart_into_started_retry_and_never() {
        assert_eq!(
            classify(
                Some("ConflictException"),
                Some("The requested job name already exists.")
            ),
            Ok(JobStarted::AlreadyExists)
        );
        for code in [
            "LimitExceededException",
            "ThrottlingException",
            "TooManyRequestsException",
        ] {
            assert_eq!(
                classify(Some(code), Some("slow down")),
                Err(JobError::Throttled("slow down".into())),
                "{code}"
            );
        }
        assert_eq!(
            classify(
                Some("BadRequestException"),
                Some("The media format provided does not match the detected media format.")
            ),
            Err(JobError::Rejected(
                "The media format provided does not match the detected media format.".into()
            ))
        );
        assert_eq!(
            classify(Some("InternalFailureException"), None),
            Err(JobError::Unavailable(
                "InternalFailureException: no message".into()
            ))
        );
        assert_eq!(
            classify(Some("ServiceUnavailableException"), Some("try later")),
            Err(JobError::Unavailable(
                "ServiceUnavailableException: try later".into()
            ))
        );
    }
}
