//! callscope's application layer: the use cases of the pipeline as plain async functions over
//! ports (traits) for everything outside the process — the call and rollup stores, queues, the
//! dead-letter queue, the clock.
//!
//! DynamoDB and SQS implement the ports in `callscope-cloud`; [`memory`] implements them in
//! memory for unit tests. The Lambda crates only build the adapters and hand events to these
//! use cases, so a cache, a metrics wrapper or a test double plugs in at a port.

pub mod admit;
pub mod aggregate;
pub mod analyse;
pub mod consumer;
pub mod deadline;
pub mod intake;
pub mod invalidate;
pub mod memory;
pub mod ports;
pub mod query;
pub mod sweep;
pub mod telemetry;
#[cfg(test)]
mod test_support;

pub use consumer::{consume, Consume, Disposition, Refusal, UnreadableMessage};
pub use deadline::Deadline;
