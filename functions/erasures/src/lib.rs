//! The erasures function's event adapter: pages of tenant jobs (customer erasures and bulk
//! re-analyses) from the erasure queue into their use case, unreadable messages parked in its
//! DLQ. It runs re-analysis pages too (`callscope_app::erasure` says why one function and the
//! erasure's names): each queues its calls' re-analyses on the reanalyse queue.
//!
//! Its own function rather than a second event source of ingest or process: ingest is an HTTP
//! function (its reserved concurrency is for requests, and it would need to tell SQS batches
//! from API Gateway events), and process has neither the raw objects' S3 permissions nor a
//! reason to read a tenant's whole listing. This role has exactly what erasing a call needs
//! (the call's items, its `CallErased`, its raw object) and what queueing a re-analysis needs
//! (a send to the reanalyse queue), plus the `ByTenant` index and its own queue, and its
//! maximum concurrency keeps a large job from crowding the pipeline.

use std::sync::Arc;

use callscope_app::erasure::CustomerErasures;
use callscope_app::lifecycle::{CallLifecycle, NoRawObjects, RawObjects};
use callscope_app::ports::SystemClock;
use callscope_cloud::aws::AwsClients;
use callscope_cloud::config::ErasuresConfig;
use callscope_cloud::s3::S3RawObjects;
use callscope_cloud::sqs::SqsConsumer;

/// The function as its composition root builds it.
pub fn consumer(config: &ErasuresConfig, clients: &AwsClients) -> SqsConsumer<CustomerErasures> {
    let clock = Arc::new(SystemClock);
    let raw_objects: Arc<dyn RawObjects> = match &config.dropin_bucket {
        Some(bucket) => Arc::new(S3RawObjects::new(clients.s3.clone(), bucket.clone())),
        None => Arc::new(NoRawObjects),
    };
    let lifecycle = CallLifecycle::new(
        clients.calls(&config.calls_table),
        clients.queue(&config.analytics_queue_url),
        clients.queue(&config.reanalyse_queue_url),
        raw_objects,
        clock.clone(),
    );
    let erasures = CustomerErasures::new(
        clients.erasures(&config.calls_table),
        clients.calls(&config.calls_table),
        lifecycle,
        clients.queue(&config.erasure_queue_url),
        clock,
    );
    SqsConsumer::new(erasures, clients.dead_letter(&config.erasure_dlq_url))
}
