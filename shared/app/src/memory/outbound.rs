//! The outbound ports in memory: a bus that keeps what it accepted (and can refuse events
//! whose detail contains a marker), an object store that keeps what was written.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;

use super::lock;
use crate::ports::{BusEvent, EventBus, ExportStore, OutboundError};

#[derive(Debug, Default)]
pub struct MemoryBus {
    accepted: Mutex<Vec<BusEvent>>,
    refuse_containing: Mutex<Option<String>>,
}

impl MemoryBus {
    pub fn accepted(&self) -> Vec<BusEvent> {
        lock(&self.accepted).clone()
    }

    /// Events whose detail contains `needle` are refused, as a partly failed PutEvents would.
    pub fn refuse_details_containing(&self, needle: Option<&str>) {
        *lock(&self.refuse_containing) = needle.map(str::to_owned);
    }
}

#[async_trait]
impl EventBus for MemoryBus {
    async fn put(&self, events: &[BusEvent]) -> Vec<Result<(), OutboundError>> {
        let refuse = lock(&self.refuse_containing).clone();
        let mut accepted = lock(&self.accepted);
        events
            .iter()
            .map(|event| {
                if refuse.as_deref().is_some_and(|n| event.detail.contains(n)) {
                    return Err(OutboundError {
                        operation: "PutEvents".into(),
                        detail: "refused by the in-memory bus".into(),
                    });
                }
                accepted.push(event.clone());
                Ok(())
            })
            .collect()
    }
}

#[derive(Debug, Default)]
pub struct MemoryExport {
    objects: Mutex<BTreeMap<String, Vec<u8>>>,
    unavailable: AtomicBool,
}

impl MemoryExport {
    pub fn objects(&self) -> BTreeMap<String, Vec<u8>> {
        lock(&self.objects).clone()
    }

    pub fn set_unavailable(&self, unavailable: bool) {
        self.unavailable.store(unavailable, Ordering::SeqCst);
    }
}

#[async_trait]
impl ExportStore for MemoryExport {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), OutboundError> {
        if self.unavailable.load(Ordering::SeqCst) {
            return Err(OutboundError {
                operation: format!("PutObject {key}"),
                detail: "the in-memory store is switched off".into(),
            });
        }
        lock(&self.objects).insert(key.to_owned(), bytes);
        Ok(())
    }
}
