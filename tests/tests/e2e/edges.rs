//! The edges of issue 19 against the local cloud: an intake message that fails on every
//! receive ends in the DLQ redacted (never as sent), and the query API's per-tenant rate limit
//! counted in a real Redis.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use callscope_app::admit::AdmitCalls;
use callscope_app::intake::{IntakeCalls, REDACTION_ATTRIBUTE};
use callscope_app::ports::{SystemClock, FAILURE_REASON_ATTRIBUTE};
use callscope_cloud::config::{FromEnv, IntakeConfig, QueryConfig};
use callscope_cloud::sqs::SqsConsumer;
use callscope_http::lambda::{self, HttpEvent};
use callscope_local::faults::FaultInjector;
use callscope_local::pipeline::attribute;
use callscope_tests::{TestCloud, TENANT};

#[tokio::test]
async fn an_intake_message_failing_on_every_receive_ends_in_the_dlq_redacted() {
    // No faults: only the deployed maxReceiveCount (5) that start_with_faults provisions.
    let cloud = TestCloud::start_with_faults(FaultInjector::new(vec![])).await;
    let mut env = cloud.provisioned.functions["IntakeFunction"].env.clone();
    env.insert(
        "PROCESS_QUEUE_URL".into(),
        format!("{}-missing", cloud.queue_url("ProcessQueue")),
    );
    let config = IntakeConfig::from_lookup(|name: &str| env.get(name).cloned()).expect("config");
    assert_eq!(
        config.max_receive_count, 5,
        "from the template's MaxReceiveCount"
    );
    // Every receive stores the call and fails to queue it: retried, then parked.
    let admit = AdmitCalls::new(
        cloud.clients.calls(&config.calls_table),
        cloud.clients.queue(&config.process_queue_url),
        Arc::new(SystemClock),
    );
    let intake = SqsConsumer::new(
        IntakeCalls::new(admit, None).parking_before(config.max_receive_count),
        cloud.clients.dead_letter(&config.intake_dlq_url),
    );
    // The producer escapes the @ and the card number is spread over the text.
    let body = r#"{"call_id": "pii-1", "agent_id": "agent-1", "customer_id": "cust-1",
        "start_time": "2026-11-02T09:00:00Z",
        "transcript": "Agent: Hello.\nCustomer: Mail jane\u0040example.com, card 4111 1111 1111 1111."}"#;
    cloud.send("IntakeQueue", body, &[("tenant", TENANT)]).await;
    let report = cloud
        .runner("IntakeFunction")
        .run_until_idle(&intake, 3, Duration::from_secs(120))
        .await
        .expect("runs");
    assert_eq!(
        report.received, 4,
        "received until maxReceiveCount - 1: {report:?}"
    );

    let parked = cloud.peek_all("IntakeDeadLetterQueue").await;
    assert_eq!(parked.len(), 1, "only the redacted copy: SQS moved nothing");
    let text = parked[0].body.clone().unwrap_or_default();
    for raw in ["example.com", "u0040", "4111"] {
        assert!(!text.contains(raw), "{raw} in the DLQ: {text}");
    }
    assert!(
        text.contains("[EMAIL]") && text.contains("[CARD]"),
        "{text}"
    );
    assert_eq!(attribute(&parked[0], REDACTION_ATTRIBUTE), Some("strings"));
    let reason = attribute(&parked[0], FAILURE_REASON_ATTRIBUTE).unwrap_or_default();
    assert!(reason.contains("receive 4"), "{reason}");
    assert_eq!(attribute(&parked[0], "tenant"), Some(TENANT));
    assert!(cloud.peek_all("IntakeQueue").await.is_empty());
    cloud.cleanup().await;
}

#[tokio::test]
async fn the_query_api_refuses_a_tenant_past_its_limit_counted_in_redis() {
    let cloud = TestCloud::start().await;
    let mut env = cloud.provisioned.functions["QueryFunction"].env.clone();
    env.insert("TENANT_REQUESTS_PER_MINUTE".into(), "3".into());
    let config = QueryConfig::from_lookup(|name: &str| env.get(name).cloned()).expect("config");
    assert!(config.cache_url.is_some(), "the local Redis is the cache");
    let api = callscope_query::router(&config, &cloud.clients).expect("router");
    let get = |tenant: &str| HttpEvent {
        method: "GET".into(),
        path: "/api/v1/analytics/agents".into(),
        claims: Some(HashMap::from([("tenant_id".to_owned(), tenant.to_owned())])),
        stage: "dev".into(),
        ..HttpEvent::default()
    };
    // Seven requests: however they fall across a minute boundary, one minute sees four.
    let mut replies = Vec::new();
    for _ in 0..7 {
        replies.push(lambda::call(&api, get(TENANT)).await);
    }
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(statuses[..3], [200, 200, 200], "{statuses:?}");
    let refused = replies
        .iter()
        .find(|r| r.status == 429)
        .unwrap_or_else(|| panic!("no 429 in {statuses:?}"));
    assert_eq!(refused.header("ratelimit-limit"), Some("3"));
    assert_eq!(refused.header("ratelimit-remaining"), Some("0"));
    let retry_after: u64 = refused
        .header("retry-after")
        .and_then(|s| s.parse().ok())
        .expect("Retry-After");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert!(refused.body["detail"].is_string(), "{}", refused.body);
    let other = lambda::call(&api, get("globex")).await;
    assert_eq!(other.status, 200, "another tenant has its own count");
    cloud.cleanup().await;
}
