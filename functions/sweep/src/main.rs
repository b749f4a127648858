//! Composition root of the sweep function: config and clients once per cold start.

use callscope_cloud::{aws, config::SweepConfig, telemetry};
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init_tracing();
    let config = SweepConfig::from_env()?;
    let sdk = aws::load_sdk_config().await;
    let sweeper = sweep::Sweeper::new(&aws::AwsClients::from_config(&sdk), config);
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        sweeper.handle(event.payload)
    }))
    .await
}
