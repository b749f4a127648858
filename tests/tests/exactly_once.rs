//! The end-to-end exactly-once proof: N calls through the whole pipeline with duplicated
//! messages and injected failures (before and after the work), after which every rollup equals
//! the value computed directly from the N calls — none lost, none counted twice.

use std::collections::BTreeMap;

use callscope_core::analysis::Analyzer;
use callscope_core::domain::{CorrelationId, TenantId};
use callscope_core::formats::{self, Format};
use callscope_core::pipeline::{coalesce, CallAnalysed, ProcessCall, RollupTotals};
use callscope_samples::generate_call_document;
use callscope_tests::flaky::Flaky;
use callscope_tests::{TestCloud, TENANT};
use serde_json::{json, Value};

/// Sized for moto's SQS (~30–50 messages/s): ~200 calls cross three queues with retries.
const CALLS: usize = 200;
const AGENTS: [&str; 5] = ["ana", "ben", "chen", "dara", "eli"];
const DAYS: [&str; 3] = ["2026-11-02", "2026-11-03", "2026-11-04"];
const OUTCOMES: [Option<&str>; 4] = [Some("won"), Some("lost"), Some("follow_up"), None];

fn documents() -> Vec<Value> {
    (0..CALLS)
        .map(|i| {
            let mut doc =
                generate_call_document(1 + (i % 4) as u32, i as u64, &format!("e2e-{i:04}"));
            doc["agent_id"] = json!(AGENTS[i % AGENTS.len()]);
            doc["team_id"] = if i % 7 == 0 {
                Value::Null
            } else {
                json!(if i % 2 == 0 { "east" } else { "west" })
            };
            doc["start_time"] = json!(format!("{}T{:02}:15:00Z", DAYS[i % DAYS.len()], 8 + i % 10));
            doc["outcome"] = OUTCOMES[i % OUTCOMES.len()].map_or(Value::Null, Value::from);
            doc
        })
        .map(|mut doc| {
            doc.as_object_mut()
                .expect("object")
                .retain(|_, v| !v.is_null());
            doc
        })
        .collect()
}

/// The rollups computed directly from the calls, the way the pipeline should arrive at them.
fn expected_rollups(
    documents: &[Value],
) -> BTreeMap<callscope_core::pipeline::RollupKey, RollupTotals> {
    let analyzer = Analyzer::default();
    let tenant = TenantId::parse("tenant", TENANT).expect("tenant");
    let events: Vec<CallAnalysed> = documents
        .iter()
        .map(|doc| {
            let call =
                formats::parse_value(doc.clone(), Format::Auto).expect("generated calls are valid");
            let (call, redactions) = call.redacted();
            let analysis =
                analyzer.analyze(&call.utterances, Some(call.duration_seconds), redactions);
            let correlation_id = CorrelationId::parse("correlation_id", "expected").expect("id");
            CallAnalysed::new(tenant.clone(), &call, &analysis, correlation_id)
        })
        .collect();
    coalesce(&events)
}

fn assert_close(key: &str, what: &str, expected: f64, actual: f64) {
    assert!(
        (expected - actual).abs() <= 1e-6 * expected.abs().max(1.0),
        "{key} {what}: expected {expected}, got {actual}"
    );
}

#[tokio::test]
async fn duplicated_and_failing_deliveries_still_count_every_call_exactly_once() {
    let cloud = TestCloud::start().await;
    let documents = documents();

    // Half the calls arrive over HTTP in bulk, half from a producer on the intake queue.
    let (over_http, over_queue) = documents.split_at(CALLS / 2);
    for chunk in over_http.chunks(50) {
        cloud.post_bulk_until_accepted(chunk).await;
    }
    for doc in over_queue {
        cloud
            .send("IntakeQueue", &doc.to_string(), &[("tenant", TENANT)])
            .await;
    }
    // Duplicates at every hop: clients retrying, producers re-sending, process requests and
    // analytics events delivered twice.
    for doc in documents.iter().step_by(10) {
        let reply = cloud
            .post("/api/v1/calls", &doc.to_string(), Some(TENANT))
            .await;
        assert_eq!(reply.status, 202, "{}", reply.body);
    }
    for doc in over_queue.iter().step_by(9) {
        cloud
            .send("IntakeQueue", &doc.to_string(), &[("tenant", TENANT)])
            .await;
    }
    for doc in documents.iter().step_by(11) {
        let request = ProcessCall {
            tenant: TenantId::parse("tenant", TENANT).expect("tenant"),
            call_id: callscope_core::domain::CallId::parse(
                "call_id",
                doc["call_id"].as_str().expect("id"),
            )
            .expect("id"),
            correlation_id: CorrelationId::parse("correlation_id", "duplicate").expect("id"),
        };
        cloud
            .send(
                "ProcessQueue",
                &serde_json::to_string(&request).expect("json"),
                &[("tenant", TENANT)],
            )
            .await;
    }

    let intake = Flaky::new(&cloud.intake, 15, 1);
    let process = Flaky::new(&cloud.process, 20, 2);
    let aggregate = Flaky::new(&cloud.aggregate, 25, 3);
    let reports = cloud
        .drain_through(&intake, &process, &aggregate)
        .await
        .expect("draining the pipeline");
    eprintln!("drained: {reports:?}");
    for (stage, flaky) in [
        ("intake", &intake),
        ("process", &process),
        ("aggregate", &aggregate),
    ] {
        let injected = *flaky.injected.lock().expect("lock");
        eprintln!("{stage}: injected {injected:?}");
        assert!(
            injected.failed_before_handling > 0 && injected.failed_after_handling > 0,
            "{stage}: the run must actually inject both kinds of failure"
        );
    }

    for dlq in [
        "IntakeDeadLetterQueue",
        "ProcessDeadLetterQueue",
        "AnalyticsDeadLetterQueue",
    ] {
        assert!(
            cloud.peek_all(dlq).await.is_empty(),
            "{dlq} must be empty: nothing here was poison"
        );
    }
    let rollups = cloud.rollup_store();
    let expected = expected_rollups(&documents);
    let tenant_total: u64 = expected
        .iter()
        .filter(|(k, _)| k.scope == callscope_core::pipeline::RollupScope::Tenant)
        .map(|(_, t)| t.calls)
        .sum();
    assert_eq!(tenant_total, CALLS as u64);
    for (key, want) in &expected {
        let name = format!("{key:?}");
        let got = rollups
            .get(key)
            .await
            .expect("reading a rollup")
            .unwrap_or_else(|| panic!("{name} is missing"));
        assert_eq!(got.calls, want.calls, "{name} calls");
        assert_eq!(got.score_sum, want.score_sum, "{name} score_sum");
        assert_eq!(
            got.questions_agent, want.questions_agent,
            "{name} questions_agent"
        );
        assert_eq!(
            got.questions_customer, want.questions_customer,
            "{name} questions_customer"
        );
        assert_eq!(got.tracker_hits, want.tracker_hits, "{name} tracker_hits");
        assert_eq!(got.outcomes, want.outcomes, "{name} outcomes");
        assert_close(
            &name,
            "duration_seconds",
            want.duration_seconds,
            got.duration_seconds,
        );
        assert_close(
            &name,
            "talk_ratio_sum",
            want.talk_ratio_sum,
            got.talk_ratio_sum,
        );
        assert_close(
            &name,
            "sentiment_sum",
            want.sentiment_sum,
            got.sentiment_sum,
        );
    }
    cloud.cleanup().await;
}
