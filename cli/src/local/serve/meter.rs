//! The request meter over HTTP, local only: `callscope local serve` meters its SDK clients
//! (the write path's and the query API's apart) and answers `GET /_local/meter` with the counts
//! so far; `callscope load` reads them before and after a phase and prices the difference. The
//! route is not in the template or the OpenAPI document: a deployed API has no such thing, and
//! the load report says so instead of a bill.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::routing::get;
use axum::{Json, Router};
use callscope_meter::{Meter, Usage};
use serde::{Deserialize, Serialize};

pub const ROUTE: &str = "/_local/meter";

/// What `GET /_local/meter` answers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MeterReading {
    /// Requests of ingest, intake, process, aggregate and sweep (and provisioning, at start).
    pub write_path: Usage,
    /// Requests of the query API.
    pub read_path: Usage,
    /// Queue-triggered invocations per function (polls that delivered a batch).
    pub invocations: BTreeMap<String, u64>,
}

/// The serving side: the two meters and the invocation counts.
#[derive(Debug, Clone)]
pub struct LocalMeter {
    pub write_path: Meter,
    pub read_path: Meter,
    invocations: Arc<BTreeMap<&'static str, AtomicU64>>,
}

impl LocalMeter {
    pub fn new(write_path: Meter, read_path: Meter, functions: &[&'static str]) -> Self {
        Self {
            write_path,
            read_path,
            invocations: Arc::new(functions.iter().map(|f| (*f, AtomicU64::new(0))).collect()),
        }
    }

    pub fn invoked(&self, function: &str, invocations: usize) {
        if let Some(count) = self.invocations.get(function) {
            count.fetch_add(invocations as u64, Ordering::Relaxed);
        }
    }

    pub fn reading(&self) -> MeterReading {
        MeterReading {
            write_path: self.write_path.usage(),
            read_path: self.read_path.usage(),
            invocations: self
                .invocations
                .iter()
                .map(|(f, n)| ((*f).to_owned(), n.load(Ordering::Relaxed)))
                .collect(),
        }
    }

    /// `GET /_local/meter`, to merge beside the gateway on the local port.
    pub fn router(self) -> Router {
        Router::new().route(ROUTE, get(move || async move { Json(self.reading()) }))
    }
}
