//! The write path end to end in the local cloud: ingest → process → aggregate, DLQs and reasons.

use std::sync::Arc;

use callscope_app::memory::FixedClock;
use callscope_app::ports::{
    CallRepository, CallStatus, Clock, ReceivedCall, FAILURE_REASON_ATTRIBUTE,
};
use callscope_app::sweep::Sweep;
use callscope_cloud::config::{FromEnv, IngestConfig, ProcessConfig, SweepConfig};
use callscope_cloud::sqs::{self, SqsPublisher};
use callscope_core::domain::{AgentId, CallId, CorrelationId, Day, TenantId};
use callscope_core::formats::{self, Format};
use callscope_core::pipeline::{RollupKey, RollupScope, RollupTotals};
use callscope_tests::{attribute, fixture, TestCloud, TENANT, TEST_MAX_RECEIVE_COUNT};
use serde_json::{json, Value};

fn tenant(id: &str) -> TenantId {
    TenantId::parse("tenant", id).expect("tenant id")
}

fn agent_day(tenant_id: &str, agent: &str, day: &str) -> RollupKey {
    RollupKey {
        tenant: tenant(tenant_id),
        scope: RollupScope::Agent(AgentId::parse("agent_id", agent).expect("agent id")),
        day: Day::parse("day", day).expect("day"),
    }
}

/// The (agent, day) rollup of a tenant, if any call was counted in it.
async fn agent_rollup(
    cloud: &TestCloud,
    tenant_id: &str,
    agent: &str,
    day: &str,
) -> Option<RollupTotals> {
    cloud
        .rollup_store()
        .get(&agent_day(tenant_id, agent, day))
        .await
        .expect("reading a rollup")
}

/// The status of a stored call of the test tenant.
async fn status_of(cloud: &TestCloud, call_id: &str) -> CallStatus {
    cloud
        .calls_store()
        .load(
            &tenant(TENANT),
            &CallId::parse("call_id", call_id).expect("id"),
        )
        .await
        .expect("load")
        .expect("the call is stored")
        .status
}

/// A two-line call document.
fn simple_call(call_id: &str, agent: &str, day: &str) -> String {
    json!({
        "call_id": call_id, "agent_id": agent, "customer_id": "cust-1",
        "start_time": format!("{day}T09:00:00Z"), "transcript": "Agent: Hello there.\nCustomer: Hi."
    })
    .to_string()
}

/// The sweep function as deployed, with a clock the test moves (starting now).
fn sweeper(cloud: &TestCloud) -> (Sweep, Arc<FixedClock>) {
    let config = SweepConfig::from_lookup(
        cloud
            .provisioned
            .env_of("SweepFunction")
            .expect("sweep env"),
    )
    .expect("config");
    let clock = Arc::new(FixedClock::at(&chrono::Utc::now().to_rfc3339()));
    let sweep = Sweep::new(
        Arc::new(cloud.calls_store()),
        Arc::new(SqsPublisher::new(
            cloud.clients.sqs.clone(),
            config.process_queue_url.clone(),
        )),
        clock.clone(),
        config.stale_after,
    );
    (sweep, clock)
}

/// POSTs through the same ingest function with its process queue gone: the write succeeds and
/// the send fails, so the client gets a 503 and the call stays RECEIVED.
async fn post_while_the_process_queue_is_gone(cloud: &TestCloud, body: &str) {
    let mut env = cloud.provisioned.functions["IngestFunction"].env.clone();
    env.insert(
        "PROCESS_QUEUE_URL".into(),
        format!("{}-missing", cloud.queue_url("ProcessQueue")),
    );
    let broken = callscope_ingest::router(
        &IngestConfig::from_lookup(|name: &str| env.get(name).cloned()).expect("config"),
        &cloud.clients,
    );
    let reply = cloud
        .post_to(
            &broken,
            "/api/v1/calls",
            body,
            Some(TENANT),
            "application/json",
        )
        .await;
    assert_eq!(reply.status, 503, "{}", reply.body);
}

#[tokio::test]
async fn an_http_call_is_processed_and_counted_in_its_rollups() {
    let cloud = TestCloud::start().await;
    let event: Value =
        serde_json::from_str(&fixture("events/apigw/create_call.json")).expect("json");
    let reply = cloud
        .post(
            "/api/v1/calls",
            event["body"].as_str().expect("body"),
            Some(TENANT),
        )
        .await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    cloud.drain().await;

    let calls = cloud.calls_store();
    let stored = calls
        .load(
            &tenant(TENANT),
            &CallId::parse("call_id", "call-0001").expect("id"),
        )
        .await
        .expect("load")
        .expect("the call is stored");
    assert_eq!(stored.status, CallStatus::Processed);
    let analysis = calls
        .get_analysis(&tenant(TENANT), &stored.call.call_id)
        .await
        .expect("read analysis")
        .expect("the analysis is stored");

    let rollups = cloud.rollup_store();
    let agent = agent_rollup(&cloud, TENANT, "agent-7", "2026-11-01")
        .await
        .expect("rollup");
    assert_eq!(agent.calls, 1);
    assert_eq!(agent.duration_seconds, 95.0);
    assert_eq!(agent.score_sum, u64::from(analysis.score));
    for scope in [
        RollupScope::Team(
            callscope_core::domain::TeamId::parse("team_id", "team-west").expect("team"),
        ),
        RollupScope::Tenant,
    ] {
        let key = RollupKey {
            tenant: tenant(TENANT),
            scope,
            day: Day::parse("day", "2026-11-01").expect("day"),
        };
        assert_eq!(
            rollups.get(&key).await.expect("get").expect("rollup").calls,
            1
        );
    }
    cloud.cleanup().await;
}

/// A standard Transcribe job's output carries speaker labels, not roles: the roles are inferred
/// at ingest, kept with the call, and reported in the analysis the API serves.
#[tokio::test]
async fn a_transcribe_call_without_roles_is_analysed_with_inferred_roles_reported() {
    let cloud = TestCloud::start().await;
    let output: Value =
        serde_json::from_str(&fixture("events/calls/transcribe_standard.json")).expect("json");
    let document = json!({
        "call_id": "roles-1", "agent_id": "sam", "customer_id": "acme-corp",
        "start_time": "2026-11-01T14:30:00Z", "transcribe": output,
    });
    let reply = cloud
        .post("/api/v1/calls", &document.to_string(), Some(TENANT))
        .await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    cloud.drain().await;
    assert_eq!(status_of(&cloud, "roles-1").await, CallStatus::Processed);
    let reply = cloud.get("/api/v1/calls/roles-1", Some(TENANT)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = &reply.body;
    let roles = &body["analysis"]["roles"];
    assert_eq!(roles["inferred"], true, "{body}");
    assert_eq!(
        roles["labels"],
        json!({"spk_0": "agent", "spk_1": "customer"})
    );
    assert_eq!(roles["low_confidence"], false, "{roles}");
    assert!(roles["evidence"].as_array().is_some_and(|e| !e.is_empty()));
    cloud.cleanup().await;
}

#[tokio::test]
async fn an_intake_message_from_a_producer_reaches_the_rollups_of_its_tenant_only() {
    let cloud = TestCloud::start().await;
    let event: Value =
        serde_json::from_str(&fixture("events/sqs/intake_message.json")).expect("json");
    let body = event["Records"][0]["body"].as_str().expect("body");
    cloud
        .send(
            "IntakeQueue",
            body,
            &[("tenant", "globex"), ("correlation_id", "telephony-7f3a")],
        )
        .await;
    cloud.drain().await;

    let mine = agent_rollup(&cloud, "globex", "agent-7", "2026-11-01").await;
    assert_eq!(mine.expect("globex rollup").calls, 1);
    let theirs = agent_rollup(&cloud, TENANT, "agent-7", "2026-11-01").await;
    assert!(
        theirs.is_none(),
        "another tenant's rollup must not see the call"
    );
    cloud.cleanup().await;
}

#[tokio::test]
async fn an_invalid_intake_message_is_parked_in_the_dlq_with_its_reason_while_its_neighbours_succeed(
) {
    let cloud = TestCloud::start().await;
    let good = |id: &str| simple_call(id, "agent-1", "2026-11-02");
    cloud
        .send("IntakeQueue", &good("n-1"), &[("tenant", TENANT)])
        .await;
    cloud
        .send(
            "IntakeQueue",
            // Everything but `customer_id`, so the reason must name that field.
            r#"{"call_id": "n-bad", "agent_id": "agent-1", "start_time": "2026-11-02T09:00:00Z",
                "transcript": "Agent: Hello there.\nCustomer: Hi."}"#,
            &[("tenant", TENANT)],
        )
        .await;
    cloud.send("IntakeQueue", &good("n-2"), &[]).await; // no tenant attribute
                                                        // A correlation id unfit for keys (far over the 1 KB key limit) falls back to the message id.
    let oversized_correlation = "c".repeat(2_000);
    cloud
        .send(
            "IntakeQueue",
            &good("n-3"),
            &[
                ("tenant", TENANT),
                ("correlation_id", &oversized_correlation),
            ],
        )
        .await;
    cloud.drain().await;

    let parked = cloud.peek_all("IntakeDeadLetterQueue").await;
    let mut reasons: Vec<&str> = parked
        .iter()
        .filter_map(|m| attribute(m, FAILURE_REASON_ATTRIBUTE))
        .collect();
    reasons.sort();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons[0].contains("customer_id") && reasons[0].contains("required"),
        "{reasons:?}"
    );
    assert!(reasons[1].contains("tenant"), "{reasons:?}");

    let agent = agent_rollup(&cloud, TENANT, "agent-1", "2026-11-02")
        .await
        .expect("rollup");
    assert_eq!(agent.calls, 2, "both good neighbours were counted");
    assert!(cloud.peek_all("IntakeQueue").await.is_empty());
    cloud.cleanup().await;
}

#[tokio::test]
async fn a_poison_process_message_reaches_the_dlq_after_max_receive_count_while_its_batch_neighbours_succeed(
) {
    let cloud = TestCloud::start().await;
    let reply = cloud
        .post(
            "/api/v1/calls",
            &json!({
                "call_id": "p-good", "agent_id": "agent-1", "customer_id": "cust-1",
                "start_time": "2026-11-03T09:00:00Z", "transcript": "Agent: Hello.\nCustomer: Hi."
            })
            .to_string(),
            Some(TENANT),
        )
        .await;
    assert_eq!(reply.status, 202);
    // A well-formed request for a call that was never stored: every attempt fails.
    let poison = json!({"tenant": TENANT, "call_id": "never-stored", "correlation_id": "poison-1"})
        .to_string();
    cloud
        .send("ProcessQueue", &poison, &[("tenant", TENANT)])
        .await;
    cloud.drain().await;

    let dead = cloud.peek_all("ProcessDeadLetterQueue").await;
    assert_eq!(dead.len(), 1, "the poison message is in the DLQ");
    assert_eq!(dead[0].body.as_deref(), Some(poison.as_str()));
    let receives: u32 = dead[0]
        .attributes
        .as_ref()
        .and_then(|a| {
            a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount)
        })
        .and_then(|c| c.parse().ok())
        .unwrap_or_default();
    assert!(
        receives >= TEST_MAX_RECEIVE_COUNT.parse::<u32>().expect("number"),
        "moved after {receives} receives"
    );
    let agent = agent_rollup(&cloud, TENANT, "agent-1", "2026-11-03")
        .await
        .expect("rollup");
    assert_eq!(
        agent.calls, 1,
        "the good neighbour was processed and counted"
    );
    cloud.cleanup().await;
}

#[tokio::test]
async fn a_call_whose_process_message_could_not_be_sent_is_processed_when_the_request_is_retried() {
    let cloud = TestCloud::start().await;
    let body = simple_call("r-1", "agent-9", "2026-11-05");
    post_while_the_process_queue_is_gone(&cloud, &body).await;
    assert_eq!(status_of(&cloud, "r-1").await, CallStatus::Received);

    // The client retries (as 503 + Retry-After tell it to) and the call is queued this time.
    let retried = cloud.post("/api/v1/calls", &body, Some(TENANT)).await;
    assert_eq!(retried.status, 202, "{}", retried.body);
    cloud.drain().await;
    assert_eq!(status_of(&cloud, "r-1").await, CallStatus::Processed);
    let agent = agent_rollup(&cloud, TENANT, "agent-9", "2026-11-05")
        .await
        .expect("rollup");
    assert_eq!(agent.calls, 1);
    cloud.cleanup().await;
}

#[tokio::test]
async fn the_sweeper_queues_a_call_left_received_when_the_client_never_retries() {
    let cloud = TestCloud::start().await;
    let lost = simple_call("s-lost", "agent-8", "2026-11-06");
    post_while_the_process_queue_is_gone(&cloud, &lost).await;
    // A neighbour that went through normally: processed, so never swept.
    let fine = lost.replace("s-lost", "s-fine");
    assert_eq!(
        cloud
            .post("/api/v1/calls", &fine, Some(TENANT))
            .await
            .status,
        202
    );
    cloud.drain().await;

    let (sweep, clock) = sweeper(&cloud);
    // Not yet stale: nothing to do.
    let early = sweep.run().await.expect("sweep");
    assert_eq!(early.stale, 0, "{early:?}");
    // Later than the configured age: only the lost call is queued again, and then counted once.
    clock.advance(chrono::Duration::hours(1));
    let report = sweep.run().await.expect("sweep");
    assert_eq!((report.stale, report.requeued), (1, 1), "{report:?}");
    cloud.drain().await;
    assert_eq!(status_of(&cloud, "s-lost").await, CallStatus::Processed);
    let agent = agent_rollup(&cloud, TENANT, "agent-8", "2026-11-06")
        .await
        .expect("rollup");
    assert_eq!(agent.calls, 2, "the lost call and its neighbour, each once");
    let again = sweep.run().await.expect("sweep");
    assert_eq!(again.stale, 0, "a processed call leaves the pending index");
    cloud.cleanup().await;
}

#[tokio::test]
async fn a_parked_message_is_processed_once_redriven_after_its_cause_is_fixed() {
    let cloud = TestCloud::start().await;
    // The process message arrives before its call is stored: it fails until the DLQ takes it.
    let request = json!({"tenant": TENANT, "call_id": "late-1", "correlation_id": "late"});
    cloud
        .send("ProcessQueue", &request.to_string(), &[("tenant", TENANT)])
        .await;
    cloud.drain().await;
    let dlq = cloud.queue_url("ProcessDeadLetterQueue");
    let parked = sqs::peek(&cloud.clients.sqs, dlq, 10).await.expect("peek");
    assert_eq!(parked.len(), 1, "{parked:?}");

    // The cause is fixed (the call is stored), then the operator redrives.
    let document = simple_call("late-1", "agent-6", "2026-11-07");
    let call = formats::parse_call(document.as_bytes(), Format::Auto).expect("valid call");
    let content_hash = call.fingerprint();
    let (call, redactions) = call.redacted();
    let received = ReceivedCall {
        tenant: tenant(TENANT),
        call,
        content_hash,
        redactions,
        correlation_id: CorrelationId::parse("correlation_id", "late").expect("id"),
        received_at: FixedClock::at("2026-11-07T10:00:00Z").now(),
        source: None,
    };
    cloud
        .calls_store()
        .put_received(&received)
        .await
        .expect("stored");
    let report = sqs::redrive(
        &cloud.clients.sqs,
        dlq,
        cloud.queue_url("ProcessQueue"),
        100,
    )
    .await
    .expect("redrive");
    assert_eq!(report.moved, 1);
    cloud.drain().await;

    assert!(cloud.peek_all("ProcessDeadLetterQueue").await.is_empty());
    let agent = agent_rollup(&cloud, TENANT, "agent-6", "2026-11-07")
        .await
        .expect("rollup");
    assert_eq!(agent.calls, 1);
    cloud.cleanup().await;
}

/// The analytics queue unreachable for longer than the process messages' retries: the calls are
/// analysed but their events cannot be sent, the messages end in the DLQ, and the calls stay
/// RECEIVED and pending; once the queue is back the sweeper sends them again and each is counted
/// once.
#[tokio::test]
async fn calls_whose_events_could_not_be_sent_reach_the_rollups_exactly_once_when_the_queue_returns(
) {
    let cloud = TestCloud::start().await;
    let ids = ["q-1", "q-2", "q-3"];
    for id in ids {
        let reply = cloud
            .post(
                "/api/v1/calls",
                &simple_call(id, "agent-5", "2026-11-08"),
                Some(TENANT),
            )
            .await;
        assert_eq!(reply.status, 202, "{}", reply.body);
    }
    let mut env = cloud.provisioned.functions["ProcessFunction"].env.clone();
    env.insert(
        "ANALYTICS_QUEUE_URL".into(),
        format!("{}-missing", cloud.queue_url("AnalyticsQueue")),
    );
    let broken = callscope_process::consumer(
        &ProcessConfig::from_lookup(|name: &str| env.get(name).cloned()).expect("config"),
        &cloud.clients,
    );
    cloud
        .drain_through(&cloud.intake, &broken, &cloud.aggregate)
        .await
        .expect("draining");
    assert_eq!(
        cloud.peek_all("ProcessDeadLetterQueue").await.len(),
        ids.len()
    );
    for id in ids {
        assert_eq!(
            status_of(&cloud, id).await,
            CallStatus::Received,
            "PROCESSED only once its event is sent"
        );
    }
    assert!(agent_rollup(&cloud, TENANT, "agent-5", "2026-11-08")
        .await
        .is_none());

    // The queue is back (the deployed process function again); the sweeper finds the calls.
    let (sweep, clock) = sweeper(&cloud);
    clock.advance(chrono::Duration::hours(1));
    let report = sweep.run().await.expect("sweep");
    assert_eq!((report.stale, report.requeued), (3, 3), "{report:?}");
    cloud.drain().await;
    // The parked messages are redriven too: duplicates, counted once.
    sqs::redrive(
        &cloud.clients.sqs,
        cloud.queue_url("ProcessDeadLetterQueue"),
        cloud.queue_url("ProcessQueue"),
        100,
    )
    .await
    .expect("redrive");
    cloud.drain().await;
    let agent = agent_rollup(&cloud, TENANT, "agent-5", "2026-11-08")
        .await
        .expect("rollup");
    assert_eq!(agent.calls, 3, "each call once");
    for id in ids {
        assert_eq!(status_of(&cloud, id).await, CallStatus::Processed);
    }
    clock.advance(chrono::Duration::hours(1));
    assert_eq!(sweep.run().await.expect("sweep").stale, 0, "all handed off");
    cloud.cleanup().await;
}

/// Lambda fills aggregate's batches up to 25 events (several receives of at most 10); the
/// runner does too, so the path that splits a batch over transactions of 100 items runs here.
#[tokio::test]
async fn aggregate_gets_batches_of_25_and_counts_each_call_once() {
    let cloud = TestCloud::start().await;
    let analyser = callscope_core::analysis::Analyser::default();
    for i in 0..30 {
        let call = formats::parse_call(
            simple_call(
                &format!("b25-{i:02}"),
                &format!("agent-{}", i % 3),
                "2026-11-09",
            )
            .as_bytes(),
            Format::Auto,
        )
        .expect("call");
        let mut call = call;
        call.team_id = Some(callscope_core::domain::TeamId::parse("t", "team-b").expect("team"));
        let analysis = analyser.analyse(&call.utterances, None, Default::default());
        let event = callscope_core::pipeline::CallAnalysed::new(
            tenant(TENANT),
            &call,
            &analysis,
            CorrelationId::parse("c", format!("b25-{i}")).expect("id"),
        );
        cloud
            .send(
                "AnalyticsQueue",
                &serde_json::to_string(&event).expect("json"),
                &[("tenant", TENANT)],
            )
            .await;
    }
    let first = cloud
        .runner("AggregateFunction")
        .poll_once(&cloud.aggregate)
        .await
        .expect("poll");
    assert_eq!((first.received, first.deleted), (25, 25), "{first:?}");
    cloud.drain().await;
    let key = RollupKey {
        tenant: tenant(TENANT),
        scope: RollupScope::Tenant,
        day: Day::parse("day", "2026-11-09").expect("day"),
    };
    let totals = cloud
        .rollup_store()
        .get(&key)
        .await
        .expect("read")
        .expect("rollup");
    assert_eq!(totals.calls, 30);
    cloud.cleanup().await;
}

/// Redaction lengthens text (`a@b.co` → `[EMAIL]`), so a call accepted near the text limit is
/// stored with more text than the limit allows; it must still be read back and processed.
#[tokio::test]
async fn a_call_at_the_text_limit_that_redaction_lengthens_is_processed_and_readable() {
    let cloud = TestCloud::start().await;
    let line = "mail a@b.co ".repeat(24); // 288 bytes, 24 addresses
    let utterances: Vec<Value> = (0..1_000)
        .map(|i| json!({"speaker": if i % 2 == 0 { "agent" } else { "customer" }, "text": line.trim_end()}))
        .collect();
    let text_bytes: usize = utterances
        .iter()
        .map(|u| u["text"].as_str().map_or(0, str::len))
        .sum();
    assert!(text_bytes > 280_000 && text_bytes <= callscope_core::domain::MAX_TRANSCRIPT_BYTES);
    let document = json!({
        "call_id": "limit-1", "agent_id": "agent-4", "customer_id": "cust-1",
        "start_time": "2026-11-10T09:00:00Z", "utterances": utterances,
    });
    let reply = cloud
        .post("/api/v1/calls", &document.to_string(), Some(TENANT))
        .await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    cloud.drain().await;
    assert_eq!(status_of(&cloud, "limit-1").await, CallStatus::Processed);
    let detail = cloud.get("/api/v1/calls/limit-1", Some(TENANT)).await;
    assert_eq!(detail.status, 200);
    let stored_text = detail.body["transcript"].as_str().expect("text");
    assert!(stored_text.contains("[EMAIL]") && !stored_text.contains("a@b.co"));
    assert_eq!(detail.body["analysis"]["redactions"]["emails"], 24_000);
    cloud.cleanup().await;
}
