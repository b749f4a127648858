//! Composition root of the recordings function: config and clients once per cold start.

use callscope_cloud::{
    aws,
    config::{FromEnv, RecordingsConfig},
    sqs, telemetry,
    telemetry::Function,
};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let telemetry = telemetry::init(Function::Recordings);
    let config = RecordingsConfig::from_env()?;
    let sdk = aws::load_sdk_config().await;
    let clients = aws::AwsClients::from_config(&sdk);
    let consumer = callscope_recordings::consumer(&config, &sdk, &clients);
    sqs::run(telemetry, consumer).await
}
