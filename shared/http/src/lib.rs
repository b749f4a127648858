//! callscope's HTTP edge, shared by every function behind the HTTP API: the tenant taken from
//! the verified JWT claims, the one mapping of errors to status codes and v1 JSON bodies, and
//! running an axum `Router` on Lambda (or in-process, the same way, for local runs and tests),
//! and the per-tenant rate limit in front of the routes.

pub mod lambda;
pub mod problem;
pub mod rate_limit;
pub mod schema;
pub mod tenant;

pub use problem::ApiError;
pub use tenant::{Subject, Tenant, TenantAuth};

/// Unknown paths and methods answer as the v1 API does (`{"detail": "Not Found"}`), not with
/// an empty body.
pub fn with_v1_fallbacks<S: Clone + Send + Sync + 'static>(
    router: axum::Router<S>,
) -> axum::Router<S> {
    router
        .fallback(|| async { ApiError::NotFound("Not Found".into()) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
}
