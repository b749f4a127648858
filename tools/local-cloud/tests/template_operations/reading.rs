//! One reading of infra/template.yaml for a parameter set: the local reader's queues and
//! functions, and the resources it does not create (alarms, log groups, the dashboard), from the
//! same expanded template with the same conditions.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use callscope_local::template::{intrinsic, LocalTemplate};
use serde_norway::Value;

/// The short names of the `function` dimension of the `callscope` metrics (the EMF contract).
pub const METRIC_FUNCTIONS: [&str; 8] = [
    "ingest",
    "intake",
    "dropin",
    "process",
    "aggregate",
    "sweep",
    "query",
    "invalidate",
];

/// One reading of the template for a parameter set: the reader's view and the document it read
/// (after `Fn::ForEach`).
pub struct Reading {
    pub label: String,
    pub local: LocalTemplate,
    pub doc: Value,
}

impl Reading {
    pub fn of(overrides: &[(&str, &str)]) -> Self {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/template.yaml");
        let overrides: BTreeMap<String, String> = overrides
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let local = LocalTemplate::load_with_overrides(&path, overrides.clone())
            .expect("infra/template.yaml reads");
        // As CloudFormation reads it: the per-function and per-queue loops written out.
        let doc = local.document.clone();
        Self {
            label: if overrides.is_empty() {
                "with the defaults".to_owned()
            } else {
                let set: Vec<String> = overrides.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("with {}", set.join(" "))
            },
            local,
            doc,
        }
    }

    /// Without a cache (the default) and with one, where the invalidator and its failure queue exist.
    pub fn all() -> [Self; 2] {
        [
            Self::of(&[]),
            Self::of(&[("CacheUrl", "redis://127.0.0.1:6379")]),
        ]
    }

    /// The resource `id` if it exists in this reading (no `Condition`, or one that holds).
    pub fn resource(&self, id: &str) -> Option<&Value> {
        let resource = self.doc.get("Resources")?.get(id)?;
        match resource.get("Condition").and_then(Value::as_str) {
            Some(condition) => self.local.conditions[condition].then_some(resource),
            None => Some(resource),
        }
    }

    /// Every resource of `kind` in this reading, with its properties.
    pub fn resources(&self, kind: &str) -> Vec<(String, &Value)> {
        let Some(Value::Mapping(all)) = self.doc.get("Resources") else {
            panic!("the template has no Resources")
        };
        all.iter()
            .filter_map(|(id, _)| {
                let id = id.as_str()?;
                let resource = self.resource(id)?;
                (resource.get("Type").and_then(Value::as_str) == Some(kind))
                    .then(|| (id.to_owned(), &resource["Properties"]))
            })
            .collect()
    }

    pub fn alarms(&self) -> Vec<(String, &Value)> {
        self.resources("AWS::CloudWatch::Alarm")
    }

    /// The alarms on `namespace`/`metric` whose `dimension` is `value` (compared as YAML).
    pub fn alarms_on(
        &self,
        namespace: &str,
        metric: &str,
        dimension: &str,
        value: &Value,
    ) -> Vec<&Value> {
        self.alarms()
            .into_iter()
            .map(|(_, props)| props)
            .filter(|p| {
                p.get("Namespace").and_then(Value::as_str) == Some(namespace)
                    && p.get("MetricName").and_then(Value::as_str) == Some(metric)
                    && dimensions(p).get(dimension) == Some(value)
            })
            .collect()
    }

    /// Queues that some function's event source consumes.
    pub fn consumed_queues(&self) -> BTreeSet<String> {
        self.local
            .functions
            .iter()
            .flat_map(|f| f.sqs_events.iter().map(|e| e.queue.clone()))
            .collect()
    }

    /// What a `!Ref` or `!GetAtt` in this reading's chosen `!If` branches names, recursively.
    pub fn referenced_resources(&self, value: &Value, found: &mut BTreeSet<String>) {
        if let Some((function, arg)) = intrinsic(value) {
            match function.as_str() {
                "Ref" => {
                    found.extend(arg.as_str().map(str::to_owned));
                    return;
                }
                "Fn::GetAtt" => {
                    found.extend(get_att(value).map(|(resource, _)| resource));
                    return;
                }
                "Fn::If" => {
                    let branches = arg.as_sequence().expect("Fn::If takes a list");
                    let condition = branches[0].as_str().expect("Fn::If names a condition");
                    let chosen = if self.local.conditions[condition] {
                        1
                    } else {
                        2
                    };
                    self.referenced_resources(&branches[chosen], found);
                    return;
                }
                _ => {}
            }
        }
        match value {
            Value::Sequence(items) => items
                .iter()
                .for_each(|item| self.referenced_resources(item, found)),
            Value::Mapping(map) => map
                .iter()
                .for_each(|(_, item)| self.referenced_resources(item, found)),
            Value::Tagged(tagged) => self.referenced_resources(&tagged.value, found),
            _ => {}
        }
    }
}

pub fn reference(value: &Value) -> Option<String> {
    match intrinsic(value)? {
        (function, arg) if function == "Ref" => arg.as_str().map(str::to_owned),
        _ => None,
    }
}

pub fn get_att(value: &Value) -> Option<(String, String)> {
    match intrinsic(value)? {
        (function, Value::String(path)) if function == "Fn::GetAtt" => path
            .split_once('.')
            .map(|(resource, attribute)| (resource.to_owned(), attribute.to_owned())),
        (function, Value::Sequence(parts)) if function == "Fn::GetAtt" => Some((
            parts.first()?.as_str()?.to_owned(),
            parts.get(1)?.as_str()?.to_owned(),
        )),
        _ => None,
    }
}

/// An alarm's `Dimensions` as name -> value.
pub fn dimensions(props: &Value) -> BTreeMap<String, Value> {
    props
        .get("Dimensions")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .map(|d| {
            let name = d["Name"]
                .as_str()
                .expect("a dimension has a Name")
                .to_owned();
            (name, d["Value"].clone())
        })
        .collect()
}

pub fn yaml(text: &str) -> Value {
    serde_norway::from_str(text).expect("test YAML")
}

/// A scalar's text (`5`, `"five"`).
pub fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}
