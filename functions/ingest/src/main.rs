//! Composition root of the ingest function: config and clients once per cold start.

use callscope_cloud::{
    aws,
    config::{FromEnv, IngestConfig},
    telemetry,
    telemetry::Function,
};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let telemetry = telemetry::init(Function::Ingest);
    let config = IngestConfig::from_env()?;
    let sdk = aws::load_sdk_config().await;
    let router = callscope_ingest::router(&config, &aws::AwsClients::from_config(&sdk));
    lambda_http::lambda_runtime::run(telemetry.wrap(callscope_http::lambda::handler(router))).await
}
