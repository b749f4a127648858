//! The metrics contract, end to end in one process: an intake invocation over in-memory ports,
//! its metrics flushed by the telemetry the composition root installs, read back as the
//! Embedded Metric Format documents CloudWatch would read from the log.

mod support;

use std::sync::Arc;

use callscope_app::admit::AdmitCalls;
use callscope_app::intake::IntakeCalls;
use callscope_app::memory::{FixedClock, MemoryCalls, MemoryDeadLetter, MemoryPublisher};
use callscope_app::Deadline;
use callscope_cloud::sqs::SqsConsumer;
use callscope_cloud::telemetry::{Function, Telemetry};
use serde_json::Value;
use support::{document, sqs_event, Capture};

/// The document that reports `metric`, checked to be a well-formed EMF document of callscope
/// with exactly `dimensions`.
fn document_of<'a>(documents: &'a [Value], metric: &str, dimensions: &[&str]) -> &'a Value {
    let found: Vec<&Value> = documents
        .iter()
        .filter(|d| d.get(metric).is_some())
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one document reports {metric}: {documents:#?}"
    );
    let document = found[0];
    let directive = &document["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(directive["Namespace"], "callscope", "{document}");
    assert_eq!(
        directive["Dimensions"],
        serde_json::json!([dimensions]),
        "{document}"
    );
    assert!(
        document["_aws"]["Timestamp"].as_u64().is_some(),
        "{document}"
    );
    let declared = directive["Metrics"]
        .as_array()
        .expect("Metrics")
        .iter()
        .find(|m| m["Name"] == metric)
        .unwrap_or_else(|| panic!("{metric} declared in {document}"));
    assert_eq!(declared["Unit"], "Count", "{document}");
    document
}

#[tokio::test]
async fn an_intake_invocation_flushes_its_counts_as_embedded_metric_documents() {
    let capture = Capture::default();
    let writer = capture.clone();
    let telemetry = Telemetry::install(Function::Intake, move || Box::new(writer.clone()));
    let calls = Arc::new(MemoryCalls::default());
    let queue = Arc::new(MemoryPublisher::default());
    let clock = Arc::new(FixedClock::at("2026-11-02T10:00:00Z"));
    let consumer = SqsConsumer::new(
        IntakeCalls::new(AdmitCalls::new(calls, queue, clock), None),
        Arc::new(MemoryDeadLetter::default()),
    );
    let acme: &[(&str, &str)] = &[("tenant", "acme")];
    let missing_customer = document("c-3").replace("\"customer_id\":\"cust-1\",", "");
    let event = sqs_event(&[
        ("m1", document("c-1"), acme),
        ("m2", document("c-2"), acme),
        ("m3", missing_customer, acme),
    ]);

    let response = telemetry
        .invocation("request-1", consumer.handle_batch(event, Deadline::NONE))
        .await;
    assert!(response.batch_item_failures.is_empty());

    let documents = capture.take_lines();
    let accepted = document_of(&documents, "CallsAccepted", &["function"]);
    assert_eq!(accepted["function"], "intake");
    assert_eq!(accepted["requestId"], "request-1");
    assert_eq!(accepted["CallsAccepted"], 2);
    assert_eq!(
        accepted["ColdStarts"], 1,
        "the first invocation is the cold start"
    );
    let rejected = document_of(&documents, "CallsRejected", &["function", "rule"]);
    assert_eq!(rejected["rule"], "invalid");
    assert_eq!(rejected["CallsRejected"], 1);
    let parked = document_of(&documents, "MessagesParked", &["function", "queue"]);
    assert_eq!(parked["queue"], "intake");
    assert_eq!(parked["MessagesParked"], 1);

    // The next invocation reports only its own counts, and is no cold start.
    let event = sqs_event(&[("m4", document("c-4"), acme)]);
    telemetry
        .invocation("request-2", consumer.handle_batch(event, Deadline::NONE))
        .await;
    let documents = capture.take_lines();
    let accepted = document_of(&documents, "CallsAccepted", &["function"]);
    assert_eq!(accepted["CallsAccepted"], 1);
    assert_eq!(accepted["requestId"], "request-2");
    assert!(accepted.get("ColdStarts").is_none(), "{accepted}");
    assert_eq!(documents.len(), 1, "{documents:#?}");
}
