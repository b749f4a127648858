//! events/ holds a real-shaped event for every function and every route of infra/template.yaml,
//! each one readable as the event its function takes — the files `cargo lambda invoke
//! --data-file` sends, so they must keep working as the code moves.

use std::collections::{BTreeMap, BTreeSet};

use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use aws_lambda_events::event::sqs::SqsEvent;
use callscope_core::formats::{parse_call, Format};
use callscope_core::pipeline::events::CallAnalysedDetail;
use callscope_core::pipeline::{CallAnalysed, ErasurePage, ProcessCall};
use callscope_local::template::LocalTemplate;
use callscope_tests::{fixture, workspace_root, TestCloud};
use lambda_http::request::LambdaRequest;
use serde_json::Value;

/// Each function's binary and the event files made for it.
const FUNCTION_EVENTS: &[(&str, &[&str])] = &[
    (
        "ingest",
        &[
            "events/apigw/create_call.json",
            "events/apigw/create_calls_bulk.json",
            "events/apigw/create_upload.json",
            "events/apigw/create_erasure.json",
            "events/apigw/create_reanalysis.json",
            // After the calls are processed, in this order (see below).
            "events/apigw/reanalyse_call.json",
            "events/apigw/erase_call.json",
            // Their ids are the ones create_erasure.json and create_reanalysis.json were given
            // (see below).
            "events/apigw/get_erasure.json",
            "events/apigw/get_reanalysis.json",
        ],
    ),
    ("erasures", &["events/sqs/erasure_page.json"]),
    ("intake", &["events/sqs/intake_message.json"]),
    ("dropin", &["events/sqs/dropin_object_created.json"]),
    ("process", &["events/sqs/process_batch.json"]),
    ("aggregate", &["events/sqs/aggregate_batch.json"]),
    ("sweep", &["events/eventbridge/scheduled_sweep.json"]),
    (
        "query",
        &[
            "events/apigw/list_calls.json",
            "events/apigw/get_call.json",
            "events/apigw/get_recommendations.json",
            "events/apigw/list_agents.json",
            "events/apigw/get_agent.json",
            "events/apigw/get_team.json",
            "events/apigw/get_settings.json",
            "events/apigw/get_settings_section.json",
            "events/apigw/put_settings_section.json",
            "events/apigw/rotate_webhook_secret.json",
            "events/apigw/list_parked_deliveries.json",
            "events/apigw/health.json",
            "events/apigw/api_health.json",
            "events/apigw/openapi.json",
            "events/apigw/dashboard_page.json",
            "events/apigw/dashboard_file.json",
            "events/apigw/other_method.json",
            "events/apigw/other_root.json",
        ],
    ),
    ("invalidate", &["events/dynamodb/call_processed.json"]),
    (
        "outbound",
        &[
            "events/dynamodb/calls_became_processed.json",
            "events/dynamodb/call_erased.json",
            "events/dynamodb/call_reanalysed.json",
            "events/dynamodb/transcript_expired.json",
        ],
    ),
    ("webhooks", &["events/sqs/webhook_delivery.json"]),
    ("recordings", &["events/sqs/recordings_batch.json"]),
];

fn files_of(binary: &str) -> &'static [&'static str] {
    FUNCTION_EVENTS
        .iter()
        .find(|(b, _)| *b == binary)
        .map(|(_, files)| *files)
        .unwrap_or_default()
}

/// The template with a cache, so the invalidate function is in it.
fn template() -> LocalTemplate {
    LocalTemplate::load_with_overrides(
        &workspace_root().join("infra/template.yaml"),
        BTreeMap::from([("CacheUrl".to_owned(), "redis://127.0.0.1:6379".to_owned())]),
    )
    .expect("the template reads")
}

fn json(path: &str) -> Value {
    serde_json::from_str(&fixture(path)).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
}

fn sqs_bodies(path: &str) -> Vec<String> {
    let event: SqsEvent = serde_json::from_value(json(path))
        .unwrap_or_else(|e| panic!("{path} is not an SQS event: {e}"));
    assert!(!event.records.is_empty(), "{path} has no records");
    event
        .records
        .into_iter()
        .map(|r| {
            r.body
                .unwrap_or_else(|| panic!("{path}: a record has no body"))
        })
        .collect()
}

#[test]
fn every_function_of_the_template_has_an_event_file() {
    let covered: BTreeSet<&str> = FUNCTION_EVENTS.iter().map(|(binary, _)| *binary).collect();
    for function in &template().functions {
        let binary = function
            .binary
            .as_deref()
            .unwrap_or_else(|| panic!("{} names no binary", function.logical_id));
        assert!(
            covered.contains(binary),
            "{} ({binary}) has no event file in events/",
            function.logical_id
        );
    }
}

#[test]
fn every_event_file_reads_as_the_event_its_function_takes() {
    for (binary, files) in FUNCTION_EVENTS {
        for path in *files {
            match *binary {
                "ingest" | "query" => {
                    let event: LambdaRequest = serde_json::from_value(json(path))
                        .unwrap_or_else(|e| panic!("{path} is not an API Gateway event: {e}"));
                    assert!(
                        matches!(event, LambdaRequest::ApiGatewayV2(_)),
                        "{path} is not an HTTP API (payload v2) event"
                    );
                }
                "intake" => {
                    for body in sqs_bodies(path) {
                        parse_call(body.as_bytes(), Format::Auto)
                            .unwrap_or_else(|e| panic!("{path}: not a call intake admits: {e}"));
                    }
                }
                "dropin" => {
                    for body in sqs_bodies(path) {
                        callscope_core::objects::ObjectEvent::parse(&body).unwrap_or_else(|e| {
                            panic!("{path}: not an S3 event dropin reads: {e}")
                        });
                    }
                }
                "recordings" => {
                    for body in sqs_bodies(path) {
                        let event: Value = serde_json::from_str(&body)
                            .unwrap_or_else(|e| panic!("{path}: not JSON: {e}"));
                        if event.get("detail-type").is_some() {
                            callscope_core::recordings::JobStateChange::parse(&event)
                                .unwrap_or_else(|e| panic!("{path}: not a job state: {e}"));
                        } else {
                            callscope_core::objects::ObjectEvent::parse(&body).unwrap_or_else(
                                |e| panic!("{path}: not an S3 event recordings reads: {e}"),
                            );
                        }
                    }
                }
                "process" => {
                    for body in sqs_bodies(path) {
                        serde_json::from_str::<ProcessCall>(&body)
                            .unwrap_or_else(|e| panic!("{path}: not a process request: {e}"));
                    }
                }
                "erasures" => {
                    for body in sqs_bodies(path) {
                        serde_json::from_str::<ErasurePage>(&body)
                            .unwrap_or_else(|e| panic!("{path}: not an erasure page: {e}"));
                    }
                }
                "aggregate" => {
                    for body in sqs_bodies(path) {
                        serde_json::from_str::<CallAnalysed>(&body)
                            .unwrap_or_else(|e| panic!("{path}: not a CallAnalysed event: {e}"));
                    }
                }
                "webhooks" => {
                    for body in sqs_bodies(path) {
                        let event: Value = serde_json::from_str(&body)
                            .unwrap_or_else(|e| panic!("{path}: not JSON: {e}"));
                        assert_eq!(event["detail-type"], "CallAnalysed", "{path}");
                        serde_json::from_value::<CallAnalysedDetail>(event["detail"].clone())
                            .unwrap_or_else(|e| panic!("{path}: detail is not CallAnalysed: {e}"));
                    }
                }
                "sweep" => {
                    let event = json(path);
                    assert_eq!(event["detail-type"], "Scheduled Event", "{path}");
                    assert_eq!(event["source"], "aws.events", "{path}");
                }
                "invalidate" | "outbound" => {
                    let event: StreamEvent = serde_json::from_value(json(path))
                        .unwrap_or_else(|e| panic!("{path} is not a DynamoDB stream event: {e}"));
                    assert!(!event.records.is_empty(), "{path} has no records");
                }
                other => panic!("no event type known for {other}"),
            }
        }
    }
}

#[test]
fn every_route_of_the_template_has_an_http_event_with_its_route_key() {
    let mut route_keys = BTreeMap::new();
    for (binary, files) in FUNCTION_EVENTS {
        for path in *files {
            if let Some(key) = json(path)["routeKey"].as_str() {
                route_keys.insert(key.to_owned(), *binary);
            }
        }
    }
    for function in &template().functions {
        for route in &function.http_events {
            let key = format!("{} {}", route.method, route.path);
            assert_eq!(
                route_keys.get(&key).copied(),
                function.binary.as_deref(),
                "no event of {} has routeKey {key:?}",
                function.logical_id
            );
        }
    }
}

/// Every HTTP event, delivered to its function as it stands: the POSTs accept their calls, and
/// once those are processed every GET finds what it asks for.
#[tokio::test]
async fn every_http_event_is_answered_by_its_route() {
    let cloud = TestCloud::start().await;
    let (creates, lifecycle): (Vec<&str>, Vec<&str>) = files_of("ingest")
        .iter()
        .partition(|path| path.contains("/create_"));
    let (mut erasure_id, mut reanalysis_id) = (None, None);
    for path in creates {
        let event: LambdaRequest = serde_json::from_value(json(path)).expect("an HTTP event");
        let reply = callscope_http::lambda::invoke(&cloud.ingest, event)
            .await
            .expect("a v2 response");
        let expected = if path.contains("upload") { 201 } else { 202 };
        assert_eq!(reply.status_code, expected, "{path}: {:?}", reply.body);
        if path.contains("erasure") || path.contains("reanalysis") {
            let body = match reply.body {
                Some(lambda_http::Body::Text(text)) => text,
                other => panic!("{path}: {other:?}"),
            };
            let body: Value = serde_json::from_str(&body).expect("JSON");
            if path.contains("erasure") {
                erasure_id = body["erasure_id"].as_str().map(str::to_owned);
            } else {
                reanalysis_id = body["reanalysis_id"].as_str().map(str::to_owned);
            }
        }
    }
    let erasure_id = erasure_id.expect("create_erasure.json was answered with an id");
    let reanalysis_id = reanalysis_id.expect("create_reanalysis.json was answered with an id");
    cloud.drain().await;
    for path in files_of("query") {
        let event: LambdaRequest = serde_json::from_value(json(path)).expect("an HTTP event");
        let reply = callscope_http::lambda::invoke(&cloud.api, event)
            .await
            .expect("a v2 response");
        // The catch-all routes' events ask a documented path with a method it does not have.
        let expected = if path.contains("/other_") {
            405
        } else if path.contains("/rotate_") {
            // A new signing secret is created.
            201
        } else {
            200
        };
        assert_eq!(reply.status_code, expected, "{path}: {:?}", reply.body);
    }
    // The processed call re-analysed, then erased; the erasure's and re-analysis' progress read.
    for (path, expected) in lifecycle.into_iter().zip([202, 204, 200, 200]) {
        let text = fixture(path)
            .replace("00000000-0000-4000-8000-000000000000", &erasure_id)
            .replace("00000000-0000-4000-8000-000000000001", &reanalysis_id);
        let event: LambdaRequest = serde_json::from_str(&text).expect("an HTTP event");
        let reply = callscope_http::lambda::invoke(&cloud.ingest, event)
            .await
            .expect("a v2 response");
        assert_eq!(reply.status_code, expected, "{path}: {:?}", reply.body);
    }
    cloud.cleanup().await;
}
