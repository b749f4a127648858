//! Every function's log group and retention, and Lambda's level following LogLevel.

use std::collections::BTreeSet;

use serde_norway::Value;

use crate::reading::{reference, yaml, Reading};

#[test]
fn every_function_writes_to_its_own_log_group_kept_for_the_retention_parameter() {
    for t in Reading::all() {
        let mut groups = BTreeSet::new();
        for function in &t.local.functions {
            let props = &t.resource(&function.logical_id).expect("the function")["Properties"];
            let group = props
                .get("LoggingConfig")
                .and_then(|c| c.get("LogGroup"))
                .and_then(reference)
                .unwrap_or_else(|| {
                    panic!(
                        "{}: {} has no LoggingConfig.LogGroup: !Ref",
                        t.label, function.logical_id
                    )
                });
            let resource = t.resource(&group).unwrap_or_else(|| {
                panic!(
                    "{}: {}'s log group {group} does not exist",
                    t.label, function.logical_id
                )
            });
            assert_eq!(
                resource["Type"].as_str(),
                Some("AWS::Logs::LogGroup"),
                "{group}"
            );
            assert!(groups.insert(group.clone()), "{group} is shared");
        }
        let all = t.resources("AWS::Logs::LogGroup");
        assert!(
            all.len() > t.local.functions.len(),
            "{}: and the API's access logs",
            t.label
        );
        for (id, props) in all {
            assert_eq!(
                reference(&props["RetentionInDays"]).as_deref(),
                Some("LogRetentionDays"),
                "{}: {id}",
                t.label
            );
        }
    }
}

#[test]
fn lambda_keeps_json_lines_down_to_the_log_level_parameter() {
    let t = Reading::of(&[]);
    let logging = &t.doc["Globals"]["Function"]["LoggingConfig"];
    assert_eq!(logging["LogFormat"].as_str(), Some("JSON"));
    assert_eq!(
        logging["ApplicationLogLevel"],
        yaml("!FindInMap [LambdaLogLevel, !Ref LogLevel, Level]")
    );
    let allowed: Vec<&str> = t.doc["Parameters"]["LogLevel"]["AllowedValues"]
        .as_sequence()
        .expect("LogLevel has AllowedValues")
        .iter()
        .map(|v| v.as_str().expect("a level"))
        .collect();
    let Value::Mapping(mapping) = &t.doc["Mappings"]["LambdaLogLevel"] else {
        panic!("no LambdaLogLevel mapping")
    };
    let mapped: Vec<&str> = mapping.iter().filter_map(|(k, _)| k.as_str()).collect();
    assert_eq!(mapped, allowed, "every LogLevel needs its Lambda level");
    let lambda_levels = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];
    for level in allowed {
        let lambda = t.doc["Mappings"]["LambdaLogLevel"][level]["Level"].as_str();
        assert_eq!(lambda, Some(level.to_uppercase().as_str()));
        assert!(lambda_levels.contains(&level.to_uppercase().as_str()));
    }
}
