//! The HTTP side of ingest against the local cloud: status codes, bodies, idempotency.

use aws_lambda_events::event::sqs::SqsEvent;
use callscope_app::ports::CallRepository;
use callscope_core::domain::{CallId, TenantId};
use callscope_tests::{fixture, TestCloud, TENANT};
use lambda_http::request::LambdaRequest;
use serde_json::{json, Value};

fn call(call_id: &str) -> Value {
    json!({
        "call_id": call_id,
        "agent_id": "agent-7",
        "customer_id": "cust-1",
        "start_time": "2026-11-01T10:00:00Z",
        "duration_seconds": 30,
        "transcript": "Agent: Hello, this call is being recorded. What brings you here?\nCustomer: We need better pricing."
    })
}

async fn count_call_items(cloud: &TestCloud, call_id: &str) -> usize {
    let output = cloud
        .clients
        .dynamodb
        .query()
        .table_name(cloud.table("CallsTable"))
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(
            ":pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("TENANT#{TENANT}#CALL#{call_id}")),
        )
        .send()
        .await
        .expect("query");
    output.items.unwrap_or_default().len()
}

#[tokio::test]
async fn a_valid_call_is_accepted_with_its_location_and_queued_once() {
    let cloud = TestCloud::start().await;
    let reply = cloud
        .post("/api/v1/calls", &call("c-1").to_string(), Some(TENANT))
        .await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    // The local gateway delivers under the `dev` stage, as the template deploys it.
    assert_eq!(reply.header("location"), Some("/dev/api/v1/calls/c-1"));
    assert_eq!(reply.body["call_id"], "c-1");
    assert_eq!(reply.body["status"], "accepted");
    let queued = cloud.peek_all("ProcessQueue").await;
    assert_eq!(queued.len(), 1);
    cloud.cleanup().await;
}

#[tokio::test]
async fn the_fixture_event_is_accepted() {
    let cloud = TestCloud::start().await;
    let event: Value =
        serde_json::from_str(&fixture("events/apigw/create_call.json")).expect("json");
    let body = event["body"].as_str().expect("body");
    let reply = cloud.post("/api/v1/calls", body, Some(TENANT)).await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    cloud.cleanup().await;
}

#[tokio::test]
async fn the_same_call_sent_again_gets_the_same_answer_and_no_second_record() {
    let cloud = TestCloud::start().await;
    let body = call("c-dup").to_string();
    let first = cloud.post("/api/v1/calls", &body, Some(TENANT)).await;
    let second = cloud.post("/api/v1/calls", &body, Some(TENANT)).await;
    assert_eq!(first.status, 202);
    assert_eq!(second.status, 202);
    assert_eq!(first.body, second.body, "same result both times");
    // The call item and its transcript item: one record, not two.
    assert_eq!(count_call_items(&cloud, "c-dup").await, 2);
    cloud.cleanup().await;
}

#[tokio::test]
async fn the_same_call_id_with_other_content_is_a_conflict() {
    let cloud = TestCloud::start().await;
    let mut other = call("c-conflict");
    other["agent_id"] = json!("agent-8");
    assert_eq!(
        cloud
            .post(
                "/api/v1/calls",
                &call("c-conflict").to_string(),
                Some(TENANT)
            )
            .await
            .status,
        202
    );
    let reply = cloud
        .post("/api/v1/calls", &other.to_string(), Some(TENANT))
        .await;
    assert_eq!(reply.status, 409, "{}", reply.body);
    assert!(reply.body["detail"]
        .as_str()
        .expect("detail")
        .contains("c-conflict"));
    cloud.cleanup().await;
}

#[tokio::test]
async fn bad_input_gets_a_4xx_that_names_the_field() {
    let cloud = TestCloud::start().await;
    let not_json = cloud.post("/api/v1/calls", "{not json", Some(TENANT)).await;
    assert_eq!(not_json.status, 400, "{}", not_json.body);

    let mut missing = call("c-bad");
    missing.as_object_mut().expect("object").remove("agent_id");
    let reply = cloud
        .post("/api/v1/calls", &missing.to_string(), Some(TENANT))
        .await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert_eq!(reply.body["detail"][0]["loc"], json!(["body", "agent_id"]));

    let mut unknown_role = call("c-bad-role");
    unknown_role["transcript"] = json!("Agent: hi\nBob: hello");
    let reply = cloud
        .post("/api/v1/calls", &unknown_role.to_string(), Some(TENANT))
        .await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert!(reply.body["detail"][0]["msg"]
        .as_str()
        .expect("msg")
        .contains("Bob"));

    let form = cloud
        .post_with_content_type(
            "/api/v1/calls",
            &call("c-form").to_string(),
            Some(TENANT),
            "text/plain",
        )
        .await;
    assert_eq!(form.status, 415, "{}", form.body);

    let mut huge = call("c-huge");
    huge["transcript"] = json!(format!("Agent: {}", "word ".repeat(70_000)));
    let reply = cloud
        .post("/api/v1/calls", &huge.to_string(), Some(TENANT))
        .await;
    assert_eq!(reply.status, 413, "{}", reply.body);

    assert!(
        cloud.peek_all("ProcessQueue").await.is_empty(),
        "nothing invalid was queued"
    );
    cloud.cleanup().await;
}

#[tokio::test]
async fn a_request_without_a_tenant_claim_is_refused() {
    let cloud = TestCloud::start().await;
    let reply = cloud
        .post("/api/v1/calls", &call("c-anon").to_string(), None)
        .await;
    assert_eq!(reply.status, 401, "{}", reply.body);
    cloud.cleanup().await;
}

#[tokio::test]
async fn bulk_answers_every_item_with_its_own_status() {
    let cloud = TestCloud::start().await;
    assert_eq!(
        cloud
            .post(
                "/api/v1/calls",
                &call("b-existing").to_string(),
                Some(TENANT)
            )
            .await
            .status,
        202
    );
    let mut conflicting = call("b-existing");
    conflicting["customer_id"] = json!("cust-2");
    let mut invalid = call("b-invalid");
    invalid["start_time"] = json!("yesterday");
    let body =
        json!({"calls": [call("b-1"), invalid, call("b-2"), conflicting, call("b-existing")]});
    let reply = cloud
        .post("/api/v1/calls/bulk", &body.to_string(), Some(TENANT))
        .await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    let statuses: Vec<&str> = reply.body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["status"].as_str().expect("status"))
        .collect();
    assert_eq!(
        statuses,
        ["accepted", "rejected", "accepted", "conflict", "accepted"]
    );
    assert_eq!(
        reply.body["results"][1]["errors"][0]["loc"],
        json!(["body", "calls", 1, "start_time"])
    );
    assert_eq!(reply.body["accepted"], 3);
    assert_eq!(reply.body["rejected"], 2);
    // b-1 and b-2 are new; b-existing was queued by the first request and is queued again only
    // while still RECEIVED (it is: nothing processed it), which is what makes retries safe.
    let queued = cloud.peek_all("ProcessQueue").await;
    assert_eq!(queued.len(), 4);
    cloud.cleanup().await;
}

#[tokio::test]
async fn bulk_refuses_more_than_its_limit() {
    let cloud = TestCloud::start().await;
    let calls: Vec<Value> = (0..=callscope_ingest::BULK_LIMIT)
        .map(|i| call(&format!("many-{i}")))
        .collect();
    let reply = cloud
        .post(
            "/api/v1/calls/bulk",
            &Value::from(calls).to_string(),
            Some(TENANT),
        )
        .await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert_eq!(reply.body["detail"][0]["loc"], json!(["body", "calls"]));
    cloud.cleanup().await;
}

/// The events `sam local generate-event` writes (committed verbatim in events/), with our
/// route, claim and body filled in, go through the same entry point the Lambda runtime calls.
#[tokio::test]
async fn sam_generated_events_are_handled_through_the_lambda_entry_point() {
    let cloud = TestCloud::start().await;
    let mut http: Value =
        serde_json::from_str(&fixture("events/apigw/sam_generated_http_api_proxy.json"))
            .expect("json");
    http["routeKey"] = json!("POST /api/v1/calls");
    http["rawPath"] = json!("/api/v1/calls");
    http["requestContext"]["http"]["method"] = json!("POST");
    http["requestContext"]["http"]["path"] = json!("/api/v1/calls");
    http["requestContext"]["authorizer"]["jwt"]["claims"]["tenant_id"] = json!(TENANT);
    http["headers"]["content-type"] = json!("application/json");
    http["isBase64Encoded"] = json!(false);
    http["body"] = json!(call("sam-http").to_string());
    let request: LambdaRequest = serde_json::from_value(http).expect("a v2 event");
    let response = callscope_http::lambda::invoke(&cloud.ingest, request)
        .await
        .expect("a v2 response");
    assert_eq!(response.status_code, 202, "{response:?}");

    let mut sqs: Value =
        serde_json::from_str(&fixture("events/sqs/sam_generated_receive_message.json"))
            .expect("json");
    sqs["Records"][0]["body"] = json!(call("sam-sqs").to_string());
    sqs["Records"][0]["messageAttributes"] = json!({
        "tenant": {"stringValue": TENANT, "stringListValues": [], "binaryListValues": [], "dataType": "String"}
    });
    let event: SqsEvent = serde_json::from_value(sqs).expect("an SQS event");
    let response = cloud
        .intake
        .handle_batch(event, callscope_app::Deadline::NONE)
        .await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");

    assert_eq!(
        count_call_items(&cloud, "sam-http").await,
        2,
        "call + transcript"
    );
    assert_eq!(
        count_call_items(&cloud, "sam-sqs").await,
        2,
        "call + transcript"
    );
    cloud.cleanup().await;
}

/// Within every input limit but with the most per-utterance overhead (10,000 utterances, little
/// text): ~1 MB of transcript JSON, more than one item holds, which is why transcripts are stored
/// compressed. Accepted, stored as its two items, and read back whole. (A call the store still
/// cannot hold is refused with 413 naming the field; with compression no call within the input
/// limits gets there, and the use case's unit tests cover that branch.)
#[tokio::test]
async fn a_call_with_the_most_utterances_is_stored_and_read_back_whole() {
    let cloud = TestCloud::start().await;
    let utterances: Vec<Value> = (0..10_000)
        .map(|i| {
            let start = f64::from(i) * 2.0;
            json!({"speaker": if i % 2 == 0 { "agent" } else { "customer" },
                   "text": format!("okay then {i}"), "start": start, "end": start + 1.5})
        })
        .collect();
    let mut document = call("huge-1");
    document
        .as_object_mut()
        .expect("object")
        .remove("transcript");
    document["duration_seconds"] = json!(20_000);
    document["utterances"] = Value::from(utterances);
    assert!(
        document.to_string().len() > 400 * 1024,
        "more than one item as JSON"
    );
    let reply = cloud
        .post("/api/v1/calls", &document.to_string(), Some(TENANT))
        .await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    assert_eq!(
        count_call_items(&cloud, "huge-1").await,
        2,
        "call + transcript"
    );
    let stored = cloud
        .calls_store()
        .load(
            &TenantId::parse("tenant", TENANT).expect("tenant"),
            &CallId::parse("call_id", "huge-1").expect("id"),
        )
        .await
        .expect("load")
        .expect("stored");
    assert_eq!(stored.call.utterances.utterances().len(), 10_000);
    assert_eq!(
        stored.call.utterances.utterances()[9_999].text,
        "okay then 9999"
    );
    cloud.cleanup().await;
}
