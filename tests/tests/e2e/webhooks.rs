//! Webhooks end to end in the local cloud (issue 23): a processed call's CallAnalysed event goes
//! from outbound onto the bus, through the template's rule into the webhook queue (moto delivers
//! PutEvents to SQS targets as EventBridge does), and the webhooks function POSTs it to the
//! tenant's endpoint — a receiver in this test. A 2xx receiver gets exactly one delivery, whose
//! signature Python's `hmac` computes alike; a receiver that answers 500, one that never
//! answers and a port nobody listens on each end in the webhook DLQ after their attempts, with
//! the receiver's answer as the reason, while the calls are processed and counted as ever.
//! Small retry settings (3 attempts, no backoff, a 1 s timeout) keep it to seconds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use callscope_cloud::config::{FromEnv, WebhooksConfig};
use callscope_cloud::webhooks::BackoffConsumer;
use callscope_http::lambda::{self, HttpEvent, HttpReply};
use callscope_tests::TestCloud;
use serde_json::{json, Value};

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Delivery {
    path: String,
    signature: String,
    event_id: String,
    body: String,
}

type Deliveries = Arc<Mutex<Vec<Delivery>>>;

async fn receive(
    State(deliveries): State<Deliveries>,
    Path(mode): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    deliveries.lock().expect("lock").push(Delivery {
        path: mode.clone(),
        signature: header("callscope-signature"),
        event_id: header("callscope-event-id"),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    match mode.as_str() {
        "ok" => (StatusCode::NO_CONTENT, ""),
        "slow" => {
            // Far past the sender's 1 s timeout.
            tokio::time::sleep(Duration::from_secs(30)).await;
            (StatusCode::OK, "too late")
        }
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "boom: the receiver is broken",
        ),
    }
}

/// A receiver on a free loopback port: `/ok` answers 204, `/fail` 500, `/slow` never in time.
async fn receiver() -> (u16, Deliveries) {
    let deliveries = Deliveries::default();
    let app = Router::new()
        .route("/{mode}", post(receive))
        .with_state(deliveries.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let port = listener.local_addr().expect("an address").port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (port, deliveries)
}

/// A loopback port nobody listens on.
async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    listener.local_addr().expect("an address").port()
}

async fn api(
    cloud: &TestCloud,
    method: &str,
    path: &str,
    body: Option<Value>,
    tenant: &str,
) -> HttpReply {
    let event = HttpEvent {
        method: method.into(),
        path: path.into(),
        headers: vec![("content-type".to_owned(), "application/json".to_owned())],
        body: body.map(|b| b.to_string()),
        claims: Some(HashMap::from([("tenant_id".to_owned(), tenant.to_owned())])),
        stage: "dev".into(),
        ..HttpEvent::default()
    };
    lambda::call(&cloud.api, event).await
}

/// Sets the tenant's CallAnalysed endpoint and makes its secret.
async fn subscribe(cloud: &TestCloud, tenant: &str, url: &str) -> String {
    let stored = api(
        cloud,
        "PUT",
        "/api/v1/settings/webhooks",
        Some(json!({"endpoints": {"CallAnalysed": url}})),
        tenant,
    )
    .await;
    assert_eq!(stored.status, 200, "{}", stored.body);
    let secret = api(
        cloud,
        "POST",
        "/api/v1/settings/webhooks/secret",
        None,
        tenant,
    )
    .await;
    assert_eq!(secret.status, 201, "{}", secret.body);
    secret.body["secret"].as_str().expect("a secret").to_owned()
}

/// The webhooks function as the template configures it, with test-sized retries.
fn webhooks(cloud: &TestCloud) -> BackoffConsumer {
    let env = cloud
        .provisioned
        .env_of("WebhooksFunction")
        .expect("the template has the webhooks function");
    let lookup = move |name: &str| match name {
        "WEBHOOK_MAX_ATTEMPTS" => Some("3".to_owned()),
        "WEBHOOK_BACKOFF_SECONDS" | "WEBHOOK_MAX_BACKOFF_SECONDS" => Some("0".to_owned()),
        "WEBHOOK_TIMEOUT_SECONDS" => Some("1".to_owned()),
        other => env(other),
    };
    callscope_webhooks::consumer(
        &WebhooksConfig::from_lookup(lookup).expect("the config reads"),
        &cloud.clients,
    )
    .expect("the function builds")
}

fn call(id: &str) -> String {
    json!({
        "call_id": id, "agent_id": "ana", "customer_id": "cust-1",
        "start_time": "2026-11-02T09:00:00Z", "duration_seconds": 60,
        "transcript": "Agent: Hi, this is Ana. Do you have a minute?\nCustomer: Sure, what is it about?\nAgent: Our new plan. I'll send you the proposal by Friday."
    })
    .to_string()
}

/// Posts one call per tenant and runs the pipeline until each is processed and its event is
/// on the webhook queue.
async fn process_calls(cloud: &TestCloud, tenants: &[&str]) {
    for tenant in tenants {
        let reply = cloud
            .post("/api/v1/calls", &call("wh-1"), Some(tenant))
            .await;
        assert_eq!(reply.status, 202, "{}", reply.body);
    }
    cloud.drain().await;
    for tenant in tenants {
        let stored = cloud.get("/api/v1/calls/wh-1", Some(tenant)).await;
        assert_eq!(stored.status, 200, "{}", stored.body);
        assert_eq!(
            stored.body["status"], "PROCESSED",
            "{tenant}: {}",
            stored.body
        );
    }
}

/// Runs the webhooks function over its queue until it has been idle for a few polls.
async fn deliver(cloud: &TestCloud, consumer: &BackoffConsumer) {
    cloud
        .webhook_runner()
        .run_until_idle(consumer, 3, Duration::from_secs(120))
        .await
        .expect("running the webhook queue");
}

/// The webhook DLQ's messages, left in place (`callscope webhooks parked`).
async fn parked_in_dlq(cloud: &TestCloud) -> Vec<callscope_cloud::sqs::ParkedMessage> {
    callscope_cloud::sqs::peek(
        &cloud.clients.sqs,
        cloud.queue_url("WebhookDeadLetterQueue"),
        10,
    )
    .await
    .expect("peeking the webhook DLQ")
}

/// HMAC-SHA256 as Python's standard library computes it: an implementation the code under
/// test does not share.
fn python_hmac(secret: &str, message: &str) -> String {
    let output = std::process::Command::new("python3")
        .args([
            "-c",
            "import hmac,hashlib,sys; print(hmac.new(sys.argv[1].encode(), sys.stdin.buffer.read(), hashlib.sha256).hexdigest())",
            secret,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(message.as_bytes())?;
            child.wait_with_output()
        })
        .expect("python3 runs");
    String::from_utf8(output.stdout)
        .expect("hex")
        .trim()
        .to_owned()
}

#[tokio::test]
async fn a_2xx_receiver_gets_exactly_one_signed_delivery_that_verifies() {
    let cloud = TestCloud::start().await;
    let (port, deliveries) = receiver().await;
    let secret = subscribe(&cloud, "acme", &format!("http://127.0.0.1:{port}/ok")).await;
    process_calls(&cloud, &["acme"]).await;
    let consumer = webhooks(&cloud);
    // EventBridge-style delivery into the queue is asynchronous nowhere here, but the rule's
    // target could be: poll with a deadline.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while deliveries.lock().expect("lock").is_empty() && tokio::time::Instant::now() < deadline {
        deliver(&cloud, &consumer).await;
    }
    deliver(&cloud, &consumer).await;
    let got = deliveries.lock().expect("lock").clone();
    assert_eq!(got.len(), 1, "{got:?}");
    let delivery = &got[0];
    assert_eq!(delivery.path, "ok");
    let detail: Value = serde_json::from_str(&delivery.body).expect("the body is JSON");
    assert_eq!(detail["tenant"], "acme");
    assert_eq!(detail["call_id"], "wh-1");
    assert_eq!(detail["event_id"], delivery.event_id.as_str());
    let (t, v1) = delivery
        .signature
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
        .unwrap_or_else(|| panic!("signature {:?} is not t=…,v1=…", delivery.signature));
    assert_eq!(python_hmac(&secret, &format!("{t}.{}", delivery.body)), v1);
    let age = chrono::Utc::now().timestamp() - t.parse::<i64>().expect("t is seconds");
    assert!((0..300).contains(&age), "t is {age} s old");
    assert!(parked_in_dlq(&cloud).await.is_empty());

    // `callscope webhooks test`: one signed test event through the same use case, now.
    let tested = callscope_cli::operator::webhooks::send_test(
        &cloud.clients,
        cloud.table("CallsTable"),
        &callscope_core::domain::TenantId::parse("tenant", "acme").expect("a tenant"),
        "CallAnalysed",
        callscope_core::settings::EndpointPolicy::AllowLoopbackHttp,
    )
    .await
    .expect("the test event is sent");
    assert!(
        matches!(tested, callscope_app::webhooks::Attempt::Delivered(ref a) if a.status == 204),
        "{tested:?}"
    );
    let got = deliveries.lock().expect("lock").clone();
    assert_eq!(got.len(), 2, "{got:?}");
    let test: Value = serde_json::from_str(&got[1].body).expect("JSON");
    assert_eq!(test["test"], true);
    let (t, v1) = got[1].signature[2..].split_once(",v1=").expect("t=…,v1=…");
    assert_eq!(python_hmac(&secret, &format!("{t}.{}", got[1].body)), v1);
    cloud.cleanup().await;
}

#[tokio::test]
async fn failing_silent_and_unreachable_receivers_end_in_the_dlq_with_their_answer() {
    let cloud = TestCloud::start().await;
    let (port, deliveries) = receiver().await;
    let closed = closed_port().await;
    subscribe(&cloud, "acme", &format!("http://127.0.0.1:{port}/fail")).await;
    subscribe(&cloud, "globex", &format!("http://127.0.0.1:{port}/slow")).await;
    subscribe(
        &cloud,
        "initech",
        &format!("http://127.0.0.1:{closed}/hook"),
    )
    .await;
    process_calls(&cloud, &["acme", "globex", "initech"]).await;
    let consumer = webhooks(&cloud);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    let mut parked = Vec::new();
    while parked.len() < 3 && tokio::time::Instant::now() < deadline {
        deliver(&cloud, &consumer).await;
        parked = parked_in_dlq(&cloud).await;
    }
    let reasons: HashMap<String, String> = parked
        .iter()
        .map(|m| {
            let body: Value = serde_json::from_str(&m.body).expect("JSON");
            let reason = m.failure_reason.clone().unwrap_or_default();
            (
                body["detail"]["tenant"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                reason,
            )
        })
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    let starts = "webhook not delivered: attempt 3 of 3 failed: ";
    assert_eq!(
        reasons["acme"],
        format!(
            "{starts}http://127.0.0.1:{port}/fail answered HTTP 500: boom: the receiver is broken"
        )
    );
    assert_eq!(
        reasons["globex"],
        format!("{starts}http://127.0.0.1:{port}/slow: no answer within 1s")
    );
    assert!(
        reasons["initech"].starts_with(&format!(
            "{starts}http://127.0.0.1:{closed}/hook: could not connect"
        )),
        "{}",
        reasons["initech"]
    );
    // Each tenant sees its own parked delivery, with the same reason, and no other tenant's.
    for (tenant, reason) in &reasons {
        let listed = api(&cloud, "GET", "/api/v1/webhooks/parked", None, tenant).await;
        assert_eq!(listed.status, 200, "{}", listed.body);
        let parked = listed.body["parked"].as_array().expect("parked");
        assert_eq!(parked.len(), 1, "{tenant}: {}", listed.body);
        assert_eq!(parked[0]["call_id"], "wh-1", "{}", listed.body);
        assert_eq!(parked[0]["kind"], "CallAnalysed");
        assert_eq!(parked[0]["attempts"], 3);
        assert_eq!(
            format!(
                "webhook not delivered: {}",
                parked[0]["reason"].as_str().unwrap_or("")
            ),
            *reason
        );
    }
    let got = deliveries.lock().expect("lock").clone();
    for mode in ["fail", "slow"] {
        assert_eq!(
            got.iter().filter(|d| d.path == mode).count(),
            3,
            "{mode}: {got:?}"
        );
    }
    // The pipeline never waited on the receivers: every call is processed and counted.
    for tenant in ["acme", "globex", "initech"] {
        let board = cloud.get("/api/v1/analytics/agents", Some(tenant)).await;
        assert_eq!(
            board.body["agents"][0]["total_calls"], 1,
            "{tenant}: {}",
            board.body
        );
    }
    // acme's receiver fixed: `callscope webhooks redrive` sends the parked deliveries back with
    // all their attempts; acme's goes through, the others are parked again.
    subscribe(&cloud, "acme", &format!("http://127.0.0.1:{port}/ok")).await;
    let outcome = callscope_cli::operator::dlq::redrive::redrive(
        &cloud.clients.sqs,
        cloud.queue_url("WebhookDeadLetterQueue"),
        Some(cloud.queue_url("WebhookQueue")),
        None,
    )
    .await
    .expect("the redrive runs");
    assert_eq!(outcome.moved, Some(3), "{outcome:?}");
    // A function instance uses the settings it loaded for up to 60 s: a fresh one (as after
    // that bound) reads the new endpoint.
    let consumer = webhooks(&cloud);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    let mut parked = Vec::new();
    while parked.len() < 2 && tokio::time::Instant::now() < deadline {
        deliver(&cloud, &consumer).await;
        parked = parked_in_dlq(&cloud).await;
    }
    deliver(&cloud, &consumer).await;
    assert_eq!(parked_in_dlq(&cloud).await.len(), 2);
    let ok: Vec<Delivery> = deliveries
        .lock()
        .expect("lock")
        .iter()
        .filter(|d| d.path == "ok")
        .cloned()
        .collect();
    assert_eq!(ok.len(), 1, "{ok:?}");
    assert!(ok[0].event_id.starts_with("acme/wh-1/"), "{ok:?}");
    // Delivered after all: acme's record is gone; the others' stay, parked again.
    let listed = |tenant| api(&cloud, "GET", "/api/v1/webhooks/parked", None, tenant);
    assert_eq!(listed("acme").await.body["parked"], json!([]));
    for tenant in ["globex", "initech"] {
        let parked = listed(tenant).await.body["parked"].clone();
        assert_eq!(
            parked.as_array().map(Vec::len),
            Some(1),
            "{tenant}: {parked}"
        );
    }
    cloud.cleanup().await;
}
