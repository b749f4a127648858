//! Object storage (S3): reading a dropped object within a size limit, and signing the PUT that
//! lets a client upload one directly.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;

/// An object as read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoredObject {
    pub bytes: Vec<u8>,
    /// User metadata (`x-amz-meta-*`), names lower-case without the prefix.
    pub metadata: BTreeMap<String, String>,
    pub etag: Option<String>,
    pub version_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObjectError {
    #[error("the object does not exist (deleted, or expired, before it was read)")]
    NotFound,
    #[error("the object is {bytes} bytes; at most {limit} are read")]
    TooLarge { bytes: u64, limit: u64 },
    #[error("the object store refused to read it: {0}")]
    Denied(String),
    #[error("the object store is unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait ObjectStore: Send + Sync + std::fmt::Debug {
    /// Reads the object (that version, when given), refusing it past `max_bytes` without reading
    /// the rest.
    async fn get(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        max_bytes: u64,
    ) -> Result<StoredObject, ObjectError>;
}

/// A PUT a client may send without credentials of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedPut {
    pub url: String,
    /// The headers the client must send exactly as signed.
    pub headers: BTreeMap<String, String>,
}

#[async_trait]
pub trait UploadSigner: Send + Sync + std::fmt::Debug {
    /// Signs a PUT of exactly `content_length` bytes of `content_type` to `key`, valid for
    /// `expires_in`.
    async fn sign_put(
        &self,
        key: &str,
        content_type: &str,
        content_length: u64,
        expires_in: Duration,
    ) -> Result<SignedPut, ObjectError>;
}
