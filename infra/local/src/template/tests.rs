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
