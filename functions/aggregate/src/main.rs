//! Composition root of the aggregate function: config and clients once per cold start.

use callscope_cloud::{
    aws,
    config::{AggregateConfig, FromEnv},
    sqs, telemetry,
    telemetry::Function,
};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let telemetry = telemetry::init(Function::Aggregate);
    let config = AggregateConfig::from_env()?;
    let sdk = aws::load_sdk_config().await;
    let consumer = callscope_aggregate::consumer(&config, &aws::AwsClients::from_config(&sdk));
    sqs::run(telemetry, consumer).await
}
