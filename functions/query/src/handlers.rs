//! The query API's handlers: each checks its parameters, asks the query use case, and answers
//! with JSON and an `x-cache` header saying how it was served (hit, stale, miss, error,
//! disabled).

use axum::extract::{Path, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use callscope_app::ports::{CacheHealth, StoreError};
use callscope_app::query::views::{
    AgentsLeaderboard, CallDetail, CallList, Recommendations, ScopeAnalytics,
};
use callscope_app::query::{QueryError, Served};
use callscope_app::settings::name_agents;
use callscope_core::InputError;
use callscope_http::schema::{Problem, Refused, ValidationProblem};
use callscope_http::{ApiError, Tenant};
use serde_json::{json, Value};

use crate::params::{self, AnalyticsParams, LeaderboardParams, ListParams, Params};
use crate::Api;

const X_CACHE: HeaderName = HeaderName::from_static("x-cache");

fn answer<T: serde::Serialize>(served: Served<T>) -> Response {
    let mut response = Json(served.value).into_response();
    response
        .headers_mut()
        .insert(X_CACHE, HeaderValue::from_static(served.cache.as_str()));
    response
}

fn failed(error: QueryError) -> ApiError {
    match error {
        QueryError::Invalid(error) => ApiError::query(error),
        // The store refused the request as invalid: retrying it cannot help, so it is the
        // request's fault (a 4xx, logged as a refusal), never a 503 that fires the 5xx alarm.
        QueryError::Store(error @ StoreError::Rejected { .. }) => {
            tracing::warn!(%error, "the tables refused the read");
            ApiError::query(InputError::invalid(
                "",
                "the request cannot be served with these parameters",
            ))
        }
        QueryError::Store(error) => {
            tracing::error!(%error, "the tables could not be read");
            ApiError::Unavailable("the calls could not be read; retry the request".into())
        }
    }
}

/// List calls, newest first.
///
/// Freshness: reflects every write at most 5 s after the table stream delivers it (the tenant's,
/// agent's or team's cache generation moves at most every 2 s; while one request recomputes,
/// others may get the answer loaded up to 3 s before). `x-cache: stale` marks such an answer.
#[utoipa::path(
    get, path = "/api/v1/calls", tag = "calls", params(ListParams),
    responses(
        (status = 200, description = "A page of calls (cut short at ~1.5 MB of JSON, with `next_cursor`) and the total for the filters (`total_exact: false` when it is a lower bound)", body = CallList, headers(("x-cache" = String, description = "How it was served: hit, stale (an answer within the route's freshness bound while another request recomputes it), miss, error or disabled"))),
        (status = 400, description = "The query string cannot be read", body = ValidationProblem),
        (status = 422, description = "A parameter breaks its rule (`offset` past 1000; a `cursor` this API did not issue for this tenant and these filters); `detail[0].loc` names it", body = ValidationProblem),
        Refused,
        (status = 503, description = "The tables cannot be read now; retrying is safe", body = Problem,
            headers(("Retry-After" = u32, description = "Seconds to wait"))),
    ),
    security(("jwt" = []))
)]
pub async fn list_calls(
    State(api): State<Api>,
    Tenant(tenant): Tenant,
    Params(params): Params<ListParams>,
) -> Result<Response, ApiError> {
    let request = params.check(tenant)?;
    let served = api.queries.list_calls(request).await.map_err(failed)?;
    Ok(answer(served))
}

/// One call with its full analysis.
///
/// Freshness: reflects the call's latest state as soon as the table stream delivers the write
/// (the call's own cache generation, never coalesced; never served stale).
#[utoipa::path(
    get, path = "/api/v1/calls/{call_id}", tag = "calls",
    params(("call_id" = String, Path, description = "The call's id: 1–128 of `A-Z a-z 0-9 . _ : -`", pattern = r"^[A-Za-z0-9._:-]{1,128}$")),
    responses(
        (status = 200, description = "The call; `analysis` is null until it is processed", body = CallDetail, headers(("x-cache" = String, description = "How it was served: hit, stale (an answer within the route's freshness bound while another request recomputes it), miss, error or disabled"))),
        (status = 404, description = "No such call for this tenant", body = Problem),
        (status = 422, description = "The call id breaks its rule", body = ValidationProblem),
        Refused,
        (status = 503, description = "The tables cannot be read now; retrying is safe", body = Problem,
            headers(("Retry-After" = u32, description = "Seconds to wait"))),
    ),
    security(("jwt" = []))
)]
pub async fn get_call(
    State(api): State<Api>,
    Tenant(tenant): Tenant,
    Path(call_id): Path<String>,
) -> Result<Response, ApiError> {
    let call_id = params::call_id(&call_id)?;
    let served = api.queries.call(&tenant, &call_id).await.map_err(failed)?;
    match served.value {
        Some(detail) => Ok(answer(Served {
            value: detail,
            cache: served.cache,
        })),
        None => Err(ApiError::NotFound(format!("Call {call_id} not found"))),
    }
}

/// Similar calls and coaching nudges for one call.
///
/// Freshness: reflects every write at most 5 s after the table stream delivers it (the tenant's,
/// agent's or team's cache generation moves at most every 2 s; while one request recomputes,
/// others may get the answer loaded up to 3 s before). `x-cache: stale` marks such an answer.
#[utoipa::path(
    get, path = "/api/v1/calls/{call_id}/recommendations", tag = "calls",
    params(("call_id" = String, Path, description = "The call's id: 1–128 of `A-Z a-z 0-9 . _ : -`", pattern = r"^[A-Za-z0-9._:-]{1,128}$")),
    responses(
        (status = 200, description = "Similar calls of the same agent and team, and nudges from the analysis", body = Recommendations, headers(("x-cache" = String, description = "How it was served: hit, stale (an answer within the route's freshness bound while another request recomputes it), miss, error or disabled"))),
        (status = 404, description = "No such call for this tenant", body = Problem),
        (status = 422, description = "The call id breaks its rule", body = ValidationProblem),
        Refused,
        (status = 503, description = "The tables cannot be read now; retrying is safe", body = Problem,
            headers(("Retry-After" = u32, description = "Seconds to wait"))),
    ),
    security(("jwt" = []))
)]
pub async fn get_recommendations(
    State(api): State<Api>,
    Tenant(tenant): Tenant,
    Path(call_id): Path<String>,
) -> Result<Response, ApiError> {
    let call_id = params::call_id(&call_id)?;
    let served = api
        .queries
        .recommendations(&tenant, &call_id)
        .await
        .map_err(failed)?;
    match served.value {
        Some(recommendations) => Ok(answer(Served {
            value: recommendations,
            cache: served.cache,
        })),
        None => Err(ApiError::NotFound(format!("Call {call_id} not found"))),
    }
}

/// The agents leaderboard.
///
/// Freshness: reflects every write at most 5 s after the table stream delivers it (the tenant's,
/// agent's or team's cache generation moves at most every 2 s; while one request recomputes,
/// others may get the answer loaded up to 3 s before). `x-cache: stale` marks such an answer.
#[utoipa::path(
    get, path = "/api/v1/analytics/agents", tag = "analytics", params(LeaderboardParams),
    responses(
        (status = 200, description = "Every agent's totals over the range, most calls first", body = AgentsLeaderboard, headers(("x-cache" = String, description = "How it was served: hit, stale (an answer within the route's freshness bound while another request recomputes it), miss, error or disabled"))),
        (status = 400, description = "The query string cannot be read", body = ValidationProblem),
        (status = 422, description = "A parameter breaks its rule (a range over 366 days); `detail[0].loc` names it", body = ValidationProblem),
        Refused,
        (status = 503, description = "The tables cannot be read now; retrying is safe", body = Problem,
            headers(("Retry-After" = u32, description = "Seconds to wait"))),
    ),
    security(("jwt" = []))
)]
pub async fn list_agents(
    State(api): State<Api>,
    Tenant(tenant): Tenant,
    Params(params): Params<LeaderboardParams>,
) -> Result<Response, ApiError> {
    let (range, team) = params.check()?;
    let mut served = api
        .queries
        .agents(&tenant, range, team.as_ref())
        .await
        .map_err(failed)?;
    // Names are decoration: settings that cannot be read leave the ids.
    match api.settings.cache().get(&tenant).await {
        Ok(config) => name_agents(&mut served.value, &config.settings.agents),
        Err(error) => tracing::warn!(%error, "agent names unavailable; answering ids"),
    }
    Ok(answer(served))
}

/// One agent's totals and per-day series.
///
/// Freshness: reflects every write at most 5 s after the table stream delivers it (the tenant's,
/// agent's or team's cache generation moves at most every 2 s; while one request recomputes,
/// others may get the answer loaded up to 3 s before). `x-cache: stale` marks such an answer.
#[utoipa::path(
    get, path = "/api/v1/analytics/agents/{agent_id}", tag = "analytics",
    params(("agent_id" = String, Path, description = "The agent's id: 1–128 of `A-Z a-z 0-9 . _ : -`", pattern = r"^[A-Za-z0-9._:-]{1,128}$"), AnalyticsParams),
    responses(
        (status = 200, description = "Totals and days with calls (zeros when none)", body = ScopeAnalytics, headers(("x-cache" = String, description = "How it was served: hit, stale (an answer within the route's freshness bound while another request recomputes it), miss, error or disabled"))),
        (status = 400, description = "The query string cannot be read", body = ValidationProblem),
        (status = 422, description = "A parameter breaks its rule; `detail[0].loc` names it", body = ValidationProblem),
        Refused,
        (status = 503, description = "The tables cannot be read now; retrying is safe", body = Problem,
            headers(("Retry-After" = u32, description = "Seconds to wait"))),
    ),
    security(("jwt" = []))
)]
pub async fn get_agent(
    State(api): State<Api>,
    Tenant(tenant): Tenant,
    Path(agent_id): Path<String>,
    Params(params): Params<AnalyticsParams>,
) -> Result<Response, ApiError> {
    let agent = params::agent_path(&agent_id)?;
    let range = params.check()?;
    let served = api
        .queries
        .agent(&tenant, &agent, range)
        .await
        .map_err(failed)?;
    Ok(answer(served))
}

/// One team's totals and per-day series.
///
/// Freshness: reflects every write at most 5 s after the table stream delivers it (the tenant's,
/// agent's or team's cache generation moves at most every 2 s; while one request recomputes,
/// others may get the answer loaded up to 3 s before). `x-cache: stale` marks such an answer.
#[utoipa::path(
    get, path = "/api/v1/analytics/teams/{team_id}", tag = "analytics",
    params(("team_id" = String, Path, description = "The team's id: 1–128 of `A-Z a-z 0-9 . _ : -`", pattern = r"^[A-Za-z0-9._:-]{1,128}$"), AnalyticsParams),
    responses(
        (status = 200, description = "Totals and days with calls (zeros when none)", body = ScopeAnalytics, headers(("x-cache" = String, description = "How it was served: hit, stale (an answer within the route's freshness bound while another request recomputes it), miss, error or disabled"))),
        (status = 400, description = "The query string cannot be read", body = ValidationProblem),
        (status = 422, description = "A parameter breaks its rule; `detail[0].loc` names it", body = ValidationProblem),
        Refused,
        (status = 503, description = "The tables cannot be read now; retrying is safe", body = Problem,
            headers(("Retry-After" = u32, description = "Seconds to wait"))),
    ),
    security(("jwt" = []))
)]
pub async fn get_team(
    State(api): State<Api>,
    Tenant(tenant): Tenant,
    Path(team_id): Path<String>,
    Params(params): Params<AnalyticsParams>,
) -> Result<Response, ApiError> {
    let team = params::team_path(&team_id)?;
    let range = params.check()?;
    let served = api
        .queries
        .team(&tenant, &team, range)
        .await
        .map_err(failed)?;
    Ok(answer(served))
}

async fn health_answer(api: &Api) -> Json<Value> {
    let (cache, detail) = match api.queries.cache_health().await {
        CacheHealth::Up => ("up", None),
        CacheHealth::Down(reason) => ("down", Some(reason)),
        CacheHealth::Disabled => ("disabled", None),
    };
    let (hits, misses, errors) = api.queries.cache_stats().snapshot();
    Json(json!({
        // A cache that is down makes answers slower, not wrong: degraded, still 200.
        "status": if cache == "down" { "degraded" } else { "healthy" },
        "service": "sales-call-analytics",
        "version": env!("CARGO_PKG_VERSION"),
        "timestamp": chrono::Utc::now().to_rfc3339(),
        "cache": cache,
        "cache_detail": detail,
        "cache_counts": {"hits": hits, "misses": misses, "errors": errors},
    }))
}

/// `GET /health`: v1's `status` and `service`, and how the cache is.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // describes `health_answer`'s JSON
pub struct Health {
    /// `healthy`, or `degraded` while the cache is down (answers are slower, not wrong).
    #[schema(pattern = "^(healthy|degraded)$")]
    status: String,
    /// `sales-call-analytics`, as v1 answers.
    service: String,
    version: Option<String>,
    #[schema(format = DateTime)]
    timestamp: Option<String>,
    /// `up`, `down` or `disabled`.
    cache: Option<String>,
    #[schema(value_type = Option<Object>)]
    cache_counts: Option<serde_json::Value>,
}

/// Whether the service can answer, and the cache's state.
#[utoipa::path(
    get, path = "/health", tag = "service",
    responses((status = 200, description = "`healthy`, or `degraded` while the cache is down", body = Health))
)]
pub async fn health(State(api): State<Api>) -> Json<Value> {
    health_answer(&api).await
}

/// The same as `/health`, where v1 clients look for it.
#[utoipa::path(
    get, path = "/api/v1/health", tag = "service",
    responses((status = 200, description = "`healthy`, or `degraded` while the cache is down", body = Health))
)]
pub async fn health_v1(State(api): State<Api>) -> Json<Value> {
    health_answer(&api).await
}

/// This API's OpenAPI 3.1 document.
#[utoipa::path(
    get, path = "/openapi.json", tag = "service",
    responses((status = 200, description = "The OpenAPI document of every route", body = Object))
)]
pub async fn openapi_document() -> impl IntoResponse {
    // Built into the binary: nothing to put together at cold start or per request.
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("../../../openapi.json"),
    )
}
