//! The query API function: the v1 read API (calls, recommendations, agent analytics, health)
//! and the per-day analytics beside it, an axum Router on lambda_http, answering from DynamoDB
//! through the Redis cache. `/openapi.json` serves the committed openapi.json: every route of the
//! HTTP API, ingest's included, generated from the handlers' annotations by `callscope openapi`.

mod dashboard;
mod fallback;
mod handlers;
pub mod params;
mod settings;
mod webhooks;

use std::sync::Arc;

use axum::extract::FromRef;
use axum::routing::get;
use axum::Router;
use callscope_app::ports::SystemClock;
use callscope_app::ports::{Cache, NoCache};
use callscope_app::query::{CursorKey, Queries};
use callscope_app::rate_limit::{FixedWindow, RateLimiter};
use callscope_app::settings::{Settings, SettingsCache};
use callscope_cloud::aws::AwsClients;
use callscope_cloud::cache::RedisCache;
use callscope_cloud::config::{ConfigError, QueryConfig};
use callscope_http::rate_limit::limited;
use callscope_http::schema::{GatewayMessage, Problem, Refusal};
use callscope_http::TenantAuth;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// What the handlers share.
#[derive(Debug, Clone)]
pub struct Api {
    pub queries: Queries,
    /// Tenant settings: the settings routes, and the names the leaderboard answers.
    pub settings: Settings,
    pub auth: TenantAuth,
}

impl FromRef<Api> for TenantAuth {
    fn from_ref(api: &Api) -> TenantAuth {
        api.auth.clone()
    }
}

/// The function as its composition root builds it: the tables, and the cache when configured.
pub fn router(config: &QueryConfig, clients: &AwsClients) -> Result<Router, ConfigError> {
    let cache: Arc<dyn Cache> = match &config.cache_url {
        None => Arc::new(NoCache),
        Some(url) => Arc::new(
            RedisCache::connect_lazily(url, &config.cache_namespace).map_err(|e| {
                ConfigError::Invalid {
                    name: "CACHE_URL".into(),
                    reason: e.to_string(),
                }
            })?,
        ),
    };
    let cursor_key = CursorKey::new(config.cursor_secret.expose().as_bytes()).ok_or_else(|| {
        ConfigError::Invalid {
            name: "CURSOR_SECRET".into(),
            reason: "is empty".into(),
        }
    })?;
    let queries = Queries::new(
        clients.calls(&config.calls_table),
        clients.rollups(&config.analytics_table),
        cache.clone(),
        cursor_key,
    );
    let auth = TenantAuth {
        claim: config.tenant_claim.clone(),
        default_tenant: config.default_tenant.clone(),
    };
    let store = clients.settings(&config.calls_table);
    let clock = Arc::new(SystemClock);
    // The query function never analyses: the built-in analyser is only the cache's fallback.
    let settings_cache = SettingsCache::new(store.clone(), clock.clone());
    let router = routes(Api {
        queries,
        settings: Settings::new(store, settings_cache, clock).with_webhooks(
            clients.webhook_secrets(&config.calls_table),
            clients.parked_deliveries(&config.calls_table),
            config.webhook_endpoints,
        ),
        auth: auth.clone(),
    });
    Ok(match config.requests_per_minute {
        0 => router,
        limit => limited(router, rate_limit(cache, limit), auth),
    })
}

/// Each tenant's reads a minute, counted in the cache (every sandbox shares the count); not
/// limited without a cache or while it fails: the cache is never the truth.
pub fn rate_limit(cache: Arc<dyn Cache>, per_minute: u32) -> Arc<dyn RateLimiter> {
    Arc::new(FixedWindow::per_minute(
        cache,
        Arc::new(SystemClock),
        per_minute,
    ))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "callscope",
        description = "Sales-call analytics: the v1 API (sales-call-analytics compatible) and per-day analytics. Every route but /health, /openapi.json and the dashboard's (/, /app/…) needs a JWT whose tenant claim names the caller's tenant."
    ),
    servers(
        (url = "/", description = "The API's origin. A deployed stack serves it under its stage: `https://{api-id}.execute-api.{region}.amazonaws.com/dev` (the template's `Stage` parameter, `dev` by default); `callscope local serve` at http://127.0.0.1:3000.")
    ),
    tags(
        (name = "calls", description = "Calls in, calls out"),
        (name = "analytics", description = "Totals and per-day series from the rollups"),
        (name = "settings", description = "The tenant's tracker rules, scorecard, agent and team names, retention, webhooks"),
        (name = "service", description = "Health and this document")
    ),
    // The bodies of the answers every secured route shares (`callscope_http::schema::Refused`,
    // whose responses name them but cannot register them).
    components(schemas(Refusal, Problem, GatewayMessage)),
    modifiers(&JwtBearer)
)]
struct ApiDoc;

/// The `jwt` security scheme the routes name: a bearer JWT that API Gateway's authorizer checks.
struct JwtBearer;

impl Modify for JwtBearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "jwt",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The query routes and their OpenAPI description.
fn documented() -> (Router<Api>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(handlers::list_calls))
        .routes(routes!(handlers::get_call))
        .routes(routes!(handlers::get_recommendations))
        .routes(routes!(handlers::list_agents))
        .routes(routes!(handlers::get_agent))
        .routes(routes!(handlers::get_team))
        .routes(routes!(settings::get_settings))
        .routes(routes!(settings::get_trackers, settings::put_trackers))
        .routes(routes!(settings::get_scorecard, settings::put_scorecard))
        .routes(routes!(settings::get_agents, settings::put_agents))
        .routes(routes!(settings::get_retention, settings::put_retention))
        .routes(routes!(settings::get_alerts, settings::put_alerts))
        .routes(routes!(settings::get_webhooks, settings::put_webhooks))
        // Any other name: 404 naming the sections (undocumented: it names no resource).
        .route(
            "/api/v1/settings/{section}",
            get(settings::get_section).put(settings::put_section),
        )
        .routes(routes!(settings::rotate_webhook_secret))
        .routes(routes!(webhooks::parked_deliveries))
        .routes(routes!(handlers::health))
        .routes(routes!(handlers::health_v1))
        .routes(routes!(handlers::openapi_document))
        .merge(dashboard::documented())
        .split_for_parts()
}

/// The OpenAPI description of the query routes. The whole document (these and ingest's) is put
/// together once, by `callscope openapi`, into the committed openapi.json that
/// `GET /openapi.json` serves.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut document = documented().1;
    close_variants(&mut document, &["Condition", "TimeWindow"]);
    document
}

/// Marks each object of these `oneOf` schemas `additionalProperties: false`: serde refuses a
/// key beside an enum variant's own (`deny_unknown_fields` on `Condition`; one key per
/// externally tagged `TimeWindow`), and utoipa says so only for structs.
fn close_variants(document: &mut utoipa::openapi::OpenApi, names: &[&str]) {
    use utoipa::openapi::schema::{AdditionalProperties, Schema};
    use utoipa::openapi::RefOr;
    let Some(components) = document.components.as_mut() else {
        return;
    };
    for name in names {
        if let Some(RefOr::T(Schema::OneOf(one_of))) = components.schemas.get_mut(*name) {
            for item in &mut one_of.items {
                if let RefOr::T(Schema::Object(object)) = item {
                    object.additional_properties =
                        Some(Box::new(AdditionalProperties::FreeForm(false)));
                }
            }
        }
    }
}

/// The routes over any ports (tests hand in in-memory ones).
pub fn routes(api: Api) -> Router {
    let (router, _) = documented();
    router
        .fallback(fallback::answer)
        .method_not_allowed_fallback(fallback::answer)
        .with_state(api)
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_edges;
#[cfg(test)]
mod tests_settings;
