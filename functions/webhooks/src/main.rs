//! Composition root of the webhooks function: config and clients once per cold start.

use callscope_cloud::{
    aws,
    config::{FromEnv, WebhooksConfig},
    telemetry,
    telemetry::Function,
    webhooks,
};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let telemetry = telemetry::init(Function::Webhooks);
    let config = WebhooksConfig::from_env()?;
    let sdk = aws::load_sdk_config().await;
    let consumer = callscope_webhooks::consumer(&config, &aws::AwsClients::from_config(&sdk))?;
    webhooks::run(telemetry, consumer).await
}
