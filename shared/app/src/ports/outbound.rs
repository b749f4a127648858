//! The outbound ports: the event bus integrators subscribe to, and the object store the Parquet
//! export writes into.

use async_trait::async_trait;
use callscope_core::domain::TenantId;

/// One event for the bus; the adapter adds the source (`callscope`) and the bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusEvent {
    pub detail_type: String,
    /// The JSON `detail`.
    pub detail: String,
    pub tenant: TenantId,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} failed: {detail}")]
pub struct OutboundError {
    pub operation: String,
    pub detail: String,
}

#[async_trait]
pub trait EventBus: Send + Sync + std::fmt::Debug {
    /// Puts the events in order, retrying what the bus failed on its side; says for each, in
    /// the order given, whether it was accepted (the error is why not).
    async fn put(&self, events: &[BusEvent]) -> Vec<Result<(), OutboundError>>;
}

#[async_trait]
pub trait ExportStore: Send + Sync + std::fmt::Debug {
    /// Writes (or overwrites) one object.
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), OutboundError>;
}
