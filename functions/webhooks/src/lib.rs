//! The webhooks function's event adapter: SQS batches of EventBridge events from the webhook
//! queue into the delivery use case; a failed delivery is hidden for its backoff delay, the
//! last one parked in the webhook DLQ with the receiver's answer.

use std::sync::Arc;

use callscope_app::ports::SystemClock;
use callscope_app::settings::SettingsCache;
use callscope_app::webhooks::DeliverWebhooks;
use callscope_cloud::aws::AwsClients;
use callscope_cloud::config::WebhooksConfig;
use callscope_cloud::sqs::SqsConsumer;
use callscope_cloud::webhooks::{BackoffConsumer, HttpSender};

/// The function as its composition root builds it.
pub fn consumer(
    config: &WebhooksConfig,
    clients: &AwsClients,
) -> Result<BackoffConsumer, lambda_runtime::Error> {
    let clock = Arc::new(SystemClock);
    let deliver = DeliverWebhooks::new(
        SettingsCache::new(clients.settings(&config.calls_table), clock.clone()),
        clients.webhook_secrets(&config.calls_table),
        clients.parked_deliveries(&config.calls_table),
        Arc::new(HttpSender::new()?),
        clock,
        config.endpoints,
        config.retry,
    );
    Ok(BackoffConsumer::new(
        SqsConsumer::new(deliver, clients.dead_letter(&config.webhook_dlq_url)),
        config.retry,
        clients.sqs.clone(),
        config.webhook_queue_url.clone(),
    ))
}
