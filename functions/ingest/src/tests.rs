//! The HTTP adapter on in-memory ports: every status the routes answer with, through the same
//! Lambda HTTP conversion API Gateway events go through.

use std::collections::HashMap;
use std::sync::Arc;

use callscope_app::memory::{FixedClock, MemoryCalls, MemoryErasures, MemoryPublisher};
use callscope_http::lambda::{self, HttpEvent, HttpReply};
use lambda_http::aws_lambda_events::encodings::Body;
use serde_json::{json, Value};

use super::*;

struct Fixture {
    calls: Arc<MemoryCalls>,
    queue: Arc<MemoryPublisher>,
    analytics: Arc<MemoryPublisher>,
    erasure_queue: Arc<MemoryPublisher>,
    router: Router,
}

fn fixture() -> Fixture {
    let calls = Arc::new(MemoryCalls::default());
    let queue = Arc::new(MemoryPublisher::default());
    let analytics = Arc::new(MemoryPublisher::default());
    let erasure_queue = Arc::new(MemoryPublisher::default());
    let clock = Arc::new(FixedClock::at("2026-11-02T10:00:00Z"));
    let lifecycle = CallLifecycle::new(
        calls.clone(),
        analytics.clone(),
        Arc::new(MemoryPublisher::default()),
        Arc::new(NoRawObjects),
        clock.clone(),
    );
    let router = routes(Ingest {
        admit: AdmitCalls::new(calls.clone(), queue.clone(), clock.clone()),
        erasures: CustomerErasures::new(
            Arc::new(MemoryErasures::default()),
            calls.clone(),
            lifecycle.clone(),
            erasure_queue.clone(),
            clock,
        ),
        lifecycle,
        auth: TenantAuth {
            claim: "tenant_id".into(),
            default_tenant: None,
        },
        uploads: None,
    });
    Fixture {
        calls,
        queue,
        analytics,
        erasure_queue,
        router,
    }
}

async fn send(f: &Fixture, method: &str, path: &str, body: &str, claim: Option<&str>) -> HttpReply {
    send_as(f, method, path, body, claim, "application/json").await
}

async fn send_as(
    f: &Fixture,
    method: &str,
    path: &str,
    body: &str,
    claim: Option<&str>,
    content_type: &str,
) -> HttpReply {
    let event = HttpEvent {
        method: method.into(),
        path: path.into(),
        headers: vec![("content-type".into(), content_type.into())],
        body: Some(body.into()),
        claims: claim.map(|c| HashMap::from([("tenant_id".to_owned(), c.to_owned())])),
        stage: "dev".into(),
        ..HttpEvent::default()
    };
    lambda::call(&f.router, event).await
}

fn call(id: &str) -> Value {
    json!({
        "call_id": id, "agent_id": "agent-7", "customer_id": "cust-1",
        "start_time": "2026-11-01T10:00:00Z", "duration_seconds": 30,
        "transcript": "Agent: Hello, what brings you here?\nCustomer: We need better pricing."
    })
}

#[tokio::test]
async fn a_valid_call_under_a_named_stage_is_accepted_with_its_location() {
    let f = fixture();
    let reply = send(
        &f,
        "POST",
        SINGLE_ROUTE,
        &call("c-1").to_string(),
        Some("acme"),
    )
    .await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    // The request came through the `dev` stage: so must the link back.
    assert_eq!(reply.headers["location"], "/dev/api/v1/calls/c-1");
    assert_eq!(reply.body["location"], "/dev/api/v1/calls/c-1");
    assert_eq!(reply.body["status"], "accepted");
    assert_eq!(f.queue.sent().len(), 1);
}

#[tokio::test]
async fn under_the_default_stage_the_location_has_no_prefix() {
    let f = fixture();
    let event = HttpEvent {
        method: "POST".into(),
        path: SINGLE_ROUTE.into(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: Some(call("c-1").to_string()),
        claims: Some(HashMap::from([("tenant_id".to_owned(), "acme".to_owned())])),
        ..HttpEvent::default()
    };
    let reply = lambda::call(&f.router, event).await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    assert_eq!(reply.headers["location"], "/api/v1/calls/c-1");
    assert_eq!(reply.body["location"], "/api/v1/calls/c-1");
}

#[tokio::test]
async fn the_tenant_comes_only_from_a_valid_claim() {
    let f = fixture();
    let body = call("c-1").to_string();
    assert_eq!(
        send(&f, "POST", SINGLE_ROUTE, &body, None).await.status,
        401
    );
    assert_eq!(
        send(&f, "POST", SINGLE_ROUTE, &body, Some("a#b"))
            .await
            .status,
        403
    );
    assert!(f.calls.is_empty());
}

#[tokio::test]
async fn bad_bodies_get_400_415_or_422_naming_the_field() {
    let f = fixture();
    let not_json = send(&f, "POST", SINGLE_ROUTE, "{not json", Some("acme")).await;
    assert_eq!(not_json.status, 400);
    assert_eq!(not_json.body["detail"][0]["loc"][0], "body");
    let mut missing = call("c-1");
    missing.as_object_mut().expect("object").remove("agent_id");
    let reply = send(&f, "POST", SINGLE_ROUTE, &missing.to_string(), Some("acme")).await;
    assert_eq!(reply.status, 422);
    assert_eq!(reply.body["detail"][0]["loc"], json!(["body", "agent_id"]));
    let text = send_as(&f, "POST", SINGLE_ROUTE, "{}", Some("acme"), "text/plain").await;
    assert_eq!(text.status, 415);
    assert!(f.calls.is_empty());
}

#[tokio::test]
async fn other_content_under_an_existing_id_is_a_409() {
    let f = fixture();
    send(
        &f,
        "POST",
        SINGLE_ROUTE,
        &call("c-1").to_string(),
        Some("acme"),
    )
    .await;
    let mut other = call("c-1");
    other["agent_id"] = json!("agent-8");
    let reply = send(&f, "POST", SINGLE_ROUTE, &other.to_string(), Some("acme")).await;
    assert_eq!(reply.status, 409);
    assert!(reply.body["detail"]
        .as_str()
        .expect("detail")
        .contains("c-1"));
}

#[tokio::test]
async fn a_store_outage_is_a_503_with_retry_after() {
    let f = fixture();
    f.calls.set_unavailable(true);
    let reply = send(
        &f,
        "POST",
        SINGLE_ROUTE,
        &call("c-1").to_string(),
        Some("acme"),
    )
    .await;
    assert_eq!(reply.status, 503);
    assert_eq!(reply.headers["retry-after"], "1");
}

#[tokio::test]
async fn bulk_reports_each_item_including_the_ones_to_retry() {
    let f = fixture();
    f.queue.refuse_bodies_containing(Some("\"b-2\""));
    let mut invalid = call("b-bad");
    invalid["start_time"] = json!("yesterday");
    let body = json!([call("b-1"), invalid, call("b-2")]).to_string();
    let reply = send(&f, "POST", BULK_ROUTE, &body, Some("acme")).await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    let statuses: Vec<&str> = reply.body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["status"].as_str().expect("status"))
        .collect();
    assert_eq!(statuses, ["accepted", "rejected", "retry"]);
    assert_eq!(
        (
            reply.body["accepted"].clone(),
            reply.body["rejected"].clone(),
            reply.body["retry"].clone()
        ),
        (json!(1), json!(1), json!(1))
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_with_a_v1_detail() {
    let f = fixture();
    let missing = send(&f, "POST", "/api/v1/nothing", "{}", Some("acme")).await;
    assert_eq!(
        (missing.status, missing.body["detail"].clone()),
        (404, json!("Not Found"))
    );
    let wrong = send(&f, "DELETE", SINGLE_ROUTE, "", Some("acme")).await;
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.body["detail"], "Method Not Allowed");
}

#[tokio::test]
async fn a_bulk_request_near_its_deadline_answers_retry_for_what_it_could_not_start() {
    let f = fixture();
    let body = json!([call("d-1"), call("d-2")]).to_string();
    let event = HttpEvent {
        method: "POST".into(),
        path: BULK_ROUTE.into(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: Some(body),
        claims: Some(HashMap::from([("tenant_id".to_owned(), "acme".to_owned())])),
        ..HttpEvent::default()
    };
    let soon = std::time::SystemTime::now() + std::time::Duration::from_secs(2);
    let millis = soon
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after the epoch")
        .as_millis() as u64;
    let response = callscope_http::lambda::invoke_before(&f.router, event.into_request(), millis)
        .await
        .expect("a v2 response");
    let body: Value = match response.body {
        Some(Body::Text(text)) => serde_json::from_str(&text).expect("json"),
        _ => Value::Null,
    };
    assert_eq!(response.status_code, 202);
    assert_eq!(
        (body["accepted"].clone(), body["retry"].clone()),
        (json!(0), json!(2)),
        "{body}"
    );
    assert!(f.calls.is_empty(), "nothing started");
}

#[tokio::test]
async fn a_tenant_past_its_per_sandbox_limit_gets_429_with_retry_after() {
    let f = fixture();
    let clock = Arc::new(FixedClock::at("2026-11-02T10:00:00Z"));
    let limiter = Arc::new(callscope_app::rate_limit::TokenBucket::per_minute(clock, 2));
    let auth = TenantAuth {
        claim: "tenant_id".into(),
        default_tenant: None,
    };
    let router = limited(f.router.clone(), limiter, auth);
    let limited_f = Fixture { router, ..f };
    let mut statuses = Vec::new();
    let mut last = None;
    for id in ["c-1", "c-2", "c-3"] {
        let reply = send(
            &limited_f,
            "POST",
            SINGLE_ROUTE,
            &call(id).to_string(),
            Some("acme"),
        )
        .await;
        statuses.push(reply.status);
        last = Some(reply);
    }
    assert_eq!(statuses, [202, 202, 429]);
    let refused = last.expect("replies");
    assert_eq!(
        refused.header("retry-after"),
        Some("30"),
        "one request per 30 s"
    );
    assert_eq!(refused.header("ratelimit-limit"), Some("2"));
    assert_eq!(
        limited_f.queue.sent().len(),
        2,
        "the refused call was not admitted"
    );
    let other = send(
        &limited_f,
        "POST",
        SINGLE_ROUTE,
        &call("c-9").to_string(),
        Some("globex"),
    )
    .await;
    assert_eq!(other.status, 202);
}

#[tokio::test]
async fn delete_erases_the_tenants_call_once_and_answers_404_after_and_for_other_tenants() {
    let f = fixture();
    let body = call("c-del").to_string();
    assert_eq!(
        send(&f, "POST", "/api/v1/calls", &body, Some("acme"))
            .await
            .status,
        202
    );
    let other = send(&f, "DELETE", "/api/v1/calls/c-del", "", Some("globex")).await;
    assert_eq!(other.status, 404, "another tenant's call is not found");
    let bad = send(&f, "DELETE", "/api/v1/calls/no%20spaces", "", Some("acme")).await;
    assert_eq!(bad.status, 422);
    let erased = send(&f, "DELETE", "/api/v1/calls/c-del", "", Some("acme")).await;
    assert_eq!(erased.status, 204);
    assert!(f.calls.is_empty());
    assert_eq!(f.analytics.sent().len(), 1, "one CallErased");
    assert!(f.analytics.sent()[0].body.contains("erased_at"));
    let again = send(&f, "DELETE", "/api/v1/calls/c-del", "", Some("acme")).await;
    assert_eq!(again.status, 404);
    assert_eq!(f.analytics.sent().len(), 1);
}

#[tokio::test]
async fn reanalysing_a_call_not_yet_processed_is_a_409_naming_its_status() {
    let f = fixture();
    let body = call("c-re").to_string();
    send(&f, "POST", "/api/v1/calls", &body, Some("acme")).await;
    let reply = send(&f, "POST", "/api/v1/calls/c-re/reanalyse", "", Some("acme")).await;
    assert_eq!(reply.status, 409);
    assert!(reply.body["detail"]
        .as_str()
        .is_some_and(|d| d.contains("RECEIVED")));
    let missing = send(
        &f,
        "POST",
        "/api/v1/calls/c-none/reanalyse",
        "",
        Some("acme"),
    )
    .await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn an_erasure_is_accepted_with_its_location_and_read_back_by_its_tenant_only() {
    let f = fixture();
    let reply = send(
        &f,
        "POST",
        "/api/v1/erasures",
        r#"{"customer_id": "alice"}"#,
        Some("acme"),
    )
    .await;
    assert_eq!(reply.status, 202, "{:?}", reply.body);
    assert_eq!(reply.body["status"], "running");
    assert_eq!(reply.body["erased"], 0);
    assert_eq!(reply.body["customer_id"], "alice");
    assert_eq!(reply.body["requested_by"], "unknown");
    let id = reply.body["erasure_id"].as_str().expect("an id").to_owned();
    let location = reply
        .headers
        .get("location")
        .expect("a Location header")
        .to_owned();
    assert!(
        location.ends_with(&format!("/api/v1/erasures/{id}")),
        "{location}"
    );
    assert_eq!(f.erasure_queue.sent().len(), 1, "the first page");
    let read = send(
        &f,
        "GET",
        &format!("/api/v1/erasures/{id}"),
        "",
        Some("acme"),
    )
    .await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body["erasure_id"], id.as_str());
    let other = send(
        &f,
        "GET",
        &format!("/api/v1/erasures/{id}"),
        "",
        Some("globex"),
    )
    .await;
    assert_eq!(other.status, 404);
    let bad = send(&f, "GET", "/api/v1/erasures/a.b", "", Some("acme")).await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["detail"][0]["loc"][1], "erasure_id");
}

#[tokio::test]
async fn an_erasure_without_a_valid_customer_id_is_a_422_naming_it() {
    let f = fixture();
    for (body, field) in [
        (r#"{}"#, "customer_id"),
        (r#"{"customer_id": ""}"#, "customer_id"),
        (r#"{"customer_id": "a#b"}"#, "customer_id"),
        (r#"{"customer_id": true}"#, "customer_id"),
        (r#"{"customer_id": "a", "tenant": "globex"}"#, "tenant"),
        (r#"[]"#, "body"),
    ] {
        let reply = send(&f, "POST", "/api/v1/erasures", body, Some("acme")).await;
        assert_eq!(reply.status, 422, "{body}: {:?}", reply.body);
        assert_eq!(reply.body["detail"][0]["loc"][1], field, "{body}");
    }
    let number = send(
        &f,
        "POST",
        "/api/v1/erasures",
        r#"{"customer_id": 42}"#,
        Some("acme"),
    )
    .await;
    assert_eq!(number.status, 202, "a whole number, as calls take it");
    assert_eq!(number.body["customer_id"], "42");
    assert_eq!(f.erasure_queue.sent().len(), 1);
}

#[tokio::test]
async fn a_bulk_reanalysis_is_accepted_with_its_location_and_read_back_as_a_reanalysis_only() {
    let f = fixture();
    let reply = send(
        &f,
        "POST",
        "/api/v1/reanalyses",
        r#"{"from_date": "2026-11-01", "to_date": "2026-11-02T12:00:00+01:00"}"#,
        Some("acme"),
    )
    .await;
    assert_eq!(reply.status, 202, "{:?}", reply.body);
    assert_eq!(reply.body["status"], "running");
    assert_eq!(
        (
            reply.body["queued"].as_u64(),
            reply.body["skipped"].as_u64()
        ),
        (Some(0), Some(0))
    );
    assert_eq!(reply.body["pages"], 0);
    assert_eq!(reply.body["from_date"], "2026-11-01T00:00:00.000Z");
    assert_eq!(reply.body["to_date"], "2026-11-02T11:00:00.000Z");
    assert_eq!(reply.body["requested_by"], "unknown");
    assert!(reply.body["finished_at"].is_null());
    let id = reply.body["reanalysis_id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let location = reply.headers.get("location").expect("Location").to_owned();
    assert!(
        location.ends_with(&format!("/api/v1/reanalyses/{id}")),
        "{location}"
    );
    assert_eq!(f.erasure_queue.sent().len(), 1, "the first page");
    let path = format!("/api/v1/reanalyses/{id}");
    let read = send(&f, "GET", &path, "", Some("acme")).await;
    assert_eq!(read.status, 200, "{:?}", read.body);
    assert_eq!(read.body["reanalysis_id"], id.as_str());
    assert_eq!(send(&f, "GET", &path, "", Some("globex")).await.status, 404);
    // Not an erasure, and an erasure is not a re-analysis.
    let as_erasure = send(
        &f,
        "GET",
        &format!("/api/v1/erasures/{id}"),
        "",
        Some("acme"),
    )
    .await;
    assert_eq!(as_erasure.status, 404, "{:?}", as_erasure.body);
    let erasure = send(
        &f,
        "POST",
        "/api/v1/erasures",
        r#"{"customer_id": "alice"}"#,
        Some("acme"),
    )
    .await;
    let erasure_id = erasure.body["erasure_id"].as_str().expect("an id");
    let as_reanalysis = send(
        &f,
        "GET",
        &format!("/api/v1/reanalyses/{erasure_id}"),
        "",
        Some("acme"),
    )
    .await;
    assert_eq!(as_reanalysis.status, 404, "{:?}", as_reanalysis.body);
    let bad = send(&f, "GET", "/api/v1/reanalyses/a.b", "", Some("acme")).await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["detail"][0]["loc"][1], "reanalysis_id");
}

#[tokio::test]
async fn an_empty_body_reanalyses_every_call_and_a_bad_range_is_a_422_naming_its_field() {
    let f = fixture();
    // An empty body needs no Content-Type.
    for (body, content_type) in [
        ("", ""),
        ("{}", "application/json"),
        ("null", "application/json"),
    ] {
        let reply = send_as(
            &f,
            "POST",
            "/api/v1/reanalyses",
            body,
            Some("acme"),
            content_type,
        )
        .await;
        assert_eq!(reply.status, 202, "{body:?}: {:?}", reply.body);
        assert!(reply.body["from_date"].is_null() && reply.body["to_date"].is_null());
    }
    let queued = f.erasure_queue.sent().len();
    for (body, field) in [
        (
            r#"{"from_date": "2026-11-02", "to_date": "2026-11-01"}"#,
            "to_date",
        ),
        (r#"{"from_date": "yesterday"}"#, "from_date"),
        (r#"{"to_date": 20261101}"#, "to_date"),
        (r#"{"from_date": null}"#, "from_date"),
        (
            r#"{"from_date": "2026-11-01", "tenant": "globex"}"#,
            "tenant",
        ),
        (r#"[]"#, "body"),
    ] {
        let reply = send(&f, "POST", "/api/v1/reanalyses", body, Some("acme")).await;
        assert_eq!(reply.status, 422, "{body}: {:?}", reply.body);
        assert_eq!(reply.body["detail"][0]["loc"][1], field, "{body}");
    }
    assert_eq!(
        f.erasure_queue.sent().len(),
        queued,
        "nothing queued for a refusal"
    );
    let not_json = send_as(
        &f,
        "POST",
        "/api/v1/reanalyses",
        "{}",
        Some("acme"),
        "text/plain",
    )
    .await;
    assert_eq!(not_json.status, 415);
}
