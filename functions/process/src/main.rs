//! Composition root of the process function: config and clients once per cold start.

use callscope_cloud::{aws, config::ProcessConfig, telemetry};
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init_tracing();
    let config = ProcessConfig::from_env()?;
    let sdk = aws::load_sdk_config().await;
    let processor = process::Processor::new(&aws::AwsClients::from_config(&sdk), config);
    lambda_runtime::run(service_fn(|event: LambdaEvent<_>| {
        processor.handle_batch(event.payload)
    }))
    .await
}
