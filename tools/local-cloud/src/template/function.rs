//! A function's local wiring from its `AWS::Serverless::Function` resource: the environment, as
//! far as it is known before deployment, and its event sources (SQS queues, DynamoDB streams,
//! HTTP API routes) with the settings the local runner and the API Gateway stand-in mimic.

use std::collections::BTreeMap;

use anyhow::{bail, Context};
use serde_norway::Value;

use super::intrinsics::{get_att, reference, Evaluated, Evaluator};

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionSpec {
    pub logical_id: String,
    /// The cargo binary `sam build` builds it from (`Metadata.BuildProperties.Binary`): the
    /// function's name under `cargo lambda watch`.
    pub binary: Option<String>,
    /// The variables the local cloud can set, with conditions and parameters applied.
    pub environment: BTreeMap<String, EnvValue>,
    /// The variables it cannot (an ElastiCache endpoint, say), each with the reason. Not in
    /// `environment`: see [`FunctionSpec::ensure_environment_resolvable`].
    pub unresolvable_environment: BTreeMap<String, String>,
    pub sqs_events: Vec<SqsEventSpec>,
    pub stream_events: Vec<StreamEventSpec>,
    pub http_events: Vec<HttpEventSpec>,
    pub schedules: Vec<ScheduleEventSpec>,
}

/// A `Type: Schedule` / `ScheduleV2` event: the function runs on a timer.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleEventSpec {
    pub name: String,
    /// As written, e.g. `rate(5 minutes)`.
    pub expression: String,
    /// The period of a `rate(…)` expression; `None` for a `cron(…)` one.
    pub every: Option<std::time::Duration>,
}

/// An environment variable's value.
#[derive(Debug, Clone, PartialEq)]
pub enum EnvValue {
    /// Known from the template: a literal, a parameter, `AWS::StackName` or `AWS::Region`, the
    /// chosen branch of an `!If`.
    Literal(String),
    /// A resource the provisioner creates: a table's name, a queue's URL.
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

/// A `Type: DynamoDB` event: the function reads a table's stream.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamEventSpec {
    pub name: String,
    /// Logical id of the table whose `StreamArn` it reads.
    pub table: String,
    pub batch_size: i32,
    pub batching_window_seconds: i32,
    /// `LATEST` or `TRIM_HORIZON`.
    pub starting_position: String,
    pub bisect_on_error: bool,
    /// `None`: retried until the record expires (Lambda's default).
    pub max_retry_attempts: Option<i32>,
    pub report_batch_item_failures: bool,
    /// Each `FilterCriteria.Filters[].Pattern`, parsed: a record invokes the function when any
    /// matches (none: every record does).
    pub filter_patterns: Vec<serde_json::Value>,
}

/// A `Type: HttpApi` event: one route of the HTTP API.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpEventSpec {
    pub name: String,
    /// `GET`, `POST`, …, or `ANY`.
    pub method: String,
    /// `/api/v1/calls/{call_id}`, or `$default`.
    pub path: String,
    /// Whether API Gateway checks a token first: false when `Auth.Authorizer` is `NONE`, or when
    /// the route names no authorizer and its API has no default one.
    pub authorized: bool,
}

impl FunctionSpec {
    /// Fails naming the first variable the local cloud cannot set, and why: a function must not
    /// start without part of its environment (or with a default in its place).
    pub fn ensure_environment_resolvable(&self) -> anyhow::Result<()> {
        match self.unresolvable_environment.iter().next() {
            None => Ok(()),
            Some((name, why)) => bail!(
                "{}: environment variable {name} cannot be set locally: {why}",
                self.logical_id
            ),
        }
    }
}

/// `apis`: each HTTP API's logical id, and whether it has a default authorizer.
pub(super) fn function(
    id: &str,
    props: &Value,
    evaluator: &Evaluator,
    apis: &BTreeMap<String, bool>,
) -> anyhow::Result<FunctionSpec> {
    let mut spec = FunctionSpec {
        logical_id: id.to_owned(),
        binary: None,
        environment: BTreeMap::new(),
        unresolvable_environment: BTreeMap::new(),
        sqs_events: Vec::new(),
        stream_events: Vec::new(),
        http_events: Vec::new(),
        schedules: Vec::new(),
    };
    if let Some(Value::Mapping(vars)) = props.get("Environment").and_then(|e| e.get("Variables")) {
        for (name, value) in vars {
            let name = name
                .as_str()
                .context("an environment variable name is not a string")?
                .to_owned();
            let evaluated = evaluator
                .evaluate(value)
                .with_context(|| format!("Environment.Variables.{name}"))?;
            match evaluated {
                Evaluated::Text(text) => {
                    spec.environment.insert(name, EnvValue::Literal(text));
                }
                Evaluated::Resource(target) => {
                    spec.environment.insert(name, EnvValue::Ref(target));
                }
                Evaluated::NoValue => {}
                Evaluated::Unresolvable(why) => {
                    spec.unresolvable_environment.insert(name, why);
                }
            }
        }
    }
    if let Some(Value::Mapping(events)) = props.get("Events") {
        for (name, event) in events {
            let name = name.as_str().context("an event name is not a string")?;
            let kind = event.get("Type").and_then(Value::as_str);
            let event = Event {
                name,
                props: event.get("Properties").unwrap_or(&Value::Null),
                evaluator,
            };
            match kind {
                Some("SQS") => spec.sqs_events.push(event.sqs()?),
                Some("DynamoDB") => spec.stream_events.push(event.stream()?),
                Some("HttpApi") => spec.http_events.push(event.http(apis)?),
                Some("Schedule" | "ScheduleV2") => spec.schedules.push(event.schedule()?),
                _ => {}
            }
        }
    }
    Ok(spec)
}

/// One entry of `Events`, read property by property with errors naming it.
struct Event<'a> {
    name: &'a str,
    props: &'a Value,
    evaluator: &'a Evaluator,
}

impl Event<'_> {
    fn sqs(&self) -> anyhow::Result<SqsEventSpec> {
        let (queue, _) = self
            .props
            .get("Queue")
            .and_then(get_att)
            .with_context(|| format!("Events.{}.Queue must be !GetAtt Queue.Arn", self.name))?;
        let scaling = self.props.get("ScalingConfig");
        Ok(SqsEventSpec {
            name: self.name.to_owned(),
            queue,
            batch_size: self.int("BatchSize")?.unwrap_or(10),
            batching_window_seconds: self.int("MaximumBatchingWindowInSeconds")?.unwrap_or(0),
            max_concurrency: match scaling.and_then(|s| s.get("MaximumConcurrency")) {
                None => None,
                Some(value) => Some(self.parse(value, "ScalingConfig.MaximumConcurrency")?),
            },
            report_batch_item_failures: self.reports_batch_item_failures(),
        })
    }

    fn stream(&self) -> anyhow::Result<StreamEventSpec> {
        let table = match self.props.get("Stream").and_then(get_att) {
            Some((table, attribute)) if attribute == "StreamArn" => table,
            _ => bail!(
                "Events.{}.Stream must be !GetAtt Table.StreamArn",
                self.name
            ),
        };
        let filters = self
            .props
            .get("FilterCriteria")
            .and_then(|f| f.get("Filters"))
            .and_then(Value::as_sequence);
        let filter_patterns = filters
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, filter)| {
                let property = format!("FilterCriteria.Filters[{i}].Pattern");
                let pattern = self
                    .text(filter.get("Pattern"), &property)?
                    .with_context(|| format!("Events.{}.{property} is required", self.name))?;
                serde_json::from_str(&pattern)
                    .with_context(|| format!("Events.{}.{property} is not JSON", self.name))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(StreamEventSpec {
            name: self.name.to_owned(),
            table,
            batch_size: self.int("BatchSize")?.unwrap_or(100),
            batching_window_seconds: self.int("MaximumBatchingWindowInSeconds")?.unwrap_or(0),
            starting_position: self
                .text(self.props.get("StartingPosition"), "StartingPosition")?
                .with_context(|| format!("Events.{}.StartingPosition is required", self.name))?,
            bisect_on_error: match self.props.get("BisectBatchOnFunctionError") {
                None => false,
                Some(value) => self.parse(value, "BisectBatchOnFunctionError")?,
            },
            max_retry_attempts: self.int("MaximumRetryAttempts")?,
            report_batch_item_failures: self.reports_batch_item_failures(),
            filter_patterns,
        })
    }

    fn http(&self, apis: &BTreeMap<String, bool>) -> anyhow::Result<HttpEventSpec> {
        // Without ApiId the route is on SAM's implicit API, which has no authorizer here.
        let api_authorizes = self
            .props
            .get("ApiId")
            .and_then(reference)
            .and_then(|api| apis.get(&api).copied())
            .unwrap_or(false);
        let authorizer = self.text(
            self.props.get("Auth").and_then(|a| a.get("Authorizer")),
            "Auth.Authorizer",
        )?;
        Ok(HttpEventSpec {
            name: self.name.to_owned(),
            // SAM's default for an HttpApi event without them: the catch-all route.
            method: self
                .text(self.props.get("Method"), "Method")?
                .map_or_else(|| "ANY".to_owned(), |m| m.to_uppercase()),
            path: self
                .text(self.props.get("Path"), "Path")?
                .unwrap_or_else(|| "$default".to_owned()),
            authorized: match authorizer.as_deref() {
                Some("NONE") => false,
                Some(_) => true,
                None => api_authorizes,
            },
        })
    }

    fn schedule(&self) -> anyhow::Result<ScheduleEventSpec> {
        let expression = self
            .text(self.props.get("ScheduleExpression"), "ScheduleExpression")?
            .with_context(|| format!("Events.{}.ScheduleExpression is required", self.name))?;
        let every = if expression.starts_with("cron(") {
            None
        } else {
            Some(rate(&expression).with_context(|| {
                format!("Events.{}.ScheduleExpression {expression:?}", self.name)
            })?)
        };
        Ok(ScheduleEventSpec {
            name: self.name.to_owned(),
            expression,
            every,
        })
    }

    fn reports_batch_item_failures(&self) -> bool {
        self.props
            .get("FunctionResponseTypes")
            .and_then(Value::as_sequence)
            .is_some_and(|types| {
                types
                    .iter()
                    .any(|t| t.as_str() == Some("ReportBatchItemFailures"))
            })
    }

    fn int(&self, key: &str) -> anyhow::Result<Option<i32>> {
        self.props
            .get(key)
            .map(|value| self.parse(value, key))
            .transpose()
    }

    fn parse<T: std::str::FromStr>(&self, value: &Value, property: &str) -> anyhow::Result<T>
    where
        T::Err: std::error::Error + Send + Sync + 'static,
    {
        let text = self
            .text(Some(value), property)?
            .with_context(|| format!("Events.{}.{property} is AWS::NoValue", self.name))?;
        text.parse()
            .with_context(|| format!("Events.{}.{property}: {text:?}", self.name))
    }

    /// A property known from the template; `None` when absent or `AWS::NoValue`.
    fn text(&self, value: Option<&Value>, property: &str) -> anyhow::Result<Option<String>> {
        let Some(value) = value else {
            return Ok(None);
        };
        let context = || format!("Events.{}.{property}", self.name);
        match self.evaluator.evaluate(value).with_context(context)? {
            Evaluated::Text(text) => Ok(Some(text)),
            Evaluated::NoValue => Ok(None),
            Evaluated::Resource(resource) => {
                bail!(
                    "{}: a !Ref to resource {resource} is not a value here",
                    context()
                )
            }
            Evaluated::Unresolvable(why) => bail!("{}: {why}", context()),
        }
    }
}

/// The period of `rate(N unit)`, with EventBridge's units (minute(s), hour(s), day(s)).
fn rate(expression: &str) -> anyhow::Result<std::time::Duration> {
    let inner = expression
        .strip_prefix("rate(")
        .and_then(|rest| rest.strip_suffix(')'))
        .context("must be rate(N unit) or cron(...)")?;
    let (count, unit) = inner
        .trim()
        .split_once(' ')
        .context("rate needs a number and a unit")?;
    let count: u64 = count
        .parse()
        .context("the rate's number must be a positive integer")?;
    let seconds = match unit.trim() {
        "minute" | "minutes" => 60,
        "hour" | "hours" => 3_600,
        "day" | "days" => 86_400,
        other => bail!("unknown rate unit {other:?} (minute(s), hour(s), day(s))"),
    };
    anyhow::ensure!(count > 0, "the rate's number must be positive");
    Ok(std::time::Duration::from_secs(count * seconds))
}

#[cfg(test)]
mod rate_tests {
    use super::rate;
    use std::time::Duration;

    #[test]
    fn rates_read_as_eventbridge_reads_them_and_bad_ones_say_why() {
        assert_eq!(rate("rate(5 minutes)").unwrap(), Duration::from_secs(300));
        assert_eq!(rate("rate(1 hour)").unwrap(), Duration::from_secs(3_600));
        assert!(format!("{:#}", rate("rate(5 fortnights)").unwrap_err()).contains("fortnights"));
        assert!(rate("rate(0 minutes)").is_err());
        assert!(rate("every 5 minutes").is_err());
    }
}
