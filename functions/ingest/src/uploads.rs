//! `POST /api/v1/uploads`: a presigned S3 PUT for a document too large for a request (past
//! API Gateway's 10 MB and Lambda's 6 MB), under the caller's tenant prefix of the drop-in
//! bucket, whose object then becomes a call like any dropped object.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use callscope_app::uploads::UploadError;
use callscope_core::error::InputError;
use callscope_http::schema::{BodyRefusal, Problem, Refused, ValidationProblem};
use callscope_http::{ApiError, Tenant};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{rejected, require_json, Ingest};

pub const UPLOADS_ROUTE: &str = "/api/v1/uploads";

/// What is about to be uploaded.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadRequest {
    /// The document's exact size in bytes (the PUT must send exactly this many).
    #[schema(minimum = 1, maximum = 16000000)]
    #[serde(deserialize_with = "whole_bytes")]
    pub size: u64,
    /// `application/json` (any call document or Transcribe / Contact Lens output) or
    /// `text/plain` (`Agent: …` lines); the PUT must send the same `Content-Type`. ASCII case,
    /// surrounding spaces and parameters (`; charset=utf-8`, printable ASCII: the value is signed
    /// into the PUT's headers) are allowed.
    #[schema(
        pattern = "^[ \t]*([Aa][Pp][Pp][Ll][Ii][Cc][Aa][Tt][Ii][Oo][Nn]/[Jj][Ss][Oo][Nn]|[Tt][Ee][Xx][Tt]/[Pp][Ll][Aa][Ii][Nn])[ \t]*(;[\t -~]*)?$"
    )]
    pub content_type: String,
}

/// A size sent as `2500000` or `2500000.0` (JSON does not tell whole numbers apart, and some
/// writers put a fraction on every number); a real fraction or a negative size is refused.
fn whole_bytes<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let number = serde_json::Number::deserialize(deserializer)?;
    number
        .as_u64()
        .or_else(|| {
            number
                .as_f64()
                .filter(|v| v.fract() == 0.0 && *v >= 0.0 && *v < u64::MAX as f64)
                .map(|v| v as u64)
        })
        .ok_or_else(|| {
            serde::de::Error::custom(format!(
                "size must be a whole number of bytes, not {number}"
            ))
        })
}

/// 201: where and how to PUT the document.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadAnswer {
    /// The object's key: `{tenant}/uploads/{id}.json|.txt`.
    pub key: String,
    pub method: &'static str,
    /// The presigned URL (valid until `expires_at`).
    pub url: String,
    /// Headers to send with the PUT, exactly as given.
    pub headers: BTreeMap<String, String>,
    /// The call's id once the object is read, unless the document names its own `call_id`.
    pub call_id: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
}

/// Presign the upload of one large document: PUT it to `url` with `headers`; it is then read
/// and admitted like a document posted to `/api/v1/calls` (problems are parked in the drop-in
/// DLQ with their reason, see docs/api.md#uploads).
#[utoipa::path(
    post, path = "/api/v1/uploads", tag = "calls",
    request_body(content = UploadRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "A presigned PUT into the tenant's prefix", body = UploadAnswer),
        (status = 400, description = "Not JSON", body = ValidationProblem),
        Refused,
        (status = 413, description = "`size` is over 16,000,000 bytes", body = BodyRefusal),
        (status = 415, description = "Content-Type is not application/json", body = Problem),
        (status = 422, description = "A field breaks a rule (`content_type` not application/json or text/plain, `size` 0); `detail[0].loc` names it", body = ValidationProblem),
        (status = 503, description = "Uploads are not available now; retrying is safe", body = Problem,
            headers(("Retry-After" = u32, description = "Seconds to wait"))),
    ),
    security(("jwt" = []))
)]
pub(crate) async fn create_upload(
    State(ingest): State<Ingest>,
    Tenant(tenant): Tenant,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    require_json(&headers)?;
    let request: UploadRequest = serde_json::from_slice(&body).map_err(|e| {
        rejected(if e.is_data() {
            InputError::invalid("body", e)
        } else {
            InputError::malformed("document", e)
        })
    })?;
    let uploads = ingest
        .uploads
        .as_ref()
        .ok_or_else(|| ApiError::Unavailable("uploads are not configured on this stack".into()))?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let upload = uploads
        .presign(&tenant, &request.content_type, request.size, &id)
        .await
        .map_err(|e| match e {
            UploadError::Invalid(error) => rejected(error),
            UploadError::Unavailable(reason) => {
                tracing::warn!(%reason, "presigning an upload failed");
                ApiError::Unavailable("the upload could not be signed; retry the request".into())
            }
        })?;
    let answer = UploadAnswer {
        key: upload.key,
        method: "PUT",
        url: upload.put.url,
        headers: upload.put.headers,
        call_id: upload.call_id.to_string(),
        expires_at: upload.expires_at.to_string(),
    };
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}
