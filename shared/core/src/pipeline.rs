//! The messages that travel between the functions, and the pure rollup arithmetic.
//!
//! `ingest` sends a [`ProcessCall`] to the process queue; `process` sends a [`CallAnalysed`] to
//! the analytics queue; `aggregate` folds those into [`RollupTotals`] per [`RollupKey`].
//! [`events`] are the ones that leave callscope: the integration events on the EventBridge bus.

pub mod events;
mod messages;
mod rollup;

pub use messages::{CallAnalysed, ProcessCall};
pub use rollup::{coalesce, RollupKey, RollupScope, RollupTotals};
