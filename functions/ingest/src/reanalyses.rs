//! A bulk re-analysis through the API, beside the re-analysis of one call and with its scope:
//! `POST /api/v1/reanalyses` stores the request and queues its first page (202), `GET
//! /api/v1/reanalyses/{reanalysis_id}` reads its progress. It is a tenant job as a customer's
//! erasure is (one request item, queue and function: `callscope_app::erasure`); the erasures
//! function queues each page's re-analyses on the reanalyse queue.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use callscope_app::erasure::{parse_erasure_id, ErasureError};
use callscope_app::ports::{ErasureRequest, JobKind};
use callscope_core::domain::{range_bound, Bound, Timestamp};
use callscope_core::error::InputError;
use callscope_http::lambda::StagePrefix;
use callscope_http::problem::Place;
use callscope_http::schema::{Problem, Refused, ValidationProblem};
use callscope_http::{ApiError, Subject, Tenant};
use serde::Serialize;
use utoipa::ToSchema;

use crate::erasures::failed;
use crate::{accepted_at, require_json, Ingest};

pub const REANALYSES_ROUTE: &str = "/api/v1/reanalyses";

/// Which calls to re-analyse: those that started in the range (the calls list's `from_date`
/// and `to_date`, read the same way). An empty body, `{}`, or neither bound: every call.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // the schema of a body read field by field
pub struct ReanalysisBody {
    /// Calls that started at or after this time (ISO 8601; `Z`, an offset, none = UTC, or a
    /// date = its first instant).
    #[schema(format = DateTime, nullable = false)]
    from_date: Option<String>,
    /// Calls that started at or before this time (a date = its last instant); not before
    /// `from_date`.
    #[schema(format = DateTime, nullable = false)]
    to_date: Option<String>,
}

/// A bulk re-analysis request and how far it got.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reanalysis {
    pub reanalysis_id: String,
    /// `running` until every page of the range was looked through, then `done`.
    #[schema(pattern = "^(running|done)$")]
    pub status: &'static str,
    /// Processed calls of the range whose re-analysis was queued so far.
    pub queued: u64,
    /// Calls of the range left alone so far: not processed (yet, or failed), or erased.
    pub skipped: u64,
    /// Pages of the range looked through so far (200 calls each).
    pub pages: u32,
    /// The range's start as read (null: open).
    #[schema(format = DateTime)]
    pub from_date: Option<String>,
    /// The range's end as read (null: open).
    #[schema(format = DateTime)]
    pub to_date: Option<String>,
    #[schema(format = DateTime)]
    pub requested_at: String,
    /// The JWT subject of who asked.
    pub requested_by: String,
    /// When every page was looked through (null while running). The queued re-analyses run
    /// after that, at the reanalyse queue's pace.
    #[schema(format = DateTime)]
    pub finished_at: Option<String>,
}

impl Reanalysis {
    /// The request as a re-analysis; an erasure's is not found here.
    fn of(request: ErasureRequest) -> Result<Self, ApiError> {
        let JobKind::Reanalyse { from, to } = request.kind else {
            return Err(not_found(&request.erasure_id));
        };
        Ok(Self {
            reanalysis_id: request.erasure_id,
            status: request.status.as_str(),
            queued: request.erased,
            skipped: request.skipped,
            pages: request.pages,
            from_date: from.map(|t| t.to_string()),
            to_date: to.map(|t| t.to_string()),
            requested_at: request.requested_at.to_string(),
            requested_by: request.requested_by,
            finished_at: request.finished_at.map(|t| t.to_string()),
        })
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("Re-analysis {id} not found"))
}

/// Reads `{"from_date"?: …, "to_date"?: …}` (an empty body, or `null`, is `{}`); any other field is refused
/// by name, a bound that is not a date or date-time names its field.
fn range(body: &[u8]) -> Result<(Option<Timestamp>, Option<Timestamp>), InputError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok((None, None));
    }
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| InputError::malformed("document", e))?;
    let object = match value {
        serde_json::Value::Object(object) => object,
        // The document's optional body: `null` is none, as an empty body is.
        serde_json::Value::Null => return Ok((None, None)),
        _ => return Err(InputError::invalid("body", "must be a JSON object")),
    };
    if let Some(other) = object
        .keys()
        .find(|k| !matches!(k.as_str(), "from_date" | "to_date"))
    {
        return Err(InputError::invalid(
            other.as_str(),
            "is not a field of a re-analysis request",
        ));
    }
    let bound = |name: &str, end: Bound| match object.get(name) {
        None => Ok(None),
        Some(serde_json::Value::String(raw)) => range_bound(name, raw, end).map(Some),
        Some(_) => Err(InputError::invalid(
            name,
            "must be an ISO 8601 date or date-time string",
        )),
    };
    Ok((
        bound("from_date", Bound::Start)?,
        bound("to_date", Bound::End)?,
    ))
}

/// Re-analyse this tenant's calls in bulk (after a change to its scorecard or trackers),
/// asynchronously: every PROCESSED call that started in the range (every call without one)
/// is queued for analysis again as `POST /api/v1/calls/{call_id}/reanalyse` queues it; calls
/// not processed are skipped. The re-analyses run from the reanalyse queue at its own low
/// concurrency, so a bulk request never starves new calls. Poll the `Location` for progress.
#[utoipa::path(
    post, path = "/api/v1/reanalyses", tag = "calls",
    request_body(content = Option<ReanalysisBody>, content_type = "application/json",
        description = "The range; an empty body or `{}` re-analyses every call"),
    responses(
        (status = 202, description = "Accepted: the pages run; progress is at `Location`", body = Reanalysis,
            headers(("Location" = String, description = "The re-analysis request's URL"))),
        (status = 400, description = "Not JSON", body = ValidationProblem),
        Refused,
        (status = 415, description = "Content-Type is not application/json (with a body)", body = Problem),
        (status = 422, description = "A bound is not a date or date-time, `to_date` is before `from_date`, or the body has another field; `detail[0].loc` names it", body = ValidationProblem),
        (status = 503, description = "Not accepted now; retrying is safe", body = Problem,
            headers(("Retry-After" = u32, description = "Seconds to wait"))),
    ),
    security(("jwt" = []))
)]
pub(crate) async fn create_reanalysis(
    State(ingest): State<Ingest>,
    Tenant(tenant): Tenant,
    Subject(who): Subject,
    stage: Option<Extension<StagePrefix>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    // An empty body (every call) needs no Content-Type.
    if !body.iter().all(u8::is_ascii_whitespace) {
        require_json(&headers)?;
    }
    let (from, to) = range(&body).map_err(ApiError::body)?;
    let reanalysis_id = uuid::Uuid::new_v4().to_string();
    let request = ingest
        .erasures
        .request_reanalysis(&tenant, &reanalysis_id, from, to, &who)
        .await
        .map_err(|e| failed(e, Place::Body))?;
    let location = StagePrefix::link(
        stage.map(|Extension(s)| s).as_ref(),
        &format!("{REANALYSES_ROUTE}/{reanalysis_id}"),
    );
    Ok(accepted_at(&location, Reanalysis::of(request)?))
}

/// A bulk re-analysis request's progress (this tenant's only; kept 30 days).
#[utoipa::path(
    get, path = "/api/v1/reanalyses/{reanalysis_id}", tag = "calls",
    params(("reanalysis_id" = String, Path, description = "The re-analysis' id: 1–64 of `A-Z a-z 0-9 -`", pattern = r"^[A-Za-z0-9-]{1,64}$")),
    responses(
        (status = 200, description = "Its progress", body = Reanalysis),
        Refused,
        (status = 404, description = "No such re-analysis for this tenant (never made, another tenant's, or older than 30 days)", body = Problem),
        (status = 422, description = "The re-analysis id breaks its rule", body = ValidationProblem),
        (status = 503, description = "Not read now; retrying is safe", body = Problem,
            headers(("Retry-After" = u32, description = "Seconds to wait"))),
    ),
    security(("jwt" = []))
)]
pub(crate) async fn get_reanalysis(
    State(ingest): State<Ingest>,
    Tenant(tenant): Tenant,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    // Checked here first, so the refusal names the id as this route's path does.
    let id = parse_erasure_id("reanalysis_id", &raw).map_err(ApiError::path)?;
    let request = match ingest.erasures.progress(&tenant, &id).await {
        Err(ErasureError::NotFound(id)) => return Err(not_found(&id)),
        other => other.map_err(|e| failed(e, Place::Path))?,
    };
    Ok((StatusCode::OK, Json(Reanalysis::of(request)?)).into_response())
}
