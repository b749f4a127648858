//! Logs you can follow: one call through intake, process and aggregate on in-memory ports, each
//! run as an invocation, with the JSON log layer the functions install capturing every line.

mod support;

use std::sync::Arc;

use callscope_app::admit::AdmitCalls;
use callscope_app::aggregate::AggregateRollups;
use callscope_app::intake::IntakeCalls;
use callscope_app::memory::{
    FixedClock, MemoryCalls, MemoryDeadLetter, MemoryPublisher, MemoryRollups,
};
use callscope_app::process::ProcessCalls;
use callscope_app::Deadline;
use callscope_cloud::sqs::SqsConsumer;
use callscope_cloud::telemetry::{json_logs, Function, Telemetry};
use callscope_core::analysis::Analyser;
use serde_json::Value;
use support::{delivered, document, keys_of, sqs_event, Capture};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::Layer;

#[tokio::test]
async fn every_line_of_a_calls_journey_names_the_call_and_the_invocation() {
    // Before the test's subscriber: the binary's other test may have installed the process's
    // one recorder already, and that warning is not this test's.
    let metrics = Capture::default();
    let telemetry = Telemetry::install(Function::Process, move || Box::new(metrics.clone()));
    let logs = Capture::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::registry()
        .with(json_logs(move || writer.clone()).with_filter(LevelFilter::INFO));
    // The test's own thread only: tokio::test runs the futures on it.
    let _logging = tracing::subscriber::set_default(subscriber);

    let calls = Arc::new(MemoryCalls::default());
    let process_queue = Arc::new(MemoryPublisher::default());
    let analytics_queue = Arc::new(MemoryPublisher::default());
    let clock = Arc::new(FixedClock::at("2026-11-02T10:00:00Z"));
    let dlq = Arc::new(MemoryDeadLetter::default());
    let intake = SqsConsumer::new(
        IntakeCalls::new(
            AdmitCalls::new(calls.clone(), process_queue.clone(), clock.clone()),
            None,
        ),
        dlq.clone(),
    );
    let process = SqsConsumer::new(
        ProcessCalls::new(
            calls,
            analytics_queue.clone(),
            clock.clone(),
            Arc::new(Analyser::default()),
        ),
        dlq.clone(),
    );
    let aggregate = SqsConsumer::new(
        AggregateRollups::new(Arc::new(MemoryRollups::default()), clock),
        dlq,
    );

    let attributes: &[(&str, &str)] = &[("tenant", "acme"), ("correlation_id", "corr-1")];
    let no_tenant: &[(&str, &str)] = &[("correlation_id", "corr-2")];
    let event = sqs_event(&[
        ("m1", document("c-1"), attributes),
        ("m2", document("c-2"), no_tenant),
    ]);
    telemetry
        .invocation("request-intake", intake.handle_batch(event, Deadline::NONE))
        .await;
    let event = delivered(&process_queue.sent());
    telemetry
        .invocation(
            "request-process",
            process.handle_batch(event, Deadline::NONE),
        )
        .await;
    let event = delivered(&analytics_queue.sent());
    telemetry
        .invocation(
            "request-aggregate",
            aggregate.handle_batch(event, Deadline::NONE),
        )
        .await;

    let text = logs.take_text();
    let lines: Vec<Value> = text
        .iter()
        .map(|line| {
            let keys = keys_of(line);
            let mut unique = keys.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), keys.len(), "a key twice: {line}");
            serde_json::from_str(line).expect("JSON")
        })
        .collect();
    for line in &lines {
        assert!(line["requestId"].as_str().is_some(), "{line}");
        assert!(line["cold_start"].as_bool().is_some(), "{line}");
        assert!(line["level"].as_str().is_some(), "{line}");
        if line.get("call_id").is_some() {
            assert_eq!(line["call_id"], "c-1", "{line}");
            assert_eq!(line["tenant"], "acme", "{line}");
            assert_eq!(line["correlation_id"], "corr-1", "{line}");
        }
    }
    let said = |message: &str| {
        lines
            .iter()
            .find(|l| l["message"] == message)
            .unwrap_or_else(|| panic!("no line says {message:?}: {text:#?}"))
    };
    assert_eq!(said("call accepted")["requestId"], "request-intake");
    assert_eq!(said("call accepted")["cold_start"], true);
    assert_eq!(said("call analysed")["requestId"], "request-process");
    assert_eq!(said("call analysed")["call_id"], "c-1");
    assert_eq!(said("call analysed")["cold_start"], false);
    assert_eq!(
        said("call counted in its rollups")["requestId"],
        "request-aggregate"
    );
    assert_eq!(said("call counted in its rollups")["call_id"], "c-1");
    // A failure is one line with its reason.
    let parked = said("message refused; parking it in the DLQ");
    assert_eq!(parked["correlation_id"], "corr-2");
    assert_eq!(parked["queue"], "intake");
    // Its rule, not the reason: a reason may quote the input, which stays with the parked copy.
    assert_eq!(parked["refusal"], "unreadable: attribute tenant missing");
    assert!(parked.get("reason").is_none(), "{parked}");
    assert_eq!(parked["level"], "ERROR");
}

#[tokio::test]
async fn at_warn_level_a_failure_still_names_its_invocation() {
    // Before the test's subscriber: the binary's other test may have installed the process's
    // one recorder already, and that warning is not this test's.
    let metrics = Capture::default();
    let telemetry = Telemetry::install(Function::Intake, move || Box::new(metrics.clone()));
    let logs = Capture::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::registry()
        .with(json_logs(move || writer.clone()).with_filter(LevelFilter::WARN));
    let _logging = tracing::subscriber::set_default(subscriber);
    let intake = SqsConsumer::new(
        IntakeCalls::new(
            AdmitCalls::new(
                Arc::new(MemoryCalls::default()),
                Arc::new(MemoryPublisher::default()),
                Arc::new(FixedClock::at("2026-11-02T10:00:00Z")),
            ),
            None,
        ),
        Arc::new(MemoryDeadLetter::default()),
    );
    let no_tenant: &[(&str, &str)] = &[("correlation_id", "corr-9")];
    let event = sqs_event(&[("m9", document("c-9"), no_tenant)]);
    telemetry
        .invocation("request-warn", intake.handle_batch(event, Deadline::NONE))
        .await;
    let lines: Vec<Value> = logs.take_lines();
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert_eq!(lines[0]["requestId"], "request-warn");
    assert!(lines[0]["cold_start"].as_bool().is_some(), "{}", lines[0]);
    assert_eq!(lines[0]["level"], "ERROR");
}
