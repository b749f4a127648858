//! The one place that builds AWS clients: one `SdkConfig` per cold start, shared by all clients.
//!
//! The SDK reads region, credentials and `AWS_ENDPOINT_URL` from the environment, so the same
//! code talks to AWS, LocalStack or moto without an endpoint, account id or URL in the code.

use std::sync::Arc;
use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_runtime_api::client::interceptors::Intercept;

use crate::dynamo::{
    DynamoCalls, DynamoErasures, DynamoParkedDeliveries, DynamoRollups, DynamoSettings,
    DynamoWebhookSecrets,
};
use crate::s3::{S3Objects, S3Uploads};
use crate::sqs::{SqsDeadLetter, SqsPublisher};

/// Loads the shared SDK configuration with timeouts that fit inside a Lambda invocation.
pub async fn load_sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts())
        .load()
        .await
}

/// An operation gives up within 5 s (attempts of 2 s, retried), shorter than the margin handlers
/// keep before their deadline (`callscope_app::deadline::MARGIN`), so work started in time also
/// ends in time. The local emulator answers one request at a time, a hundred times slower than
/// DynamoDB under load: `infra/local-cloud.sh env` sets `CALLSCOPE_EMULATOR_TIMEOUT_SECONDS` for
/// it, and only it (deployed functions have no deadline-free setting).
fn timeouts() -> TimeoutConfig {
    let emulator = std::env::var("CALLSCOPE_EMULATOR_TIMEOUT_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|_| std::env::var_os("AWS_ENDPOINT_URL").is_some());
    let (attempt, operation) = match emulator {
        Some(seconds) => (
            Duration::from_secs(seconds),
            Duration::from_secs(seconds * 2),
        ),
        None => (Duration::from_secs(2), Duration::from_secs(5)),
    };
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_attempt_timeout(attempt)
        .operation_timeout(operation)
        .build()
}

/// The clients every function may need, built once from one `SdkConfig`.
#[derive(Debug, Clone)]
pub struct AwsClients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub s3: aws_sdk_s3::Client,
}

/// S3 addressed by path (`endpoint/bucket/key`) when an endpoint override points at an emulator,
/// which serves no per-bucket host names; by host name (the default) on AWS.
fn s3_config(config: &SdkConfig) -> aws_sdk_s3::config::Builder {
    aws_sdk_s3::config::Builder::from(config)
        .force_path_style(std::env::var_os("AWS_ENDPOINT_URL").is_some())
}

impl AwsClients {
    pub fn from_config(config: &SdkConfig) -> Self {
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(config),
            sqs: aws_sdk_sqs::Client::new(config),
            s3: aws_sdk_s3::Client::from_conf(s3_config(config).build()),
        }
    }

    /// The same clients with `interceptor` seeing every request and response of both (a
    /// request meter, or fault injection in tests).
    pub fn from_config_with(
        config: &SdkConfig,
        interceptor: impl Intercept + Clone + 'static,
    ) -> Self {
        let dynamodb = aws_sdk_dynamodb::config::Builder::from(config)
            .interceptor(interceptor.clone())
            .build();
        let sqs = aws_sdk_sqs::config::Builder::from(config)
            .interceptor(interceptor.clone())
            .build();
        let s3 = s3_config(config).interceptor(interceptor).build();
        Self {
            dynamodb: aws_sdk_dynamodb::Client::from_conf(dynamodb),
            sqs: aws_sdk_sqs::Client::from_conf(sqs),
            s3: aws_sdk_s3::Client::from_conf(s3),
        }
    }
}

/// The adapters behind the ports, on these clients: what each composition root wires together.
impl AwsClients {
    pub fn calls(&self, table: &str) -> Arc<DynamoCalls> {
        Arc::new(DynamoCalls::new(self.dynamodb.clone(), table.to_owned()))
    }

    /// Tenant settings, kept in the calls table.
    pub fn settings(&self, calls_table: &str) -> Arc<DynamoSettings> {
        Arc::new(DynamoSettings::new(
            self.dynamodb.clone(),
            calls_table.to_owned(),
        ))
    }

    pub fn rollups(&self, table: &str) -> Arc<DynamoRollups> {
        Arc::new(DynamoRollups::new(self.dynamodb.clone(), table.to_owned()))
    }

    pub fn queue(&self, url: &str) -> Arc<SqsPublisher> {
        Arc::new(SqsPublisher::new(self.sqs.clone(), url.to_owned()))
    }

    pub fn objects(&self) -> Arc<S3Objects> {
        Arc::new(S3Objects::new(self.s3.clone()))
    }

    pub fn uploads(&self, bucket: &str) -> Arc<S3Uploads> {
        Arc::new(S3Uploads::new(self.s3.clone(), bucket))
    }

    /// Transcribe jobs, on a client of the same `SdkConfig` (only the recordings function links
    /// Transcribe).
    #[cfg(feature = "transcribe")]
    pub fn transcription_jobs(
        &self,
        config: &SdkConfig,
        data_access_role_arn: Option<String>,
    ) -> Arc<crate::transcribe::TranscribeJobs> {
        Arc::new(crate::transcribe::TranscribeJobs::new(
            aws_sdk_transcribe::Client::new(config),
            data_access_role_arn,
        ))
    }

    pub fn webhook_secrets(&self, calls_table: &str) -> Arc<DynamoWebhookSecrets> {
        Arc::new(DynamoWebhookSecrets::new(
            self.dynamodb.clone(),
            calls_table.to_owned(),
        ))
    }

    pub fn parked_deliveries(&self, calls_table: &str) -> Arc<DynamoParkedDeliveries> {
        Arc::new(DynamoParkedDeliveries::new(
            self.dynamodb.clone(),
            calls_table.to_owned(),
        ))
    }

    /// Customer erasure requests, kept in the calls table.
    pub fn erasures(&self, calls_table: &str) -> Arc<DynamoErasures> {
        Arc::new(DynamoErasures::new(
            self.dynamodb.clone(),
            calls_table.to_owned(),
        ))
    }

    pub fn dead_letter(&self, url: &str) -> Arc<SqsDeadLetter> {
        Arc::new(SqsDeadLetter::new(self.sqs.clone(), url.to_owned()))
    }
}
