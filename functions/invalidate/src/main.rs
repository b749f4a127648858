//! Composition root of the invalidate function: config and the cache client once per cold start.

use aws_lambda_events::event::dynamodb::Event;
use callscope_cloud::{config::InvalidateConfig, telemetry};
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init_tracing();
    let config = InvalidateConfig::from_env()?;
    let handler = callscope_invalidate::handler(&config)?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Event>| async {
        Ok::<_, lambda_runtime::Error>(handler.handle(event.payload).await)
    }))
    .await
}
