//! Objects in memory: a bucket map with a switch to make reads (and erasure's deletes) fail
//! for now.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;
use callscope_core::domain::{CallId, TenantId};
use callscope_core::objects::SourceObject;

use crate::lifecycle::RawObjects;
use crate::ports::{ObjectError, ObjectStore, StoreError, StoredObject};

#[derive(Debug, Default)]
pub struct MemoryObjects {
    objects: Mutex<BTreeMap<(String, String), StoredObject>>,
    unavailable: AtomicBool,
}

impl MemoryObjects {
    pub fn put(&self, bucket: &str, key: &str, object: StoredObject) {
        self.objects
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((bucket.to_owned(), key.to_owned()), object);
    }

    pub fn contains(&self, bucket: &str, key: &str) -> bool {
        self.objects
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(&(bucket.to_owned(), key.to_owned()))
    }

    pub fn set_unavailable(&self, unavailable: bool) {
        self.unavailable.store(unavailable, Ordering::SeqCst);
    }
}

#[async_trait]
impl ObjectStore for MemoryObjects {
    async fn get(
        &self,
        bucket: &str,
        key: &str,
        _version_id: Option<&str>,
        max_bytes: u64,
    ) -> Result<StoredObject, ObjectError> {
        if self.unavailable.load(Ordering::SeqCst) {
            return Err(ObjectError::Unavailable("switched off".into()));
        }
        let objects = self.objects.lock().unwrap_or_else(|e| e.into_inner());
        let object = objects
            .get(&(bucket.to_owned(), key.to_owned()))
            .ok_or(ObjectError::NotFound)?;
        let bytes = object.bytes.len() as u64;
        if bytes > max_bytes {
            return Err(ObjectError::TooLarge {
                bytes,
                limit: max_bytes,
            });
        }
        Ok(object.clone())
    }
}

#[async_trait]
impl RawObjects for MemoryObjects {
    async fn delete(
        &self,
        _tenant: &TenantId,
        _call_id: &CallId,
        object: &SourceObject,
    ) -> Result<(), StoreError> {
        if self.unavailable.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable {
                operation: format!("deleting {}", object.key),
                detail: "switched off".into(),
            });
        }
        let mut objects = self.objects.lock().unwrap_or_else(|e| e.into_inner());
        for key in object.keys() {
            objects.remove(&(object.bucket.clone(), key.clone()));
        }
        Ok(())
    }
}
