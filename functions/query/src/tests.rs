//! The query API's HTTP adapter on in-memory ports, through the same Lambda HTTP conversion
//! API Gateway events go through: parameter rules, statuses, headers, the OpenAPI document.

use std::collections::HashMap;
use std::sync::Arc;

use callscope_app::admit::AdmitCalls;
use callscope_app::memory::{FixedClock, MemoryCache, MemoryCalls, MemoryPublisher, MemoryRollups};
use callscope_core::domain::{CorrelationId, TenantId};
use callscope_core::formats::{self, Format};
use callscope_http::lambda::{self, HttpEvent, HttpReply};
use serde_json::{json, Value};

use super::*;
use callscope_app::Deadline;

struct Fixture {
    cache: Arc<MemoryCache>,
    router: Router,
    admit: AdmitCalls,
}

/// Settings in memory, for the routes' tests.
pub(crate) fn memory_settings() -> callscope_app::settings::Settings {
    use callscope_app::settings::{Settings, SettingsCache};
    let store = Arc::new(callscope_app::memory::MemorySettings::default());
    let clock = Arc::new(FixedClock::at("2026-11-02T10:00:00Z"));
    Settings::new(
        store.clone(),
        SettingsCache::new(store, clock.clone()),
        clock,
    )
    .with_webhooks(
        Arc::new(callscope_app::memory::MemorySecrets::default()),
        Arc::new(callscope_app::memory::MemoryParked::default()),
        callscope_core::settings::EndpointPolicy::HttpsOnly,
    )
}

async fn fixture() -> Fixture {
    let calls = Arc::new(MemoryCalls::default());
    let cache = Arc::new(MemoryCache::default());
    let queries = Queries::new(
        calls.clone(),
        Arc::new(MemoryRollups::default()),
        cache.clone(),
        callscope_app::query::CursorKey::new(b"a test stack's cursor secret").expect("key"),
    );
    let admit = AdmitCalls::new(
        calls,
        Arc::new(MemoryPublisher::default()),
        Arc::new(FixedClock::at("2026-11-02T10:00:00Z")),
    );
    let call = formats::parse_value(
        json!({"call_id": "c-1", "agent_id": "ana", "customer_id": "x", "start_time": "2026-11-01T09:00:00Z",
               "transcript": "Agent: Hello.\nCustomer: Hi."}),
        Format::Auto,
    )
    .expect("call");
    let tenant = TenantId::parse("t", "acme").expect("tenant");
    let correlation = CorrelationId::parse("c", "corr").expect("id");
    admit
        .admit(&tenant, vec![(call, correlation)], Deadline::NONE)
        .await;
    let router = routes(Api {
        queries,
        settings: memory_settings(),
        auth: TenantAuth {
            claim: "tenant_id".into(),
            default_tenant: None,
        },
    });
    Fixture {
        cache,
        router,
        admit,
    }
}

async fn get(f: &Fixture, path_and_query: &str, tenant: Option<&str>) -> HttpReply {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let event = HttpEvent {
        method: "GET".into(),
        path: path.into(),
        query: query.into(),
        claims: tenant.map(|t| HashMap::from([("tenant_id".to_owned(), t.to_owned())])),
        stage: "dev".into(),
        ..HttpEvent::default()
    };
    lambda::call(&f.router, event).await
}

#[tokio::test]
async fn every_out_of_range_or_unreadable_parameter_is_a_422_naming_it() {
    let f = fixture().await;
    let cases = [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
        ("from_date=yesterday", "from_date"),
        ("to_date=2026-13-01", "to_date"),
        ("from_date=2026-11-02&to_date=2026-11-01", "to_date"),
        ("min_sentiment=-1.5", "min_sentiment"),
        ("max_sentiment=2", "max_sentiment"),
        ("min_sentiment=0.5&max_sentiment=0.1", "max_sentiment"),
        ("agent_id=a%23b", "agent_id"),
        ("team_id=", "team_id"),
        ("cursor=nonsense", "cursor"),
    ];
    for (query, name) in cases {
        let reply = get(&f, &format!("/api/v1/calls?{query}"), Some("acme")).await;
        assert_eq!(reply.status, 422, "{query}: {}", reply.body);
        assert_eq!(
            reply.body["detail"][0]["loc"],
            json!(["query", name]),
            "{query}"
        );
        assert!(reply.body["detail"][0]["msg"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    let bad_range = get(&f, "/api/v1/analytics/agents?from_date=soon", Some("acme")).await;
    assert_eq!(
        bad_range.body["detail"][0]["loc"],
        json!(["query", "from_date"])
    );
    let bad_id = get(&f, "/api/v1/calls/a%23b", Some("acme")).await;
    assert_eq!(
        (bad_id.status, bad_id.body["detail"][0]["loc"].clone()),
        (422, json!(["path", "call_id"]))
    );
}

#[tokio::test]
async fn accepted_date_forms_and_defaults_give_200() {
    let f = fixture().await;
    for query in [
        "",
        "limit=1&offset=0",
        "from_date=2026-11-01T00:00:00Z",
        "from_date=2026-11-01T00:00:00",
        "from_date=2026-11-01T00:00:00%2B02:00",
        "to_date=2026-11-01",
        "min_sentiment=-1&max_sentiment=1",
        "unknown=ignored&limit=5&limit=7",
    ] {
        let reply = get(&f, &format!("/api/v1/calls?{query}"), Some("acme")).await;
        assert_eq!(reply.status, 200, "{query}: {}", reply.body);
    }
    let reply = get(&f, "/api/v1/calls?limit=5&limit=7", Some("acme")).await;
    assert_eq!(
        reply.body["limit"], 7,
        "the last of a repeated parameter counts"
    );
    let defaults = get(&f, "/api/v1/calls", Some("acme")).await;
    assert_eq!(
        (
            defaults.body["limit"].clone(),
            defaults.body["offset"].clone()
        ),
        (json!(50), json!(0))
    );
    let first = &defaults.body["calls"][0];
    for field in [
        "id",
        "call_id",
        "agent_id",
        "customer_id",
        "language",
        "start_time",
        "duration_seconds",
        "transcript",
        "agent_talk_ratio",
        "customer_sentiment_score",
        "created_at",
        "updated_at",
        "status",
        "team_id",
        "score",
    ] {
        assert!(first.get(field).is_some(), "{field} missing from {first}");
    }
    assert_eq!(first["transcript"], "Agent: Hello.\nCustomer: Hi.");
}

#[tokio::test]
async fn unknown_and_foreign_calls_are_404_with_the_v1_detail() {
    let f = fixture().await;
    let missing = get(&f, "/api/v1/calls/nope", Some("acme")).await;
    assert_eq!(
        (missing.status, missing.body.clone()),
        (404, json!({"detail": "Call nope not found"}))
    );
    let foreign = get(&f, "/api/v1/calls/c-1", Some("globex")).await;
    assert_eq!(
        foreign.status, 404,
        "another tenant's call is not found, never forbidden"
    );
    let foreign = get(&f, "/api/v1/calls/c-1/recommendations", Some("globex")).await;
    assert_eq!(foreign.status, 404);
    let mine = get(&f, "/api/v1/calls/c-1", Some("acme")).await;
    assert_eq!(
        (mine.status, mine.body["analysis"].clone()),
        (200, Value::Null)
    );
    assert_eq!(get(&f, "/api/v1/calls", None).await.status, 401);
}

#[tokio::test]
async fn the_cache_header_tells_a_miss_then_a_hit_and_health_degrades_when_it_is_down() {
    let f = fixture().await;
    let first = get(&f, "/api/v1/calls/c-1", Some("acme")).await;
    let second = get(&f, "/api/v1/calls/c-1", Some("acme")).await;
    assert_eq!(
        (
            first.headers["x-cache"].as_str(),
            second.headers["x-cache"].as_str()
        ),
        ("miss", "hit")
    );
    let healthy = get(&f, "/health", None).await;
    assert_eq!(
        (healthy.status, healthy.body["status"].clone()),
        (200, json!("healthy"))
    );
    assert_eq!(healthy.body["service"], "sales-call-analytics");
    f.cache.set_down(true);
    let down = get(&f, "/api/v1/calls/c-1", Some("acme")).await;
    assert_eq!(
        (down.status, down.headers["x-cache"].as_str()),
        (200, "error")
    );
    let degraded = get(&f, "/api/v1/health", None).await;
    assert_eq!(
        (degraded.status, degraded.body["status"].clone()),
        (200, json!("degraded"))
    );
}

#[tokio::test]
async fn every_documented_path_is_served_and_every_route_is_documented() {
    let f = fixture().await;
    let served = get(&f, "/openapi.json", None).await;
    assert_eq!(served.status, 200);
    let committed: Value =
        serde_json::from_str(include_str!("../../../openapi.json")).expect("openapi.json is JSON");
    assert_eq!(served.body, committed);
    let query_paths = serde_json::to_value(openapi()).expect("json")["paths"].clone();
    for path in query_paths.as_object().expect("paths").keys() {
        assert!(
            served.body["paths"].get(path).is_some(),
            "{path} is a query route missing from openapi.json"
        );
    }
    for (path, item) in served.body["paths"].as_object().expect("paths") {
        let concrete = path
            .replace("{call_id}", "c-1")
            .replace("{agent_id}", "ana")
            .replace("{team_id}", "east")
            .replace("{section}", "trackers")
            .replace("{proxy+}", "app.js");
        // A customer erasure's and a bulk re-analysis' progress are ingest's (beside the POST
        // that made them, uncached: their item passes no stream filter, so a cached copy would
        // never be invalidated).
        let ingests = ["/api/v1/erasures", "/api/v1/reanalyses"];
        if item.get("get").is_some() && !ingests.iter().any(|p| path.starts_with(p)) {
            let reply = get(&f, &concrete, Some("acme")).await;
            assert_eq!(reply.status, 200, "GET {path}: {}", reply.body);
        }
    }
    let documented: Vec<&String> = served.body["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .collect();
    assert_eq!(
        documented,
        [
            "/",
            "/api/v1/analytics/agents",
            "/api/v1/analytics/agents/{agent_id}",
            "/api/v1/analytics/teams/{team_id}",
            "/api/v1/calls",
            "/api/v1/calls/bulk",
            "/api/v1/calls/{call_id}",
            "/api/v1/calls/{call_id}/reanalyse",
            "/api/v1/calls/{call_id}/recommendations",
            "/api/v1/erasures",
            "/api/v1/erasures/{erasure_id}",
            "/api/v1/health",
            "/api/v1/reanalyses",
            "/api/v1/reanalyses/{reanalysis_id}",
            "/api/v1/settings",
            "/api/v1/settings/agents",
            "/api/v1/settings/alerts",
            "/api/v1/settings/retention",
            "/api/v1/settings/scorecard",
            "/api/v1/settings/trackers",
            "/api/v1/settings/webhooks",
            "/api/v1/settings/webhooks/secret",
            "/api/v1/uploads",
            "/api/v1/webhooks/parked",
            "/app/{proxy+}",
            "/health",
            "/openapi.json",
        ]
    );
}

mod hostile;
