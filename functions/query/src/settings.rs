//! The settings routes: `GET /api/v1/settings`, `GET` and `PUT /api/v1/settings/{section}`.
//! A PUT is validated (422 naming the field), versioned (`If-Match: "N"` → 412 when the
//! settings moved on) and in force in every function within 60 s (their settings caches).
//! `POST /api/v1/settings/webhooks/secret` makes a new webhook signing secret and answers it,
//! the only time it is shown.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use callscope_app::settings::SettingsError;
use callscope_core::settings::{Section, SectionValue};
use callscope_core::InputError;
use callscope_http::problem::Place;
use callscope_http::schema::{Problem, Refusal, ValidationProblem};
use callscope_http::{ApiError, Tenant};
use serde::Serialize;

use crate::Api;

/// A tenant's whole settings document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SettingsDocument {
    /// Moves on by one with every write of any section; 0 until the first.
    pub version: u64,
    /// When a section was last written; `null` before the first.
    pub updated_at: Option<String>,
    /// `{mode: extend | replace, rules: [tracker rule]}`.
    #[schema(value_type = Object)]
    pub trackers: serde_json::Value,
    /// `{criteria: [{measure, weight, benchmark: {min, max}, tracker, message, priority}]}`, or
    /// `null` for the built-in criteria.
    #[schema(value_type = Option<Object>)]
    pub scorecard: serde_json::Value,
    /// `{agents: [{agent_id, name, team_id}], teams: [{team_id, name}]}`.
    #[schema(value_type = Object)]
    pub agents: serde_json::Value,
    /// `{days}`: days a call's transcript and analysis are kept; `null` keeps them.
    #[schema(value_type = Object)]
    pub retention: serde_json::Value,
    /// `{rules: [{id, name, enabled, condition: {kind, …}}]}`: the tenant's alert rules.
    #[schema(value_type = Object)]
    pub alerts: serde_json::Value,
    /// `{endpoints: {CallAnalysed: url, CallAlert: url}}`: where each event kind is POSTed
    /// (docs/webhooks.md). The signing secret is never part of it.
    #[schema(value_type = Object)]
    pub webhooks: serde_json::Value,
}

/// A new webhook signing secret: shown in this answer only.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookSecret {
    /// `whsec_` and 64 hex digits: the HMAC-SHA256 key of `callscope-signature`.
    pub secret: String,
    pub created_at: String,
}

/// One section and the version of the document it belongs to (also sent as `ETag: "N"`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SettingsSection {
    /// `trackers`, `scorecard`, `agents`, `retention`, `alerts` or `webhooks`.
    pub section: String,
    pub version: u64,
    /// The section's value; `null` for a scorecard left to the built-in criteria.
    #[schema(value_type = Option<Object>)]
    pub value: serde_json::Value,
}

fn section_of(raw: &str) -> Result<Section, ApiError> {
    Section::parse(raw).ok_or_else(|| {
        ApiError::NotFound(format!(
            "No settings section {raw:?}: one of trackers, scorecard, agents, retention, alerts, webhooks"
        ))
    })
}

fn unavailable(error: impl std::fmt::Display) -> ApiError {
    tracing::error!(%error, "the settings could not be read or written");
    ApiError::Unavailable("the settings could not be read or written; retry the request".into())
}

fn json_of(value: &SectionValue) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

fn with_etag(version: u64, body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// `If-Match: "N"` (or `N`, or a weak `W/"N"`) → N; absent or `*` → an unconditional write.
fn if_match(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(raw) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let raw = raw.to_str().unwrap_or_default().trim();
    if raw == "*" {
        return Ok(None);
    }
    raw.trim_start_matches("W/")
        .trim_matches('"')
        .parse::<u64>()
        .map(Some)
        .map_err(|_| {
            ApiError::Input(
                Place::Header,
                InputError::invalid(
                    "If-Match",
                    "must be the settings version as an ETag: \"N\" (from GET's ETag or version)",
                ),
            )
        })
}

/// Every settings section of the caller's tenant.
#[utoipa::path(
    get, path = "/api/v1/settings", tag = "settings",
    responses(
        (status = 200, description = "The settings document (defaults and version 0 before the first write)", body = SettingsDocument,
            headers(("ETag" = String, description = "The version, quoted: send it back as If-Match"))),
        (status = 401, description = "No token, or one without the tenant claim", body = Refusal),
        (status = 403, description = "The token lacks the route's scope, or its tenant claim is not a valid tenant id", body = Refusal),
        (status = 503, description = "The settings cannot be read now; retrying is safe", body = Problem,
            headers(("Retry-After" = u32, description = "Seconds to wait"))),
    ),
    security(("jwt" = []))
)]
pub async fn get_settings(
    State(api): State<Api>,
    Tenant(tenant): Tenant,
) -> Result<Response, ApiError> {
    let stored = api.settings.load(&tenant).await.map_err(unavailable)?;
    let s = &stored.settings;
    let value = |section| json_of(&s.section(section));
    Ok(with_etag(
        s.version,
        Json(SettingsDocument {
            version: s.version,
            updated_at: stored.updated_at.map(|t| t.to_string()),
            trackers: value(Section::Trackers),
            scorecard: value(Section::Scorecard),
            agents: value(Section::Agents),
            retention: value(Section::Retention),
            alerts: value(Section::Alerts),
            webhooks: value(Section::Webhooks),
        }),
    ))
}

/// One settings section of the caller's tenant.
#[utoipa::path(
    get, path = "/api/v1/settings/{section}", tag = "settings",
    params(("section" = String, Path, description = "`trackers`, `scorecard`, `agents`, `retention`, `alerts` or `webhooks`", pattern = "^(trackers|scorecard|agents|retention|alerts|webhooks)$")),
    responses(
        (status = 200, description = "The section and the document's version", body = SettingsSection,
            headers(("ETag" = String, description = "The version, quoted: send it back as If-Match"))),
        (status = 404, description = "No such section", body = Problem),
        (status = 401, description = "No token, or one without the tenant claim", body = Refusal),
        (status = 403, description = "The token lacks the route's scope, or its tenant claim is not a valid tenant id", body = Refusal),
        (status = 503, description = "The settings cannot be read now; retrying is safe", body = Problem,
            headers(("Retry-After" = u32, description = "Seconds to wait"))),
    ),
    security(("jwt" = []))
)]
pub async fn get_section(
    State(api): State<Api>,
    Tenant(tenant): Tenant,
    Path(section): Path<String>,
) -> Result<Response, ApiError> {
    let section = section_of(&section)?;
    let stored = api.settings.load(&tenant).await.map_err(unavailable)?;
    let version = stored.settings.version;
    Ok(with_etag(
        version,
        Json(SettingsSection {
            section: section.as_str().to_owned(),
            version,
            value: json_of(&stored.settings.section(section)),
        }),
    ))
}

/// Replaces one settings section of the caller's tenant (write scope).
#[utoipa::path(
    put, path = "/api/v1/settings/{section}", tag = "settings",
    params(
        ("section" = String, Path, description = "`trackers`, `scorecard`, `agents`, `retention`, `alerts` or `webhooks`", pattern = "^(trackers|scorecard|agents|retention|alerts|webhooks)$"),
        ("If-Match" = Option<String>, Header, nullable = false, description = "The version the change was made from (`\"N\"`, the ETag of a GET; `\"0\"` before the first write); absent or `*`: write whatever is stored", pattern = r#"^(\*|(W/)?"?[0-9]{1,19}"?)$"#),
    ),
    request_body(content = Object, description = "The section's new value (docs/api.md#settings)", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored: the section and the new version; every function uses it within 60 s", body = SettingsSection,
            headers(("ETag" = String, description = "The new version, quoted"))),
        (status = 400, description = "The body is not JSON", body = ValidationProblem),
        (status = 404, description = "No such section", body = Problem),
        (status = 412, description = "If-Match names a version that is no longer current: read again, reapply, retry", body = Problem),
        (status = 413, description = "The body is over 256 KB", body = ValidationProblem),
        (status = 422, description = "A value breaks its rule or a limit (too many rules or phrases, an empty phrase, weights not summing to 100, an unknown measure, a bad benchmark band, an alert threshold out of range, a webhook endpoint that is not https://); `detail[0].loc` names the field", body = ValidationProblem),
        (status = 401, description = "No token, or one without the tenant claim", body = Refusal),
        (status = 403, description = "The token lacks the write scope, or its tenant claim is not a valid tenant id", body = Refusal),
        (status = 503, description = "The settings cannot be written now; retrying is safe", body = Problem,
            headers(("Retry-After" = u32, description = "Seconds to wait"))),
    ),
    security(("jwt" = []))
)]
pub async fn put_section(
    State(api): State<Api>,
    Tenant(tenant): Tenant,
    Path(section): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let section = section_of(&section)?;
    let expected = if_match(&headers)?;
    match api.settings.put(&tenant, section, &body, expected).await {
        Ok((version, value)) => Ok(with_etag(
            version,
            Json(SettingsSection {
                section: section.as_str().to_owned(),
                version,
                value: json_of(&value),
            }),
        )),
        Err(SettingsError::Invalid(e)) => Err(ApiError::body(e)),
        Err(SettingsError::Stale { expected, current }) => {
            Err(ApiError::PreconditionFailed { expected, current })
        }
        Err(SettingsError::Store(e)) => Err(unavailable(e)),
    }
}

/// Makes a new webhook signing secret for the caller's tenant (write scope) and answers it:
/// the only time it is shown. The previous secret stops signing at once.
#[utoipa::path(
    post, path = "/api/v1/settings/webhooks/secret", tag = "settings",
    responses(
        (status = 201, description = "The new secret: keep it; it cannot be read again (rotate again if lost)", body = WebhookSecret),
        (status = 401, description = "No token, or one without the tenant claim", body = Refusal),
        (status = 403, description = "The token lacks the write scope, or its tenant claim is not a valid tenant id", body = Refusal),
        (status = 503, description = "The secret cannot be written now; retrying is safe", body = Problem,
            headers(("Retry-After" = u32, description = "Seconds to wait"))),
    ),
    security(("jwt" = []))
)]
pub async fn rotate_webhook_secret(
    State(api): State<Api>,
    Tenant(tenant): Tenant,
) -> Result<Response, ApiError> {
    let stored = api
        .settings
        .rotate_webhook_secret(&tenant)
        .await
        .map_err(unavailable)?;
    let mut response = (
        StatusCode::CREATED,
        Json(WebhookSecret {
            secret: stored.secret.expose().to_owned(),
            created_at: stored.created_at.to_string(),
        }),
    )
        .into_response();
    // A secret must not stay in any cache on the way.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
