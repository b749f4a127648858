//! `callscope local pump`'s contract, against a small server that answers like the Lambda Invoke
//! API: the runner deletes exactly the messages the function's batch response does not name, and
//! nothing when the invocation fails (the watch style, a 5xx, and the AWS style, a 200 with
//! `X-Amz-Function-Error`).

use std::sync::{Arc, Mutex};

use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use callscope_local::invoke::InvokeApi;
use callscope_local::pump::Pump;
use callscope_local::streams::StreamBatchHandler;
use callscope_tests::{fixture, TestCloud};
use serde_json::{json, Value};

/// What the fake was invoked with: function name and message bodies.
type Invocations = Arc<Mutex<Vec<(String, Vec<String>)>>>;

/// `process` fails the messages whose body says "poison"; `broken` errors as cargo lambda watch
/// reports it; `unhandled` as AWS does; any other function succeeds with every message.
async fn invoke(
    State(seen): State<Invocations>,
    Path(function): Path<String>,
    Json(event): Json<Value>,
) -> (StatusCode, HeaderMap, Json<Value>) {
    let records = event["Records"].as_array().cloned().unwrap_or_default();
    let bodies: Vec<String> = records
        .iter()
        .filter_map(|r| r["body"].as_str().map(str::to_owned))
        .collect();
    seen.lock().expect("lock").push((function.clone(), bodies));
    let error = json!({"errorType": "&str", "errorMessage": "the handler panicked"});
    let mut headers = HeaderMap::new();
    match function.as_str() {
        "broken" => (StatusCode::INTERNAL_SERVER_ERROR, headers, Json(error)),
        "unhandled" => {
            headers.insert("x-amz-function-error", "Unhandled".parse().expect("header"));
            (StatusCode::OK, headers, Json(error))
        }
        _ => {
            let failures: Vec<Value> = records
                .iter()
                .filter(|r| r["body"] == "poison")
                .map(|r| json!({"itemIdentifier": r["messageId"]}))
                .collect();
            (
                StatusCode::OK,
                headers,
                Json(json!({"batchItemFailures": failures})),
            )
        }
    }
}

/// Serves the fake Invoke API on a free loopback port; its base URL and what it saw.
async fn fake_invoke_api() -> (String, Invocations) {
    let seen = Invocations::default();
    let app = Router::new()
        .route("/2015-03-31/functions/{function}/invocations", post(invoke))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address = listener.local_addr().expect("its address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}"), seen)
}

fn bodies(messages: &[aws_sdk_sqs::types::Message]) -> Vec<String> {
    let mut bodies: Vec<String> = messages
        .iter()
        .map(|m| m.body.clone().unwrap_or_default())
        .collect();
    bodies.sort();
    bodies
}

#[tokio::test]
async fn only_the_messages_the_batch_response_names_stay_on_the_queue() {
    let cloud = TestCloud::start().await;
    let (url, seen) = fake_invoke_api().await;
    for body in ["first", "poison", "second"] {
        cloud.send("ProcessQueue", body, &[]).await;
    }
    let report = cloud
        .runner("ProcessFunction")
        .poll_once(&InvokeApi::new(&url).function("process"))
        .await
        .expect("a poll");
    assert_eq!((report.received, report.deleted, report.failed), (3, 2, 1));
    assert_eq!(bodies(&cloud.peek_all("ProcessQueue").await), ["poison"]);
    assert_eq!(seen.lock().expect("lock")[0].0, "process");
    cloud.cleanup().await;
}

#[tokio::test]
async fn an_invocation_error_leaves_the_whole_batch_on_the_queue() {
    let cloud = TestCloud::start().await;
    let (url, _) = fake_invoke_api().await;
    let api = InvokeApi::new(&url);
    for (queue, function) in [("ProcessQueue", "broken"), ("AnalyticsQueue", "unhandled")] {
        for body in ["first", "second"] {
            cloud.send(queue, body, &[]).await;
        }
        let runner = match queue {
            "ProcessQueue" => cloud.runner("ProcessFunction"),
            _ => cloud.runner("AggregateFunction"),
        };
        let report = runner
            .poll_once(&api.function(function))
            .await
            .expect("a poll");
        assert_eq!(
            (report.received, report.deleted, report.failed),
            (2, 0, 2),
            "{function}"
        );
        assert_eq!(bodies(&cloud.peek_all(queue).await), ["first", "second"]);
    }
    cloud.cleanup().await;
}

#[tokio::test]
async fn the_pump_feeds_each_queue_of_the_template_to_its_binary_until_all_are_idle() {
    let cloud = TestCloud::start().await;
    let (url, seen) = fake_invoke_api().await;
    cloud.send("IntakeQueue", "a call", &[]).await;
    cloud.send("ProcessQueue", "poison", &[]).await;
    let pump = Pump::start(&cloud.clients.sqs, &cloud.provisioned, InvokeApi::new(&url))
        .await
        .expect("the pump starts");
    let totals = pump.drain().await.expect("a drain");
    assert_eq!(totals.sqs["intake"].deleted, 1);
    // Failed on every receive until SQS moved it to the dead-letter queue (maxReceiveCount 2).
    assert_eq!(totals.sqs["process"].deleted, 0);
    assert_eq!(totals.sqs["process"].failed, 2);
    assert!(cloud.peek_all("ProcessQueue").await.is_empty());
    assert_eq!(
        bodies(&cloud.peek_all("ProcessDeadLetterQueue").await),
        ["poison"]
    );
    let intake_call = ("intake".to_owned(), vec!["a call".to_owned()]);
    assert!(seen.lock().expect("lock").contains(&intake_call));
    cloud.cleanup().await;
}

#[tokio::test]
async fn a_failed_stream_invocation_is_retried_from_the_first_record_of_its_batch() {
    let (url, _) = fake_invoke_api().await;
    let api = InvokeApi::new(&url);
    let event: StreamEvent =
        serde_json::from_str(&fixture("events/dynamodb/call_processed.json")).expect("an event");
    let first = event.records[0].change.sequence_number.clone();
    assert!(first.is_some());
    let failed = StreamBatchHandler::handle(&api.function("broken"), event.clone()).await;
    let failed: Vec<_> = failed
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(failed, [first]);
    let ok = StreamBatchHandler::handle(&api.function("invalidate"), event).await;
    assert!(ok.batch_item_failures.is_empty());
}
