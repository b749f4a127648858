//! The query function's edges on in-memory ports: the per-tenant rate limit and `/health`.

use std::collections::HashMap;
use std::sync::Arc;

use callscope_app::memory::{FixedClock, MemoryCache, MemoryCalls, MemoryRollups};
use callscope_app::rate_limit::FixedWindow;
use callscope_http::lambda::{self, HttpEvent, HttpReply};

use super::*;

fn router(cache: Arc<MemoryCache>, per_minute: u32) -> Router {
    let queries = Queries::new(
        Arc::new(MemoryCalls::default()),
        Arc::new(MemoryRollups::default()),
        cache.clone(),
        callscope_app::query::CursorKey::new(b"a test stack's cursor secret").expect("key"),
    );
    let auth = TenantAuth {
        claim: "tenant_id".into(),
        default_tenant: None,
    };
    let clock = Arc::new(FixedClock::at("2026-11-02T10:00:15Z"));
    let limiter = Arc::new(FixedWindow::per_minute(cache, clock, per_minute));
    limited(
        routes(Api {
            queries,
            settings: crate::tests::memory_settings(),
            auth: auth.clone(),
        }),
        limiter,
        auth,
    )
}

async fn get(router: &Router, path: &str, tenant: Option<&str>) -> HttpReply {
    let event = HttpEvent {
        method: "GET".into(),
        path: path.into(),
        claims: tenant.map(|t| HashMap::from([("tenant_id".to_owned(), t.to_owned())])),
        stage: "dev".into(),
        ..HttpEvent::default()
    };
    lambda::call(router, event).await
}

#[tokio::test]
async fn a_tenant_past_its_limit_gets_429_with_retry_after_and_ratelimit_headers() {
    let router = router(Arc::new(MemoryCache::default()), 2);
    let first = get(&router, "/api/v1/analytics/agents", Some("acme")).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.header("ratelimit-limit"), Some("2"));
    assert_eq!(first.header("ratelimit-remaining"), Some("1"));
    assert_eq!(first.header("ratelimit-reset"), Some("45"));
    assert_eq!(
        get(&router, "/api/v1/analytics/agents", Some("acme"))
            .await
            .status,
        200
    );
    let refused = get(&router, "/api/v1/analytics/agents", Some("acme")).await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.header("retry-after"), Some("45"));
    assert_eq!(refused.header("ratelimit-remaining"), Some("0"));
    assert!(
        refused.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("too many requests")),
        "v1 error body: {}",
        refused.body
    );
    let other = get(&router, "/api/v1/analytics/agents", Some("globex")).await;
    assert_eq!(
        other.status, 200,
        "another tenant is not limited by acme's count"
    );
    let health = get(&router, "/health", None).await;
    assert_eq!(health.status, 200, "unauthenticated routes are not counted");
    assert_eq!(health.header("ratelimit-limit"), None);
}

#[tokio::test]
async fn reads_are_not_limited_while_the_cache_is_down() {
    let cache = Arc::new(MemoryCache::default());
    let router = router(cache.clone(), 1);
    cache.set_down(true);
    for _ in 0..3 {
        let reply = get(&router, "/api/v1/analytics/agents", Some("acme")).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.header("ratelimit-limit"), None);
    }
}

#[tokio::test]
async fn health_does_not_ping_the_cache_per_request_nor_show_its_error() {
    let cache = Arc::new(MemoryCache::default());
    let router = router(cache.clone(), 0);
    cache.set_down(true);
    for _ in 0..5 {
        let reply = get(&router, "/health", None).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body["status"], "degraded");
        assert!(
            !reply.body.to_string().contains("switched off"),
            "no raw cache error: {}",
            reply.body
        );
    }
    assert_eq!(cache.health_checks(), 1, "one check for five requests");
}
