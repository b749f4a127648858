//! The one place that builds AWS clients: one `SdkConfig` per cold start, shared by all clients.
//!
//! The SDK reads region, credentials and `AWS_ENDPOINT_URL` from the environment, so the same
//! code talks to AWS, LocalStack or moto without an endpoint, account id or URL in the code.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};

/// Loads the shared SDK configuration with timeouts that fit inside a Lambda invocation.
pub async fn load_sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(Duration::from_secs(5))
                .operation_timeout(Duration::from_secs(12))
                .build(),
        )
        .load()
        .await
}

/// The clients every function may need, built once from one `SdkConfig`.
#[derive(Debug, Clone)]
pub struct AwsClients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
}

impl AwsClients {
    pub fn from_config(config: &SdkConfig) -> Self {
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(config),
            sqs: aws_sdk_sqs::Client::new(config),
        }
    }
}
