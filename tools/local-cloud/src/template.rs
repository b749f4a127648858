//! Reads infra/template.yaml (SAM) into what the local environment needs: the queues with their
//! redrive, the tables with keys, indexes, TTL and streams, the buckets and event buses, and each function's environment and
//! event sources, with parameters, conditions and rules applied as CloudFormation would for one
//! stack. Local resources are created from this, so local and deployed settings cannot drift.

mod bucket;
mod conditions;
mod foreach;
mod function;
mod intrinsics;
mod table;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context};
use serde_norway::Value;

pub use bucket::{BucketSpec, QueueNotification};
pub use function::{
    EnvValue, FunctionSpec, HttpEventSpec, ScheduleEventSpec, SqsEventSpec, StreamEventSpec,
};
/// Template readers outside this module (the template's own tests) read intrinsics the same way.
pub use intrinsics::intrinsic;
use intrinsics::{get_att, Evaluated, Evaluator};
pub use table::{IndexSpec, TableSpec};

/// The local stack's values of the parameters the template requires (it gives them no default,
/// so a deployment must choose them): used unless overridden. The local API Gateway stand-in
/// decodes tokens without checking their issuer or audience.
pub const LOCAL_PARAMETERS: [(&str, &str); 2] = [
    ("JwtIssuer", "https://callscope.local/"),
    ("JwtAudience", "callscope-local"),
];

#[derive(Debug, Clone, PartialEq)]
pub struct LocalTemplate {
    /// Every parameter with a value: its default, or its override.
    pub parameters: BTreeMap<String, String>,
    /// Every condition, evaluated.
    pub conditions: BTreeMap<String, bool>,
    pub stack: Stack,
    /// Queues, tables and functions whose `Condition` holds (or that have none).
    pub queues: Vec<QueueSpec>,
    pub tables: Vec<TableSpec>,
    /// Buckets with the notifications and expirations the emulator is given.
    pub buckets: Vec<BucketSpec>,
    pub functions: Vec<FunctionSpec>,
    /// Logical ids of the EventBridge buses (`!Ref` is the bus's name).
    pub event_buses: Vec<String>,
    /// The rules on those buses that target queues.
    pub event_rules: Vec<RuleSpec>,
    /// The template as CloudFormation reads it after its transforms' own expansions
    /// (`AWS::LanguageExtensions`' `Fn::ForEach`), for readers of what the local cloud does not
    /// create (alarms, log groups, the dashboard).
    pub document: Value,
}

/// The stack the template is read for: what `!Ref AWS::StackName` and `AWS::Region` are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stack {
    pub name: String,
    pub region: String,
}

impl Stack {
    /// The local stack whose resources are named `{prefix}{logical id}`: `callscope-local-` is
    /// stack `callscope-local`. Stacks sharing one Redis keep apart by their names.
    pub fn for_prefix(prefix: &str, region: &str) -> Self {
        Self {
            name: prefix.trim_end_matches('-').to_owned(),
            region: region.to_owned(),
        }
    }
}

impl Stack {
    /// What `!Ref AWS::StackId` is: the stack's ARN, whose last part CloudFormation makes unique
    /// per stack instance. Locally that part is derived from the name and region, so a local
    /// stack keeps its id (and its cache namespace) from one run to the next.
    pub fn id(&self) -> String {
        let hash = |seed: u64| {
            format!("{}/{}", self.region, self.name)
                .bytes()
                .fold(seed, |h, b| {
                    (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
                })
        };
        let (high, low) = (hash(0xcbf2_9ce4_8422_2325), hash(0x8422_2325_cbf2_9ce4));
        format!(
            "arn:aws:cloudformation:{}:000000000000:stack/{}/{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            self.region,
            self.name,
            high >> 32,
            (high >> 16) & 0xffff,
            high & 0xfff,
            low >> 52,
            low & 0xffff_ffff_ffff,
        )
    }

    /// The local stack of `prefix` in the environment's region (`AWS_REGION`, else us-east-1).
    pub fn local(prefix: &str) -> Self {
        let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".to_owned());
        Self::for_prefix(prefix, &region)
    }
}

impl Default for Stack {
    /// `callscope local provision`'s default prefix, in infra/local-cloud.sh's default region.
    fn default() -> Self {
        Self::for_prefix("callscope-local-", "us-east-1")
    }
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

impl LocalTemplate {
    /// Reads the template for the default local stack (see [`Stack::default`]).
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        Self::load_with_overrides(path, BTreeMap::new())
    }

    /// Reads the template for the default local stack; `overrides` replace parameter defaults
    /// (like `--parameter-overrides`).
    pub fn load_with_overrides(
        path: &Path,
        overrides: BTreeMap<String, String>,
    ) -> anyhow::Result<Self> {
        Self::load_for_stack(path, &Stack::default(), overrides)
    }

    /// Reads the template for `stack`; `overrides` replace parameter defaults.
    pub fn load_for_stack(
        path: &Path,
        stack: &Stack,
        overrides: BTreeMap<String, String>,
    ) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse_for_stack(&text, stack, overrides)
            .with_context(|| format!("reading {}", path.display()))
    }

    /// Reads the template for the local stack under `prefix` as the local commands run it:
    /// `overrides` replace parameter defaults, and `CacheUrl` defaults to `REDIS_URL` when that
    /// is set (so the cache and its invalidation exist exactly when a Redis is configured).
    pub fn load_local(
        path: &Path,
        prefix: &str,
        overrides: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Self> {
        let mut overrides: BTreeMap<String, String> = overrides.into_iter().collect();
        if let Ok(redis) = std::env::var("REDIS_URL") {
            overrides.entry("CacheUrl".into()).or_insert(redis);
        }
        Self::load_for_stack(path, &Stack::local(prefix), overrides)
    }

    /// Reads template text for the default local stack.
    pub fn parse(text: &str, overrides: BTreeMap<String, String>) -> anyhow::Result<Self> {
        Self::parse_for_stack(text, &Stack::default(), overrides)
    }

    /// Reads template text for `stack`: parameters (a required one the template declares takes
    /// its [`LOCAL_PARAMETERS`] value unless overridden), then `Fn::ForEach` expanded, conditions
    /// and rules (a parameter set a rule refuses is an error, as in CloudFormation), then the
    /// resources whose condition holds.
    pub fn parse_for_stack(
        text: &str,
        stack: &Stack,
        mut overrides: BTreeMap<String, String>,
    ) -> anyhow::Result<Self> {
        let doc: Value = serde_norway::from_str(text).context("the template is not YAML")?;
        for (name, value) in LOCAL_PARAMETERS {
            let declared = doc.get("Parameters").and_then(|p| p.get(name)).is_some();
            if declared {
                overrides
                    .entry(name.to_owned())
                    .or_insert_with(|| value.to_owned());
            }
        }
        let mut evaluator = Evaluator::new(&doc, overrides, stack.clone())?;
        let doc = foreach::expand(doc, &evaluator).context("Fn::ForEach")?;
        evaluator.evaluate_conditions(&doc)?;
        evaluator.check_rules(&doc)?;
        let Some(Value::Mapping(resources)) = doc.get("Resources") else {
            bail!("the template has no Resources")
        };
        let mut included = Vec::new();
        for (id, resource) in resources {
            let id = id.as_str().context("a resource id is not a string")?;
            if let Some(condition) = resource.get("Condition") {
                let holds = condition
                    .as_str()
                    .context("Condition must name a condition")
                    .and_then(|name| evaluator.condition(name))
                    .with_context(|| format!("resource {id}"))?;
                if !holds {
                    continue;
                }
            }
            included.push((id, resource));
        }
        let apis = http_apis(&included);
        let mut template = Self {
            parameters: evaluator.parameters().clone(),
            conditions: evaluator.conditions().clone(),
            stack: stack.clone(),
            queues: Vec::new(),
            tables: Vec::new(),
            buckets: Vec::new(),
            functions: Vec::new(),
            event_buses: Vec::new(),
            event_rules: Vec::new(),
            document: Value::Null,
        };
        for (id, resource) in included {
            let props = resource.get("Properties").unwrap_or(&Value::Null);
            let parsed = match resource.get("Type").and_then(Value::as_str) {
                Some("AWS::SQS::Queue") => {
                    queue(id, props, &evaluator).map(|q| template.queues.push(q))
                }
                Some("AWS::S3::Bucket") => {
                    bucket::bucket(id, props, &evaluator).map(|b| template.buckets.push(b))
                }
                Some("AWS::Events::EventBus") => {
                    template.event_buses.push(id.to_owned());
                    Ok(())
                }
                Some("AWS::Events::Rule") => {
                    rule(id, props).map(|r| template.event_rules.extend(r))
                }
                Some("AWS::DynamoDB::Table") => {
                    table::table(id, props).map(|t| template.tables.push(t))
                }
                Some("AWS::Serverless::Function") => {
                    function::function(id, props, &evaluator, &apis).map(|mut f| {
                        f.binary = resource
                            .get("Metadata")
                            .and_then(|m| m.get("BuildProperties"))
                            .and_then(|b| b.get("Binary"))
                            .and_then(Value::as_str)
                            .map(str::to_owned);
                        template.functions.push(f)
                    })
                }
                _ => Ok(()),
            };
            parsed.with_context(|| format!("resource {id}"))?;
        }
        template.document = doc.clone();
        Ok(template)
    }
}

/// An EventBridge rule on one of the template's buses whose targets are its queues: the
/// emulator delivers matching events to them as EventBridge does (moto's `PutEvents` sends
/// to SQS targets).
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSpec {
    pub logical_id: String,
    /// The bus's logical id (`EventBusName: !Ref Bus`).
    pub bus: String,
    /// `EventPattern` as JSON.
    pub pattern: serde_json::Value,
    /// (target id, queue logical id) of each `Arn: !GetAtt Queue.Arn` target.
    pub queue_targets: Vec<(String, String)>,
}

/// `None` for a rule on the account's default bus (no `EventBusName`): AWS services' events
/// (Transcribe's job states) arrive there, which the emulator never sends; tests deliver what
/// such a rule would to its queue instead.
fn rule(id: &str, props: &Value) -> anyhow::Result<Option<RuleSpec>> {
    let Some(bus) = props.get("EventBusName") else {
        return Ok(None);
    };
    let bus =
        intrinsics::reference(bus).context("EventBusName must be !Ref of the template's bus")?;
    let pattern = serde_json::to_value(
        props
            .get("EventPattern")
            .context("EventPattern is required")?,
    )
    .context("EventPattern")?;
    let queue_targets = props
        .get("Targets")
        .and_then(Value::as_sequence)
        .context("Targets is required")?
        .iter()
        .map(|target| {
            let target_id = target
                .get("Id")
                .and_then(Value::as_str)
                .context("a target has no Id")?;
            let (queue, _) = target
                .get("Arn")
                .and_then(get_att)
                .context("a target's Arn must be !GetAtt Queue.Arn")?;
            Ok((target_id.to_owned(), queue))
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(Some(RuleSpec {
        logical_id: id.to_owned(),
        bus,
        pattern,
        queue_targets,
    }))
}

/// Each `AWS::Serverless::HttpApi`, and whether its routes need a token unless they say otherwise.
fn http_apis(resources: &[(&str, &Value)]) -> BTreeMap<String, bool> {
    resources
        .iter()
        .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some("AWS::Serverless::HttpApi"))
        .map(|(id, r)| {
            let default = r
                .get("Properties")
                .and_then(|p| p.get("Auth"))
                .and_then(|a| a.get("DefaultAuthorizer"))
                .and_then(Value::as_str);
            ((*id).to_owned(), default.is_some_and(|d| d != "NONE"))
        })
        .collect()
}

fn queue(id: &str, props: &Value, evaluator: &Evaluator) -> anyhow::Result<QueueSpec> {
    let mut attributes = BTreeMap::new();
    for name in [
        "VisibilityTimeout",
        "MessageRetentionPeriod",
        "DelaySeconds",
        "ReceiveMessageWaitTimeSeconds",
    ] {
        if let Some(value) = known(props.get(name), evaluator).with_context(|| name.to_owned())? {
            attributes.insert(name.to_owned(), value);
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
            let max_receive_count = known(policy.get("maxReceiveCount"), evaluator)?
                .context("RedrivePolicy.maxReceiveCount is required")?
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

/// A property that must be known from the template; `None` when absent or `AWS::NoValue`.
fn known(value: Option<&Value>, evaluator: &Evaluator) -> anyhow::Result<Option<String>> {
    let Some(value) = value else {
        return Ok(None);
    };
    match evaluator.evaluate(value)? {
        Evaluated::Text(text) => Ok(Some(text)),
        Evaluated::NoValue => Ok(None),
        Evaluated::Resource(name) => bail!("!Ref {name} is not a parameter with a value"),
        Evaluated::Unresolvable(why) => bail!("{why}"),
    }
}

#[cfg(test)]
mod foreach_tests;
#[cfg(test)]
mod semantics_tests;
#[cfg(test)]
mod tests;
