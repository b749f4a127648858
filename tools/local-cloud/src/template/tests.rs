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
    let reanalyse = t
        .queues
        .iter()
        .find(|q| q.logical_id == "ReanalyseQueue")
        .expect("ReanalyseQueue");
    assert_eq!(
        reanalyse
            .redrive
            .as_ref()
            .map(|r| r.dead_letter_queue.as_str()),
        Some("ReanalyseDeadLetterQueue"),
        "each DLQ redrives to one source"
    );
    // The eight source queues (process, reanalyse, analytics, intake, drop-in, recordings,
    // webhook, erasure) with their DLQs, and the outbound function's failure queue.
    assert_eq!(t.queues.len(), 17);
}

#[test]
fn glue_table_columns_are_the_export_schema() {
    let t = project_template(BTreeMap::new());
    let table = &t.document["Resources"]["ExportCallsTable"]["Properties"]["TableInput"];
    let columns: Vec<(String, String)> = table["StorageDescriptor"]["Columns"]
        .as_sequence()
        .expect("columns")
        .iter()
        .map(|c| {
            let text = |k: &str| c[k].as_str().expect("a string").to_owned();
            (text("Name"), text("Type"))
        })
        .collect();
    assert_eq!(columns, callscope_export::glue_columns());
    let partitions: Vec<&str> = table["PartitionKeys"]
        .as_sequence()
        .expect("partition keys")
        .iter()
        .filter_map(|k| k["Name"].as_str())
        .collect();
    assert_eq!(partitions, ["tenant", "day"]);
    let location = table["Parameters"]["storage.location.template"].clone();
    assert!(
        format!("{location:?}").contains("calls/tenant=${!tenant}/day=${!day}/"),
        "{location:?}"
    );
    assert!(t.buckets.iter().any(|b| b.logical_id == "ExportBucket"));
    assert!(t.event_buses.contains(&"EventBus".to_owned()));
}

#[test]
fn erasure_marks_sit_outside_the_glue_table_and_expire_after_mark_days() {
    let t = project_template(BTreeMap::new());
    let resources = &t.document["Resources"];
    let location = format!(
        "{:?}",
        resources["ExportCallsTable"]["Properties"]["TableInput"]["StorageDescriptor"]["Location"]
    );
    assert!(
        location.contains(&format!("/{}/", callscope_export::CALLS_PREFIX)),
        "{location}"
    );
    assert_ne!(
        callscope_export::ERASURES_PREFIX,
        callscope_export::CALLS_PREFIX
    );
    let rules = resources["ExportBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
        .as_sequence()
        .expect("the export bucket's lifecycle rules");
    let marks = rules
        .iter()
        .find(|r| r["Prefix"].as_str() == Some(&format!("{}/", callscope_export::ERASURES_PREFIX)))
        .expect("a rule for the erasure marks");
    assert_eq!(
        marks["ExpirationInDays"].as_u64(),
        Some(u64::from(callscope_export::MARK_DAYS))
    );
    // The outbound function may write and list them.
    let policy = format!("{:?}", resources["OutboundRole"]["Properties"]["Policies"]);
    assert!(
        policy.contains("/erasures/*") && policy.contains("erasures/*"),
        "{policy}"
    );
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
    assert_eq!(
        calls.stream_view_type.as_deref(),
        Some("NEW_AND_OLD_IMAGES")
    );
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

fn overrides(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// `CacheMode=elasticache` with the network its rule requires.
const ELASTICACHE: &[(&str, &str)] = &[
    ("CacheMode", "elasticache"),
    ("VpcId", "vpc-0123456789abcdef0"),
    (
        "SubnetIds",
        "subnet-0123456789abcdef0,subnet-0123456789abcdef1",
    ),
    ("SecurityGroupIds", "sg-0123456789abcdef0"),
    ("RouteTableIds", "rtb-0123456789abcdef0"),
];

#[test]
fn without_a_cache_there_is_no_invalidator_and_the_api_caches_nowhere() {
    let t = project_template(BTreeMap::new());
    assert!(!t.conditions["UseElastiCache"] && !t.conditions["HasCache"]);
    assert!(function(&t, "InvalidateFunction").is_none());
    assert!(!t
        .queues
        .iter()
        .any(|q| q.logical_id == "InvalidateFailureQueue"));
    let api = function(&t, "QueryFunction").expect("QueryFunction");
    assert_eq!(
        api.environment["CACHE_URL"],
        EnvValue::Literal(String::new())
    );
    api.ensure_environment_resolvable()
        .expect("everything the API needs is known locally");
}

#[test]
fn a_cache_url_brings_the_invalidator_on_both_streams_filtered_to_what_is_cached() {
    let url = "redis://127.0.0.1:6379";
    let t = project_template(overrides(&[("CacheUrl", url)]));
    assert!(t.conditions["HasCache"] && !t.conditions["UseElastiCache"]);
    let invalidate = function(&t, "InvalidateFunction").expect("InvalidateFunction");
    for f in [
        invalidate,
        function(&t, "QueryFunction").expect("QueryFunction"),
    ] {
        assert_eq!(f.environment["CACHE_URL"], EnvValue::Literal(url.into()));
    }
    let stream = |table: &str| {
        invalidate
            .stream_events
            .iter()
            .find(|e| e.table == table)
            .unwrap_or_else(|| panic!("a stream event on {table}"))
    };
    assert_eq!(invalidate.stream_events.len(), 2);
    assert_eq!(
        stream("CallsTable").filter_patterns,
        [serde_json::json!({"dynamodb": {"Keys": {"sk": {"S": ["CALL"]}}}})]
    );
    assert_eq!(
        stream("AnalyticsTable").filter_patterns,
        [serde_json::json!({"dynamodb": {"Keys": {"sk": {"S": [{"prefix": "DAY#"}]}}}})]
    );
    for event in &invalidate.stream_events {
        assert_eq!(
            (
                event.starting_position.as_str(),
                event.batch_size,
                event.batching_window_seconds,
                event.bisect_on_error,
                event.max_retry_attempts,
                event.report_batch_item_failures,
            ),
            ("LATEST", 100, 1, true, Some(3), true),
            "{}",
            event.name
        );
    }
    assert!(invalidate.sqs_events.is_empty() && invalidate.http_events.is_empty());
    assert!(t
        .queues
        .iter()
        .any(|q| q.logical_id == "InvalidateFailureQueue"));
}

#[test]
fn only_the_api_routes_need_a_token_not_health_openapi_or_the_dashboard() {
    let t = project_template(BTreeMap::new());
    let mut routes: Vec<(String, String, bool)> = function(&t, "QueryFunction")
        .expect("QueryFunction")
        .http_events
        .iter()
        .map(|e| (e.method.clone(), e.path.clone(), e.authorized))
        .collect();
    routes.sort();
    let expected = [
        // The dashboard's page and files: the page signs in, then calls the routes with a token.
        ("/", false),
        ("/api/v1/analytics/agents", true),
        ("/api/v1/analytics/agents/{agent_id}", true),
        ("/api/v1/analytics/teams/{team_id}", true),
        ("/api/v1/calls", true),
        ("/api/v1/calls/{call_id}", true),
        ("/api/v1/calls/{call_id}/recommendations", true),
        ("/api/v1/health", false),
        ("/api/v1/settings", true),
        ("/api/v1/settings/{section}", true),
        ("/api/v1/webhooks/parked", true),
        ("/app/{proxy+}", false),
        ("/health", false),
        ("/openapi.json", false),
    ]
    .map(|(path, authorized)| ("GET".to_owned(), path.to_owned(), authorized));
    // What no route takes goes to the function too, without a token, to answer 405 or 404.
    let fallbacks = [("ANY", "/"), ("ANY", "/{proxy+}")]
        .map(|(method, path)| (method.to_owned(), path.to_owned(), false));
    // The writes the query function takes (write scope): a tenant's settings section, and a
    // new webhook signing secret.
    let writes = [
        ("POST", "/api/v1/settings/webhooks/secret"),
        ("PUT", "/api/v1/settings/{section}"),
    ]
    .map(|(method, path)| (method.to_owned(), path.to_owned(), true));
    let expected: Vec<_> = fallbacks
        .into_iter()
        .chain(expected)
        .chain(writes)
        .collect();
    assert_eq!(routes, expected);
    let ingest = function(&t, "IngestFunction").expect("IngestFunction");
    let mut writes: Vec<(String, String, bool)> = ingest
        .http_events
        .iter()
        .map(|e| (e.method.clone(), e.path.clone(), e.authorized))
        .collect();
    writes.sort();
    let expected_writes = [
        ("DELETE", "/api/v1/calls/{call_id}"),
        // A customer erasure's and a bulk re-analysis' progress, beside the route that made it.
        ("GET", "/api/v1/erasures/{erasure_id}"),
        ("GET", "/api/v1/reanalyses/{reanalysis_id}"),
        ("POST", "/api/v1/calls"),
        ("POST", "/api/v1/calls/bulk"),
        ("POST", "/api/v1/calls/{call_id}/reanalyse"),
        ("POST", "/api/v1/erasures"),
        ("POST", "/api/v1/reanalyses"),
        ("POST", "/api/v1/uploads"),
    ]
    .map(|(method, path)| (method.to_owned(), path.to_owned(), true));
    assert_eq!(writes, expected_writes, "every ingest route needs a token");
}

#[test]
fn elasticache_reads_without_its_untaken_branches_and_names_what_cannot_be_set_locally() {
    let t = project_template(overrides(ELASTICACHE));
    assert!(t.conditions["UseElastiCache"]);
    let api = function(&t, "QueryFunction").expect("QueryFunction");
    assert!(!api.environment.contains_key("CACHE_URL"));
    let err = api
        .ensure_environment_resolvable()
        .expect_err("the ElastiCache user's secret and endpoint exist only once deployed");
    let message = format!("{err:#}");
    // The URL's first part known only once deployed: the cache user's password, from its secret.
    for needle in [
        "QueryFunction",
        "CACHE_URL",
        "CacheSecret",
        "UseElastiCache",
    ] {
        assert!(message.contains(needle), "{needle} missing from: {message}");
    }
    let invalidate = function(&t, "InvalidateFunction").expect("InvalidateFunction");
    assert!(invalidate.ensure_environment_resolvable().is_err());
    assert_eq!(invalidate.stream_events.len(), 2);
    // What does not depend on the endpoint stays usable.
    assert_eq!(
        api.environment["CALLS_TABLE"],
        EnvValue::Ref("CallsTable".into())
    );
}

#[test]
fn elasticache_without_a_network_is_refused_by_the_templates_rule() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/template.yaml");
    let err = LocalTemplate::load_with_overrides(&path, overrides(&[("CacheMode", "elasticache")]))
        .expect_err("CloudFormation refuses this parameter set");
    let message = format!("{err:#}");
    assert!(
        message.contains("rule ElastiCacheNeedsANetwork: CacheMode=elasticache needs VpcId"),
        "{message}"
    );
}

#[test]
fn the_cache_namespace_is_the_stack_name_and_its_instance() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/template.yaml");
    let namespace = |stack: &Stack| {
        let t = LocalTemplate::load_for_stack(&path, stack, BTreeMap::new()).expect("reads");
        let api = function(&t, "QueryFunction").expect("QueryFunction");
        let EnvValue::Literal(namespace) = api.environment["CACHE_NAMESPACE"].clone() else {
            panic!("CACHE_NAMESPACE is known locally")
        };
        namespace
    };
    let stack = Stack::for_prefix("t1a2b3c4d-", "eu-west-1");
    let ns = namespace(&stack);
    // `${AWS::StackName}-` and the first group of the stack id's UUID.
    let instance = ns
        .strip_prefix("t1a2b3c4d-")
        .unwrap_or_else(|| panic!("{ns}"));
    assert!(
        instance.len() == 8 && instance.chars().all(|c| c.is_ascii_hexdigit()),
        "{ns}"
    );
    assert!(
        stack.id().contains(&format!("stack/t1a2b3c4d/{instance}-")),
        "{}",
        stack.id()
    );
    assert_eq!(
        namespace(&stack),
        ns,
        "the same local stack keeps its namespace"
    );
    let other = namespace(&Stack::for_prefix("t1a2b3c4d-", "us-east-1"));
    assert_ne!(
        other, ns,
        "another instance of the same name gets another namespace"
    );
}

#[test]
fn parameters_reach_the_environment_as_their_values() {
    let t = project_template(overrides(&[("LogLevel", "debug"), ("TenantClaim", "org")]));
    let api = function(&t, "QueryFunction").expect("QueryFunction");
    assert_eq!(
        api.environment["RUST_LOG"],
        EnvValue::Literal("debug".into())
    );
    assert_eq!(
        api.environment["TENANT_CLAIM"],
        EnvValue::Literal("org".into())
    );
}

#[test]
fn a_misspelt_parameter_override_is_an_error_naming_it() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/template.yaml");
    let err = LocalTemplate::load_with_overrides(&path, overrides(&[("CacheURL", "redis://x")]))
        .expect_err("no such parameter");
    assert!(format!("{err:#}").contains("CacheURL"), "{err:#}");
}

#[test]
fn the_listing_indexes_project_exactly_the_attributes_a_listing_reads() {
    let t = project_template(BTreeMap::new());
    let calls = t
        .tables
        .iter()
        .find(|t| t.logical_id == "CallsTable")
        .expect("CallsTable");
    let mut expected: Vec<String> = callscope_cloud::dynamo::LISTING_ATTRIBUTES
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
    expected.sort();
    for name in ["ByAgent", "ByTenant", "ByTeam"] {
        let index = calls
            .indexes
            .iter()
            .find(|i| i.name == name)
            .unwrap_or_else(|| panic!("index {name}"));
        assert_eq!(index.projection, "INCLUDE", "{name}");
        let mut projected = index.non_key_attributes.clone();
        projected.sort();
        assert_eq!(projected, expected, "{name}");
    }
}

#[test]
fn join_select_and_split_read_as_cloudformation_reads_them() {
    let yaml = r#"
Parameters:
  Arns: { Type: String, Default: "a/b/c,d" }
Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          THIRD: !Select [2, !Split ["/", !Select [0, !Split [",", !Ref Arns]]]]
          JOINED: !Join ["+", [x, !Ref Arns, !Ref AWS::NoValue]]
          STACK_ID: !Ref AWS::StackId
          AN_ATTRIBUTE: !Join [",", [!GetAtt Q.Arn]]
"#;
    let t = LocalTemplate::parse(yaml, BTreeMap::new()).expect("reads");
    let f = function(&t, "F").expect("F");
    assert_eq!(f.environment["THIRD"], EnvValue::Literal("c".into()));
    assert_eq!(
        f.environment["JOINED"],
        EnvValue::Literal("x+a/b/c,d".into())
    );
    assert_eq!(
        f.environment["STACK_ID"],
        EnvValue::Literal(Stack::default().id())
    );
    assert!(f.unresolvable_environment["AN_ATTRIBUTE"].contains("Q.Arn"));
    let past = yaml.replace("!Select [2,", "!Select [5,");
    let err = LocalTemplate::parse(&past, BTreeMap::new()).expect_err("no item 5");
    assert!(format!("{err:#}").contains("no item 5"), "{err:#}");
}

#[test]
fn a_required_parameter_without_a_value_is_refused_and_the_local_stack_gives_its_own() {
    let yaml = "Parameters:\n  Needed: { Type: String }\nResources: {}\n";
    let err = LocalTemplate::parse(yaml, BTreeMap::new()).expect_err("as CloudFormation");
    assert!(format!("{err:#}").contains("Needed"), "{err:#}");
    // The project's template requires JwtIssuer and JwtAudience: the local stack names its own.
    let t = project_template(BTreeMap::new());
    for (name, value) in crate::template::LOCAL_PARAMETERS {
        assert_eq!(t.parameters[name], value, "{name}");
    }
    let t = project_template(overrides(&[("JwtIssuer", "https://idp.example/")]));
    assert_eq!(t.parameters["JwtIssuer"], "https://idp.example/");
}
