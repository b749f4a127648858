//! The recordings function's event adapter: SQS batches of S3 event notifications from the
//! recordings queue into the start-transcriptions use case, refused objects parked in its DLQ
//! with their reason.

use aws_config::SdkConfig;
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
            config.settings.clone(),
        ),
        clients.dead_letter(&config.recordings_dlq_url),
    )
}
