//! The end-to-end exactly-once proof: N calls through the whole pipeline with duplicated
//! messages and injected failures (before and after the work), after which every rollup equals
//! the value computed directly from the N calls — none lost, none counted twice.

use callscope_core::domain::{CorrelationId, TenantId};
use callscope_core::pipeline::ProcessCall;
use callscope_local::expected;
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
            revision: None,
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
    let tenant = TenantId::parse("tenant", TENANT).expect("tenant");
    let events = expected::analysed_from_documents(&tenant, &documents).expect("valid calls");
    let expected = expected::rollups_of(&events);
    let tenant_total: u64 = expected
        .iter()
        .filter(|(k, _)| k.scope == callscope_core::pipeline::RollupScope::Tenant)
        .map(|(_, t)| t.calls)
        .sum();
    assert_eq!(tenant_total, CALLS as u64);
    let mismatches = expected::mismatches(&cloud.rollup_store(), &expected)
        .await
        .expect("reading the rollups");
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    cloud.cleanup().await;
}
