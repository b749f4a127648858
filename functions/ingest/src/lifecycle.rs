//! The calls' lifecycle routes beside ingest's (the write side of the API, with its scope):
//! `DELETE /api/v1/calls/{call_id}` erases a call everywhere, `POST
//! /api/v1/calls/{call_id}/reanalyse` queues its analysis again.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use callscope_app::lifecycle::LifecycleError;
use callscope_core::domain::CallId;
use callscope_http::schema::{Problem, Refused, ValidationProblem};
use callscope_http::{ApiError, Subject, Tenant};
use serde::Serialize;
use utoipa::ToSchema;

use crate::Ingest;

fn call_id(raw: &str) -> Result<CallId, ApiError> {
    CallId::parse("call_id", raw).map_err(ApiError::path)
}

fn failed(error: LifecycleError) -> ApiError {
    match error {
        LifecycleError::NotFound(call_id) => {
            ApiError::NotFound(format!("Call {call_id} not found"))
        }
        error @ LifecycleError::NotProcessed { .. } => ApiError::NotReady(error.to_string()),
        error @ (LifecycleError::Store(_) | LifecycleError::NotSent(_)) => {
            tracing::error!(%error, "the call's lifecycle request failed for now");
            ApiError::Unavailable("the request could not be completed; retry it".into())
        }
    }
}

/// Erase a call everywhere: its items (transcript, analysis, listing entries, similarity
/// signature), its raw object, its cache entries, and its measures from every rollup (once).
#[utoipa::path(
    delete, path = "/api/v1/calls/{call_id}", tag = "calls",
    params(("call_id" = String, Path, description = "The call's id: 1–128 of `A-Z a-z 0-9 . _ : -`", pattern = r"^[A-Za-z0-9._:-]{1,128}$")),
    responses(
        (status = 204, description = "Erased. Its rollups are corrected by the analytics queue within seconds; an erasure retried after a 503 finishes it"),
        Refused,
        (status = 404, description = "No such call for this tenant (never stored, another tenant's, or already erased: a repeated DELETE answers 404)", body = Problem),
        (status = 422, description = "The call id breaks its rule", body = ValidationProblem),
        (status = 503, description = "Not finished now; the call is still there and retrying is safe", body = Problem,
            headers(("Retry-After" = u32, description = "Seconds to wait"))),
    ),
    security(("jwt" = []))
)]
pub async fn erase_call(
    State(ingest): State<Ingest>,
    Tenant(tenant): Tenant,
    Subject(who): Subject,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let call_id = call_id(&raw)?;
    ingest
        .lifecycle
        .erase(&tenant, &call_id, &who)
        .await
        .map_err(failed)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A re-analysis queued.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReanalysisQueued {
    pub call_id: String,
    /// The revision the call's analysis will have once re-analysed (`GET /api/v1/calls/{id}`
    /// shows it as `revision`).
    pub revision: u32,
    /// Always `queued`.
    pub status: &'static str,
}

/// Analyse a processed call again, with the tenant's current settings; its rollups move from
/// the old analysis to the new one, once.
#[utoipa::path(
    post, path = "/api/v1/calls/{call_id}/reanalyse", tag = "calls",
    params(("call_id" = String, Path, description = "The call's id: 1–128 of `A-Z a-z 0-9 . _ : -`", pattern = r"^[A-Za-z0-9._:-]{1,128}$")),
    responses(
        (status = 202, description = "Queued on the reanalyse queue (drained at a low concurrency, after new calls' needs)", body = ReanalysisQueued),
        Refused,
        (status = 404, description = "No such call for this tenant", body = Problem),
        (status = 409, description = "The call is not PROCESSED yet (RECEIVED or FAILED)", body = Problem),
        (status = 422, description = "The call id breaks its rule", body = ValidationProblem),
        (status = 503, description = "Not queued now; retrying is safe", body = Problem,
            headers(("Retry-After" = u32, description = "Seconds to wait"))),
    ),
    security(("jwt" = []))
)]
pub async fn reanalyse_call(
    State(ingest): State<Ingest>,
    Tenant(tenant): Tenant,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let call_id = call_id(&raw)?;
    let queued = ingest
        .lifecycle
        .reanalyse(&tenant, &call_id)
        .await
        .map_err(failed)?;
    let body = ReanalysisQueued {
        call_id: queued.call_id.to_string(),
        revision: queued.revision,
        status: "queued",
    };
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}
