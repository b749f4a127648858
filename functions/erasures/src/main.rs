//! Composition root of the erasures function: config and clients once per cold start.

use callscope_cloud::{
    aws,
    config::{ErasuresConfig, FromEnv},
    sqs, telemetry,
    telemetry::Function,
};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let telemetry = telemetry::init(Function::Erasures);
    let config = ErasuresConfig::from_env()?;
    let sdk = aws::load_sdk_config().await;
    let consumer = callscope_erasures::consumer(&config, &aws::AwsClients::from_config(&sdk));
    sqs::run(telemetry, consumer).await
}
