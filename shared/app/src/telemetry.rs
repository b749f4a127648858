//! The metrics the use cases record, through the `metrics` facade: their names and units are a
//! contract with the alarms and the dashboard (namespace `callscope`, dimension `function` added
//! by the recorder the composition root installs). Without a recorder (unit tests, the CLI)
//! recording is a no-op.
//!
//! Extra dimensions are low-cardinality labels only: `rule` on [`CALLS_REJECTED`], `queue` on
//! [`MESSAGES_PARKED`]. Never a call id.

use std::time::Duration;

use callscope_core::domain::Timestamp;
use callscope_core::error::InputErrorKind;
use metrics::Unit;

/// Calls admitted (stored and queued, or the same call again): ingest, intake.
pub const CALLS_ACCEPTED: &str = "CallsAccepted";
/// Calls refused for good, by `rule`: ingest, intake.
pub const CALLS_REJECTED: &str = "CallsRejected";
/// Calls whose id exists with other content: ingest, intake.
pub const CALL_CONFLICTS: &str = "CallConflicts";
/// Calls that could not be stored or queued now and must be sent again (HTTP 503 / `retry`, or
/// the intake message redelivered): ingest, intake.
pub const CALLS_RETRIED: &str = "CallsRetried";
/// Calls analysed, stored and handed to the analytics queue: process.
pub const CALLS_PROCESSED: &str = "CallsProcessed";
/// Calls marked FAILED (their message parked): process.
pub const CALLS_FAILED: &str = "CallsFailed";
/// Time the analysis engine took for one call: process.
pub const ANALYSIS_TIME: &str = "AnalysisTime";
/// From the call's 202 (its received time) to its rollups committed: aggregate.
pub const END_TO_END_LATENCY: &str = "EndToEndLatency";
/// Rollup transactions cancelled by a concurrent writer or throttling (retried at once): aggregate.
pub const ROLLUP_CONFLICTS: &str = "RollupConflicts";
/// Calls whose rollups could not be applied in this invocation; their messages are retried: aggregate.
pub const ROLLUP_RETRIES: &str = "RollupRetries";
/// Messages parked in a DLQ with their reason, by `queue`: every SQS consumer.
pub const MESSAGES_PARKED: &str = "MessagesParked";
/// Reads served from the cache: api.
pub const CACHE_HITS: &str = "CacheHits";
/// Reads not in the cache, loaded and stored: api.
pub const CACHE_MISSES: &str = "CacheMisses";
/// Reads whose cache step failed (down, slow, unreadable), served from the tables: api.
pub const CACHE_ERRORS: &str = "CacheErrors";
/// `CallAnalysed` events the bus accepted: outbound.
pub const EVENTS_PUBLISHED: &str = "EventsPublished";
/// Rows written to the Parquet export: outbound.
pub const ROWS_EXPORTED: &str = "RowsExported";
/// The first invocation of a sandbox: every function.
pub const COLD_STARTS: &str = "ColdStarts";

/// The `rule` label of [`CALLS_REJECTED`].
pub const RULE: &str = "rule";
/// The `queue` label of [`MESSAGES_PARKED`].
pub const QUEUE: &str = "queue";

/// Counters, in their unit.
pub const COUNTERS: [&str; 15] = [
    CALLS_ACCEPTED,
    CALLS_REJECTED,
    CALL_CONFLICTS,
    CALLS_RETRIED,
    CALLS_PROCESSED,
    CALLS_FAILED,
    ROLLUP_CONFLICTS,
    ROLLUP_RETRIES,
    MESSAGES_PARKED,
    CACHE_HITS,
    CACHE_MISSES,
    CACHE_ERRORS,
    EVENTS_PUBLISHED,
    ROWS_EXPORTED,
    COLD_STARTS,
];
/// Distributions in milliseconds (percentiles in CloudWatch).
pub const TIMINGS: [&str; 2] = [ANALYSIS_TIME, END_TO_END_LATENCY];

/// Gives every metric its unit; call once after installing a recorder.
pub fn describe() {
    for name in COUNTERS {
        metrics::describe_counter!(name, Unit::Count, "");
    }
    for name in TIMINGS {
        metrics::describe_histogram!(name, Unit::Milliseconds, "");
    }
}

/// Adds `n` to a counter without labels.
pub fn count(name: &'static str, n: u64) {
    if n > 0 {
        metrics::counter!(name).increment(n);
    }
}

/// A call refused for good; `rule` is one of a small fixed set ([`rule_of`] and the edges' own).
pub fn call_rejected(rule: &'static str) {
    metrics::counter!(CALLS_REJECTED, RULE => rule).increment(1);
}

/// The `rule` of a rejected call: the kind of its input error.
pub fn rule_of(kind: InputErrorKind) -> &'static str {
    match kind {
        InputErrorKind::Malformed => "malformed",
        InputErrorKind::Invalid => "invalid",
        InputErrorKind::TooLarge => "too_large",
        InputErrorKind::UnsupportedFormat => "unsupported_format",
    }
}

/// A message parked in the DLQ of `queue`.
pub fn message_parked(queue: &'static str) {
    metrics::counter!(MESSAGES_PARKED, QUEUE => queue).increment(1);
}

/// A duration in milliseconds into a timing.
pub fn time(name: &'static str, elapsed: Duration) {
    metrics::histogram!(name).record(elapsed.as_secs_f64() * 1000.0);
}

/// The time from `since` to `now` into a timing; a `since` after `now` (clock skew between
/// functions) is recorded as 0 rather than dropped, so the count of calls stays right.
pub fn time_since(name: &'static str, since: Timestamp, now: Timestamp) {
    let millis = (now.time() - since.time()).num_milliseconds().max(0);
    // Milliseconds fit f64 exactly for any realistic age.
    #[allow(clippy::cast_precision_loss)]
    metrics::histogram!(name).record(millis as f64);
}
