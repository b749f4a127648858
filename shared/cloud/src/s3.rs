//! S3 behind the object ports: reading a dropped object within a size limit (the body streamed,
//! never past the limit), a recording's metadata and its job's sidecar, presigning the PUT of an
//! upload, and deleting an erased call's raw object.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use callscope_app::lifecycle::RawObjects;
use callscope_app::ports::{
    ObjectError, ObjectStore, RecordingObjects, SignedPut, StoreError, StoredObject, UploadSigner,
};
use callscope_core::domain::{CallId, TenantId};
use callscope_core::objects::SourceObject;

#[derive(Debug, Clone)]
pub struct S3Objects {
    client: aws_sdk_s3::Client,
}

impl S3Objects {
    pub fn new(client: aws_sdk_s3::Client) -> Self {
        Self { client }
    }
}

#[async_trait]
impl ObjectStore for S3Objects {
    async fn get(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        max_bytes: u64,
    ) -> Result<StoredObject, ObjectError> {
        let output = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .set_version_id(version_id.map(str::to_owned))
            .send()
            .await
            .map_err(|e| {
                let not_found = e.as_service_error().is_some_and(|s| s.is_no_such_key());
                read_error(e, not_found)
            })?;
        let declared = output.content_length().and_then(|n| u64::try_from(n).ok());
        if let Some(bytes) = declared.filter(|&n| n > max_bytes) {
            return Err(ObjectError::TooLarge {
                bytes,
                limit: max_bytes,
            });
        }
        let capacity = usize::try_from(declared.unwrap_or(0).min(max_bytes)).unwrap_or(0);
        let mut bytes = Vec::with_capacity(capacity);
        let mut body = output.body;
        // The declared length is S3's word; the body is counted too, and never read past the limit.
        while let Some(chunk) = body
            .try_next()
            .await
            .map_err(|e| ObjectError::Unavailable(format!("reading the body: {e}")))?
        {
            bytes.extend_from_slice(&chunk);
            if bytes.len() as u64 > max_bytes {
                return Err(ObjectError::TooLarge {
                    bytes: declared.unwrap_or(bytes.len() as u64),
                    limit: max_bytes,
                });
            }
        }
        Ok(StoredObject {
            bytes,
            metadata: output
                .metadata
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect(),
            etag: output.e_tag.map(|e| e.trim_matches('"').to_owned()),
            version_id: output.version_id,
        })
    }
}

#[async_trait]
impl RecordingObjects for S3Objects {
    async fn metadata(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<BTreeMap<String, String>, ObjectError> {
        let output = self
            .client
            .head_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| {
                let not_found = e.as_service_error().is_some_and(|s| s.is_not_found());
                read_error(e, not_found)
            })?;
        Ok(output
            .metadata
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect())
    }

    async fn put_json(&self, bucket: &str, key: &str, bytes: Vec<u8>) -> Result<(), ObjectError> {
        self.client
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type("application/json")
            .body(bytes.into())
            .send()
            .await
            .map_err(|e| read_error(e, false))?;
        Ok(())
    }
}

/// A failed read: gone, refused (permissions: retrying cannot help), or unavailable for now.
fn read_error<E: ProvideErrorMetadata + std::fmt::Debug, R>(
    error: SdkError<E, R>,
    not_found: bool,
) -> ObjectError {
    if not_found {
        return ObjectError::NotFound;
    }
    match &error {
        SdkError::ServiceError(service) => match service.err().code() {
            Some("NoSuchKey" | "NotFound") => ObjectError::NotFound,
            Some("AccessDenied" | "InvalidObjectState" | "NoSuchBucket") => ObjectError::Denied(
                service
                    .err()
                    .message()
                    .unwrap_or("access denied")
                    .to_owned(),
            ),
            _ => ObjectError::Unavailable(format!("{:?}", service.err().code())),
        },
        other => ObjectError::Unavailable(other.to_string()),
    }
}

/// Presigned PUTs into one bucket.
#[derive(Debug, Clone)]
pub struct S3Uploads {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl S3Uploads {
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }
}

#[async_trait]
impl UploadSigner for S3Uploads {
    async fn sign_put(
        &self,
        key: &str,
        content_type: &str,
        content_length: u64,
        expires_in: Duration,
    ) -> Result<SignedPut, ObjectError> {
        let config = PresigningConfig::expires_in(expires_in)
            .map_err(|e| ObjectError::Unavailable(format!("presigning: {e}")))?;
        let length = i64::try_from(content_length)
            .map_err(|_| ObjectError::Unavailable("content length out of range".into()))?;
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(length)
            .presigned(config)
            .await
            .map_err(|e| ObjectError::Unavailable(format!("presigning: {e}")))?;
        Ok(SignedPut {
            url: request.uri().to_owned(),
            headers: request
                .headers()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned()))
                .collect(),
        })
    }
}

/// The drop-in bucket's raw objects. Objects of other configured sources (Amazon Connect's
/// bucket) are the tenant's own records, not callscope's copy: they are left, and logged.
#[derive(Debug, Clone)]
pub struct S3RawObjects {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl S3RawObjects {
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    /// DeleteObject answers success for a key that is not there, so a retried erase succeeds.
    async fn delete_one(&self, key: &str, version_id: Option<&str>) -> Result<(), StoreError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .set_version_id(version_id.map(str::to_owned))
            .send()
            .await
            .map_err(|e| StoreError::Unavailable {
                operation: format!("DeleteObject s3://{}/{key}", self.bucket),
                detail: aws_sdk_s3::error::DisplayErrorContext(&e).to_string(),
            })?;
        Ok(())
    }
}

#[async_trait]
impl RawObjects for S3RawObjects {
    async fn delete(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
        object: &SourceObject,
    ) -> Result<(), StoreError> {
        if object.bucket != self.bucket {
            tracing::warn!(%tenant, %call_id, bucket = %object.bucket, key = %object.key,
                "raw object left: it is in a configured source's bucket, not the drop-in bucket");
            return Ok(());
        }
        // Drop-in keys start with their tenant; anything else was not this tenant's to delete.
        if let Some(foreign) = object
            .keys()
            .find(|key| !key.starts_with(&format!("{tenant}/")))
        {
            return Err(StoreError::Rejected {
                operation: format!("deleting the raw object of call {call_id}"),
                reason: format!("{foreign} is not under the tenant's prefix {tenant}/"),
            });
        }
        self.delete_one(&object.key, object.version_id.as_deref())
            .await?;
        for other in object.keys().skip(1) {
            self.delete_one(other, None).await?;
        }
        Ok(())
    }
}
