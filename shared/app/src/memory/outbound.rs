//! The outbound ports in memory: a bus that keeps what it accepted (and can refuse events
//! whose detail contains a marker), an object store that keeps what was written (and lists,
//! reads and conditionally replaces it for erasure, its ETag a hash of the bytes).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;

use super::lock;
use crate::ports::{
    BusEvent, EventBus, ExportFile, ExportFiles, ExportStore, Listed, OutboundError, Swapped,
};

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

impl MemoryExport {
    fn check_available(&self, operation: &str) -> Result<(), OutboundError> {
        if self.unavailable.load(Ordering::SeqCst) {
            return Err(OutboundError {
                operation: operation.to_owned(),
                detail: "the in-memory store is switched off".into(),
            });
        }
        Ok(())
    }
}

fn etag_of(bytes: &[u8]) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

#[async_trait]
impl ExportFiles for MemoryExport {
    async fn list(&self, prefix: &str) -> Result<Vec<Listed>, OutboundError> {
        self.check_available(&format!("ListObjectsV2 {prefix}"))?;
        Ok(lock(&self.objects)
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(key, bytes)| Listed {
                key: key.clone(),
                size: bytes.len() as u64,
            })
            .collect())
    }

    async fn read(&self, key: &str) -> Result<Option<ExportFile>, OutboundError> {
        self.check_available(&format!("GetObject {key}"))?;
        Ok(lock(&self.objects).get(key).map(|bytes| ExportFile {
            key: key.to_owned(),
            etag: etag_of(bytes),
            bytes: bytes.clone(),
        }))
    }

    async fn version(&self, key: &str) -> Result<Option<String>, OutboundError> {
        self.check_available(&format!("HeadObject {key}"))?;
        Ok(lock(&self.objects).get(key).map(|bytes| etag_of(bytes)))
    }

    async fn mark(&self, key: &str) -> Result<(), OutboundError> {
        self.check_available(&format!("PutObject {key}"))?;
        lock(&self.objects).insert(key.to_owned(), Vec::new());
        Ok(())
    }

    async fn swap(
        &self,
        key: &str,
        etag: &str,
        bytes: Option<Vec<u8>>,
    ) -> Result<Swapped, OutboundError> {
        self.check_available(&format!("PutObject {key}"))?;
        let mut objects = lock(&self.objects);
        match (objects.get(key), bytes) {
            (None, None) => Ok(Swapped::Done),
            (Some(now), _) if etag_of(now) != etag => Ok(Swapped::Changed),
            (None, Some(_)) => Ok(Swapped::Changed),
            (Some(_), None) => {
                objects.remove(key);
                Ok(Swapped::Done)
            }
            (Some(_), Some(bytes)) => {
                objects.insert(key.to_owned(), bytes);
                Ok(Swapped::Done)
            }
        }
    }
}
