//! Reads infra/template.yaml (SAM) into what the local environment needs: the queues with their
//! redrive, the tables with keys, indexes and TTL, and each function's environment and SQS event
//! sources. Local resources are created from this, so local and deployed settings cannot drift.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context};
use serde_norway::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct LocalTemplate {
    pub parameters: BTreeMap<String, String>,
    pub queues: Vec<QueueSpec>,
    pub tables: Vec<TableSpec>,
    pub functions: Vec<FunctionSpec>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueueSpec {
    pub logical_id: String,
    /// SQS attributes as CreateQueue takes them (VisibilityTimeout, MessageRetentionPeriod).
    pub attributes: BTreeMap<String, String>,
    pub redrive: Option<Redrive>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Redrive {
    pub dead_letter_queue: String,
    pub max_receive_count: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableSpec {
    pub logical_id: String,
    /// (attribute, HASH | RANGE)
    pub key_schema: Vec<(String, String)>,
    /// (attribute, S | N | B)
    pub attributes: Vec<(String, String)>,
    pub indexes: Vec<IndexSpec>,
    pub ttl_attribute: Option<String>,
    /// `StreamSpecification.StreamViewType`, when the table has a stream.
    pub stream_view_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndexSpec {
    pub name: String,
    pub key_schema: Vec<(String, String)>,
    pub projection: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionSpec {
    pub logical_id: String,
    pub environment: BTreeMap<String, EnvValue>,
    pub sqs_events: Vec<SqsEventSpec>,
    pub stream_events: Vec<StreamEventSpec>,
    pub http_events: Vec<HttpEventSpec>,
}

/// An environment variable's value: a literal, or a reference to a parameter or resource.
#[derive(Debug, Clone, PartialEq)]
pub enum EnvValue {
    Literal(String),
    Ref(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct SqsEventSpec {
    pub name: String,
    pub queue: String,
    pub batch_size: i32,
    pub batching_window_seconds: i32,
    pub max_concurrency: Option<i32>,
    pub report_batch_item_failures: bool,
}

impl LocalTemplate {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        Self::load_with_overrides(path, BTreeMap::new())
    }

    /// Reads the template; `overrides` replace parameter defaults (like `--parameter-overrides`).
    pub fn load_with_overrides(
        path: &Path,
        overrides: BTreeMap<String, String>,
    ) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&text, overrides).with_context(|| format!("reading {}", path.display()))
    }

    pub fn parse(text: &str, overrides: BTreeMap<String, String>) -> anyhow::Result<Self> {
        let doc: Value = serde_norway::from_str(text).context("the template is not YAML")?;
        let conditions = Conditions::read(&doc);
        let mut parameters = BTreeMap::new();
        if let Some(Value::Mapping(params)) = doc.get("Parameters") {
            for (name, spec) in params {
                let (Some(name), Some(default)) =
                    (name.as_str(), spec.get("Default").and_then(scalar))
                else {
                    continue;
                };
                parameters.insert(name.to_owned(), default);
            }
        }
        parameters.extend(overrides);
        let mut template = Self {
            parameters,
            queues: Vec::new(),
            tables: Vec::new(),
            functions: Vec::new(),
        };
        let Some(Value::Mapping(resources)) = doc.get("Resources") else {
            bail!("the template has no Resources")
        };
        for (id, resource) in resources {
            let id = id.as_str().context("a resource id is not a string")?;
            // A resource whose condition is false does not exist in this deployment.
            if let Some(condition) = resource.get("Condition").and_then(Value::as_str) {
                let holds = conditions
                    .holds(condition, &template.parameters)
                    .with_context(|| format!("resource {id}"))?;
                if !holds {
                    continue;
                }
            }
            let props = resource.get("Properties").cloned().unwrap_or(Value::Null);
            let parsed = match resource.get("Type").and_then(Value::as_str) {
                Some("AWS::SQS::Queue") => {
                    template.queue(id, &props).map(|q| template.queues.push(q))
                }
                Some("AWS::DynamoDB::Table") => table(id, &props).map(|t| template.tables.push(t)),
                Some("AWS::Serverless::Function") => {
                    function(id, &props, &conditions, &template.parameters)
                        .map(|f| template.functions.push(f))
                }
                _ => Ok(()),
            };
            parsed.with_context(|| format!("resource {id}"))?;
        }
        Ok(template)
    }

    fn queue(&self, id: &str, props: &Value) -> anyhow::Result<QueueSpec> {
        let mut attributes = BTreeMap::new();
        for name in [
            "VisibilityTimeout",
            "MessageRetentionPeriod",
            "DelaySeconds",
            "ReceiveMessageWaitTimeSeconds",
        ] {
            if let Some(value) = props.get(name) {
                attributes.insert(
                    name.to_owned(),
                    self.resolve_scalar(value)
                        .with_context(|| name.to_owned())?,
                );
            }
        }
        let redrive = match props.get("RedrivePolicy") {
            None => None,
            Some(policy) => {
                let target = policy
                    .get("deadLetterTargetArn")
                    .context("RedrivePolicy.deadLetterTargetArn is required")?;
                let (dead_letter_queue, _) = get_att(target)
                    .context("RedrivePolicy.deadLetterTargetArn must be !GetAtt Queue.Arn")?;
                let count = policy
                    .get("maxReceiveCount")
                    .context("RedrivePolicy.maxReceiveCount is required")?;
                let max_receive_count = self
                    .resolve_scalar(count)?
                    .parse()
                    .context("RedrivePolicy.maxReceiveCount")?;
                Some(Redrive {
                    dead_letter_queue,
                    max_receive_count,
                })
            }
        };
        Ok(QueueSpec {
            logical_id: id.to_owned(),
            attributes,
            redrive,
        })
    }

    /// A literal, or a `!Ref` to a parameter, as text.
    fn resolve_scalar(&self, value: &Value) -> anyhow::Result<String> {
        if let Some(name) = reference(value) {
            return self
                .parameters
                .get(&name)
                .cloned()
                .with_context(|| format!("!Ref {name} is not a parameter with a value"));
        }
        scalar(value).context("must be a scalar or a !Ref to a parameter")
    }
}

fn table(id: &str, props: &Value) -> anyhow::Result<TableSpec> {
    let pairs =
        |value: Option<&Value>, a: &str, b: &str| -> anyhow::Result<Vec<(String, String)>> {
            value
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
                .map(|entry| {
                    let first = entry
                        .get(a)
                        .and_then(scalar)
                        .with_context(|| format!("{a} is required"))?;
                    let second = entry
                        .get(b)
                        .and_then(scalar)
                        .with_context(|| format!("{b} is required"))?;
                    Ok((first, second))
                })
                .collect()
        };
    let indexes = props
        .get("GlobalSecondaryIndexes")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .map(|index| {
            Ok(IndexSpec {
                name: index
                    .get("IndexName")
                    .and_then(scalar)
                    .context("IndexName is required")?,
                key_schema: pairs(index.get("KeySchema"), "AttributeName", "KeyType")?,
                projection: index
                    .get("Projection")
                    .and_then(|p| p.get("ProjectionType"))
                    .and_then(scalar)
                    .unwrap_or_else(|| "ALL".to_owned()),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let ttl = props.get("TimeToLiveSpecification");
    let ttl_enabled = ttl
        .and_then(|t| t.get("Enabled"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok(TableSpec {
        logical_id: id.to_owned(),
        key_schema: pairs(props.get("KeySchema"), "AttributeName", "KeyType")?,
        attributes: pairs(
            props.get("AttributeDefinitions"),
            "AttributeName",
            "AttributeType",
        )?,
        indexes,
        ttl_attribute: ttl
            .filter(|_| ttl_enabled)
            .and_then(|t| t.get("AttributeName"))
            .and_then(scalar),
        stream_view_type: props
            .get("StreamSpecification")
            .and_then(|s| s.get("StreamViewType"))
            .and_then(scalar),
    })
}

fn function(
    id: &str,
    props: &Value,
    conditions: &Conditions,
    parameters: &BTreeMap<String, String>,
) -> anyhow::Result<FunctionSpec> {
    let mut environment = BTreeMap::new();
    if let Some(Value::Mapping(vars)) = props.get("Environment").and_then(|e| e.get("Variables")) {
        for (name, value) in vars {
            let name = name
                .as_str()
                .context("an environment variable name is not a string")?
                .to_owned();
            // `!If` resolves to the branch these parameters take; only that one must be
            // something the local reader can resolve.
            let value = conditions
                .branch(value, parameters)
                .with_context(|| format!("Environment.Variables.{name}"))?
                .unwrap_or(value);
            let value = match reference(value) {
                Some(target) => EnvValue::Ref(target),
                None => EnvValue::Literal(scalar(value).with_context(|| {
                    format!("Environment.Variables.{name} cannot be resolved locally (a literal, a !Ref, or an !If choosing one)")
                })?),
            };
            environment.insert(name, value);
        }
    }
    let mut sqs_events = Vec::new();
    let mut stream_events = Vec::new();
    let mut http_events = Vec::new();
    if let Some(Value::Mapping(events)) = props.get("Events") {
        for (name, event) in events {
            let name = name.as_str().unwrap_or_default().to_owned();
            let properties = event.get("Properties").cloned().unwrap_or(Value::Null);
            match event.get("Type").and_then(Value::as_str) {
                Some("DynamoDB") => {
                    stream_events.push(events::stream_event(&name, &properties)?);
                    continue;
                }
                Some("HttpApi") => {
                    http_events.push(events::http_event(&name, &properties)?);
                    continue;
                }
                Some("SQS") => {}
                _ => continue,
            }
            let p = event
                .get("Properties")
                .context("an SQS event needs Properties")?;
            let (queue, _) = p
                .get("Queue")
                .and_then(get_att)
                .with_context(|| format!("Events.{name}.Queue must be !GetAtt Queue.Arn"))?;
            let int = |key: &str| {
                p.get(key)
                    .and_then(scalar)
                    .and_then(|s| s.parse::<i32>().ok())
            };
            sqs_events.push(SqsEventSpec {
                queue,
                batch_size: int("BatchSize").unwrap_or(10),
                batching_window_seconds: int("MaximumBatchingWindowInSeconds").unwrap_or(0),
                max_concurrency: p
                    .get("ScalingConfig")
                    .and_then(|s| s.get("MaximumConcurrency"))
                    .and_then(scalar)
                    .and_then(|s| s.parse().ok()),
                report_batch_item_failures: events::sqs_report_batch_item_failures(p),
                name,
            });
        }
    }
    Ok(FunctionSpec {
        logical_id: id.to_owned(),
        environment,
        sqs_events,
        stream_events,
        http_events,
    })
}

pub(crate) fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `!Ref X` or `{Ref: X}`.
pub(crate) fn reference(value: &Value) -> Option<String> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str().map(str::to_owned),
        Value::Mapping(map) if map.len() == 1 => {
            map.get("Ref").and_then(Value::as_str).map(str::to_owned)
        }
        _ => None,
    }
}

/// `!GetAtt X.Attr`, `!GetAtt [X, Attr]` or `{Fn::GetAtt: [X, Attr]}` → (X, Attr).
pub(crate) fn get_att(value: &Value) -> Option<(String, String)> {
    let inner = match value {
        Value::Tagged(tagged) if tagged.tag == "GetAtt" => &tagged.value,
        Value::Mapping(map) => map.get("Fn::GetAtt")?,
        _ => return None,
    };
    match inner {
        Value::String(s) => s.split_once('.').map(|(a, b)| (a.to_owned(), b.to_owned())),
        Value::Sequence(parts) => Some((
            parts.first()?.as_str()?.to_owned(),
            parts.get(1)?.as_str()?.to_owned(),
        )),
        _ => None,
    }
}

mod conditions;
mod events;

pub use conditions::Conditions;
pub use events::{HttpEventSpec, StreamEventSpec};

#[cfg(test)]
mod tests;
