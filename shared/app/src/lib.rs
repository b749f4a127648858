//! callscope's application layer: the use cases of the pipeline as plain async code over ports
//! (traits) for everything outside the process — the call and rollup stores, queues, the
//! dead-letter queue, the cache, the clock.
//!
//! DynamoDB, SQS and Redis implement the ports in `callscope-cloud`; [`memory`] implements them
//! in memory for unit tests. The Lambda crates only build the adapters and hand events to these
//! use cases, so a cache, a metrics wrapper or a test double plugs in at a port.
//!
//! # Layout
//!
//! One name per stage, from the Lambda function to the use case to its module:
//!
//! | stage | function(s) | use case | ports it needs |
//! |---|---|---|---|
//! | admit | `ingest` (HTTP), `intake` (SQS intake queue), `dropin` (S3 objects) | [`admit::AdmitCalls`]; [`intake::IntakeCalls`] reads an intake message into it, [`dropin::DropIn`] a dropped object | `CallRepository`, `Publisher` (process queue), `Clock`; intake and dropin add `DeadLetter`, dropin `ObjectStore` |
//! | transcribe | `recordings` (the recordings queue) | [`recordings::StartTranscriptions`]: an audio object → its sidecar and a Transcribe job | `TranscriptionJobs`, `RecordingObjects`, `DeadLetter` |
//! | process | `process` | [`process::ProcessCalls`]: analyse, store, emit `CallAnalysed` | `CallRepository`, `Publisher` (analytics queue), `Clock`, `DeadLetter` |
//! | aggregate | `aggregate` | [`aggregate::AggregateRollups`]: markers + rollup additions, once per call | `RollupRepository`, `Clock`, `DeadLetter` |
//! | lifecycle | `ingest` (DELETE, re-analyse) | [`lifecycle::CallLifecycle`]: erase a call everywhere; queue its re-analysis | `CallRepository`, `Publisher` (analytics and reanalyse queues), `RawObjects`, `Clock` |
//! | erasure | `ingest` (POST/GET `/api/v1/erasures`, `/api/v1/reanalyses`), `erasures` (the erasure queue) | [`erasure::CustomerErasures`]: a customer's calls erased page by page through `CallLifecycle::erase`, or a range's PROCESSED calls queued through `CallLifecycle::reanalyse`, each page recorded once | `ErasureRequests`, `CustomerCalls`, `Publisher` (erasure queue), the lifecycle's ports, `Clock`, `DeadLetter` |
//! | sweep | `sweep` | [`sweep::Sweep`]: calls left RECEIVED, queued again | `CallRepository`, `Publisher` (process queue), `Clock` |
//! | query | `query` | [`query::Queries`]: the read API's views, cache-aside | `CallQueries`, `RollupQueries`, `Cache` |
//! | outbound | `outbound` (calls table stream) | [`outbound::Outbound`]: `CallAnalysed` and the tenant's `CallAlert`s on the EventBridge bus, the call's row in the Parquet export, once per analysis | `CallQueries`, `EventBus`, `ExportStore`, `SettingsStore` (through `SettingsCache`) |
//! | outbound | `outbound` (erased calls on the stream) | [`outbound::ExportErasure`]: an erased call's rows out of the export's files | `ExportFiles` |
//! | invalidate | `invalidate` | [`invalidate::Invalidate`]: table changes → cache generations | `Cache` |
//!
//! [`consume`] is the one queue consumer the SQS stages share (read each message into its type,
//! park what can never succeed with its reason, run the use case, return exactly the ids to
//! retry); `callscope-cloud`'s `SqsConsumer` puts it behind a Lambda SQS event.

pub mod admit;
pub mod aggregate;
pub mod consumer;
pub mod deadline;
pub mod dropin;
pub mod erasure;
pub mod intake;
pub mod invalidate;
pub mod lifecycle;
pub mod memory;
pub mod outbound;
pub mod ports;
pub mod process;
pub mod query;
pub mod rate_limit;
pub mod recordings;
pub mod settings;
pub mod sweep;
pub mod telemetry;
#[cfg(test)]
mod test_support;
pub mod uploads;
pub mod webhooks;

pub use consumer::{consume, Consume, Disposition, Refusal, UnreadableMessage};
pub use deadline::Deadline;
