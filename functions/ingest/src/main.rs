//! Composition root of the ingest function: config and clients once per cold start.

use callscope_cloud::{aws, config::IngestConfig, telemetry};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init_tracing();
    let config = IngestConfig::from_env()?;
    let sdk = aws::load_sdk_config().await;
    let router = callscope_ingest::router(&config, &aws::AwsClients::from_config(&sdk));
    callscope_http::lambda::run(router).await
}
