//! The recordings function's event adapter: SQS batches of S3 event notifications (and
//! Transcribe's failed-job events) from the recordings queue into the start-transcriptions use
//! case; a failed job's call stored FAILED in the calls table, refused objects parked in its DLQ
//! with their reason.

use std::sync::Arc;

use aws_config::SdkConfig;
use callscope_app::ports::SystemClock;
use callscope_app::recordings::StartTranscriptions;
use callscope_cloud::aws::AwsClients;
use callscope_cloud::config::RecordingsConfig;
use callscope_cloud::sqs::SqsConsumer;

/// The function as its composition root builds it.
pub fn consumer(
    config: &RecordingsConfig,
    sdk: &SdkConfig,
    clients: &AwsClients,
) -> SqsConsumer<StartTranscriptions> {
    SqsConsumer::new(
        StartTranscriptions::new(
            clients.transcription_jobs(sdk, config.data_access_role_arn.clone()),
            clients.objects(),
            clients.calls(&config.calls_table),
            Arc::new(SystemClock),
            config.settings.clone(),
        ),
        clients.dead_letter(&config.recordings_dlq_url),
    )
}
