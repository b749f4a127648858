//! The operator's CLI against the local cloud: `status` sees a queued message, a parked one
//! with its reason, a call pending past the sweep threshold and a FAILED call; `calls get`
//! prints a processed call's timeline; `dlq redrive` falls back to receive/send on moto.

use callscope_app::ports::CallRepository;
use callscope_cli::operator::age::queue_name;
use callscope_cli::operator::calls::{self, GetArgs};
use callscope_cli::operator::dlq::redrive::{self, Method};
use callscope_cli::operator::status::{self, Args};
use callscope_cli::operator::target::{self, TargetArgs};
use callscope_cloud::sqs;
use callscope_core::domain::{CallId, CorrelationId, TenantId, Timestamp};
use callscope_core::formats::{self, Format};
use callscope_tests::{attribute, workspace_root, TestCloud, TENANT};
use serde_json::json;

fn target_of(cloud: &TestCloud) -> TargetArgs {
    TargetArgs {
        stack: None,
        template: workspace_root().join("infra/template.yaml"),
        prefix: cloud.provisioned.prefix.clone(),
        profile: None,
    }
}

fn simple_call(call_id: &str) -> String {
    json!({
        "call_id": call_id, "agent_id": "agent-1", "customer_id": "cust-1",
        "start_time": "2026-11-20T09:00:00Z", "transcript": "Agent: Hello there.\nCustomer: Hi."
    })
    .to_string()
}

/// Stores a call as ingest does, received `ago` before now, without queueing it.
async fn store_received(cloud: &TestCloud, call_id: &str, ago: chrono::Duration) {
    let call = formats::parse_call(simple_call(call_id).as_bytes(), Format::Auto).expect("call");
    let content_hash = call.fingerprint();
    let (call, redactions) = call.redacted();
    let received = callscope_app::ports::ReceivedCall {
        tenant: TenantId::parse("tenant", TENANT).expect("tenant"),
        call,
        content_hash,
        redactions,
        correlation_id: CorrelationId::parse("correlation_id", call_id).expect("id"),
        received_at: Timestamp::new(chrono::Utc::now() - ago),
        source: None,
    };
    cloud
        .calls_store()
        .put_received(&received)
        .await
        .expect("stored");
}

#[tokio::test]
async fn status_reports_queued_and_parked_messages_stale_and_failed_calls() {
    let cloud = TestCloud::start().await;
    // Parked by the process function, with its reason: a body that is no process request.
    cloud
        .send(
            "ProcessQueue",
            "not a process request",
            &[("tenant", TENANT)],
        )
        .await;
    cloud.drain().await;
    // Waiting, with nothing draining it.
    cloud
        .send(
            "AnalyticsQueue",
            r#"{"not":"drained"}"#,
            &[("tenant", TENANT)],
        )
        .await;
    // Received an hour ago and never processed: past the sweeper's 900 s.
    store_received(&cloud, "stale-1", chrono::Duration::hours(1)).await;
    store_received(&cloud, "fresh-1", chrono::Duration::zero()).await;
    // Given up on.
    store_received(&cloud, "failed-1", chrono::Duration::zero()).await;
    let tenant = TenantId::parse("tenant", TENANT).expect("tenant");
    let failed = CallId::parse("call_id", "failed-1").expect("id");
    cloud
        .calls_store()
        .mark_failed(
            &tenant,
            &failed,
            "the transcript cannot be analysed",
            Timestamp::new(chrono::Utc::now()),
        )
        .await
        .expect("marked FAILED");

    let args = Args {
        target: target_of(&cloud),
        json: false,
        watch: None,
        peek_limit: 10,
        peek_queues: true,
        stale_after: None,
        tenant: None,
        max_scanned: 1_000,
    };
    let sdk = callscope_cli::operator::sdk_config(None).await;
    let resolved = target::resolve(&args.target, &sdk).await.expect("resolved");
    let report = status::gather(&sdk, &resolved, &args)
        .await
        .expect("status");
    let table = status::table(&report);
    println!("{table}");

    let analytics = report
        .queues
        .iter()
        .find(|q| q.name == "AnalyticsQueue")
        .expect("queue");
    assert_eq!((analytics.visible, analytics.in_flight), (1, 0), "{table}");
    assert!(analytics.oldest_age_seconds.is_some(), "peeked at: {table}");
    let dlq = report
        .dead_letter_queues
        .iter()
        .find(|d| d.name == "ProcessDeadLetterQueue")
        .expect("dlq");
    assert_eq!(dlq.parked, 1, "{table}");
    assert_eq!(dlq.sources, ["ProcessQueue"]);
    let parked = sqs::peek(
        &cloud.clients.sqs,
        cloud.queue_url("ProcessDeadLetterQueue"),
        10,
    )
    .await
    .expect("peek");
    let reason = parked[0]
        .failure_reason
        .clone()
        .expect("parked with a reason");
    assert_eq!(dlq.top_reasons[0].reason, reason);
    assert!(table.contains(&format!("1× {reason}")), "{table}");

    assert_eq!(
        report.stale.threshold_seconds, 900,
        "the template's StaleAfterSeconds"
    );
    let stale: Vec<&str> = report
        .stale
        .oldest
        .iter()
        .map(|c| c.call_id.as_str())
        .collect();
    assert_eq!(stale, ["stale-1"], "{table}");
    assert_eq!(report.stale.oldest[0].status.as_deref(), Some("RECEIVED"));
    assert_eq!(report.failed.count, 1, "{table}");
    assert_eq!(report.failed.calls[0].call_id.as_str(), "failed-1");
    assert!(
        table.contains("the transcript cannot be analysed"),
        "{table}"
    );
    cloud.cleanup().await;
}

#[tokio::test]
async fn calls_get_prints_the_timeline_of_a_processed_call() {
    let cloud = TestCloud::start().await;
    let reply = cloud
        .post("/api/v1/calls", &simple_call("timeline-1"), Some(TENANT))
        .await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    cloud.drain().await;

    let args = GetArgs {
        call_id: "timeline-1".into(),
        // Found without its tenant.
        tenant: None,
        json: false,
        target: target_of(&cloud),
    };
    let report = calls::get(&args).await.expect("the call");
    let printed = calls::render(&report);
    println!("{printed}");
    assert_eq!(report.record.status.as_str(), "PROCESSED", "{printed}");
    let events: Vec<&str> = report.timeline.iter().map(|s| s.event).collect();
    assert_eq!(
        events,
        [
            "received (stored RECEIVED)",
            "processed (analysis stored, CallAnalysed event sent)",
            "counted in the rollups"
        ],
        "{printed}"
    );
    assert!(
        printed.contains("call acme/timeline-1: PROCESSED"),
        "{printed}"
    );
    cloud.cleanup().await;
}

#[tokio::test]
async fn redrive_falls_back_to_receive_and_send_on_moto_and_moves_every_message() {
    let cloud = TestCloud::start().await;
    for n in 0..2 {
        cloud
            .send(
                "ProcessDeadLetterQueue",
                &format!("parked-{n}"),
                &[
                    ("tenant", TENANT),
                    ("failure_reason", "the call was not stored yet"),
                ],
            )
            .await;
    }
    let sqs_client = &cloud.clients.sqs;
    let outcome = redrive::redrive(
        sqs_client,
        cloud.queue_url("ProcessDeadLetterQueue"),
        None,
        None,
    )
    .await
    .expect("redriven");

    assert_eq!(outcome.method, Method::ReceiveSend, "{outcome:?}");
    assert!(outcome
        .note
        .as_deref()
        .is_some_and(|n| n.contains("StartMessageMoveTask")));
    assert_eq!(outcome.moved, Some(2));
    assert_eq!(
        outcome.to,
        cloud.queue_url("ProcessQueue"),
        "the queue that parks there"
    );
    assert!(cloud.peek_all("ProcessDeadLetterQueue").await.is_empty());
    let moved = cloud.peek_all("ProcessQueue").await;
    assert_eq!(moved.len(), 2);
    assert!(moved
        .iter()
        .all(|m| attribute(m, "failure_reason").is_none()));
    assert!(moved.iter().all(|m| attribute(m, "tenant") == Some(TENANT)));
    cloud.cleanup().await;
}

#[tokio::test]
async fn a_deployed_stack_resolves_to_its_resources_physical_ids_and_parameters() {
    let sdk = callscope_cli::operator::sdk_config(None).await;
    let cloudformation = aws_sdk_cloudformation::Client::new(&sdk);
    let stack = format!("ops-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let table = json!({"Type": "AWS::DynamoDB::Table", "Properties": {
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}});
    // The resources `status` needs, by the template's logical ids; no Outputs name the DLQ.
    let template = json!({
        "Parameters": {"StaleAfterSeconds": {"Type": "Number", "Default": "900"}},
        "Resources": {
            "CallsTable": table, "AnalyticsTable": table,
            "ProcessDeadLetterQueue": {"Type": "AWS::SQS::Queue"},
            "ProcessQueue": {"Type": "AWS::SQS::Queue", "Properties": {"RedrivePolicy": {
                "deadLetterTargetArn": {"Fn::GetAtt": ["ProcessDeadLetterQueue", "Arn"]},
                "maxReceiveCount": 2}}}
        }
    });
    cloudformation
        .create_stack()
        .stack_name(&stack)
        .template_body(template.to_string())
        .parameters(
            aws_sdk_cloudformation::types::Parameter::builder()
                .parameter_key("StaleAfterSeconds")
                .parameter_value("600")
                .build(),
        )
        .send()
        .await
        .expect("stack created");

    let args = TargetArgs {
        stack: Some(stack.clone()),
        template: "unused".into(),
        prefix: "unused".into(),
        profile: None,
    };
    let resolved = target::resolve(&args, &sdk)
        .await
        .expect("resolved from CloudFormation");
    assert_eq!(resolved.stale_after_seconds, Some(600));
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    for name in [&resolved.calls_table, &resolved.analytics_table] {
        dynamodb
            .describe_table()
            .table_name(name)
            .send()
            .await
            .expect("a real table");
    }
    let sqs_client = aws_sdk_sqs::Client::new(&sdk);
    let dlq = resolved
        .queue_url("ProcessDeadLetterQueue")
        .expect("the DLQ, from the resources");
    let sources: Vec<String> = sqs_client
        .list_dead_letter_source_queues()
        .queue_url(dlq)
        .send()
        .await
        .expect("a real queue")
        .queue_urls
        .iter()
        .map(|url| queue_name(url).to_owned())
        .collect();
    // The emulator names its own host in the URLs it lists: compare the queues' names.
    let process = resolved.queue_url("ProcessQueue").expect("the queue");
    assert_eq!(sources, [queue_name(process)]);
    cloudformation
        .delete_stack()
        .stack_name(&stack)
        .send()
        .await
        .expect("deleted");
}
