//! The settings routes through the Lambda HTTP conversion: versions and ETags, 412 on a stale
//! If-Match, 422 naming the field, 404 for an unknown section, tenants apart, and each
//! section documented with its own schema.

use std::collections::HashMap;

use callscope_http::lambda::{self, HttpEvent, HttpReply};
use callscope_http::TenantAuth;
use serde_json::json;

use super::*;

fn router() -> Router {
    let queries = Queries::new(
        Arc::new(callscope_app::memory::MemoryCalls::default()),
        Arc::new(callscope_app::memory::MemoryRollups::default()),
        Arc::new(callscope_app::memory::MemoryCache::default()),
        callscope_app::query::CursorKey::new(b"a test stack's cursor secret").expect("key"),
    );
    routes(Api {
        queries,
        settings: crate::tests::memory_settings(),
        auth: TenantAuth {
            claim: "tenant_id".into(),
            default_tenant: None,
        },
    })
}

async fn send(
    router: &Router,
    method: &str,
    path: &str,
    tenant: &str,
    body: Option<serde_json::Value>,
    if_match: Option<&str>,
) -> HttpReply {
    let event = HttpEvent {
        method: method.into(),
        path: path.into(),
        headers: [("content-type".to_owned(), "application/json".to_owned())]
            .into_iter()
            .chain(if_match.map(|v| ("if-match".to_owned(), v.to_owned())))
            .collect(),
        body: body.map(|b| b.to_string()),
        claims: Some(HashMap::from([("tenant_id".to_owned(), tenant.to_owned())])),
        stage: "dev".into(),
        ..HttpEvent::default()
    };
    lambda::call(router, event).await
}

#[tokio::test]
async fn a_section_is_written_versioned_and_a_stale_write_is_412() {
    let r = router();
    let rules =
        json!({"rules": [{"name": "zephyr", "category": "competitor", "phrases": ["zephyr"]}]});
    let first = send(
        &r,
        "PUT",
        "/api/v1/settings/trackers",
        "acme",
        Some(rules.clone()),
        Some("\"0\""),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["version"], 1);
    assert_eq!(first.header("etag"), Some("\"1\""));
    assert_eq!(first.body["value"]["rules"][0]["name"], "zephyr");
    let stale = send(
        &r,
        "PUT",
        "/api/v1/settings/retention",
        "acme",
        Some(json!({"days": 30})),
        Some("\"0\""),
    )
    .await;
    assert_eq!(stale.status, 412, "{}", stale.body);
    assert!(stale.body["detail"]
        .as_str()
        .is_some_and(|d| d.contains("version 1")));
    let read = send(&r, "GET", "/api/v1/settings", "acme", None, None).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body["version"], 1);
    assert_eq!(
        read.body["retention"],
        json!({"days": null}),
        "the stale write changed nothing"
    );
    let other = send(&r, "GET", "/api/v1/settings/trackers", "globex", None, None).await;
    assert_eq!(
        (other.status, other.body["version"].clone()),
        (200, json!(0))
    );
    assert_eq!(other.body["value"]["rules"], json!([]));
}

#[tokio::test]
async fn bad_settings_are_422_naming_the_field_and_unknown_sections_404() {
    let r = router();
    let cases = [
        (
            "scorecard",
            json!({"criteria": [{"measure": "charisma", "weight": 100}]}),
            json!(["body", "criteria", 0, "measure"]),
        ),
        (
            "scorecard",
            json!({"criteria": [{"measure": "next_step_agreed", "weight": 40}]}),
            json!(["body", "criteria"]),
        ),
        (
            "trackers",
            json!({"rules": [{"name": "x", "category": "custom", "phrases": [""]}]}),
            json!(["body", "rules", 0, "phrases", 0]),
        ),
        ("retention", json!({"days": -1}), json!(["body", "days"])),
        (
            "alerts",
            json!({"rules": [{"id": "low", "name": "Low", "condition": {"kind": "score_below", "score": 0}}]}),
            json!(["body", "rules", 0, "condition", "score"]),
        ),
    ];
    for (section, body, loc) in cases {
        let reply = send(
            &r,
            "PUT",
            &format!("/api/v1/settings/{section}"),
            "acme",
            Some(body),
            None,
        )
        .await;
        assert_eq!(reply.status, 422, "{section}: {}", reply.body);
        assert_eq!(reply.body["detail"][0]["loc"], loc, "{section}");
    }
    let bad_etag = send(
        &r,
        "PUT",
        "/api/v1/settings/retention",
        "acme",
        Some(json!({"days": 3})),
        Some("yesterday"),
    )
    .await;
    assert_eq!(bad_etag.status, 422);
    assert_eq!(
        bad_etag.body["detail"][0]["loc"],
        json!(["header", "If-Match"])
    );
    let unknown = send(&r, "GET", "/api/v1/settings/billing", "acme", None, None).await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn alert_rules_are_written_and_read_back_with_their_version() {
    let r = router();
    let rules = json!({"rules": [
        {"id": "low-score", "name": "Low score", "condition": {"kind": "score_below", "score": 40}},
        {"id": "lost", "name": "Deal lost", "enabled": false,
         "condition": {"kind": "outcome_is", "outcome": "lost"}}]});
    let put = send(
        &r,
        "PUT",
        "/api/v1/settings/alerts",
        "acme",
        Some(rules.clone()),
        Some("\"0\""),
    )
    .await;
    assert_eq!(
        (put.status, put.header("etag")),
        (200, Some("\"1\"")),
        "{}",
        put.body
    );
    let mut stored = rules.clone();
    stored["rules"][0]["enabled"] = json!(true);
    let read = send(&r, "GET", "/api/v1/settings/alerts", "acme", None, None).await;
    assert_eq!(
        read.body["value"], stored,
        "read back with its defaults filled"
    );
    let document = send(&r, "GET", "/api/v1/settings", "acme", None, None).await;
    assert_eq!(document.body["alerts"], stored);
}

#[tokio::test]
async fn webhook_endpoints_must_be_https_and_the_refusal_names_the_kind() {
    let r = router();
    let ok = json!({"endpoints": {"CallAnalysed": "https://hooks.example.com/in", "CallAlert": "https://hooks.example.com/alerts"}});
    let stored = send(
        &r,
        "PUT",
        "/api/v1/settings/webhooks",
        "acme",
        Some(ok.clone()),
        None,
    )
    .await;
    assert_eq!(stored.status, 200, "{}", stored.body);
    assert_eq!(stored.body["value"], ok);
    let document = send(&r, "GET", "/api/v1/settings", "acme", None, None).await;
    assert_eq!(document.body["webhooks"], ok);
    for (kind, url, rule) in [
        (
            "CallAnalysed",
            "http://hooks.example.com/",
            "must be an https:// URL",
        ),
        // A deployed API (HttpsOnly) refuses loopback http too.
        ("CallAlert", "http://127.0.0.1:8080/", "local emulator"),
        (
            "CallLost",
            "https://hooks.example.com/",
            "is not an event kind",
        ),
    ] {
        let body = json!({"endpoints": {kind: url}});
        let refused = send(
            &r,
            "PUT",
            "/api/v1/settings/webhooks",
            "acme",
            Some(body),
            None,
        )
        .await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        let detail = &refused.body["detail"][0];
        assert_eq!(
            detail["loc"],
            json!(["body", "endpoints", kind]),
            "{}",
            refused.body
        );
        assert!(
            detail["msg"].as_str().unwrap_or_default().contains(rule),
            "{}",
            refused.body
        );
    }
}

#[tokio::test]
async fn a_rotated_secret_is_answered_once_and_never_in_the_settings() {
    let r = router();
    let first = send(
        &r,
        "POST",
        "/api/v1/settings/webhooks/secret",
        "acme",
        None,
        None,
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.header("cache-control"), Some("no-store"));
    let secret = first.body["secret"].as_str().expect("a secret").to_owned();
    let second = send(
        &r,
        "POST",
        "/api/v1/settings/webhooks/secret",
        "acme",
        None,
        None,
    )
    .await;
    assert_ne!(second.body["secret"].as_str(), Some(secret.as_str()));
    for path in ["/api/v1/settings", "/api/v1/settings/webhooks"] {
        let read = send(&r, "GET", path, "acme", None, None).await;
        assert_eq!(read.status, 200, "{}", read.body);
        assert!(
            !read.body.to_string().contains(&secret),
            "{path}: {}",
            read.body
        );
    }
}

#[tokio::test]
async fn whole_numbers_written_as_floats_are_read_as_the_schemas_integers() {
    let r = router();
    let days = send(
        &r,
        "PUT",
        "/api/v1/settings/retention",
        "acme",
        Some(json!({"days": 30.0})),
        None,
    )
    .await;
    assert_eq!(
        (days.status, days.body["value"].clone()),
        (200, json!({"days": 30}))
    );
    let rules = json!({"rules": [
        {"id": "low", "name": "Low", "condition": {"kind": "score_below", "score": 50.0}},
        {"id": "cut", "name": "Cut off", "condition": {"kind": "interruptions_at_least", "count": 3.0}},
    ]});
    let alerts = send(
        &r,
        "PUT",
        "/api/v1/settings/alerts",
        "acme",
        Some(rules),
        None,
    )
    .await;
    assert_eq!(alerts.status, 200, "{}", alerts.body);
    assert_eq!(alerts.body["value"]["rules"][0]["condition"]["score"], 50);
    let half = send(
        &r,
        "PUT",
        "/api/v1/settings/retention",
        "acme",
        Some(json!({"days": 30.5})),
        None,
    )
    .await;
    assert_eq!(
        (half.status, half.body["detail"][0]["loc"].clone()),
        (422, json!(["body", "days"]))
    );
}

#[test]
fn each_section_is_documented_with_its_own_schema() {
    let document = serde_json::to_value(openapi()).expect("JSON");
    for (section, schema) in [
        ("trackers", "TrackerSettings"),
        ("scorecard", "ScorecardValue"),
        ("agents", "Directory"),
        ("retention", "Retention"),
        ("alerts", "AlertRules"),
        ("webhooks", "Webhooks"),
    ] {
        let item = &document["paths"][format!("/api/v1/settings/{section}")];
        let body = &item["put"]["requestBody"];
        assert_eq!(body["required"], json!(true), "{section}");
        assert_eq!(
            body["content"]["application/json"]["schema"]["$ref"],
            json!(format!("#/components/schemas/{schema}")),
            "{section}"
        );
        for method in ["get", "put"] {
            assert_eq!(
                item[method]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
                json!(format!("#/components/schemas/SettingsSection_{schema}")),
                "{method} {section}"
            );
        }
    }
    assert!(document["paths"]
        .get("/api/v1/settings/{section}")
        .is_none());
}
