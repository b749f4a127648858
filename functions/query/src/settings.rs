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
use callscope_core::domain::TenantId;
use callscope_core::settings::{
    AlertRules, Directory, Retention, Scorecard, Section, SectionValue, TrackerSettings, Webhooks,
};
use callscope_core::InputError;
use callscope_http::problem::Place;
use callscope_http::schema::{Problem, Refused, ValidationProblem};
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
    #[schema(value_type = TrackerSettings)]
    pub trackers: serde_json::Value,
    /// `{criteria: [{measure, weight, benchmark: {min, max}, tracker, message, priority}]}`, or
    /// `null` for the built-in criteria.
    #[schema(value_type = Option<Scorecard>)]
    pub scorecard: serde_json::Value,
    /// `{agents: [{agent_id, name, team_id}], teams: [{team_id, name}]}`.
    #[schema(value_type = Directory)]
    pub agents: serde_json::Value,
    /// `{days}`: days a call's transcript and analysis are kept; `null` keeps them.
    #[schema(value_type = Retention)]
    pub retention: serde_json::Value,
    /// `{rules: [{id, name, enabled, condition: {kind, …}}]}`: the tenant's alert rules.
    #[schema(value_type = AlertRules)]
    pub alerts: serde_json::Value,
    /// `{endpoints: {CallAnalysed: url, CallAlert: url}}`: where each event kind is POSTed
    /// (docs/webhooks.md). The signing secret is never part of it.
    #[schema(value_type = Webhooks)]
    pub webhooks: serde_json::Value,
}

/// The scorecard section as a value: a scorecard, or `null` for the built-in criteria (one named
/// schema, so the PUT's body is required: `null` is a value, no body is not).
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ScorecardValue(Option<Scorecard>);

/// A new webhook signing secret: shown in this answer only.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookSecret {
    /// `whsec_` and 64 hex digits: the HMAC-SHA256 key of `callscope-signature`.
    pub secret: String,
    pub created_at: String,
}

/// One section and the version of the document it belongs to (also sent as `ETag: "N"`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SettingsSection<T> {
    /// `trackers`, `scorecard`, `agents`, `retention`, `alerts` or `webhooks`.
    pub section: String,
    pub version: u64,
    /// The section's value; `null` for a scorecard left to the built-in criteria.
    pub value: T,
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
        Refused,
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

/// One section of the caller's tenant and the document's version, under the ETag.
async fn read_section(api: Api, tenant: TenantId, section: Section) -> Result<Response, ApiError> {
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

/// Validates and stores one section of the caller's tenant (`If-Match` → 412 when stale).
async fn write_section(
    api: Api,
    tenant: TenantId,
    section: Section,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    let expected = if_match(headers)?;
    match api.settings.put(&tenant, section, body, expected).await {
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

/// `GET /api/v1/settings/{section}` for a name that is no section (the six sections have their
/// own routes): 404 naming the sections.
pub async fn get_section(
    State(api): State<Api>,
    Tenant(tenant): Tenant,
    Path(section): Path<String>,
) -> Result<Response, ApiError> {
    read_section(api, tenant, section_of(&section)?).await
}

/// `PUT /api/v1/settings/{section}` for a name that is no section: 404 naming the sections.
pub async fn put_section(
    State(api): State<Api>,
    Tenant(tenant): Tenant,
    Path(section): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    write_section(api, tenant, section_of(&section)?, &headers, &body).await
}

/// The documented operations of each section: `GET` and `PUT /api/v1/settings/<section>`, each
/// with the section's own schema (its limits as JSON Schema keywords, the rules between fields
/// in words). Thin wrappers over [`read_section`] and [`write_section`]: utoipa documents one
/// function per path.
macro_rules! section_routes {
    ($($section:ident, $get:ident, $put:ident, $path:tt, $rules:tt, [$($value:tt)+];)*) => {$(
        #[doc = concat!("One settings section of the caller's tenant: `", $path, "`.")]
        #[utoipa::path(
            get, path = $path, tag = "settings",
            responses(
                (status = 200, description = "The section and the document's version", body = SettingsSection<$($value)+>,
                    headers(("ETag" = String, description = "The version, quoted: send it back as If-Match"))),
                Refused,
                (status = 503, description = "The settings cannot be read now; retrying is safe", body = Problem,
                    headers(("Retry-After" = u32, description = "Seconds to wait"))),
            ),
            security(("jwt" = []))
        )]
        pub async fn $get(State(api): State<Api>, Tenant(tenant): Tenant) -> Result<Response, ApiError> {
            read_section(api, tenant, Section::$section).await
        }

        #[doc = concat!("Replaces a settings section of the caller's tenant (write scope): `", $path, "`.")]
        #[utoipa::path(
            put, path = $path, tag = "settings",
            params(
                ("If-Match" = Option<String>, Header, nullable = false, description = "The version the change was made from (`\"N\"`, the ETag of a GET; `\"0\"` before the first write); absent or `*`: write whatever is stored", pattern = r#"^(\*|(W/)?"?[0-9]{1,19}"?)$"#),
            ),
            request_body(content = $($value)+, description = $rules, content_type = "application/json"),
            responses(
                (status = 200, description = "Stored: the section and the new version; every function uses it within 60 s", body = SettingsSection<$($value)+>,
                    headers(("ETag" = String, description = "The new version, quoted"))),
                (status = 400, description = "The body is not JSON", body = ValidationProblem),
                (status = 412, description = "If-Match names a version that is no longer current: read again, reapply, retry", body = Problem),
                (status = 413, description = "The body is over 256 KB", body = ValidationProblem),
                (status = 422, description = "A value breaks its schema or a rule between fields (the request body's description); `detail[0].loc` names the field", body = ValidationProblem),
                Refused,
                (status = 503, description = "The settings cannot be written now; retrying is safe", body = Problem,
                    headers(("Retry-After" = u32, description = "Seconds to wait"))),
            ),
            security(("jwt" = []))
        )]
        pub async fn $put(
            State(api): State<Api>,
            Tenant(tenant): Tenant,
            headers: HeaderMap,
            body: Bytes,
        ) -> Result<Response, ApiError> {
            write_section(api, tenant, Section::$section, &headers, &body).await
        }
    )*};
}

section_routes! {
    Trackers, get_trackers, put_trackers, "/api/v1/settings/trackers",
        "The tenant's tracker rules (docs/api.md#settings). Beyond the schema: rule names are unique; every phrase has a letter or digit; all phrases of the rules the analyser runs (the built-in ones too when `mode` is `extend`) come to at most 16 384 bytes; a `between` window has `from_seconds` <= `to_seconds`.",
        [TrackerSettings];
    Scorecard, get_scorecard, put_scorecard, "/api/v1/settings/scorecard",
        "The tenant's scorecard, or `null` for the built-in criteria (docs/api.md#settings). Beyond the schema: the weights sum to 100; `tracker_present` and `tracker_absent` take a `tracker` and no `benchmark`, `next_step_agreed` neither, every other measure a `benchmark` (min, max or both, min <= max, within the measure's values: `agent_talk_ratio` 0–1, the sentiments -1–1, the rest >= 0) and no `tracker`.",
        [ScorecardValue];
    Agents, get_agents, put_agents, "/api/v1/settings/agents",
        "Agent and team display names (docs/api.md#settings). Beyond the schema: each `agent_id` and `team_id` is listed once, and an agent's `team_id` is one of `teams`.",
        [Directory];
    Retention, get_retention, put_retention, "/api/v1/settings/retention",
        "Days a call's transcript and analysis are kept (docs/api.md#settings); `null` keeps them.",
        [Retention];
    Alerts, get_alerts, put_alerts, "/api/v1/settings/alerts",
        "The tenant's alert rules (docs/alerts.md). Beyond the schema: each rule's `id` is used once.",
        [AlertRules];
    Webhooks, get_webhooks, put_webhooks, "/api/v1/settings/webhooks",
        "Where each event kind is POSTed (docs/webhooks.md); the signing secret is never part of it.",
        [Webhooks];
}

/// Makes a new webhook signing secret for the caller's tenant (write scope) and answers it:
/// the only time it is shown. The previous secret stops signing at once.
#[utoipa::path(
    post, path = "/api/v1/settings/webhooks/secret", tag = "settings",
    responses(
        (status = 201, description = "The new secret: keep it; it cannot be read again (rotate again if lost)", body = WebhookSecret),
        Refused,
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
