//! Composition root of the ingest function: config and clients once per cold start.

use callscope_cloud::{aws, config::IngestConfig, telemetry};
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init_tracing();
    let config = IngestConfig::from_env()?;
    let sdk = aws::load_sdk_config().await;
    let ingestor = ingest::Ingestor::new(&aws::AwsClients::from_config(&sdk), config);
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        ingestor.handle(event.payload)
    }))
    .await
}
