//! The process function's event adapter: SQS batches from the process queue into the process
//! use case, unreadable messages parked in the process DLQ with their reason.

use std::sync::Arc;

use callscope_app::ports::SystemClock;
use callscope_app::process::ProcessCalls;
use callscope_app::settings::SettingsCache;
use callscope_cloud::aws::AwsClients;
use callscope_cloud::config::ProcessConfig;
use callscope_cloud::sqs::SqsConsumer;
use callscope_core::analysis::Analyser;

/// The function as its composition root builds it; the built-in rules compile once here, a
/// tenant's settings once per version (read through the function's settings cache).
pub fn consumer(config: &ProcessConfig, clients: &AwsClients) -> SqsConsumer<ProcessCalls> {
    let clock = Arc::new(SystemClock);
    let analyser = Arc::new(Analyser::default());
    let settings = SettingsCache::new(clients.settings(&config.calls_table), clock.clone())
        .with_default_analyser(analyser.clone());
    let process = ProcessCalls::new(
        clients.calls(&config.calls_table),
        clients.queue(&config.analytics_queue_url),
        clock,
        analyser,
    )
    .with_settings(settings)
    .with_erasure_ledger(clients.rollups(&config.analytics_table));
    SqsConsumer::new(process, clients.dead_letter(&config.process_dlq_url))
}
