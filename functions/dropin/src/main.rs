//! Composition root of the dropin function: config and clients once per cold start.

use callscope_cloud::{
    aws,
    config::{DropInConfig, FromEnv},
    sqs, telemetry,
    telemetry::Function,
};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let telemetry = telemetry::init(Function::DropIn);
    let config = DropInConfig::from_env()?;
    let sdk = aws::load_sdk_config().await;
    let consumer = callscope_dropin::consumer(&config, &aws::AwsClients::from_config(&sdk));
    sqs::run(telemetry, consumer).await
}
