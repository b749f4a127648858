//! The dashboard body, substituted as CloudFormation would, is JSON that shows the whole pipeline.

use std::collections::BTreeSet;

use serde_norway::Value;

use callscope_local::template::intrinsic;

use crate::reading::{Reading, METRIC_FUNCTIONS};

#[test]
fn the_dashboard_is_json_on_the_grid_and_shows_every_queue_and_function() {
    for t in Reading::all() {
        let (_, props) = t
            .resources("AWS::CloudWatch::Dashboard")
            .into_iter()
            .next()
            .expect("a dashboard");
        let (function, arg) = intrinsic(&props["DashboardBody"]).expect("DashboardBody: !Sub");
        assert_eq!(function, "Fn::Sub");
        let (body, variables) = match arg {
            Value::Sequence(parts) => (parts[0].as_str().expect("the body"), parts.get(1)),
            other => (other.as_str().expect("the body"), None),
        };
        let variables = variables.cloned().unwrap_or(Value::Null);
        // What CloudFormation substitutes: a parameter's value, a variable, a resource's name.
        let mut text = String::new();
        let mut shown = BTreeSet::new();
        let mut rest = body;
        while let Some(start) = rest.find("${") {
            text.push_str(&rest[..start]);
            let end = rest[start..].find('}').expect("a closed ${") + start;
            let name = &rest[start + 2..end];
            rest = &rest[end + 1..];
            let resource = name.split('.').next().expect("a name");
            if let Some(value) = t.local.parameters.get(name) {
                text.push_str(value);
            } else if let Some(value) = variables.get(name) {
                t.referenced_resources(value, &mut shown);
                text.push_str(name);
            } else {
                assert!(
                    name.starts_with("AWS::") || t.resource(resource).is_some(),
                    "{}: ${{{name}}} names nothing this parameter set creates",
                    t.label
                );
                shown.insert(resource.to_owned());
                text.push_str(name);
            }
        }
        text.push_str(rest);
        let dashboard: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", t.label));
        let widgets = dashboard["widgets"].as_array().expect("widgets");
        for widget in widgets {
            let (x, width) = (widget["x"].as_u64(), widget["width"].as_u64());
            assert!(
                matches!((x, width), (Some(x), Some(w)) if x + w <= 24),
                "off the 24-column grid: {widget}"
            );
            if widget["type"] == "metric" {
                let metrics = widget["properties"]["metrics"].as_array().expect("metrics");
                assert!(!metrics.is_empty() && widget["properties"]["region"].is_string());
                for row in metrics {
                    let row = row.as_array().expect("a metric row");
                    if row[0] == "callscope" {
                        let function = row[3].as_str().expect("a function name");
                        assert_eq!(row[2], "function", "{row:?}");
                        assert!(METRIC_FUNCTIONS.contains(&function), "{row:?}");
                    }
                }
            }
        }
        for queue in &t.local.queues {
            assert!(
                shown.contains(&queue.logical_id),
                "{}: {} is not on the dashboard",
                t.label,
                queue.logical_id
            );
        }
        for function in &t.local.functions {
            assert!(
                shown.contains(&function.logical_id),
                "{}: {} is not on the dashboard",
                t.label,
                function.logical_id
            );
        }
    }
}
