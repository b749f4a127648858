//! A customer's erasure through the API (a data subject's request), beside the erasure of one
//! call and with its scope: `POST /api/v1/erasures` stores the request and queues its first
//! page (202), `GET /api/v1/erasures/{erasure_id}` reads its progress. The erasures function
//! does the work (`callscope_app::erasure`).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use callscope_app::erasure::ErasureError;
use callscope_app::ports::{ErasureRequest, JobKind};
use callscope_core::error::InputError;
use callscope_core::formats;
use callscope_http::lambda::StagePrefix;
use callscope_http::problem::Place;
use callscope_http::schema::{Problem, Refused, ValidationProblem};
use callscope_http::{ApiError, Subject, Tenant};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{accepted_at, require_json, Ingest};

pub const ERASURES_ROUTE: &str = "/api/v1/erasures";

/// Whose calls to erase.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // the schema of a body read field by field (as call documents are)
pub struct ErasureBody {
    /// The customer whose every call of this tenant is erased: the `customer_id` the calls
    /// were sent with, under the same rule.
    #[schema(schema_with = crate::document::customer_id_schema)]
    customer_id: String,
}

/// A customer erasure request and how far it got.
#[derive(Debug, Serialize, ToSchema)]
pub struct Erasure {
    pub erasure_id: String,
    pub customer_id: String,
    /// `running` until every page of the tenant's calls was looked through, then `done`.
    #[schema(pattern = "^(running|done)$")]
    pub status: &'static str,
    /// The customer's calls erased so far (each with its audit line).
    pub erased: u64,
    /// Pages of the tenant's calls looked through so far (200 calls each).
    pub pages: u32,
    #[schema(format = DateTime)]
    pub requested_at: String,
    /// The JWT subject of who asked.
    pub requested_by: String,
    /// When it was done (null while running).
    #[schema(format = DateTime)]
    pub finished_at: Option<String>,
}

impl Erasure {
    /// The request as an erasure; a re-analysis' is not found here.
    fn of(request: ErasureRequest) -> Result<Self, ApiError> {
        let JobKind::Erase(customer_id) = request.kind else {
            return Err(ApiError::NotFound(format!(
                "Erasure {} not found",
                request.erasure_id
            )));
        };
        Ok(Self {
            erasure_id: request.erasure_id,
            customer_id: customer_id.as_str().to_owned(),
            status: request.status.as_str(),
            erased: request.erased,
            pages: request.pages,
            requested_at: request.requested_at.to_string(),
            requested_by: request.requested_by,
            finished_at: request.finished_at.map(|t| t.to_string()),
        })
    }
}

pub(crate) fn failed(error: ErasureError, place: Place) -> ApiError {
    match error {
        ErasureError::Invalid(error) => ApiError::Input(place, error),
        ErasureError::NotFound(id) => ApiError::NotFound(format!("Erasure {id} not found")),
        error @ (ErasureError::Store(_) | ErasureError::NotSent) => {
            tracing::error!(%error, "the erasure request failed for now");
            ApiError::Unavailable("the request could not be completed; retry it".into())
        }
    }
}

/// Reads `{"customer_id": …}`: the id as a call document's ids are read (a string, or a whole
/// number as its text); any other field is refused by name.
fn customer_id(body: &[u8]) -> Result<String, InputError> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| InputError::malformed("document", e))?;
    let serde_json::Value::Object(object) = value else {
        return Err(InputError::invalid("body", "must be a JSON object"));
    };
    if let Some(other) = object.keys().find(|k| *k != "customer_id") {
        return Err(InputError::invalid(
            other.as_str(),
            "is not a field of an erasure request",
        ));
    }
    formats::id_field(&object, "customer_id")?
        .ok_or_else(|| InputError::invalid("customer_id", "is required"))
}

/// Erase every call of a customer in this tenant (a data subject's request), asynchronously:
/// the tenant's calls are looked through page by page, each of the customer's erased as
/// `DELETE /api/v1/calls/{call_id}` erases it. Poll the `Location` for progress. Two requests
/// for the same customer are two requests (the second erases what is left, if anything).
#[utoipa::path(
    post, path = "/api/v1/erasures", tag = "calls",
    request_body(content = ErasureBody, content_type = "application/json"),
    responses(
        (status = 202, description = "Accepted: the erasure runs; its progress is at `Location`", body = Erasure,
            headers(("Location" = String, description = "The erasure request's URL"))),
        (status = 400, description = "Not JSON", body = ValidationProblem),
        Refused,
        (status = 415, description = "Content-Type is not application/json", body = Problem),
        (status = 422, description = "`customer_id` is missing or breaks its rule, or the body has another field; `detail[0].loc` names it", body = ValidationProblem),
        (status = 503, description = "Not accepted now; retrying is safe", body = Problem,
            headers(("Retry-After" = u32, description = "Seconds to wait"))),
    ),
    security(("jwt" = []))
)]
pub(crate) async fn create_erasure(
    State(ingest): State<Ingest>,
    Tenant(tenant): Tenant,
    Subject(who): Subject,
    stage: Option<Extension<StagePrefix>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    require_json(&headers)?;
    let customer_id = customer_id(&body).map_err(ApiError::body)?;
    let erasure_id = uuid::Uuid::new_v4().to_string();
    let request = ingest
        .erasures
        .request(&tenant, &erasure_id, &customer_id, &who)
        .await
        .map_err(|e| failed(e, Place::Body))?;
    let location = StagePrefix::link(
        stage.map(|Extension(s)| s).as_ref(),
        &format!("{ERASURES_ROUTE}/{erasure_id}"),
    );
    Ok(accepted_at(&location, Erasure::of(request)?))
}

/// A customer erasure request's progress (this tenant's only; kept 30 days).
#[utoipa::path(
    get, path = "/api/v1/erasures/{erasure_id}", tag = "calls",
    params(("erasure_id" = String, Path, description = "The erasure's id: 1–64 of `A-Z a-z 0-9 -`", pattern = r"^[A-Za-z0-9-]{1,64}$")),
    responses(
        (status = 200, description = "Its progress", body = Erasure),
        Refused,
        (status = 404, description = "No such erasure for this tenant (never made, another tenant's, or older than 30 days)", body = Problem),
        (status = 422, description = "The erasure id breaks its rule", body = ValidationProblem),
        (status = 503, description = "Not read now; retrying is safe", body = Problem,
            headers(("Retry-After" = u32, description = "Seconds to wait"))),
    ),
    security(("jwt" = []))
)]
pub(crate) async fn get_erasure(
    State(ingest): State<Ingest>,
    Tenant(tenant): Tenant,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let request = ingest
        .erasures
        .progress(&tenant, &raw)
        .await
        .map_err(|e| failed(e, Place::Path))?;
    Ok((StatusCode::OK, Json(Erasure::of(request)?)).into_response())
}
