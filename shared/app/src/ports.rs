//! The ports: what the use cases need from the outside world, as traits and the vocabulary
//! types they speak in.

mod cache;
mod calls;
mod clock;
mod queries;
mod queues;
mod rollups;

pub use cache::{
    bumped_within, key_of, next_generation, Cache, CacheError, CacheHealth, NoCache, Scope,
};
pub use calls::{
    CallHead, CallRepository, CallStatus, PendingCall, ProcessedCall, PutOutcome, ReceivedCall,
    StoreError, StoredCall,
};
pub use clock::{Clock, SystemClock};
pub use queries::{
    CallListing, CallQueries, CallRecord, Count, ListFilter, Page, PageRequest, Position, Read,
    RollupQueries,
};
pub use queues::{
    publish_each, Attribute, DeadLetter, OutgoingMessage, Publisher, QueueError, Received,
    SendReport, CORRELATION_ID_ATTRIBUTE, FAILURE_REASON_ATTRIBUTE, TENANT_ATTRIBUTE,
};
pub use rollups::{
    ApplyReport, LedgerEntry, RollupError, RollupRepository, Settled, Settlement, TenantCall,
};
