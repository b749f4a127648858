//! Least privilege, read from the template: each function's own role naming only its own log
//! group, queues, tables and streams; a queue policy on every queue letting exactly the roles that
//! send to it send; the intake queues under the stack's key; scopes on every authorized route.

use std::collections::{BTreeMap, BTreeSet};

use callscope_local::template::intrinsic;
use serde_norway::Value;

use crate::reading::{get_att, reference, Reading};

/// Every parameter set whose branches change the roles: the defaults, a cache URL (the
/// invalidator), ElastiCache (the VPC functions), listed producers (the intake queue's policy).
fn readings() -> Vec<Reading> {
    vec![
        Reading::of(&[]),
        Reading::of(&[("CacheUrl", "redis://127.0.0.1:6379")]),
        Reading::of(&[
            ("CacheMode", "elasticache"),
            ("VpcId", "vpc-1"),
            ("SubnetIds", "subnet-1,subnet-2"),
            ("SecurityGroupIds", "sg-1"),
            ("RouteTableIds", "rtb-1"),
        ]),
        Reading::of(&[
            (
                "IntakeProducerArns",
                "arn:aws:iam::111122223333:role/telephony",
            ),
            ("IntakeProducerTenants", "AROATELEPHONY=acme"),
        ]),
    ]
}

/// One IAM statement, flattened: its effect, actions and resources as written (YAML values).
#[derive(Debug)]
struct Statement {
    actions: Vec<String>,
    resources: Vec<Value>,
    condition: Value,
}

/// `value` with this reading's `!If` branches taken (`None`: `AWS::NoValue`).
fn chosen<'v>(t: &Reading, value: &'v Value) -> Option<&'v Value> {
    match intrinsic(value) {
        Some((f, arg)) if f == "Fn::If" => {
            let branches = arg.as_sequence().expect("Fn::If takes a list");
            let holds = t.local.conditions[branches[0].as_str().expect("a condition")];
            chosen(t, &branches[if holds { 1 } else { 2 }])
        }
        Some((f, arg)) if f == "Ref" && arg.as_str() == Some("AWS::NoValue") => None,
        _ => Some(value),
    }
}

fn list(value: &Value) -> Vec<Value> {
    match value {
        Value::Sequence(items) => items.clone(),
        one => vec![one.clone()],
    }
}

fn statements_of(t: &Reading, document: &Value) -> Vec<Statement> {
    list(&document["Statement"])
        .iter()
        .filter_map(|s| chosen(t, s))
        .filter(|s| s["Effect"].as_str() == Some("Allow"))
        .map(|s| Statement {
            actions: list(&s["Action"])
                .iter()
                .map(|a| a.as_str().expect("an action").to_owned())
                .collect(),
            resources: list(&s["Resource"]),
            condition: s["Condition"].clone(),
        })
        .collect()
}

/// Every Allow statement a role gets: its inline policies and the role policies attached to it.
fn role_statements(t: &Reading, role: &str) -> Vec<Statement> {
    let props = &t.resource(role).unwrap_or_else(|| panic!("{role}"))["Properties"];
    let mut found = Vec::new();
    for policy in props.get("Policies").map(list).unwrap_or_default() {
        if let Some(policy) = chosen(t, &policy) {
            found.extend(statements_of(t, &policy["PolicyDocument"]));
        }
    }
    for (_, policy) in t.resources("AWS::IAM::RolePolicy") {
        if reference(&policy["RoleName"]).as_deref() == Some(role) {
            found.extend(statements_of(t, &policy["PolicyDocument"]));
        }
    }
    found
}

/// The resources `role` may use `action` on, as logical ids (`!GetAtt X.Arn` → X, `!Sub
/// "${X.Arn}/index/…"` as written).
fn resources_for(t: &Reading, role: &str, action: &str) -> BTreeSet<String> {
    role_statements(t, role)
        .iter()
        .filter(|s| s.actions.iter().any(|a| a == action))
        .flat_map(|s| s.resources.iter().map(name_of))
        .collect()
}

fn name_of(resource: &Value) -> String {
    if let Some((id, attribute)) = get_att(resource) {
        return if attribute == "Arn" {
            id
        } else {
            format!("{id}.{attribute}")
        };
    }
    match intrinsic(resource) {
        Some((f, arg)) if f == "Fn::Sub" => arg.as_str().unwrap_or("?").to_owned(),
        _ => resource.as_str().unwrap_or("?").to_owned(),
    }
}

/// Each function's role: the function names it with `!GetAtt {Role}.Arn` and has no Policies.
fn roles(t: &Reading) -> BTreeMap<String, String> {
    t.local
        .functions
        .iter()
        .map(|f| {
            let props = &t.resource(&f.logical_id).expect("the function")["Properties"];
            assert!(
                props.get("Policies").is_none(),
                "{}: {} has Policies: SAM would make it a role",
                t.label,
                f.logical_id
            );
            let (role, attribute) = props
                .get("Role")
                .and_then(get_att)
                .unwrap_or_else(|| panic!("{}: {} has no Role: !GetAtt", t.label, f.logical_id));
            assert_eq!(attribute, "Arn");
            (f.logical_id.clone(), role)
        })
        .collect()
}

#[test]
fn every_function_has_its_own_role_with_no_managed_policy() {
    for t in readings() {
        let roles = roles(&t);
        let distinct: BTreeSet<&String> = roles.values().collect();
        assert_eq!(distinct.len(), roles.len(), "{}: a role is shared", t.label);
        for (function, role) in &roles {
            let resource = t.resource(role).unwrap_or_else(|| panic!("{role}"));
            assert_eq!(resource["Type"].as_str(), Some("AWS::IAM::Role"), "{role}");
            let props = &resource["Properties"];
            assert!(props.get("ManagedPolicyArns").is_none(), "{role}");
            let trust = &props["AssumeRolePolicyDocument"]["Statement"][0];
            assert_eq!(
                trust["Principal"]["Service"].as_str(),
                Some("lambda.amazonaws.com"),
                "{role}"
            );
            // "*" only where AWS has no resource-level permission: X-Ray, and EC2's interfaces.
            for s in role_statements(&t, role) {
                if s.resources.iter().any(|r| r.as_str() == Some("*")) {
                    assert!(
                        s.actions.iter().all(|a| a.starts_with("xray:Put")
                            || a.contains("NetworkInterface")
                            || a.contains("PrivateIpAddresses")
                            || a == "ec2:DescribeSubnets"),
                        "{}: {function}'s role grants {:?} on *",
                        t.label,
                        s.actions
                    );
                }
            }
            let group = format!("{}LogGroup", function.trim_end_matches("Function"));
            for action in ["logs:CreateLogStream", "logs:PutLogEvents"] {
                assert_eq!(
                    resources_for(&t, role, action),
                    BTreeSet::from([group.clone()]),
                    "{}: {role} {action}",
                    t.label
                );
            }
        }
    }
}

#[test]
fn each_role_reads_only_its_own_queue_and_streams_and_vpc_only_with_elasticache() {
    for t in readings() {
        for (function, role) in roles(&t) {
            let spec = t.local.functions.iter().find(|f| f.logical_id == function);
            let spec = spec.expect("the function");
            let queues: BTreeSet<String> =
                spec.sqs_events.iter().map(|e| e.queue.clone()).collect();
            for action in [
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:ChangeMessageVisibility",
            ] {
                assert_eq!(
                    resources_for(&t, &role, action),
                    queues,
                    "{}: {role}",
                    t.label
                );
            }
            let streams: BTreeSet<String> = spec
                .stream_events
                .iter()
                .map(|e| format!("{}.StreamArn", e.table))
                .collect();
            for action in ["dynamodb:GetRecords", "dynamodb:GetShardIterator"] {
                assert_eq!(
                    resources_for(&t, &role, action),
                    streams,
                    "{}: {role}",
                    t.label
                );
            }
            let in_vpc = t.local.conditions["UseElastiCache"]
                && ["QueryFunction", "InvalidateFunction"].contains(&function.as_str());
            assert_eq!(
                !resources_for(&t, &role, "ec2:CreateNetworkInterface").is_empty(),
                in_vpc,
                "{}: {role}",
                t.label
            );
        }
    }
}

/// (table or index, actions) pairs a role is granted.
type Grants = &'static [(&'static str, &'static [&'static str])];

#[test]
fn the_roles_keep_exactly_the_table_actions_the_functions_use() {
    let t = Reading::of(&[("CacheUrl", "redis://127.0.0.1:6379")]);
    let expected: [(&str, Grants); 7] = [
        (
            "ErasuresRole",
            &[
                ("${CallsTable.Arn}/index/ByTenant", &["dynamodb:Query"]),
                (
                    "CallsTable",
                    &[
                        "dynamodb:DeleteItem",
                        "dynamodb:GetItem",
                        "dynamodb:Query",
                        "dynamodb:UpdateItem",
                    ],
                ),
            ],
        ),
        (
            "IngestRole",
            &[(
                "CallsTable",
                &[
                    "dynamodb:DeleteItem",
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:Query",
                ],
            )],
        ),
        (
            "IntakeRole",
            &[("CallsTable", &["dynamodb:GetItem", "dynamodb:PutItem"])],
        ),
        (
            "ProcessRole",
            &[
                (
                    "CallsTable",
                    &[
                        "dynamodb:DeleteItem",
                        "dynamodb:GetItem",
                        "dynamodb:PutItem",
                        "dynamodb:Query",
                        "dynamodb:UpdateItem",
                    ],
                ),
                ("AnalyticsTable", &["dynamodb:GetItem"]),
            ],
        ),
        (
            "AggregateRole",
            &[(
                "AnalyticsTable",
                &["dynamodb:PutItem", "dynamodb:UpdateItem"],
            )],
        ),
        (
            "SweepRole",
            &[
                ("${CallsTable.Arn}/index/Pending", &["dynamodb:Query"]),
                ("CallsTable", &["dynamodb:UpdateItem"]),
            ],
        ),
        (
            "QueryRole",
            &[
                (
                    "AnalyticsTable",
                    &[
                        "dynamodb:BatchGetItem",
                        "dynamodb:GetItem",
                        "dynamodb:Query",
                    ],
                ),
                (
                    "CallsTable",
                    &[
                        "dynamodb:BatchGetItem",
                        "dynamodb:GetItem",
                        "dynamodb:Query",
                        "dynamodb:UpdateItem",
                    ],
                ),
                ("${AnalyticsTable.Arn}/index/*", &["dynamodb:Query"]),
                ("${CallsTable.Arn}/index/*", &["dynamodb:Query"]),
            ],
        ),
    ];
    for (role, tables) in expected {
        let mut granted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for s in role_statements(&t, role) {
            for action in s.actions.iter().filter(|a| a.starts_with("dynamodb:")) {
                for resource in &s.resources {
                    granted
                        .entry(name_of(resource))
                        .or_default()
                        .insert(action.clone());
                }
            }
        }
        let expected: BTreeMap<String, BTreeSet<String>> = tables
            .iter()
            .map(|(table, actions)| {
                (
                    (*table).to_owned(),
                    actions.iter().map(|a| (*a).to_owned()).collect(),
                )
            })
            .collect();
        assert_eq!(granted, expected, "{role}");
    }
    // The query function's one write reaches only the tenants' settings items.
    for s in role_statements(&t, "QueryRole") {
        if s.actions.iter().any(|a| a == "dynamodb:UpdateItem") {
            assert_eq!(
                s.condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"][0].as_str(),
                Some("TENANT#*#SETTINGS"),
                "{s:?}"
            );
        }
    }
}

/// The principals a queue policy lets send: the ARNs its Deny's `ArnNotEquals` spares.
fn allowed_senders(t: &Reading, queue: &str) -> BTreeSet<String> {
    let policies: Vec<&Value> = t
        .resources("AWS::SQS::QueuePolicy")
        .into_iter()
        .filter(|(_, p)| {
            list(&p["Queues"])
                .iter()
                .any(|q| reference(q).as_deref() == Some(queue))
        })
        .map(|(_, p)| p)
        .collect();
    assert_eq!(
        policies.len(),
        1,
        "{}: {queue} has one queue policy",
        t.label
    );
    let deny = list(&policies[0]["PolicyDocument"]["Statement"])
        .into_iter()
        .filter_map(|s| chosen(t, &s).cloned())
        .find(|s| {
            s["Effect"].as_str() == Some("Deny") && s["Action"].as_str() == Some("sqs:SendMessage")
        })
        .unwrap_or_else(|| panic!("{}: {queue}'s policy denies no sender", t.label));
    assert_eq!(deny["Principal"].as_str(), Some("*"));
    let spared = chosen(t, &deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"])
        .expect("ArnNotEquals aws:PrincipalArn")
        .clone();
    let spared = match intrinsic(&spared) {
        // `!Split [",", !Sub "${OperatorRole.Arn},${IntakeProducerArns}"]`
        Some((f, arg)) if f == "Fn::Split" => {
            let (_, text) = intrinsic(&arg[1]).expect("!Sub");
            let text = text.as_str().expect("a !Sub string");
            // Substituted (a role's ARN as its logical id), then split as CloudFormation does.
            let substituted: Vec<String> = text
                .split(',')
                .map(|part| {
                    let name = part.trim_start_matches("${").trim_end_matches('}');
                    match name.strip_suffix(".Arn") {
                        Some(role) => role.to_owned(),
                        None => t.local.parameters[name].clone(),
                    }
                })
                .collect();
            substituted
                .join(",")
                .split(',')
                .map(str::to_owned)
                .collect()
        }
        _ => list(&spared).iter().map(name_of).collect(),
    };
    spared
}

#[test]
fn every_queue_lets_send_exactly_the_roles_that_send_to_it() {
    for t in readings() {
        let roles: BTreeSet<String> = t
            .resources("AWS::IAM::Role")
            .into_iter()
            .map(|(id, _)| id)
            .filter(|id| id != "SweepFunctionSweepRole")
            .collect();
        for queue in &t.local.queues {
            let id = &queue.logical_id;
            let mut senders: BTreeSet<String> = roles
                .iter()
                .filter(|role| resources_for(&t, role, "sqs:SendMessage").contains(id))
                .cloned()
                .collect();
            if id == "IntakeQueue" && t.local.conditions["HasIntakeProducers"] {
                senders.extend(
                    t.local.parameters["IntakeProducerArns"]
                        .split(',')
                        .map(str::to_owned),
                );
            }
            assert_eq!(allowed_senders(&t, id), senders, "{}: {id}", t.label);
        }
    }
}

#[test]
fn the_intake_queue_is_closed_to_all_but_redrive_unless_producers_are_listed() {
    let closed = Reading::of(&[]);
    assert_eq!(
        allowed_senders(&closed, "IntakeQueue"),
        BTreeSet::from(["OperatorRole".to_owned()])
    );
    let open = Reading::of(&[(
        "IntakeProducerArns",
        "arn:aws:iam::111122223333:role/a,arn:aws:iam::111122223333:role/b",
    )]);
    assert_eq!(
        allowed_senders(&open, "IntakeQueue"),
        BTreeSet::from([
            "OperatorRole".to_owned(),
            "arn:aws:iam::111122223333:role/a".to_owned(),
            "arn:aws:iam::111122223333:role/b".to_owned(),
        ])
    );
}

#[test]
fn the_intake_queue_and_its_dlq_use_the_stacks_rotating_key() {
    let t = Reading::of(&[]);
    for queue in ["IntakeQueue", "IntakeDeadLetterQueue"] {
        let props = &t.resource(queue).expect("queue")["Properties"];
        assert_eq!(
            reference(&props["KmsMasterKeyId"]).as_deref(),
            Some("IntakeKey"),
            "{queue}"
        );
        assert!(props.get("SqsManagedSseEnabled").is_none(), "{queue}");
    }
    let key = &t.resource("IntakeKey").expect("IntakeKey")["Properties"];
    assert_eq!(key["EnableKeyRotation"].as_bool(), Some(true));
    let users: BTreeSet<String> = list(&key["KeyPolicy"]["Statement"])
        .iter()
        .filter_map(|s| chosen(&t, s))
        .filter(|s| {
            list(&s["Action"])
                .iter()
                .any(|a| a.as_str() == Some("kms:Decrypt"))
        })
        .flat_map(|s| {
            list(&s["Principal"]["AWS"])
                .iter()
                .map(name_of)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(
        users,
        BTreeSet::from(["IntakeRole".to_owned(), "OperatorRole".to_owned()]),
        "only intake and the redrive decrypt (the account administers, without kms:Decrypt)"
    );
}

#[test]
fn every_authorized_route_needs_the_read_or_the_write_scope() {
    let t = Reading::of(&[]);
    let mut routes = 0;
    for function in &t.local.functions {
        let events = &t.resource(&function.logical_id).expect("function")["Properties"]["Events"];
        for route in function.http_events.iter().filter(|r| r.authorized) {
            let scopes = &events[route.name.as_str()]["Properties"]["Auth"]["AuthorizationScopes"];
            // With AuthMode=cognito the dashboard's ID tokens carry no scope claim, so the
            // scopes apply to every other issuer: `!If [UseCognito, !Ref AWS::NoValue, [scope]]`.
            let scopes = match intrinsic(scopes) {
                Some((function, branches)) if function == "Fn::If" => {
                    assert_eq!(branches[0], "UseCognito", "{} {}", route.method, route.path);
                    assert_eq!(reference(&branches[1]).as_deref(), Some("AWS::NoValue"));
                    branches[2].clone()
                }
                _ => scopes.clone(),
            };
            let scopes = &scopes;
            let expected = if route.method == "GET" {
                "ReadScope"
            } else {
                "WriteScope"
            };
            let named: Vec<String> = list(scopes).iter().filter_map(reference).collect();
            assert_eq!(named, [expected], "{} {}", route.method, route.path);
            routes += 1;
        }
    }
    assert!(routes >= 8, "{routes} authorized routes");
}

#[test]
fn each_sqs_consumer_reserves_at_least_what_its_event_source_may_run() {
    let t = Reading::of(&[]);
    let number = |value: &Value| -> u32 {
        let text = match reference(value) {
            Some(parameter) => t.local.parameters[&parameter].clone(),
            None => crate::reading::scalar(value),
        };
        text.parse().expect("a number")
    };
    for function in &t.local.functions {
        let props = &t.resource(&function.logical_id).expect("function")["Properties"];
        for event in &function.sqs_events {
            let reserved = number(&props["ReservedConcurrentExecutions"]);
            let most = event.max_concurrency.expect("MaximumConcurrency") as u32;
            assert!(
                most <= reserved,
                "{}: {most} > {reserved}",
                function.logical_id
            );
        }
    }
    let query = &t.resource("QueryFunction").expect("query")["Properties"];
    assert!(number(&query["ReservedConcurrentExecutions"]) > 0);
}

#[test]
fn a_cache_outside_the_vpc_must_speak_tls_with_credentials() {
    let t = Reading::of(&[]);
    let pattern = t.doc["Parameters"]["CacheUrl"]["AllowedPattern"]
        .as_str()
        .expect("CacheUrl has an AllowedPattern");
    // CloudFormation matches the whole value.
    let pattern = regex::Regex::new(&format!("^(?:{pattern})$")).expect("a regex");
    for accepted in ["", "rediss://callscope:s3cret@cache.example.com:6379"] {
        assert!(pattern.is_match(accepted), "{accepted:?}");
    }
    for refused in [
        "redis://cache.example.com:6379",
        "redis://u:p@cache.example.com:6379",
        "rediss://cache.example.com:6379",
    ] {
        assert!(!pattern.is_match(refused), "{refused:?}");
    }
    assert_eq!(
        t.doc["Parameters"]["CacheUrl"]["NoEcho"].as_bool(),
        Some(true)
    );
}

#[test]
fn the_elasticache_cache_admits_only_its_user_group() {
    let t = &readings()[2];
    let cache = &t.resource("Cache").expect("the cache")["Properties"];
    let group = reference(&cache["UserGroupId"]).expect("UserGroupId: !Ref");
    let group = &t.resource(&group).expect("the user group")["Properties"];
    let users: Vec<String> = list(&group["UserIds"])
        .iter()
        .filter_map(reference)
        .collect();
    assert_eq!(users.len(), 2);
    for user in users {
        let props = &t.resource(&user).expect("user")["Properties"];
        assert_eq!(
            props["AuthenticationMode"]["Type"].as_str(),
            Some("password")
        );
        let access = &props["AccessString"];
        let access = match intrinsic(access) {
            Some((_, arg)) => arg[0].as_str().expect("!Sub text").to_owned(),
            None => access.as_str().expect("text").to_owned(),
        };
        // The default user is off; the functions' user reaches only this stack's keys, which
        // the cache writes as `CACHE_NAMESPACE:…` (shared/cloud/src/cache.rs), and may run the
        // generation bump (a script that reads TIME).
        assert!(
            access.starts_with("off ")
                || (access.starts_with("on ~${AWS::StackName}-${Instance}:* ")
                    && access.contains("+@scripting")
                    && access.contains("+time")),
            "{user}: {access}"
        );
    }
}
