//! Composition root of the process function: config and clients once per cold start.

use callscope_cloud::{
    aws,
    config::{FromEnv, ProcessConfig},
    sqs, telemetry,
    telemetry::Function,
};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let telemetry = telemetry::init(Function::Process);
    let config = ProcessConfig::from_env()?;
    let sdk = aws::load_sdk_config().await;
    let consumer = callscope_process::consumer(&config, &aws::AwsClients::from_config(&sdk));
    sqs::run(telemetry, consumer).await
}
