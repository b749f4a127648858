//! A queue's oldest message age. SQS does not report it as a queue attribute: on AWS it is the
//! CloudWatch metric `ApproximateAgeOfOldestMessage`, which emulators do not publish. Without
//! the metric the age is computed from the `SentTimestamp` of messages peeked at — a sample of
//! at most the peeked messages, so a lower bound on a deep queue — and the report says which.

use std::collections::BTreeMap;

use anyhow::Context;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};

/// Where an age came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeSource {
    /// CloudWatch's `ApproximateAgeOfOldestMessage` (latest minute, Maximum).
    Cloudwatch,
    /// The oldest `SentTimestamp` among the messages peeked at.
    Peek,
}

/// How far back to look for the metric: SQS publishes it every minute while a queue is active.
const LOOKBACK_SECONDS: i64 = 600;

/// The latest `ApproximateAgeOfOldestMessage` of each named queue that has one, in seconds.
pub async fn cloudwatch_ages(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    queue_names: &[String],
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<BTreeMap<String, i64>> {
    if queue_names.is_empty() {
        return Ok(BTreeMap::new());
    }
    let queries: Vec<MetricDataQuery> = queue_names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let metric = Metric::builder()
                .namespace("AWS/SQS")
                .metric_name("ApproximateAgeOfOldestMessage")
                .dimensions(Dimension::builder().name("QueueName").value(name).build())
                .build();
            MetricDataQuery::builder()
                .id(format!("q{i}"))
                .metric_stat(
                    MetricStat::builder()
                        .metric(metric)
                        .period(60)
                        .stat("Maximum")
                        .build(),
                )
                .build()
        })
        .collect();
    let output = cloudwatch
        .get_metric_data()
        .set_metric_data_queries(Some(queries))
        .start_time(DateTime::from_secs(now.timestamp() - LOOKBACK_SECONDS))
        .end_time(DateTime::from_secs(now.timestamp()))
        .scan_by(ScanBy::TimestampDescending)
        .send()
        .await
        .context("reading ApproximateAgeOfOldestMessage from CloudWatch")?;
    Ok(output
        .metric_data_results()
        .iter()
        .filter_map(|result| {
            let index: usize = result.id()?.strip_prefix('q')?.parse().ok()?;
            let latest = *result.values().first()?;
            Some((queue_names.get(index)?.clone(), latest as i64))
        })
        .collect())
}

/// The queue's name: the last segment of its URL.
pub fn queue_name(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}

/// Seconds from the oldest of `sent_at_ms` to `now`.
pub fn oldest_age(
    sent_at_ms: impl IntoIterator<Item = i64>,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<i64> {
    sent_at_ms
        .into_iter()
        .min()
        .map(|oldest| ((now.timestamp_millis() - oldest) / 1_000).max(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_age_is_that_of_the_oldest_message_peeked_at() {
        let now = chrono::DateTime::from_timestamp(1_000, 0).expect("time");
        assert_eq!(oldest_age([990_000, 400_000, 999_000], now), Some(600));
        assert_eq!(oldest_age([], now), None);
    }

    #[test]
    fn a_queue_is_named_by_the_end_of_its_url() {
        assert_eq!(
            queue_name("https://sqs.us-east-1.amazonaws.com/123/prod-ProcessQueue-AB"),
            "prod-ProcessQueue-AB"
        );
    }
}
