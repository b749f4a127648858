//! Composition root of the invalidate function: config and the cache client once per cold start.

use aws_lambda_events::event::dynamodb::Event;
use callscope_cloud::{
    config::{FromEnv, InvalidateConfig},
    telemetry,
    telemetry::Function,
};
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let telemetry = telemetry::init(Function::Invalidate);
    let config = InvalidateConfig::from_env()?;
    let handler = callscope_invalidate::handler(&config)?;
    lambda_runtime::run(
        telemetry.wrap(service_fn(|event: LambdaEvent<Event>| async {
            Ok::<_, lambda_runtime::Error>(handler.handle(event.payload).await)
        })),
    )
    .await
}
