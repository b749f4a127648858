//! Composition root of the sweep function: config and clients once per cold start.

use callscope_cloud::{
    aws,
    config::{FromEnv, SweepConfig},
    telemetry,
    telemetry::Function,
};
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let telemetry = telemetry::init(Function::Sweep);
    let config = SweepConfig::from_env()?;
    let sdk = aws::load_sdk_config().await;
    let sweep = callscope_sweep::sweep(&config, &aws::AwsClients::from_config(&sdk));
    // The scheduled event carries nothing the sweep needs.
    lambda_runtime::run(
        telemetry.wrap(service_fn(|_: LambdaEvent<serde_json::Value>| async {
            sweep.run().await.map_err(lambda_runtime::Error::from)
        })),
    )
    .await
}
