//! Out of callscope, end to end on the local cloud: every analysed call leaves once as a
//! `CallAnalysed` event on the stack's EventBridge bus (caught by a rule into a queue, as a
//! subscriber would) and once as a row of the Parquet export in S3, even when process runs twice
//! on the same calls; DuckDB (an independent reader) reads the files back equal to the stored
//! analyses, and the queries in docs/export.md run over them.

use std::collections::{BTreeMap, BTreeSet};

use aws_lambda_events::event::sqs::SqsBatchResponse;
use aws_lambda_events::event::sqs::SqsEvent;
use callscope_cloud::aws::load_sdk_config;
use callscope_cloud::sqs::SqsBatchHandler;
use callscope_core::domain::{CallId, TenantId};
use callscope_local::sql::{self, Format};
use callscope_samples::generate_call_document;
use callscope_tests::{fixture, workspace_root, TestCloud, TENANT};
use futures::future::BoxFuture;
use serde_json::{json, Value};

mod compaction;

/// Small: each call crosses three queues, a stream and the bus in moto.
const CALLS: usize = 12;
const AGENTS: [&str; 3] = ["ana", "ben", "chen"];
const DAYS: [&str; 4] = ["2026-10-06", "2026-10-20", "2026-11-10", "2026-12-01"];
const OUTCOMES: [Option<&str>; 4] = [Some("won"), Some("lost"), Some("follow_up"), None];

fn documents() -> Vec<Value> {
    (0..CALLS)
        .map(|i| {
            let mut doc =
                generate_call_document(1 + (i % 3) as u32, 100 + i as u64, &format!("x-{i:03}"));
            doc["agent_id"] = json!(AGENTS[i % AGENTS.len()]);
            doc["start_time"] = json!(format!("{}T{:02}:15:00Z", DAYS[i % DAYS.len()], 9 + i % 8));
            if let Some(outcome) = OUTCOMES[i % OUTCOMES.len()] {
                doc["outcome"] = json!(outcome);
            }
            doc
        })
        .collect()
}

/// Process running twice on the same batch at once: both runs find the calls RECEIVED, analyse,
/// store, send and mark them PROCESSED.
pub(crate) struct Twice<'a>(pub(crate) &'a dyn SqsBatchHandler);

impl SqsBatchHandler for Twice<'_> {
    fn handle(
        &self,
        event: SqsEvent,
    ) -> BoxFuture<'_, Result<SqsBatchResponse, lambda_runtime::Error>> {
        Box::pin(async move {
            let (first, second) =
                futures::join!(self.0.handle(event.clone()), self.0.handle(event));
            first?;
            second
        })
    }
}

/// A subscriber's rule on the stack's bus: every callscope event into a queue of the test's own.
pub(crate) async fn subscribe(cloud: &TestCloud) -> String {
    let sdk = load_sdk_config().await;
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    let bus = &cloud.provisioned.event_buses["EventBus"];
    let queue = cloud
        .clients
        .sqs
        .create_queue()
        .queue_name(format!("{}subscriber", cloud.provisioned.prefix))
        .send()
        .await
        .expect("subscriber queue")
        .queue_url
        .expect("url");
    let arn = cloud
        .clients
        .sqs
        .get_queue_attributes()
        .queue_url(&queue)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("queue arn")
        .attributes
        .and_then(|a| {
            a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .cloned()
        })
        .expect("arn");
    events
        .put_rule()
        .name("all-callscope-events")
        .event_bus_name(bus)
        .event_pattern(json!({"source": ["callscope"]}).to_string())
        .send()
        .await
        .expect("rule");
    events
        .put_targets()
        .rule("all-callscope-events")
        .event_bus_name(bus)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("subscriber")
                .arn(arn)
                .build()
                .expect("target"),
        )
        .send()
        .await
        .expect("target");
    queue
}

pub(crate) async fn received_events(cloud: &TestCloud, queue: &str) -> Vec<Value> {
    let mut events = Vec::new();
    loop {
        let batch = cloud
            .clients
            .sqs
            .receive_message()
            .queue_url(queue)
            .max_number_of_messages(10)
            .send()
            .await
            .expect("receive")
            .messages
            .unwrap_or_default();
        if batch.is_empty() {
            return events;
        }
        for message in batch {
            events.push(serde_json::from_str(message.body().unwrap_or("null")).expect("json"));
            cloud
                .clients
                .sqs
                .delete_message()
                .queue_url(queue)
                .receipt_handle(message.receipt_handle().unwrap_or_default())
                .send()
                .await
                .expect("delete");
        }
    }
}

/// What the schema in events/schemas says of a value, checked by hand: required keys present,
/// no key it does not list, types as declared (the subset of JSON Schema the file uses).
pub(crate) fn conforms(schema: &Value, value: &Value, path: &str) -> Result<(), String> {
    let kinds: Vec<&str> = match &schema["type"] {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let kind_ok = kinds.is_empty()
        || kinds.iter().any(|k| match *k {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "number" => value.is_number(),
            "integer" => value.is_u64() || value.is_i64(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            _ => false,
        });
    if !kind_ok {
        return Err(format!("{path}: {value} is not {kinds:?}"));
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(value) {
            return Err(format!("{path}: {value} not in {allowed:?}"));
        }
    }
    if let Some(constant) = schema.get("const") {
        if constant != value {
            return Err(format!("{path}: {value} is not {constant}"));
        }
    }
    if let (Some(object), Some(properties)) = (value.as_object(), schema["properties"].as_object())
    {
        for required in schema["required"].as_array().into_iter().flatten() {
            let key = required.as_str().unwrap_or_default();
            if !object.contains_key(key) {
                return Err(format!("{path}: {key} is required"));
            }
        }
        for (key, inner) in object {
            let Some(property) = properties.get(key) else {
                return Err(format!("{path}: {key} is not in the schema"));
            };
            conforms(property, inner, &format!("{path}.{key}"))?;
        }
    }
    if let (Some(items), Some(schema)) = (value.as_array(), schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            conforms(schema, item, &format!("{path}[{i}]"))?;
        }
    }
    Ok(())
}

/// The ```sql blocks of docs/export.md, in order.
fn documented_queries() -> Vec<String> {
    let text = fixture("docs/export.md");
    let mut queries = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sql") => current = Some(String::new()),
            (Some(q), "```") => {
                queries.push(q.trim().to_owned());
                current = None;
            }
            (Some(q), line) => {
                q.push_str(line);
                q.push('\n');
            }
            (None, _) => {}
        }
    }
    queries
}

/// DuckDB's answer to `query` over the export bucket's files (the `calls` view).
pub async fn duckdb(cloud: &TestCloud, query: &str) -> Vec<Value> {
    let s3 = aws_sdk_s3::Client::new(&load_sdk_config().await);
    let answer = sql::query(
        &s3,
        &cloud.provisioned.buckets["ExportBucket"],
        &workspace_root(),
        query,
        Format::Json,
    )
    .await
    .unwrap_or_else(|e| panic!("{query}\n{e:#}"));
    serde_json::from_str::<Vec<Value>>(&answer).expect("DuckDB's JSON")
}

#[tokio::test]
async fn every_analysed_call_leaves_once_as_an_event_and_a_parquet_row_even_when_process_runs_twice(
) {
    let cloud = TestCloud::start().await;
    let subscriber = subscribe(&cloud).await;
    let documents = documents();
    cloud.post_bulk_until_accepted(&documents).await;
    let twice = Twice(&cloud.process);
    cloud
        .drain_through(&cloud.intake, &twice, &cloud.aggregate)
        .await
        .expect("pipeline");
    cloud.drain_streams().await;
    // A second pass finds nothing new to send.
    cloud.drain_streams().await;

    // Events: one per call, each conforming to the committed schema.
    let events = received_events(&cloud, &subscriber).await;
    let schema: Value =
        serde_json::from_str(&fixture("events/schemas/call_analysed.v1.json")).expect("schema");
    let mut per_call: BTreeMap<String, usize> = BTreeMap::new();
    for event in &events {
        assert_eq!(event["source"], "callscope");
        assert_eq!(event["detail-type"], "CallAnalysed");
        conforms(&schema, &event["detail"], "detail").unwrap_or_else(|e| panic!("{e}\n{event}"));
        *per_call
            .entry(
                event["detail"]["call_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
            .or_default() += 1;
    }
    let ids: BTreeSet<String> = documents
        .iter()
        .map(|d| d["call_id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(per_call.keys().cloned().collect::<BTreeSet<_>>(), ids);
    assert!(per_call.values().all(|n| *n == 1), "{per_call:?}");

    // Parquet: DuckDB reads back one row per call, equal to the stored analysis.
    let rows = duckdb(
        &cloud,
        "SELECT tenant, day, call_id, agent_id, outcome, score, agent_talk_ratio, customer_sentiment, \
         questions_agent, interruptions_customer, sentiment_quarters, tracker_names, trackers, next_steps, transcript \
         FROM calls ORDER BY call_id",
    )
    .await;
    assert_eq!(rows.len(), CALLS, "{rows:?}");
    let store = cloud.calls_store();
    let tenant = TenantId::parse("tenant", TENANT).expect("tenant");
    for (row, doc) in rows.iter().zip(&documents) {
        let id = doc["call_id"].as_str().expect("id");
        let analysis = store
            .get_analysis(&tenant, &CallId::parse("call_id", id).expect("id"))
            .await
            .expect("read")
            .expect("analysed");
        assert_eq!(row["tenant"], TENANT);
        assert_eq!(row["call_id"], id);
        assert_eq!(row["day"], doc["start_time"].as_str().expect("time")[..10]);
        assert_eq!(row["agent_id"], doc["agent_id"]);
        assert_eq!(
            row["outcome"],
            doc.get("outcome").cloned().unwrap_or(Value::Null)
        );
        assert_eq!(row["score"], json!(analysis.score));
        assert_eq!(row["agent_talk_ratio"], json!(analysis.agent_talk_ratio));
        assert_eq!(
            row["customer_sentiment"],
            json!(analysis.customer_sentiment_score)
        );
        assert_eq!(row["questions_agent"], json!(analysis.questions.agent));
        assert_eq!(
            row["interruptions_customer"],
            json!(analysis.interruptions.customer)
        );
        assert_eq!(
            row["sentiment_quarters"],
            json!(analysis.sentiment.quarters)
        );
        let hit: Vec<&str> = analysis
            .trackers
            .iter()
            .filter(|t| t.count > 0)
            .map(|t| t.tracker.as_str())
            .collect();
        assert_eq!(row["tracker_names"], json!(hit));
        let counts: Vec<Value> = analysis
            .trackers
            .iter()
            .filter(|t| t.count > 0)
            .map(|t| json!([t.tracker, t.count]))
            .collect();
        let exported: Vec<Value> = row["trackers"]
            .as_array()
            .expect("trackers")
            .iter()
            .map(|t| json!([t["name"], t["count"]]))
            .collect();
        assert_eq!(exported, counts);
        let steps: Vec<&str> = analysis
            .next_steps
            .iter()
            .map(|s| s.text.as_str())
            .collect();
        let exported: Vec<&str> = row["next_steps"]
            .as_array()
            .expect("next steps")
            .iter()
            .filter_map(|s| s["text"].as_str())
            .collect();
        assert_eq!(exported, steps);
        assert_eq!(
            row["transcript"],
            Value::Null,
            "no transcript without the opt-in"
        );
    }

    // The docs' queries run unchanged over the same files, and agree with the rows.
    let queries = documented_queries();
    assert_eq!(queries.len(), 3, "docs/export.md has three queries");
    let trends = duckdb(&cloud, &queries[0]).await;
    let total: u64 = trends
        .iter()
        .map(|r| r["calls"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(total, CALLS as u64, "{trends:?}");
    let pairs = duckdb(&cloud, &queries[1]).await;
    assert!(
        !pairs.is_empty(),
        "generated calls mention several trackers"
    );
    let bands = duckdb(&cloud, &queries[2]).await;
    let decided = documents
        .iter()
        .filter(|d| matches!(d["outcome"].as_str(), Some("won" | "lost")))
        .count() as u64;
    let counted: u64 = bands.iter().map(|r| r["calls"].as_u64().unwrap_or(0)).sum();
    assert_eq!(counted, decided, "{bands:?}");
    for (query, answer) in queries.iter().zip([&trends, &pairs, &bands]) {
        eprintln!(
            "{query}\n→ {}\n",
            serde_json::to_string(answer).unwrap_or_default()
        );
    }
    cloud.cleanup().await;
}
