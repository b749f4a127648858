//! Large documents over HTTP: a presigned S3 PUT into the caller's tenant prefix of the drop-in
//! bucket, bounded in size and content type, so a document past API Gateway's and Lambda's
//! request limits reaches the same drop-in path as any dropped object.

use std::sync::Arc;
use std::time::Duration;

use callscope_core::domain::{CallId, TenantId, Timestamp};
use callscope_core::objects::{call_id_of, MAX_OBJECT_BYTES};
use callscope_core::InputError;

use crate::ports::{Clock, ObjectError, SignedPut, UploadSigner};

/// How long a presigned PUT stays valid.
pub const UPLOAD_EXPIRY: Duration = Duration::from_secs(900);

/// The content types an upload may have, and the suffix its key gets (what the bucket accepts).
const CONTENT_TYPES: [(&str, &str); 2] = [("application/json", ".json"), ("text/plain", ".txt")];

/// A presigned upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub key: String,
    pub put: SignedPut,
    /// The call's id once the object is read, unless the document names its own.
    pub call_id: CallId,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UploadError {
    #[error(transparent)]
    Invalid(#[from] InputError),
    #[error("{0}")]
    Unavailable(String),
}

#[derive(Debug, Clone)]
pub struct Uploads {
    signer: Arc<dyn UploadSigner>,
    bucket: String,
    clock: Arc<dyn Clock>,
}

impl Uploads {
    pub fn new(
        signer: Arc<dyn UploadSigner>,
        bucket: impl Into<String>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            signer,
            bucket: bucket.into(),
            clock,
        }
    }

    /// Presigns the PUT of one document of `size` bytes and `content_type` for `tenant`, under
    /// a fresh key `{tenant}/uploads/{id}.json|.txt`.
    pub async fn presign(
        &self,
        tenant: &TenantId,
        content_type: &str,
        size: u64,
        upload_id: &str,
    ) -> Result<Upload, UploadError> {
        // The media type before any parameters, ASCII case and spaces ignored: exactly what
        // the request's documented `content_type` pattern allows.
        let media_type = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim_matches([' ', '\t'])
            .to_ascii_lowercase();
        // The value becomes a signed header of the PUT: printable ASCII (and tabs) only.
        let header_safe = content_type
            .chars()
            .all(|c| c == '\t' || (' '..='~').contains(&c));
        let suffix = CONTENT_TYPES
            .iter()
            .find(|(t, _)| header_safe && *t == media_type)
            .map(|(_, suffix)| *suffix)
            .ok_or_else(|| {
                InputError::unsupported(
                    "content_type",
                    format!("{content_type:?} is not application/json or text/plain"),
                )
            })?;
        if size == 0 {
            return Err(InputError::invalid("size", "must be at least 1 byte").into());
        }
        if size > MAX_OBJECT_BYTES {
            return Err(InputError::too_large(
                "size",
                format!("is {size} bytes; an upload is at most {MAX_OBJECT_BYTES}"),
            )
            .into());
        }
        let key = format!("{tenant}/uploads/{upload_id}{suffix}");
        let put = self
            .signer
            .sign_put(&key, content_type, size, UPLOAD_EXPIRY)
            .await
            .map_err(|e: ObjectError| UploadError::Unavailable(e.to_string()))?;
        let expires_at = Timestamp::new(
            self.clock.now().time() + chrono::Duration::seconds(UPLOAD_EXPIRY.as_secs() as i64),
        );
        Ok(Upload {
            call_id: call_id_of(&self.bucket, &key),
            key,
            put,
            expires_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use async_trait::async_trait;

    use super::*;
    use crate::memory::FixedClock;
    use crate::test_support::tenant;

    /// Signs by describing what it signed.
    #[derive(Debug)]
    struct Describes;

    #[async_trait]
    impl UploadSigner for Describes {
        async fn sign_put(
            &self,
            key: &str,
            content_type: &str,
            content_length: u64,
            expires_in: Duration,
        ) -> Result<SignedPut, ObjectError> {
            Ok(SignedPut {
                url: format!("https://s3/{key}?expires={}", expires_in.as_secs()),
                headers: BTreeMap::from([
                    ("content-type".to_owned(), content_type.to_owned()),
                    ("content-length".to_owned(), content_length.to_string()),
                ]),
            })
        }
    }

    fn uploads() -> Uploads {
        Uploads::new(
            Arc::new(Describes),
            "drop",
            Arc::new(FixedClock::at("2026-11-02T10:00:00Z")),
        )
    }

    #[tokio::test]
    async fn an_upload_is_signed_under_the_tenants_prefix_with_its_size_and_type() {
        let upload = uploads()
            .presign(&tenant("acme"), "application/json", 2_500_000, "u1")
            .await
            .unwrap();
        assert_eq!(upload.key, "acme/uploads/u1.json");
        assert_eq!(
            upload.put.url,
            "https://s3/acme/uploads/u1.json?expires=900"
        );
        assert_eq!(upload.put.headers["content-length"], "2500000");
        assert_eq!(upload.call_id, call_id_of("drop", "acme/uploads/u1.json"));
        assert_eq!(upload.expires_at.to_string(), "2026-11-02T10:15:00.000Z");
        let text = uploads()
            .presign(&tenant("acme"), "text/plain; charset=utf-8", 10, "u2")
            .await
            .unwrap();
        assert_eq!(text.key, "acme/uploads/u2.txt");
    }

    #[tokio::test]
    async fn sizes_and_types_out_of_bounds_are_refused_naming_the_field() {
        let acme = tenant("acme");
        let field = |r: Result<Upload, UploadError>| match r {
            Err(UploadError::Invalid(e)) => e.field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(uploads().presign(&acme, "image/png", 10, "u").await),
            "content_type"
        );
        // A parameter that is not printable ASCII cannot be a signed header value.
        assert_eq!(
            field(
                uploads()
                    .presign(&acme, "text/plain; x=\u{c}\u{e9}", 10, "u")
                    .await
            ),
            "content_type"
        );
        assert_eq!(
            field(uploads().presign(&acme, "application/json", 0, "u").await),
            "size"
        );
        assert_eq!(
            field(
                uploads()
                    .presign(&acme, "application/json", MAX_OBJECT_BYTES + 1, "u")
                    .await
            ),
            "size"
        );
    }
}
