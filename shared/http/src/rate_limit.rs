//! The per-tenant rate limit in front of a function's routes: each request of a verified
//! tenant is counted by a [`RateLimiter`]; past the limit it gets a 429 with `Retry-After`,
//! and every counted answer carries `RateLimit-Limit`, `RateLimit-Remaining` and
//! `RateLimit-Reset` (seconds). Requests without a tenant (health, the document, a missing
//! claim) are not counted: the routes answer them as before.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use callscope_app::rate_limit::{Quota, RateLimiter, Verdict};

use crate::{ApiError, Tenant, TenantAuth};

const LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
const REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
const RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

/// `router` with each tenant's requests counted by `limiter`.
pub fn limited(router: Router, limiter: Arc<dyn RateLimiter>, auth: TenantAuth) -> Router {
    router.layer(middleware::from_fn(move |request: Request, next: Next| {
        let limiter = limiter.clone();
        let auth = auth.clone();
        async move { check(limiter.as_ref(), &auth, request, next).await }
    }))
}

async fn check(
    limiter: &dyn RateLimiter,
    auth: &TenantAuth,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let tenant = Tenant::from_request_parts(&mut parts, auth).await;
    let request = Request::from_parts(parts, body);
    let Ok(Tenant(tenant)) = tenant else {
        return next.run(request).await;
    };
    match limiter.check(&tenant).await {
        Verdict::Allowed(quota) => {
            let mut response = next.run(request).await;
            if let Some(quota) = quota {
                put_headers(response.headers_mut(), &quota);
            }
            response
        }
        Verdict::Limited(quota) => {
            let mut response = ApiError::TooManyRequests {
                limit: quota.limit,
                retry_after_seconds: seconds(&quota),
            }
            .into_response();
            put_headers(response.headers_mut(), &quota);
            response
        }
    }
}

/// Whole seconds until `quota` resets, rounded up (at least 1).
fn seconds(quota: &Quota) -> u64 {
    quota.reset.as_millis().div_ceil(1000).max(1) as u64
}

fn put_headers(headers: &mut HeaderMap, quota: &Quota) {
    headers.insert(LIMIT, HeaderValue::from(quota.limit));
    headers.insert(REMAINING, HeaderValue::from(quota.remaining));
    headers.insert(RESET, HeaderValue::from(seconds(quota)));
}
