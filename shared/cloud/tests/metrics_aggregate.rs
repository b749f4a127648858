//! The end-to-end latency and the rollup retries, as aggregate's invocations emit them.

mod support;

use std::sync::Arc;

use callscope_app::aggregate::AggregateRollups;
use callscope_app::memory::{FixedClock, MemoryDeadLetter, MemoryRollups};
use callscope_app::Deadline;
use callscope_cloud::sqs::SqsConsumer;
use callscope_cloud::telemetry::{Function, Telemetry};
use serde_json::{json, Value};
use support::{sqs_event, Capture};

/// A CallAnalysed event body, received at `received_at` when given.
fn analysed(call_id: &str, received_at: Option<&str>) -> String {
    let mut event = json!({
        "tenant": "acme", "call_id": call_id, "agent_id": "ana", "day": "2026-11-02",
        "correlation_id": format!("corr-{call_id}"), "duration_seconds": 20.0,
        "agent_talk_ratio": 0.5, "customer_sentiment_score": 0.1, "score": 70,
        "questions_agent": 2, "questions_customer": 1, "tracker_hits": {},
        "analysed_at": "2026-11-02T09:59:59Z",
    });
    if let Some(received_at) = received_at {
        event["received_at"] = json!(received_at);
    }
    event.to_string()
}

fn reporting<'a>(documents: &'a [Value], metric: &str) -> Option<&'a Value> {
    documents.iter().find(|d| d.get(metric).is_some())
}

#[tokio::test]
async fn aggregate_times_each_call_from_its_202_to_its_rollups_once() {
    let capture = Capture::default();
    let writer = capture.clone();
    let telemetry = Telemetry::install(Function::Aggregate, move || Box::new(writer.clone()));
    let rollups = Arc::new(MemoryRollups::default());
    let consumer = SqsConsumer::new(
        AggregateRollups::new(
            rollups.clone(),
            Arc::new(FixedClock::at("2026-11-02T10:00:00Z")),
        ),
        Arc::new(MemoryDeadLetter::default()),
    );
    let none: &[(&str, &str)] = &[];
    let event = sqs_event(&[
        ("m1", analysed("c-1", Some("2026-11-02T09:58:30Z")), none),
        // An event from before received_at travelled is counted, just not timed.
        ("m2", analysed("c-2", None), none),
    ]);
    telemetry
        .invocation("request-1", consumer.handle_batch(event, Deadline::NONE))
        .await;
    let documents = capture.take_lines();
    let latency = reporting(&documents, "EndToEndLatency").expect("a latency");
    assert_eq!(latency["EndToEndLatency"], json!([90_000.0]), "{latency}");
    assert_eq!(latency["function"], "aggregate");
    let directive = &latency["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(directive["Namespace"], "callscope");
    assert_eq!(directive["Dimensions"], json!([["function"]]));
    let unit = directive["Metrics"]
        .as_array()
        .expect("Metrics")
        .iter()
        .find(|m| m["Name"] == "EndToEndLatency")
        .map(|m| m["Unit"].clone());
    assert_eq!(unit, Some(json!("Milliseconds")));
    assert!(
        reporting(&documents, "RollupRetries").is_none(),
        "{documents:#?}"
    );

    // A redelivery is counted once: no second latency. A store that stops is a retry.
    rollups.fail_after(Some(0));
    let event = sqs_event(&[
        ("m1", analysed("c-1", Some("2026-11-02T09:58:30Z")), none),
        ("m3", analysed("c-3", Some("2026-11-02T09:59:00Z")), none),
    ]);
    let response = telemetry
        .invocation("request-2", consumer.handle_batch(event, Deadline::NONE))
        .await;
    assert_eq!(response.batch_item_failures.len(), 1);
    let documents = capture.take_lines();
    assert!(
        reporting(&documents, "EndToEndLatency").is_none(),
        "{documents:#?}"
    );
    let retries = reporting(&documents, "RollupRetries").expect("retries");
    assert_eq!(retries["RollupRetries"], 1);
}
