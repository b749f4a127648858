//! A function's DynamoDB Streams and HTTP API events, as the local runners and the API Gateway
//! stand-in need them.

use anyhow::Context;
use serde_norway::Value;

use super::{get_att, scalar};

#[derive(Debug, Clone, PartialEq)]
pub struct StreamEventSpec {
    pub name: String,
    /// The table whose `StreamArn` the event reads.
    pub table: String,
    pub batch_size: i32,
    pub batching_window_seconds: i32,
    pub starting_position: String,
    pub bisect_on_error: bool,
    pub max_retry_attempts: Option<i32>,
    pub report_batch_item_failures: bool,
    /// Each `FilterCriteria.Filters[].Pattern`, parsed from its JSON text.
    pub filter_patterns: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpEventSpec {
    pub name: String,
    pub method: String,
    pub path: String,
    /// False when the route opts out of the API's authorizer (`Auth.Authorizer: NONE`).
    pub authorized: bool,
}

fn int(properties: &Value, key: &str) -> Option<i32> {
    properties
        .get(key)
        .and_then(scalar)
        .and_then(|s| s.parse().ok())
}

fn report_batch_item_failures(properties: &Value) -> bool {
    properties
        .get("FunctionResponseTypes")
        .and_then(Value::as_sequence)
        .is_some_and(|types| {
            types
                .iter()
                .any(|t| t.as_str() == Some("ReportBatchItemFailures"))
        })
}

pub fn stream_event(name: &str, properties: &Value) -> anyhow::Result<StreamEventSpec> {
    let (table, attribute) = properties
        .get("Stream")
        .and_then(get_att)
        .with_context(|| format!("Events.{name}.Stream must be !GetAtt Table.StreamArn"))?;
    anyhow::ensure!(
        attribute == "StreamArn",
        "Events.{name}.Stream must be a table's StreamArn"
    );
    let mut filter_patterns = Vec::new();
    for filter in properties
        .get("FilterCriteria")
        .and_then(|c| c.get("Filters"))
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        let pattern = filter
            .get("Pattern")
            .and_then(Value::as_str)
            .with_context(|| format!("Events.{name}: a filter needs a Pattern"))?;
        filter_patterns.push(
            serde_json::from_str(pattern)
                .with_context(|| format!("Events.{name}: a filter Pattern is not JSON"))?,
        );
    }
    Ok(StreamEventSpec {
        name: name.to_owned(),
        table,
        batch_size: int(properties, "BatchSize").unwrap_or(100),
        batching_window_seconds: int(properties, "MaximumBatchingWindowInSeconds").unwrap_or(0),
        starting_position: properties
            .get("StartingPosition")
            .and_then(scalar)
            .unwrap_or_else(|| "LATEST".to_owned()),
        bisect_on_error: properties
            .get("BisectBatchOnFunctionError")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        max_retry_attempts: int(properties, "MaximumRetryAttempts"),
        report_batch_item_failures: report_batch_item_failures(properties),
        filter_patterns,
    })
}

pub fn http_event(name: &str, properties: &Value) -> anyhow::Result<HttpEventSpec> {
    let text = |key: &str| {
        properties
            .get(key)
            .and_then(scalar)
            .with_context(|| format!("Events.{name}.{key} is required"))
    };
    let authorizer = properties
        .get("Auth")
        .and_then(|a| a.get("Authorizer"))
        .and_then(scalar);
    Ok(HttpEventSpec {
        name: name.to_owned(),
        method: text("Method")?.to_ascii_uppercase(),
        path: text("Path")?,
        authorized: authorizer.as_deref() != Some("NONE"),
    })
}

pub fn sqs_report_batch_item_failures(properties: &Value) -> bool {
    report_batch_item_failures(properties)
}
