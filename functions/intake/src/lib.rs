//! The intake function's event adapter: SQS batches from the intake queue into the intake use
//! case, refused messages parked in the intake DLQ with their reason.

use std::sync::Arc;

use callscope_app::admit::AdmitCalls;
use callscope_app::intake::IntakeCalls;
use callscope_app::ports::SystemClock;
use callscope_cloud::aws::AwsClients;
use callscope_cloud::config::IntakeConfig;
use callscope_cloud::sqs::SqsConsumer;

/// The function as its composition root builds it.
pub fn consumer(config: &IntakeConfig, clients: &AwsClients) -> SqsConsumer<IntakeCalls> {
    let admit = AdmitCalls::new(
        clients.calls(&config.calls_table),
        clients.queue(&config.process_queue_url),
        Arc::new(SystemClock),
    );
    SqsConsumer::new(
        IntakeCalls::new(admit, config.producer_tenants.clone())
            .parking_before(config.max_receive_count)
            .with_redrive_senders(config.redrive_senders.clone()),
        clients.dead_letter(&config.intake_dlq_url),
    )
}
