//! The messages that travel between the functions, and the pure rollup arithmetic.
//!
//! `ingest` sends a [`ProcessCall`] to the process queue; `process` sends a [`CallAnalysed`] to
//! the analytics queue; `aggregate` folds those into [`RollupTotals`] per [`RollupKey`]. An
//! erasure ([`CallErased`]) or a re-analysis (a [`CallAnalysed`] of a later revision) moves a
//! call's measures out of (or between) rollups as signed [`RollupDelta`]s, ordered by
//! [`Version`]. [`events`] are the ones that leave callscope: the integration events on the
//! EventBridge bus.

pub mod call_alert;
pub mod events;
mod messages;
mod rollup;

pub use messages::{CallAnalysed, CallErased, ErasurePage, ProcessCall, RollupChange, Version};
pub use rollup::{
    coalesce, keys_of, settlement, RollupDelta, RollupKey, RollupScope, RollupTotals,
};
