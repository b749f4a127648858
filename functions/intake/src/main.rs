//! Composition root of the intake function: config and clients once per cold start.

use aws_lambda_events::event::sqs::SqsEvent;
use callscope_app::Deadline;
use callscope_cloud::{aws, config::IntakeConfig, telemetry, telemetry::Function};
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let telemetry = telemetry::init(Function::Intake);
    let config = IntakeConfig::from_env()?;
    let sdk = aws::load_sdk_config().await;
    let consumer = callscope_intake::consumer(&config, &aws::AwsClients::from_config(&sdk));
    lambda_runtime::run(telemetry.wrap(service_fn(|event: LambdaEvent<SqsEvent>| {
        let deadline = Deadline::from_epoch_millis(event.context.deadline);
        let consumer = &consumer;
        async move {
            Ok::<_, lambda_runtime::Error>(consumer.handle_batch(event.payload, deadline).await)
        }
    })))
    .await
}
