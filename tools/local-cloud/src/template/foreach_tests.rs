//! `Fn::ForEach` as the `AWS::LanguageExtensions` transform expands it.

use std::collections::BTreeMap;

use serde_norway::Value;

use crate::template::{LocalTemplate, Redrive};

const HEAD: &str = "Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]\n";

fn read(yaml: &str, overrides: &[(&str, &str)]) -> anyhow::Result<LocalTemplate> {
    let overrides = overrides
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    LocalTemplate::parse(yaml, overrides)
}

fn yaml(text: &str) -> Value {
    serde_norway::from_str(text).expect("test YAML")
}

fn error(yaml: &str) -> String {
    format!("{:#}", read(yaml, &[]).expect_err("an error"))
}

#[test]
fn a_loop_writes_its_fragment_once_per_item_with_the_item_in_keys_strings_and_refs() {
    let t = read(
        &format!(
            "{HEAD}Resources:
  Fn::ForEach::Queues:
    - Name
    - [Intake, Process]
    - ${{Name}}Queue:
        Type: AWS::SQS::Queue
        Properties:
          Tags:
            - {{ Key: plain, Value: \"${{Name}} queue\" }}
            - {{ Key: sub, Value: !Sub \"${{AWS::StackName}}-${{Name}}\" }}
            - {{ Key: ref, Value: !Ref Name }}
            - {{ Key: long-ref, Value: {{ Ref: Name }} }}
            - {{ Key: other-ref, Value: !Ref Other }}
  Fn::ForEach::Addresses:
    - Address
    - [10.0.0.1]
    - Host&{{Address}}:
        Type: AWS::SNS::Topic
"
        ),
        &[],
    )
    .expect("reads");
    let ids: Vec<&str> = t.queues.iter().map(|q| q.logical_id.as_str()).collect();
    assert_eq!(ids, ["IntakeQueue", "ProcessQueue"]);
    let resources = &t.document["Resources"];
    let tags = &resources["ProcessQueue"]["Properties"]["Tags"];
    assert_eq!(tags[0]["Value"], yaml("Process queue"));
    assert_eq!(tags[1]["Value"], yaml("!Sub \"${AWS::StackName}-Process\""));
    assert_eq!(tags[2]["Value"], yaml("Process"));
    assert_eq!(tags[3]["Value"], yaml("Process"));
    assert_eq!(tags[4]["Value"], yaml("!Ref Other"));
    assert!(
        resources.get("Host10001").is_some(),
        "&{{…}} keeps letters and digits: {:?}",
        resources.as_mapping().map(|m| m.keys().collect::<Vec<_>>())
    );
    assert!(resources.get("Fn::ForEach::Queues").is_none());
}

#[test]
fn loops_nest_and_the_inner_one_sees_the_outer_item() {
    let t = read(
        &format!(
            "{HEAD}Resources:
  Fn::ForEach::Stages:
    - Stage
    - [Dev, Prod]
    - Fn::ForEach::Queues:
        - Queue
        - [A, B]
        - ${{Stage}}${{Queue}}Queue:
            Type: AWS::SQS::Queue
            Properties:
              VisibilityTimeout: 60
"
        ),
        &[],
    )
    .expect("reads");
    let ids: Vec<&str> = t.queues.iter().map(|q| q.logical_id.as_str()).collect();
    assert_eq!(ids, ["DevAQueue", "DevBQueue", "ProdAQueue", "ProdBQueue"]);
}

#[test]
fn a_collection_may_be_a_list_parameter_with_its_override() {
    let template = format!(
        "{HEAD}Parameters:
  Names:
    Type: CommaDelimitedList
    Default: A,B
Resources:
  Fn::ForEach::Queues:
    - Name
    - !Ref Names
    - ${{Name}}Queue:
        Type: AWS::SQS::Queue
"
    );
    let ids =
        |t: LocalTemplate| -> Vec<String> { t.queues.into_iter().map(|q| q.logical_id).collect() };
    assert_eq!(
        ids(read(&template, &[]).expect("reads")),
        ["AQueue", "BQueue"]
    );
    assert_eq!(
        ids(read(&template, &[("Names", "C, D,E")]).expect("reads")),
        ["CQueue", "DQueue", "EQueue"]
    );
}

#[test]
fn ref_getatt_and_condition_may_name_their_target_with_a_sub_of_the_item() {
    let t = read(
        &format!(
            "{HEAD}Parameters:
  CacheUrl:
    Type: String
    Default: \"\"
Conditions:
  HasCache: !Not [!Equals [!Ref CacheUrl, \"\"]]
  Fn::ForEach::Deployed:
    - Name
    - [Intake]
    - ${{Name}}: !Equals [a, a]
  Process: !Condition HasCache
Resources:
  Fn::ForEach::Queues:
    - Name
    - [Intake, Process]
    - ${{Name}}DeadLetterQueue:
        Type: AWS::SQS::Queue
        Condition: !Ref Name
      ${{Name}}Queue:
        Type: AWS::SQS::Queue
        Condition: !Sub \"${{Name}}\"
        Properties:
          RedrivePolicy:
            deadLetterTargetArn: !GetAtt [!Sub \"${{Name}}DeadLetterQueue\", Arn]
            maxReceiveCount: 3
      ${{Name}}Alarm:
        Type: AWS::CloudWatch::Alarm
        Condition: !Ref Name
        Properties:
          Dimensions: [{{ Name: QueueName, Value: {{ Ref: !Sub \"${{Name}}Queue\" }} }}]
"
        ),
        &[],
    )
    .expect("reads");
    assert!(t.conditions["Intake"]);
    assert!(!t.conditions["Process"]);
    let ids: Vec<&str> = t.queues.iter().map(|q| q.logical_id.as_str()).collect();
    assert_eq!(ids, ["IntakeDeadLetterQueue", "IntakeQueue"]);
    assert_eq!(
        t.queues[1].redrive,
        Some(Redrive {
            dead_letter_queue: "IntakeDeadLetterQueue".into(),
            max_receive_count: 3
        })
    );
    let alarm = &t.document["Resources"]["ProcessAlarm"];
    assert_eq!(alarm["Condition"], yaml("Process"));
    assert_eq!(
        alarm["Properties"]["Dimensions"][0]["Value"],
        yaml("!Ref ProcessQueue")
    );
    assert_eq!(
        t.document["Resources"]["ProcessQueue"]["Properties"]["RedrivePolicy"]
            ["deadLetterTargetArn"],
        yaml("!GetAtt ProcessDeadLetterQueue.Arn")
    );
    assert_eq!(
        t.document["Resources"]["ProcessQueue"]["Condition"],
        yaml("Process")
    );
}

#[test]
fn a_template_without_the_transform_is_read_as_written_and_may_not_loop() {
    let plain = "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n    Properties:\n      Tags: [{ Key: k, Value: \"${Name}\" }]\n";
    let t = read(plain, &[]).expect("reads");
    assert_eq!(t.document, yaml(plain));
    let looping = "Resources:\n  Fn::ForEach::Queues: [Name, [A], { \"${Name}Queue\": { Type: AWS::SQS::Queue } }]\n";
    assert!(
        error(looping).contains("needs `Transform: AWS::LanguageExtensions`"),
        "{}",
        error(looping)
    );
}

#[test]
fn malformed_loops_are_errors_that_name_the_loop() {
    let cases = [
        (
            "Fn::ForEach::Queues: [Name, [A]]",
            "Fn::ForEach::Queues takes [identifier, collection, fragment]",
        ),
        (
            "Fn::ForEach::Queues: [Name, [A, B], { Queue: { Type: AWS::SQS::Queue } }]",
            "the key Queue names no ${Name} or &{Name}",
        ),
        (
            "Fn::ForEach::Queues: [Name, [A, A], { \"${Name}Queue\": { Type: AWS::SQS::Queue } }]",
            "Fn::ForEach::Queues writes AQueue for two items",
        ),
        (
            "AQueue: { Type: AWS::SQS::Queue }\n  Fn::ForEach::Queues: [Name, [A], { \"${Name}Queue\": { Type: AWS::SQS::Queue } }]",
            "Fn::ForEach::Queues writes AQueue, which is already there",
        ),
        (
            "Fn::ForEach::Queues: [Stage, [A], { \"${Stage}Queue\": { Type: AWS::SQS::Queue } }]",
            "the identifier Stage is also a parameter's name",
        ),
        (
            "Fn::ForEach::Queues: [Name, !GetAZs \"\", { \"${Name}Queue\": { Type: AWS::SQS::Queue } }]",
            "must be a list or !Ref to a list parameter",
        ),
        (
            "Fn::ForEach::Outer: [Name, [A], { Fn::ForEach::Inner: [Name, [B], { \"${Name}Queue\": { Type: AWS::SQS::Queue } }] }]",
            "the identifier Name is already an enclosing loop's",
        ),
    ];
    for (resources, expected) in cases {
        let template =
            format!("{HEAD}Parameters:\n  Stage:\n    Type: String\n    Default: dev\nResources:\n  {resources}\n");
        let message = error(&template);
        assert!(message.contains(expected), "{resources}: {message}");
    }
}

#[test]
fn the_project_template_reads_the_same_with_its_loops_expanded() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/template.yaml");
    let t = LocalTemplate::load_with_overrides(&path, BTreeMap::new()).expect("reads");
    let resources = t.document["Resources"].as_mapping().expect("Resources");
    assert!(resources
        .keys()
        .filter_map(Value::as_str)
        .all(|id| !id.starts_with("Fn::ForEach::")));
}
