//! Composition root of the outbound function: config and clients once per cold start.

use aws_lambda_events::event::dynamodb::Event;
use callscope_cloud::{
    aws,
    config::{FromEnv, OutboundConfig},
    telemetry,
    telemetry::Function,
};
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let telemetry = telemetry::init(Function::Outbound);
    let config = OutboundConfig::from_env()?;
    let sdk = aws::load_sdk_config().await;
    let handler = callscope_outbound::handler(
        &config,
        &aws::AwsClients::from_config(&sdk),
        aws_sdk_eventbridge::Client::new(&sdk),
        aws_sdk_s3::Client::new(&sdk),
    );
    lambda_runtime::run(
        telemetry.wrap(service_fn(|event: LambdaEvent<Event>| async {
            Ok::<_, lambda_runtime::Error>(handler.handle(event.payload).await)
        })),
    )
    .await
}
