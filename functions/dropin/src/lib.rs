//! The dropin function's event adapter: SQS batches of S3 event notifications from the drop-in
//! queue into the drop-in use case, refused objects parked in its DLQ with their reason.

use std::sync::Arc;

use callscope_app::admit::AdmitCalls;
use callscope_app::dropin::DropIn;
use callscope_app::ports::SystemClock;
use callscope_cloud::aws::AwsClients;
use callscope_cloud::config::DropInConfig;
use callscope_cloud::sqs::SqsConsumer;

/// The function as its composition root builds it.
pub fn consumer(config: &DropInConfig, clients: &AwsClients) -> SqsConsumer<DropIn> {
    let admit = AdmitCalls::new(
        clients.calls(&config.calls_table),
        clients.queue(&config.process_queue_url),
        Arc::new(SystemClock),
    );
    SqsConsumer::new(
        DropIn::new(admit, clients.objects(), config.bucket.clone())
            .with_sources(config.sources.clone())
            .with_patterns(config.name_patterns.clone()),
        clients.dead_letter(&config.dropin_dlq_url),
    )
}
