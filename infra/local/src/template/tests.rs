//! The template reader on the project's own template.

use super::*;

fn project_template(overrides: BTreeMap<String, String>) -> LocalTemplate {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/template.yaml");
    LocalTemplate::load_with_overrides(&path, overrides).expect("infra/template.yaml reads")
}

#[test]
fn queues_carry_their_redrive_and_visibility_from_the_template() {
    let t = project_template(BTreeMap::new());
    let process = t
        .queues
        .iter()
        .find(|q| q.logical_id == "ProcessQueue")
        .expect("ProcessQueue");
    assert_eq!(process.attributes["VisibilityTimeout"], "180");
    assert_eq!(
        process.redrive,
        Some(Redrive {
            dead_letter_queue: "ProcessDeadLetterQueue".into(),
            max_receive_count: 5
        })
    );
    assert_eq!(t.queues.len(), 6);
}

#[test]
fn parameter_overrides_replace_defaults() {
    let t = project_template(BTreeMap::from([(
        "MaxReceiveCount".to_owned(),
        "2".to_owned(),
    )]));
    let intake = t
        .queues
        .iter()
        .find(|q| q.logical_id == "IntakeQueue")
        .expect("IntakeQueue");
    assert_eq!(
        intake.redrive.as_ref().map(|r| r.max_receive_count),
        Some(2)
    );
}

#[test]
fn tables_have_keys_indexes_and_ttl() {
    let t = project_template(BTreeMap::new());
    let calls = t
        .tables
        .iter()
        .find(|t| t.logical_id == "CallsTable")
        .expect("CallsTable");
    assert_eq!(
        calls.key_schema,
        [
            ("pk".to_owned(), "HASH".to_owned()),
            ("sk".to_owned(), "RANGE".to_owned())
        ]
    );
    let names: Vec<&str> = calls.indexes.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["ByAgent", "ByTenant", "ByTeam", "Pending"]);
    assert_eq!(calls.stream_view_type.as_deref(), Some("NEW_IMAGE"));
    let analytics = t
        .tables
        .iter()
        .find(|t| t.logical_id == "AnalyticsTable")
        .expect("AnalyticsTable");
    assert_eq!(analytics.ttl_attribute.as_deref(), Some("expires_at"));
    assert_eq!(analytics.indexes[0].name, "ByScopeDay");
}

#[test]
fn functions_have_their_environment_and_sqs_sources() {
    let t = project_template(BTreeMap::new());
    let aggregate = t
        .functions
        .iter()
        .find(|f| f.logical_id == "AggregateFunction")
        .expect("AggregateFunction");
    assert_eq!(
        aggregate.environment["ANALYTICS_TABLE"],
        EnvValue::Ref("AnalyticsTable".into())
    );
    let source = &aggregate.sqs_events[0];
    assert_eq!(
        (
            source.queue.as_str(),
            source.batch_size,
            source.max_concurrency
        ),
        ("AnalyticsQueue", 25, Some(2))
    );
    assert!(source.report_batch_item_failures);
    let function = |id: &str| {
        t.functions
            .iter()
            .find(|f| f.logical_id == id)
            .unwrap_or_else(|| panic!("{id}"))
    };
    assert!(
        function("IngestFunction").sqs_events.is_empty(),
        "HTTP events are not SQS sources"
    );
    assert_eq!(
        function("IntakeFunction").sqs_events[0].queue,
        "IntakeQueue"
    );
}

#[test]
fn a_redrive_without_a_dead_letter_target_is_an_error_naming_the_resource() {
    let yaml = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      RedrivePolicy:\n        maxReceiveCount: 3\n";
    let err = LocalTemplate::parse(yaml, BTreeMap::new()).expect_err("invalid");
    assert!(format!("{err:#}").contains("resource Q"), "{err:#}");
}

fn function<'t>(t: &'t LocalTemplate, id: &str) -> Option<&'t FunctionSpec> {
    t.functions.iter().find(|f| f.logical_id == id)
}

#[test]
fn without_a_cache_there_is_no_invalidation_and_the_api_has_no_cache_url() {
    let t = project_template(BTreeMap::new());
    assert!(function(&t, "InvalidateFunction").is_none());
    assert!(!t
        .queues
        .iter()
        .any(|q| q.logical_id == "InvalidateFailureQueue"));
    let api = function(&t, "ApiFunction").expect("ApiFunction");
    assert_eq!(
        api.environment["CACHE_URL"],
        EnvValue::Ref("CacheUrl".into())
    );
    assert_eq!(t.parameters["CacheUrl"], "");
    assert_eq!(
        api.environment["CACHE_NAMESPACE"],
        EnvValue::Ref("AWS::StackName".into())
    );
}

#[test]
fn a_cache_url_brings_invalidation_fed_by_both_tables_streams_with_their_filters() {
    let t = project_template(BTreeMap::from([(
        "CacheUrl".to_owned(),
        "redis://127.0.0.1:6379".to_owned(),
    )]));
    let invalidate = function(&t, "InvalidateFunction").expect("InvalidateFunction");
    let streams: Vec<(&str, &serde_json::Value)> = invalidate
        .stream_events
        .iter()
        .map(|e| (e.table.as_str(), &e.filter_patterns[0]))
        .collect();
    assert_eq!(
        streams,
        [
            (
                "CallsTable",
                &serde_json::json!({"dynamodb": {"Keys": {"sk": {"S": ["CALL"]}}}})
            ),
            (
                "AnalyticsTable",
                &serde_json::json!({"dynamodb": {"Keys": {"sk": {"S": [{"prefix": "DAY#"}]}}}})
            ),
        ]
    );
    let calls = &invalidate.stream_events[0];
    assert_eq!(
        (
            calls.batch_size,
            calls.max_retry_attempts,
            calls.bisect_on_error
        ),
        (100, Some(3), true)
    );
    assert!(calls.report_batch_item_failures);
}

#[test]
fn the_api_serves_every_read_route_with_health_and_openapi_open() {
    let t = project_template(BTreeMap::new());
    let routes: Vec<(String, String, bool)> = ["ApiFunction", "IngestFunction"]
        .iter()
        .flat_map(|id| function(&t, id).expect("function").http_events.clone())
        .map(|e| (e.method, e.path, e.authorized))
        .collect();
    let open: Vec<&str> = routes
        .iter()
        .filter(|r| !r.2)
        .map(|r| r.1.as_str())
        .collect();
    assert_eq!(open, ["/health", "/api/v1/health", "/openapi.json"]);
    assert_eq!(routes.len(), 11);
    assert!(routes.contains(&(
        "GET".into(),
        "/api/v1/calls/{call_id}/recommendations".into(),
        true
    )));
}

#[test]
fn with_elasticache_the_cache_url_is_an_error_naming_the_variable() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/template.yaml");
    let overrides = BTreeMap::from([("CacheMode".to_owned(), "elasticache".to_owned())]);
    let error = LocalTemplate::load_with_overrides(&path, overrides).expect_err("not local");
    let message = format!("{error:#}");
    assert!(message.contains("CACHE_URL"), "{message}");
    assert!(message.contains("cannot be resolved locally"), "{message}");
}

#[test]
fn conditions_combine_equals_not_and_or_over_parameters() {
    let yaml = r#"
Parameters:
  A: { Type: String, Default: x }
  B: { Type: String, Default: "" }
Conditions:
  IsX: !Equals [!Ref A, x]
  HasB: !Not [!Equals [!Ref B, ""]]
  Either: !Or [!Condition IsX, !Condition HasB]
  Both: !And [!Condition IsX, !Condition HasB]
Resources:
  F:
    Type: AWS::Serverless::Function
    Condition: Both
    Properties: {}
  G:
    Type: AWS::Serverless::Function
    Condition: Either
    Properties:
      Environment:
        Variables:
          V: !If [HasB, !Ref B, fallback]
"#;
    let t = LocalTemplate::parse(yaml, BTreeMap::new()).expect("parses");
    let ids: Vec<&str> = t.functions.iter().map(|f| f.logical_id.as_str()).collect();
    assert_eq!(ids, ["G"]);
    assert_eq!(
        t.functions[0].environment["V"],
        EnvValue::Literal("fallback".into())
    );
    let t = LocalTemplate::parse(yaml, BTreeMap::from([("B".to_owned(), "y".to_owned())]))
        .expect("parses");
    let ids: Vec<&str> = t.functions.iter().map(|f| f.logical_id.as_str()).collect();
    assert_eq!(ids, ["F", "G"]);
    assert_eq!(t.functions[1].environment["V"], EnvValue::Ref("B".into()));
}
