//! Composition root of the intake function: config and clients once per cold start.

use callscope_cloud::{
    aws,
    config::{FromEnv, IntakeConfig},
    sqs, telemetry,
    telemetry::Function,
};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let telemetry = telemetry::init(Function::Intake);
    let config = IntakeConfig::from_env()?;
    let sdk = aws::load_sdk_config().await;
    let consumer = callscope_intake::consumer(&config, &aws::AwsClients::from_config(&sdk));
    sqs::run(telemetry, consumer).await
}
