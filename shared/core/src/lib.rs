//! callscope's pure core: domain types, transcript formats and the call-analysis engine.
//!
//! Nothing in this crate performs I/O or knows about AWS or Redis; adapters live in
//! `callscope-cloud` and the functions, which depend on this crate and never the reverse.

pub mod analysis;
pub mod domain;
pub mod error;
pub mod fidelity;
pub mod formats;
pub mod objects;
pub mod pipeline;
pub mod recordings;
pub mod redaction;
pub mod roles;
pub mod settings;
pub mod similarity;

pub use analysis::{analyse, CallAnalysis};
pub use domain::{Call, Role, Utterance};
pub use error::InputError;
