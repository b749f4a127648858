//! Reads what `status` reports: queue attributes, a peek at each dead-letter queue, the
//! CloudWatch age metric, the `Pending` index and the FAILED calls.

use std::collections::{BTreeMap, HashMap};

use anyhow::Context;
use aws_config::SdkConfig;
use aws_sdk_sqs::types::QueueAttributeName;
use callscope_app::ports::CallRepository;
use callscope_cloud::dynamo::DynamoCalls;
use callscope_cloud::sqs;
use callscope_core::domain::{TenantId, Timestamp};

use super::{
    Args, DeadLetterStatus, QueueStatus, ReasonCount, StaleCall, StaleCalls, StatusReport,
};
use crate::operator::age::{self, AgeSource};
use crate::operator::target::{NamedQueue, Target};

/// Pending calls counted past the threshold (the sweeper takes up to 1,000 a run).
const STALE_LIMIT: usize = 1_000;
/// Stale and FAILED calls listed by name.
const LISTED: usize = 5;
/// Distinct failure reasons shown per dead-letter queue.
const TOP_REASONS: usize = 3;
/// The template's default, when neither the stack nor `--stale-after` says.
const DEFAULT_STALE_AFTER_SECONDS: i64 = 900;
/// The reason shown for a message that carries none: SQS moved it after maxReceiveCount
/// failed receives (a crash or a timeout, not a rejected input), or a Lambda destination
/// wrote it.
const NO_REASON: &str =
    "(no failure_reason: moved by SQS after maxReceiveCount receives, or a stream failure record)";

struct Attributes {
    arn: String,
    visible: u64,
    in_flight: u64,
    delayed: u64,
    dead_letter_arn: Option<String>,
}

pub async fn gather(sdk: &SdkConfig, target: &Target, args: &Args) -> anyhow::Result<StatusReport> {
    let sqs_client = aws_sdk_sqs::Client::new(sdk);
    let now = chrono::Utc::now();
    let mut notes = Vec::new();

    let mut attributes = Vec::new();
    for queue in &target.queues {
        attributes.push((queue, read_attributes(&sqs_client, queue).await?));
    }
    let name_of_arn: HashMap<&str, &str> = attributes
        .iter()
        .map(|(q, a)| (a.arn.as_str(), q.logical_id.as_str()))
        .collect();

    let names: Vec<String> = target
        .queues
        .iter()
        .map(|q| age::queue_name(&q.url).to_owned())
        .collect();
    let cloudwatch = aws_sdk_cloudwatch::Client::new(sdk);
    let metric_ages = match age::cloudwatch_ages(&cloudwatch, &names, now).await {
        Ok(ages) => ages,
        Err(error) => {
            notes.push(format!(
                "no age metric from CloudWatch ({error:#}): ages come from peeks where allowed"
            ));
            BTreeMap::new()
        }
    };
    let metric_age = |queue: &NamedQueue| metric_ages.get(age::queue_name(&queue.url)).copied();

    let mut queues = Vec::new();
    let mut dead_letter_queues = Vec::new();
    for (queue, attrs) in &attributes {
        let Some(dlq_arn) = &attrs.dead_letter_arn else {
            continue;
        };
        let (mut oldest, mut source) = (metric_age(queue), Some(AgeSource::Cloudwatch));
        if oldest.is_none() {
            source = None;
            if attrs.visible > 0 && args.peek_queues {
                let peeked = sqs::peek(&sqs_client, &queue.url, args.peek_limit).await?;
                oldest = age::oldest_age(peeked.iter().filter_map(|m| m.sent_at_ms), now);
                source = oldest.map(|_| AgeSource::Peek);
            }
        }
        queues.push(QueueStatus {
            name: queue.logical_id.clone(),
            visible: attrs.visible,
            in_flight: attrs.in_flight,
            delayed: attrs.delayed,
            oldest_age_seconds: oldest,
            age_source: source,
            dead_letter_queue: name_of_arn.get(dlq_arn.as_str()).map(|s| (*s).to_owned()),
        });
    }
    if queues
        .iter()
        .any(|q| q.visible > 0 && q.age_source.is_none())
    {
        notes.push(
            "no CloudWatch age for some queues (emulators publish none): --peek-queues computes it from SentTimestamp, and counts as a receive".to_owned(),
        );
    }
    for (queue, attrs) in &attributes {
        if attrs.dead_letter_arn.is_some() {
            continue;
        }
        let sources = attributes
            .iter()
            .filter(|(_, a)| a.dead_letter_arn.as_deref() == Some(attrs.arn.as_str()))
            .map(|(q, _)| q.logical_id.clone())
            .collect();
        let peeked = if attrs.visible > 0 {
            sqs::peek(&sqs_client, &queue.url, args.peek_limit).await?
        } else {
            Vec::new()
        };
        let (oldest, source) = match metric_age(queue) {
            Some(age) => (Some(age), Some(AgeSource::Cloudwatch)),
            None => {
                let age = age::oldest_age(peeked.iter().filter_map(|m| m.sent_at_ms), now);
                (age, age.map(|_| AgeSource::Peek))
            }
        };
        dead_letter_queues.push(DeadLetterStatus {
            name: queue.logical_id.clone(),
            parked: attrs.visible,
            in_flight: attrs.in_flight,
            oldest_age_seconds: oldest,
            age_source: source,
            sources,
            peeked: peeked.len(),
            top_reasons: top_reasons(peeked.iter().map(|m| m.failure_reason.as_deref())),
        });
    }

    let calls = DynamoCalls::new(
        aws_sdk_dynamodb::Client::new(sdk),
        target.calls_table.clone(),
    );
    let threshold_seconds = args
        .stale_after
        .or(target.stale_after_seconds)
        .unwrap_or_else(|| {
            notes.push(format!(
                "the sweep threshold is the template's default, {DEFAULT_STALE_AFTER_SECONDS} s"
            ));
            DEFAULT_STALE_AFTER_SECONDS
        });
    let stale = stale_calls(&calls, now, threshold_seconds).await?;
    let tenant = args
        .tenant
        .as_deref()
        .map(|t| TenantId::parse("--tenant", t))
        .transpose()?;
    let failed = calls
        .failed(tenant.as_ref(), args.max_scanned, LISTED)
        .await
        .context("listing FAILED calls")?;
    if !failed.complete {
        notes.push(format!(
            "FAILED calls: stopped after {} index entries (--max-scanned); the count is a lower bound",
            failed.scanned
        ));
    }
    Ok(StatusReport {
        target: target.label.clone(),
        at: Timestamp::new(now),
        queues,
        dead_letter_queues,
        stale,
        failed,
        notes,
    })
}

async fn read_attributes(
    sqs_client: &aws_sdk_sqs::Client,
    queue: &NamedQueue,
) -> anyhow::Result<Attributes> {
    let output = sqs_client
        .get_queue_attributes()
        .queue_url(&queue.url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .with_context(|| format!("reading the attributes of {}", queue.logical_id))?;
    let attributes = output.attributes.unwrap_or_default();
    let count = |name: QueueAttributeName| {
        attributes
            .get(&name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let dead_letter_arn = attributes
        .get(&QueueAttributeName::RedrivePolicy)
        .and_then(|policy| serde_json::from_str::<serde_json::Value>(policy).ok())
        .and_then(|policy| policy["deadLetterTargetArn"].as_str().map(str::to_owned));
    Ok(Attributes {
        arn: attributes
            .get(&QueueAttributeName::QueueArn)
            .cloned()
            .unwrap_or_default(),
        visible: count(QueueAttributeName::ApproximateNumberOfMessages),
        in_flight: count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        delayed: count(QueueAttributeName::ApproximateNumberOfMessagesDelayed),
        dead_letter_arn,
    })
}

/// The sweeper's own listing (`pending_before`), with the status of the oldest few.
async fn stale_calls(
    calls: &DynamoCalls,
    now: chrono::DateTime<chrono::Utc>,
    threshold_seconds: i64,
) -> anyhow::Result<StaleCalls> {
    let cutoff = Timestamp::new(now - chrono::Duration::seconds(threshold_seconds));
    let mut pending = calls
        .pending_before(cutoff, STALE_LIMIT, 0)
        .await
        .context("listing the calls pending past the sweep threshold")?;
    pending.sort_by_key(|p| p.since);
    let mut oldest = Vec::new();
    for p in pending.iter().take(LISTED) {
        let status = calls
            .bookkeeping(&p.tenant, &p.call_id)
            .await
            .with_context(|| format!("reading call {}", p.call_id))?
            .map(|r| r.status.as_str().to_owned());
        oldest.push(StaleCall {
            tenant: p.tenant.clone(),
            call_id: p.call_id.clone(),
            since: p.since,
            status,
        });
    }
    Ok(StaleCalls {
        threshold_seconds,
        count: pending.len(),
        limit: STALE_LIMIT,
        oldest,
    })
}

/// The most frequent reasons first (ties by text, so the order is stable).
pub fn top_reasons<'a>(reasons: impl IntoIterator<Item = Option<&'a str>>) -> Vec<ReasonCount> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for reason in reasons {
        *counts.entry(reason.unwrap_or(NO_REASON)).or_default() += 1;
    }
    let mut ranked: Vec<ReasonCount> = counts
        .into_iter()
        .map(|(reason, count)| ReasonCount {
            reason: reason.to_owned(),
            count,
        })
        .collect();
    ranked.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.reason.cmp(&b.reason)));
    ranked.truncate(TOP_REASONS);
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_ranked_by_count_and_a_missing_one_is_named() {
        let ranked = top_reasons([Some("b"), None, Some("a"), Some("b"), Some("c"), Some("d")]);
        assert_eq!(
            ranked[0],
            ReasonCount {
                reason: "b".into(),
                count: 2
            }
        );
        assert_eq!(ranked.len(), TOP_REASONS);
        assert_eq!(
            ranked[1].reason, NO_REASON,
            "ties ordered by text; '(' sorts first"
        );
    }
}
