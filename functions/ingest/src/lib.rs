//! The ingest function's HTTP adapter: `POST /api/v1/calls` (one call) and
//! `POST /api/v1/calls/bulk` (up to 1,000), admitted by the application's admit use case.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRef, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum::{Json, Router};
use callscope_app::admit::{Admission, AdmitCalls, Admitted};
use callscope_app::erasure::CustomerErasures;
use callscope_app::lifecycle::{CallLifecycle, NoRawObjects, RawObjects};
use callscope_app::ports::SystemClock;
use callscope_app::rate_limit::{RateLimiter, TokenBucket};
use callscope_app::telemetry;
use callscope_app::uploads::Uploads;
use callscope_app::Deadline;
use callscope_cloud::aws::AwsClients;
use callscope_cloud::config::IngestConfig;
use callscope_cloud::s3::S3RawObjects;
use callscope_core::domain::{Call, CorrelationId, TenantId, MAX_DOCUMENT_BYTES};
use callscope_core::error::InputError;
use callscope_core::formats::{self, Format};
use callscope_http::lambda::StagePrefix;
use callscope_http::problem::{input_detail, Place};
use callscope_http::rate_limit::limited;
use callscope_http::schema::{BodyRefusal, Problem, Refused, ValidationProblem};
use callscope_http::{ApiError, Tenant, TenantAuth};
use document::{
    Accepted, AcceptedStatus, BulkAnswer, BulkDocument, BulkResult, BulkStatus, CallDocument,
};
use serde_json::value::RawValue;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

mod document;
mod erasures;
mod lifecycle;
mod reanalyses;
mod uploads;

pub use erasures::ERASURES_ROUTE;
pub use reanalyses::REANALYSES_ROUTE;
pub use uploads::UPLOADS_ROUTE;

pub const SINGLE_ROUTE: &str = "/api/v1/calls";
pub const BULK_ROUTE: &str = "/api/v1/calls/bulk";
/// Most calls one bulk request may carry.
pub const BULK_LIMIT: usize = 1_000;

/// What the handlers share.
#[derive(Debug, Clone)]
pub struct Ingest {
    pub admit: AdmitCalls,
    pub lifecycle: CallLifecycle,
    /// Tenant jobs (customer erasures, bulk re-analyses): requests stored and their first page
    /// queued; progress read.
    pub erasures: CustomerErasures,
    pub auth: TenantAuth,
    /// Presigned uploads into the drop-in bucket (none: the route answers 503).
    pub uploads: Option<Uploads>,
}

impl FromRef<Ingest> for TenantAuth {
    fn from_ref(ingest: &Ingest) -> TenantAuth {
        ingest.auth.clone()
    }
}

/// The function as its composition root builds it: DynamoDB, the process, analytics,
/// reanalyse and erasure queues, the drop-in bucket (uploads, and the raw objects erasure
/// deletes), the clock.
pub fn router(config: &IngestConfig, clients: &AwsClients) -> Router {
    let admit = AdmitCalls::new(
        clients.calls(&config.calls_table),
        clients.queue(&config.process_queue_url),
        Arc::new(SystemClock),
    );
    let lifecycle = CallLifecycle::new(
        clients.calls(&config.calls_table),
        clients.queue(&config.analytics_queue_url),
        clients.queue(&config.reanalyse_queue_url),
        raw_objects(config, clients),
        Arc::new(SystemClock),
    );
    let erasures = CustomerErasures::new(
        clients.erasures(&config.calls_table),
        clients.calls(&config.calls_table),
        lifecycle.clone(),
        clients.queue(&config.erasure_queue_url),
        Arc::new(SystemClock),
    );
    let auth = TenantAuth {
        claim: config.tenant_claim.clone(),
        default_tenant: config.default_tenant.clone(),
    };
    let uploads = config.dropin_bucket.as_ref().map(|bucket| {
        Uploads::new(
            clients.uploads(bucket),
            bucket.clone(),
            Arc::new(SystemClock),
        )
    });
    let router = routes(Ingest {
        admit,
        lifecycle,
        erasures,
        auth: auth.clone(),
        uploads,
    });
    match config.requests_per_minute {
        0 => router,
        limit => limited(router, rate_limit(limit), auth),
    }
}

/// The drop-in bucket's objects, deleted with the calls read from them (no bucket: none).
fn raw_objects(config: &IngestConfig, clients: &AwsClients) -> Arc<dyn RawObjects> {
    match &config.dropin_bucket {
        Some(bucket) => Arc::new(S3RawObjects::new(clients.s3.clone(), bucket.clone())),
        None => Arc::new(NoRawObjects),
    }
}

/// Each tenant's requests a minute in this sandbox: ingest never talks to the cache, so the
/// count is in-process and approximate (a tenant may get up to the limit times the running
/// sandboxes; the function's reserved concurrency bounds those).
pub fn rate_limit(per_minute: u32) -> Arc<dyn RateLimiter> {
    Arc::new(TokenBucket::per_minute(Arc::new(SystemClock), per_minute))
}

/// The routes and their OpenAPI description.
fn documented() -> (Router<Ingest>, utoipa::openapi::OpenApi) {
    OpenApiRouter::new()
        .routes(routes!(create_one))
        .routes(routes!(create_many))
        .routes(routes!(uploads::create_upload))
        .routes(routes!(lifecycle::erase_call))
        .routes(routes!(lifecycle::reanalyse_call))
        .routes(routes!(erasures::create_erasure))
        .routes(routes!(erasures::get_erasure))
        .routes(routes!(reanalyses::create_reanalysis))
        .routes(routes!(reanalyses::get_reanalysis))
        .split_for_parts()
}

/// The OpenAPI description of ingest's routes (the API function serves the whole document).
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented().1
}

/// The routes over any ports (tests hand in in-memory ones).
pub fn routes(ingest: Ingest) -> Router {
    let (router, _) = documented();
    callscope_http::with_v1_fallbacks(router)
        // The document limit is ours, checked with a 413 that names it; axum's own default
        // (2 MB) is below the documents callscope accepts.
        .layer(DefaultBodyLimit::disable())
        .with_state(ingest)
}

/// Submit one call: callscope JSON (`utterances`), v1 plain text (`transcript`) or an Amazon
/// Transcribe / Contact Lens document (`transcribe`).
#[utoipa::path(
    post, path = "/api/v1/calls", tag = "calls",
    request_body(content = CallDocument, description = "One call document (at most 3,000,000 bytes)", content_type = "application/json"),
    responses(
        (status = 202, description = "Stored and queued for analysis (or the same call again)", body = Accepted,
            headers(("Location" = String, description = "The call's URL"))),
        (status = 400, description = "Not JSON", body = ValidationProblem),
        Refused,
        (status = 409, description = "The call_id exists with other content", body = Problem),
        (status = 413, description = "Over a size limit: the document, the utterances or their text", body = BodyRefusal),
        (status = 415, description = "Content-Type is not application/json", body = Problem),
        (status = 422, description = "A field breaks a rule; `detail[0].loc` names it", body = ValidationProblem),
        (status = 503, description = "Not stored or not queued now; retrying is safe", body = Problem,
            headers(("Retry-After" = u32, description = "Seconds to wait"))),
    ),
    security(("jwt" = []))
)]
async fn create_one(
    State(ingest): State<Ingest>,
    Tenant(tenant): Tenant,
    context: Option<Extension<lambda_http::Context>>,
    stage: Option<Extension<StagePrefix>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_json(&headers)?;
    let stage = stage.map(|Extension(stage)| stage);
    let call = formats::parse_call(&body, Format::Auto).map_err(rejected)?;
    let admitted = admit(&ingest, &tenant, vec![call], deadline_of(context))
        .await
        .pop()
        .ok_or_else(|| {
            ApiError::Unavailable("the call could not be admitted; retry the request".into())
        })?;
    match admitted.admission {
        Admission::Accepted => Ok(accepted_at(
            &location_of(&admitted, stage.as_ref()),
            accepted_body(&admitted, stage.as_ref()),
        )),
        Admission::Conflict => Err(ApiError::Conflict(admitted.call_id.to_string())),
        Admission::Rejected(error) => Err(ApiError::body(error)),
        Admission::Unavailable(reason) => Err(ApiError::Unavailable(reason.to_owned())),
    }
}

/// 202 Accepted with `body`, and `Location` where the client reads what became of it (a
/// location that cannot be a header value is left out rather than failing the answer).
pub(crate) fn accepted_at(location: &str, body: impl serde::Serialize) -> Response {
    let mut response = (StatusCode::ACCEPTED, Json(body)).into_response();
    if let Ok(location) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// Submit up to 1,000 calls: a JSON array or `{"calls": [...]}`. Each item is accepted or
/// rejected with its own reason; none is skipped silently.
#[utoipa::path(
    post, path = "/api/v1/calls/bulk", tag = "calls",
    request_body(content = BulkDocument, description = "1–1,000 call documents (at most 3,000,000 bytes in all)", content_type = "application/json"),
    responses(
        (status = 202, description = "Each call's answer: accepted, rejected (with the rule), conflict or retry", body = BulkAnswer),
        (status = 400, description = "Not JSON", body = ValidationProblem),
        Refused,
        (status = 413, description = "Over the document limit", body = BodyRefusal),
        (status = 415, description = "Content-Type is not application/json", body = Problem),
        (status = 422, description = "Not 1–1,000 calls in an array or `{\"calls\": [...]}`", body = ValidationProblem),
    ),
    security(("jwt" = []))
)]
async fn create_many(
    State(ingest): State<Ingest>,
    Tenant(tenant): Tenant,
    context: Option<Extension<lambda_http::Context>>,
    stage: Option<Extension<StagePrefix>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_json(&headers)?;
    let stage = stage.map(|Extension(stage)| stage);
    let items = bulk_items(&body).map_err(rejected)?;
    let mut results: Vec<Option<BulkResult>> = (0..items.len()).map(|_| None).collect();
    let mut calls: Vec<(usize, Call)> = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        match formats::parse_call(item.get().as_bytes(), Format::Auto) {
            Ok(call) => calls.push((index, call)),
            Err(error) => {
                telemetry::call_rejected(telemetry::rule_of(error.kind));
                let error = error.within(&format!("calls[{index}]"));
                results[index] = Some(BulkResult {
                    errors: Some(vec![input_detail(Place::Body, &error)]),
                    ..BulkResult::new(index, BulkStatus::Rejected, None)
                });
            }
        }
    }
    let (indexes, calls): (Vec<usize>, Vec<Call>) = calls.into_iter().unzip();
    let admitted = admit(&ingest, &tenant, calls, deadline_of(context)).await;
    for (index, admitted) in indexes.into_iter().zip(admitted) {
        let call_id = Some(admitted.call_id.to_string());
        results[index] = Some(match &admitted.admission {
            Admission::Accepted => {
                let accepted = accepted_body(&admitted, stage.as_ref());
                BulkResult {
                    correlation_id: Some(accepted.correlation_id),
                    location: Some(accepted.location),
                    ..BulkResult::new(index, BulkStatus::Accepted, call_id)
                }
            }
            Admission::Conflict => BulkResult {
                detail: Some(format!(
                    "call {} already exists with different content",
                    admitted.call_id
                )),
                ..BulkResult::new(index, BulkStatus::Conflict, call_id)
            },
            Admission::Rejected(error) => BulkResult {
                errors: Some(vec![input_detail(
                    Place::Body,
                    &error.clone().within(&format!("calls[{index}]")),
                )]),
                ..BulkResult::new(index, BulkStatus::Rejected, call_id)
            },
            Admission::Unavailable(reason) => BulkResult {
                detail: Some((*reason).to_owned()),
                ..BulkResult::new(index, BulkStatus::Retry, call_id)
            },
        });
    }
    let results: Vec<BulkResult> = results.into_iter().flatten().collect();
    let count = |status: BulkStatus| results.iter().filter(|r| r.status == status).count();
    let body = BulkAnswer {
        accepted: count(BulkStatus::Accepted),
        rejected: count(BulkStatus::Rejected) + count(BulkStatus::Conflict),
        retry: count(BulkStatus::Retry),
        results,
    };
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

/// Admits calls with a fresh correlation id each (a retried call keeps its first one).
async fn admit(
    ingest: &Ingest,
    tenant: &TenantId,
    calls: Vec<Call>,
    deadline: Deadline,
) -> Vec<Admitted> {
    let calls = calls
        .into_iter()
        .map(|call| (call, new_correlation_id()))
        .collect();
    ingest.admit.admit(tenant, calls, deadline).await
}

/// The invocation's deadline, from the Lambda context the runtime put on the request.
fn deadline_of(context: Option<Extension<lambda_http::Context>>) -> Deadline {
    context.map_or(Deadline::NONE, |Extension(c)| {
        Deadline::from_epoch_millis(c.deadline)
    })
}

fn accepted_body(admitted: &Admitted, stage: Option<&StagePrefix>) -> Accepted {
    Accepted {
        call_id: admitted.call_id.to_string(),
        status: AcceptedStatus::Accepted,
        correlation_id: admitted.correlation_id.as_str().to_owned(),
        location: location_of(admitted, stage),
    }
}

/// The call's URL path as the client reaches it: behind the stage the request came through.
fn location_of(admitted: &Admitted, stage: Option<&StagePrefix>) -> String {
    StagePrefix::link(stage, &format!("{SINGLE_ROUTE}/{}", admitted.call_id))
}

fn new_correlation_id() -> CorrelationId {
    let id = uuid::Uuid::new_v4().to_string();
    CorrelationId::parse("correlation_id", id)
        .unwrap_or_else(|_| unreachable!("a UUID is a valid correlation id"))
}

fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if media_type.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        telemetry::call_rejected("unsupported_media_type");
        Err(ApiError::UnsupportedMediaType)
    }
}

/// A request refused for its body as a whole: counted once, by the rule it broke.
fn rejected(error: InputError) -> ApiError {
    telemetry::call_rejected(telemetry::rule_of(error.kind));
    ApiError::body(error)
}

/// A bulk body: a JSON array of calls, or `{"calls": [...]}`, with at most [`BULK_LIMIT`] items.
/// Each call is kept as its JSON text and read on its own (`formats::parse_call`), so memory
/// holds the body and one call's values at a time, not a tree of the whole body.
fn bulk_items(body: &[u8]) -> Result<Vec<Box<RawValue>>, InputError> {
    if body.len() > MAX_DOCUMENT_BYTES {
        return Err(InputError::too_large(
            "document",
            format!(
                "is {} bytes; at most {MAX_DOCUMENT_BYTES} are accepted",
                body.len()
            ),
        ));
    }
    let not_an_array = || InputError::invalid("calls", "must be an array of calls");
    let items: Vec<Box<RawValue>> = match serde_json::from_slice(body) {
        Ok(items) => items,
        Err(_) => match serde_json::from_slice::<HashMap<String, Box<RawValue>>>(body) {
            Ok(mut object) => match object.remove("calls") {
                Some(calls) => serde_json::from_str(calls.get()).map_err(|_| not_an_array())?,
                None => {
                    return Err(InputError::invalid(
                        "calls",
                        "is required: send an array of calls or {\"calls\": [...]}",
                    ))
                }
            },
            Err(_) => {
                // Valid JSON of another kind, or not JSON at all.
                return Err(match serde_json::from_slice::<Box<RawValue>>(body) {
                    Ok(_) => {
                        InputError::invalid("calls", "send an array of calls or {\"calls\": [...]}")
                    }
                    Err(e) => InputError::malformed("document", e),
                });
            }
        },
    };
    if items.is_empty() {
        return Err(InputError::invalid(
            "calls",
            "must contain at least one call",
        ));
    }
    // A count rule, like the array's `maxItems` in openapi.json: 422. (413 is for bytes.)
    if items.len() > BULK_LIMIT {
        return Err(InputError::invalid(
            "calls",
            format!(
                "has {} calls; at most {BULK_LIMIT} per request",
                items.len()
            ),
        ));
    }
    Ok(items)
}

#[cfg(test)]
mod tests;
