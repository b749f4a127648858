//! The reader's CloudFormation semantics (conditions, `!If`, `!Sub`, rules, event sources) on
//! small hand-written templates, one rule at a time.

use super::*;

fn parse(yaml: &str, overrides: &[(&str, &str)]) -> anyhow::Result<LocalTemplate> {
    let overrides = overrides
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    LocalTemplate::parse_for_stack(yaml, &Stack::for_prefix("stk-", "eu-west-1"), overrides)
}

fn environment(t: &LocalTemplate) -> &FunctionSpec {
    t.functions.first().expect("one function")
}

const CONDITIONS: &str = r#"
Parameters:
  Mode: {Type: String, Default: a}
  Url: {Type: String, Default: ""}
Conditions:
  IsA: !Equals [!Ref Mode, a]
  HasUrl: {"Fn::Not": [{"Fn::Equals": [{Ref: Url}, ""]}]}
  Both: !And [!Condition IsA, !Condition HasUrl]
  Either: !Or [{Condition: HasUrl}, !Equals [b, !Ref Mode]]
  InEurope: !Equals [!Ref "AWS::Region", eu-west-1]
Resources: {}
"#;

#[test]
fn conditions_combine_equals_not_and_or_and_references_in_both_notations() {
    let defaults = parse(CONDITIONS, &[]).expect("reads");
    let expected = [
        ("Both", false),
        ("Either", false),
        ("HasUrl", false),
        ("InEurope", true),
        ("IsA", true),
    ];
    assert_eq!(
        defaults.conditions,
        expected.map(|(k, v)| (k.to_owned(), v)).into()
    );
    let with_url = parse(CONDITIONS, &[("Url", "redis://x")]).expect("reads");
    assert!(with_url.conditions["Both"] && with_url.conditions["Either"]);
    let b = parse(CONDITIONS, &[("Mode", "b")]).expect("reads");
    assert!(!b.conditions["IsA"] && b.conditions["Either"] && !b.conditions["Both"]);
}

#[test]
fn conditions_that_refer_to_each_other_in_a_circle_are_an_error() {
    let yaml = "Conditions:\n  A: !Condition B\n  B: !Not [!Condition A]\nResources: {}\n";
    let err = parse(yaml, &[]).expect_err("a circle has no value");
    assert!(format!("{err:#}").contains("circle"), "{err:#}");
}

const FUNCTION: &str = r#"
Parameters:
  On: {Type: String, Default: "no"}
  Stage: {Type: String, Default: dev}
Conditions:
  IsOn: !Equals [!Ref On, "yes"]
Resources:
  Q:
    Type: AWS::SQS::Queue
    Condition: IsOn
  F:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          ENDPOINT: !If [IsOn, !GetAtt Thing.Endpoint, "local"]
          # A malformed value in the untaken branch: read only if chosen.
          LAZY: !If [IsOn, {not: an, intrinsic: here}, fine]
          OPTIONAL: !If [IsOn, !Ref "AWS::NoValue", present]
          NAME: !Sub "${AWS::StackName}-${Stage}-${!Literal}-${AWS::Region}"
          LISTED: !Sub ["${Host}:6379", {Host: !Ref Stage}]
"#;

#[test]
fn only_the_chosen_branch_of_an_if_is_evaluated() {
    let off = parse(FUNCTION, &[]).expect("the untaken branches are not read");
    let f = environment(&off);
    let literal = |s: &str| EnvValue::Literal(s.to_owned());
    assert_eq!(f.environment["ENDPOINT"], literal("local"));
    assert_eq!(f.environment["LAZY"], literal("fine"));
    assert_eq!(f.environment["OPTIONAL"], literal("present"));
    assert!(off.queues.is_empty(), "Q's condition is false");

    let on = parse(FUNCTION, &[("On", "yes")]);
    let err = on.expect_err("the chosen branch is malformed");
    assert!(format!("{err:#}").contains("LAZY"), "{err:#}");
}

#[test]
fn an_if_that_chooses_an_attribute_leaves_the_variable_unresolvable_with_the_reason() {
    let yaml = FUNCTION.replace(
        "          LAZY: !If [IsOn, {not: an, intrinsic: here}, fine]\n",
        "",
    );
    let on = parse(&yaml, &[("On", "yes")]).expect("reads");
    let f = environment(&on);
    assert!(!f.environment.contains_key("OPTIONAL"), "AWS::NoValue");
    assert!(!f.environment.contains_key("ENDPOINT"));
    let err = f.ensure_environment_resolvable().expect_err("unknown");
    let message = format!("{err:#}");
    assert!(
        message.contains("ENDPOINT") && message.contains("Thing.Endpoint"),
        "{message}"
    );
    assert_eq!(on.queues.len(), 1, "Q's condition is true");
}

#[test]
fn sub_substitutes_parameters_pseudo_parameters_and_its_own_variables() {
    let t = parse(FUNCTION, &[]).expect("reads");
    let f = environment(&t);
    assert_eq!(
        f.environment["NAME"],
        EnvValue::Literal("stk-dev-${Literal}-eu-west-1".into())
    );
    assert_eq!(
        f.environment["LISTED"],
        EnvValue::Literal("dev:6379".into())
    );
}

#[test]
fn a_rule_whose_assertion_fails_refuses_the_parameters_with_its_description() {
    let yaml = r#"
Parameters:
  Mode: {Type: String, Default: a}
  Net: {Type: String, Default: ""}
Rules:
  NeedsNet:
    RuleCondition: !Equals [!Ref Mode, b]
    Assertions:
      - Assert: !Not [!Equals [!Ref Net, ""]]
        AssertDescription: Mode b needs Net.
Resources: {}
"#;
    parse(yaml, &[]).expect("the rule does not apply to a");
    parse(yaml, &[("Mode", "b"), ("Net", "n")]).expect("the assertion holds");
    let err = parse(yaml, &[("Mode", "b")]).expect_err("refused");
    assert!(
        format!("{err:#}").contains("rule NeedsNet: Mode b needs Net."),
        "{err:#}"
    );
}

const ROUTES: &str = r#"
Resources:
  Secured:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth: {DefaultAuthorizer: Jwt}
  Open:
    Type: AWS::Serverless::HttpApi
  F:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Default: {Type: HttpApi, Properties: {ApiId: !Ref Secured, Method: get, Path: /a}}
        Public: {Type: HttpApi, Properties: {ApiId: !Ref Secured, Method: GET, Path: /b, Auth: {Authorizer: NONE}}}
        Plain: {Type: HttpApi, Properties: {ApiId: !Ref Open, Method: GET, Path: /c}}
        Named: {Type: HttpApi, Properties: {ApiId: !Ref Open, Method: GET, Path: /d, Auth: {Authorizer: Jwt}}}
        CatchAll: {Type: HttpApi}
"#;

#[test]
fn a_route_is_authorized_by_its_own_authorizer_or_else_by_its_apis_default() {
    let t = parse(ROUTES, &[]).expect("reads");
    let routes: Vec<(&str, &str, &str, bool)> = environment(&t)
        .http_events
        .iter()
        .map(|e| {
            (
                e.name.as_str(),
                e.method.as_str(),
                e.path.as_str(),
                e.authorized,
            )
        })
        .collect();
    assert_eq!(
        routes,
        [
            ("Default", "GET", "/a", true),
            ("Public", "GET", "/b", false),
            ("Plain", "GET", "/c", false),
            ("Named", "GET", "/d", true),
            ("CatchAll", "ANY", "$default", false),
        ]
    );
}

#[test]
fn a_stream_filter_that_is_not_json_is_an_error_naming_the_event() {
    let yaml = r#"
Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt T.StreamArn
            StartingPosition: LATEST
            FilterCriteria: {Filters: [{Pattern: "{not json"}]}
"#;
    let err = parse(yaml, &[]).expect_err("not JSON");
    let message = format!("{err:#}");
    assert!(
        message.contains("resource F") && message.contains("Events.Changes.FilterCriteria"),
        "{message}"
    );
}

#[test]
fn a_stream_event_takes_lambdas_defaults_for_what_it_leaves_out() {
    let yaml = r#"
Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Changes:
          Type: DynamoDB
          Properties: {Stream: !GetAtt T.StreamArn, StartingPosition: TRIM_HORIZON}
"#;
    let t = parse(yaml, &[]).expect("reads");
    assert_eq!(
        environment(&t).stream_events,
        [StreamEventSpec {
            name: "Changes".into(),
            table: "T".into(),
            batch_size: 100,
            batching_window_seconds: 0,
            starting_position: "TRIM_HORIZON".into(),
            bisect_on_error: false,
            max_retry_attempts: None,
            report_batch_item_failures: false,
            filter_patterns: Vec::new(),
        }]
    );
}
