//! Composition root of the webhooks function: config and clients once per cold start.

use callscope_cloud::{
    aws,
    config::{FromEnv, WebhooksConfig},
    sqs, telemetry,
    telemetry::Function,
};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let telemetry = telemetry::init(Function::Webhooks);
    let config = WebhooksConfig::from_env()?;
    let sdk = aws::load_sdk_config().await;
    let consumer = callscope_webhooks::consumer(&config, &aws::AwsClients::from_config(&sdk))?;
    sqs::run(telemetry, consumer).await
}
