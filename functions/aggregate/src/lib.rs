//! The aggregate function's event adapter: SQS batches from the analytics queue into the
//! apply-rollups use case, unreadable events parked in the analytics DLQ with their reason.

use std::sync::Arc;

use callscope_app::aggregate::AggregateRollups;
use callscope_app::ports::SystemClock;
use callscope_cloud::aws::AwsClients;
use callscope_cloud::config::AggregateConfig;
use callscope_cloud::sqs::SqsConsumer;

/// The function as its composition root builds it.
pub fn consumer(config: &AggregateConfig, clients: &AwsClients) -> SqsConsumer<AggregateRollups> {
    let rollups = clients.rollups(&config.analytics_table);
    SqsConsumer::new(
        AggregateRollups::new(rollups, Arc::new(SystemClock)),
        clients.dead_letter(&config.analytics_dlq_url),
    )
}
