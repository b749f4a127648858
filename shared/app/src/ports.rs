//! The ports: what the use cases need from the outside world, as traits and the vocabulary
//! types they speak in.

mod cache;
mod calls;
mod clock;
mod erasures;
mod export_files;
mod objects;
mod outbound;
mod queries;
mod queues;
mod rollups;
mod settings;
mod transcription;
mod webhooks;

pub use cache::{
    bumped_within, coalesce_window, key_of, next_generation, BumpEffect, Bumps, Cache, CacheError,
    CacheHealth, GenerationState, NoCache, Scope, COALESCE_WINDOW,
};
pub use calls::{
    CallHead, CallRepository, CallStatus, PendingCall, ProcessedCall, PutOutcome, ReceivedCall,
    StoreError, StoredCall,
};
pub use clock::{Clock, SystemClock};
pub use erasures::{
    CustomerCalls, CustomerCallsPage, ErasureRequest, ErasureRequests, ErasureStatus, JobKind,
    PageEnd,
};
pub use export_files::{ExportFile, ExportFiles, Listed, Swapped};
pub use objects::{ObjectError, ObjectStore, SignedPut, StoredObject, UploadSigner};
pub use outbound::{BusEvent, EventBus, ExportStore, OutboundError};
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
pub use settings::{SettingsStore, SettingsWriteError, StoredSettings};
pub use transcription::{JobError, JobRecord, JobStarted, RecordingObjects, TranscriptionJobs};
pub use webhooks::{
    ParkedDeliveries, ParkedDelivery, SendError, SigningSecret, StoredSecret, WebhookAnswer,
    WebhookRequest, WebhookSecrets, WebhookSender,
};
