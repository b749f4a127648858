//! The local DynamoDB Streams event source: what Lambda's stream event source mapping does, for
//! the emulator. It reads each shard of a table's stream, drops records the event's filter
//! criteria do not match (as Lambda does, before invoking), hands the rest to the function in
//! batches shaped as Lambda delivers them, and retries a batch the function reports failed
//! from the failed record on, up to the event's retry limit.

use std::collections::HashMap;

use anyhow::Context;
use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use aws_sdk_dynamodbstreams::types::{Record, ShardIteratorType};
use futures::future::BoxFuture;
use serde_json::Value;
use tokio::sync::Mutex;

use crate::provision::StreamSourceWiring;

/// A function fed by a table's stream.
pub trait StreamBatchHandler: Send + Sync {
    fn handle(&self, event: Event) -> BoxFuture<'_, DynamoDbEventResponse>;
}

impl StreamBatchHandler for callscope_invalidate::StreamHandler {
    fn handle(&self, event: Event) -> BoxFuture<'_, DynamoDbEventResponse> {
        Box::pin(self.handle(event))
    }
}

impl StreamBatchHandler for callscope_outbound::StreamHandler {
    fn handle(&self, event: Event) -> BoxFuture<'_, DynamoDbEventResponse> {
        Box::pin(self.handle(event))
    }
}

/// One table stream → function wiring, as the template declares it.
#[derive(Debug, Clone)]
pub struct StreamSource {
    pub stream_arn: String,
    pub batch_size: i32,
    /// Retries of a failed batch before its records are given up (Lambda's
    /// MaximumRetryAttempts; then the on-failure destination gets them).
    pub max_retry_attempts: i32,
    /// EventBridge-style patterns a record must match one of (none: every record).
    pub filter_patterns: Vec<Value>,
}

#[derive(Debug)]
pub struct StreamRunner {
    client: aws_sdk_dynamodbstreams::Client,
    source: StreamSource,
    /// The next iterator of each open shard.
    iterators: Mutex<HashMap<String, String>>,
}

/// What one poll did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamPollReport {
    pub read: usize,
    pub delivered: usize,
    pub failed_batches: usize,
}

impl StreamRunner {
    /// Starts at the beginning of every shard: local tables are new, so nothing written since
    /// provisioning is missed.
    pub async fn start(
        client: aws_sdk_dynamodbstreams::Client,
        source: StreamSource,
    ) -> anyhow::Result<Self> {
        let stream = client
            .describe_stream()
            .stream_arn(&source.stream_arn)
            .send()
            .await
            .with_context(|| format!("describing stream {}", source.stream_arn))?;
        let mut iterators = HashMap::new();
        for shard in stream
            .stream_description
            .map(|d| d.shards.unwrap_or_default())
            .unwrap_or_default()
        {
            let Some(shard_id) = shard.shard_id else {
                continue;
            };
            let iterator = client
                .get_shard_iterator()
                .stream_arn(&source.stream_arn)
                .shard_id(&shard_id)
                .shard_iterator_type(ShardIteratorType::TrimHorizon)
                .send()
                .await
                .with_context(|| format!("opening shard {shard_id}"))?
                .shard_iterator;
            if let Some(iterator) = iterator {
                iterators.insert(shard_id, iterator);
            }
        }
        Ok(Self {
            client,
            source,
            iterators: Mutex::new(iterators),
        })
    }

    pub fn stream_arn(&self) -> &str {
        &self.source.stream_arn
    }

    /// A runner for each of a function's stream events, as provisioned.
    pub async fn start_all(
        client: &aws_sdk_dynamodbstreams::Client,
        sources: &[StreamSourceWiring],
    ) -> anyhow::Result<Vec<Self>> {
        let mut runners = Vec::with_capacity(sources.len());
        for source in sources {
            let runner = Self::start(
                client.clone(),
                StreamSource {
                    stream_arn: source.stream_arn.clone(),
                    batch_size: source.batch_size,
                    max_retry_attempts: source.max_retry_attempts,
                    filter_patterns: source.filter_patterns.clone(),
                },
            )
            .await
            .with_context(|| format!("reading the stream of {}", source.table_logical_id))?;
            runners.push(runner);
        }
        Ok(runners)
    }

    /// Reads what is new on every shard and delivers it.
    pub async fn poll_once(
        &self,
        handler: &dyn StreamBatchHandler,
    ) -> anyhow::Result<StreamPollReport> {
        let mut report = StreamPollReport::default();
        let mut iterators = self.iterators.lock().await;
        let shards: Vec<(String, String)> = iterators.drain().collect();
        for (shard_id, iterator) in shards {
            let output = self
                .client
                .get_records()
                .shard_iterator(&iterator)
                .limit(self.source.batch_size.clamp(1, 1_000))
                .send()
                .await
                .with_context(|| format!("reading shard {shard_id}"))?;
            let records: Vec<EventRecord> = output
                .records
                .unwrap_or_default()
                .iter()
                .map(|r| self.to_lambda_record(r))
                .collect::<anyhow::Result<_>>()?;
            report.read += records.len();
            let matching: Vec<EventRecord> =
                records.into_iter().filter(|r| self.matches(r)).collect();
            report.delivered += matching.len();
            if !matching.is_empty() && !self.deliver(handler, matching).await {
                report.failed_batches += 1;
            }
            if let Some(next) = output.next_shard_iterator {
                iterators.insert(shard_id, next);
            }
        }
        Ok(report)
    }

    /// Invokes the handler, retrying from the first failed record; false when it gave up.
    async fn deliver(
        &self,
        handler: &dyn StreamBatchHandler,
        mut records: Vec<EventRecord>,
    ) -> bool {
        for _ in 0..=self.source.max_retry_attempts.max(0) {
            let mut event = Event::default();
            event.records = records.clone();
            let response = handler.handle(event).await;
            let Some(failed) = response
                .batch_item_failures
                .first()
                .and_then(|f| f.item_identifier.clone())
            else {
                return true;
            };
            // Lambda retries from the reported record on; the ones before it are done.
            let from = records
                .iter()
                .position(|r| r.change.sequence_number.as_deref() == Some(failed.as_str()))
                .unwrap_or(0);
            records.drain(..from);
        }
        tracing::warn!(
            stream = %self.source.stream_arn,
            records = records.len(),
            "stream batch still failing after its retries; given up (Lambda would send it to the on-failure destination)"
        );
        false
    }

    fn to_lambda_record(&self, record: &Record) -> anyhow::Result<EventRecord> {
        let change = record.dynamodb.as_ref();
        let image = |map: Option<
            &HashMap<String, aws_sdk_dynamodbstreams::types::AttributeValue>,
        >| { serde_dynamo::Item::from(map.cloned().unwrap_or_default()) };
        let json = serde_json::json!({
            "eventID": record.event_id,
            "eventName": record.event_name.as_ref().map(|n| n.as_str()),
            "eventVersion": record.event_version,
            "eventSource": "aws:dynamodb",
            "awsRegion": record.aws_region,
            "eventSourceARN": self.source.stream_arn,
            "dynamodb": {
                "Keys": image(change.and_then(|c| c.keys.as_ref())),
                "NewImage": image(change.and_then(|c| c.new_image.as_ref())),
                "OldImage": image(change.and_then(|c| c.old_image.as_ref())),
                "SequenceNumber": change.and_then(|c| c.sequence_number.clone()),
                "SizeBytes": change.and_then(|c| c.size_bytes),
                "StreamViewType": change.and_then(|c| c.stream_view_type.as_ref()).map(|v| v.as_str()),
            },
        });
        serde_json::from_value(json).context("shaping a stream record as Lambda delivers it")
    }

    fn matches(&self, record: &EventRecord) -> bool {
        if self.source.filter_patterns.is_empty() {
            return true;
        }
        let Ok(value) = serde_json::to_value(record) else {
            return false;
        };
        self.source
            .filter_patterns
            .iter()
            .any(|pattern| pattern_matches(pattern, &value))
    }
}

/// The subset of Lambda's event filtering the template uses: nested objects, and leaf lists of
/// exact values or `{"prefix": …}`.
pub fn pattern_matches(pattern: &Value, value: &Value) -> bool {
    match pattern {
        Value::Object(fields) => fields.iter().all(|(name, inner)| {
            value
                .get(name)
                .is_some_and(|field| pattern_matches(inner, field))
        }),
        Value::Array(allowed) => allowed.iter().any(|choice| match choice {
            Value::Object(rule) => match (rule.get("prefix"), value.as_str()) {
                (Some(Value::String(prefix)), Some(text)) => text.starts_with(prefix.as_str()),
                _ => false,
            },
            exact => exact == value,
        }),
        _ => pattern == value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn patterns_match_exact_values_and_prefixes_under_nested_keys() {
        let record = json!({"dynamodb": {"Keys": {"pk": {"S": "TENANT#a#ROLLUP#TENANT"}, "sk": {"S": "DAY#2026-11-01"}}}});
        let exact = json!({"dynamodb": {"Keys": {"sk": {"S": ["CALL"]}}}});
        let prefix = json!({"dynamodb": {"Keys": {"sk": {"S": [{"prefix": "DAY#"}]}}}});
        assert!(!pattern_matches(&exact, &record));
        assert!(pattern_matches(&prefix, &record));
        let call = json!({"dynamodb": {"Keys": {"sk": {"S": "CALL"}}}});
        assert!(pattern_matches(&exact, &call));
        assert!(!pattern_matches(&prefix, &call));
    }
}
