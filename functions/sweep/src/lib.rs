//! The sweep function's wiring: the sweep use case over DynamoDB and the process queue, run on
//! a schedule (the event itself carries nothing it needs).

use std::sync::Arc;

use callscope_app::ports::SystemClock;
use callscope_app::sweep::Sweep;
use callscope_cloud::aws::AwsClients;
use callscope_cloud::config::SweepConfig;

/// The function as its composition root builds it.
pub fn sweep(config: &SweepConfig, clients: &AwsClients) -> Sweep {
    Sweep::new(
        clients.calls(&config.calls_table),
        clients.queue(&config.process_queue_url),
        Arc::new(SystemClock),
        config.stale_after,
    )
}
