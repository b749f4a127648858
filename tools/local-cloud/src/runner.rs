//! The local event-source runner: what Lambda's SQS event source mapping does, for the emulator.
//!
//! moto (and LocalStack without Lambda) stores messages but never invokes code. The runner polls
//! a queue wired to a function in infra/template.yaml, hands each batch to the function's handler
//! in-process, and deletes only the messages the batch response does not name as failed — the
//! same contract as `ReportBatchItemFailures`. Failed messages stay on the queue; SQS itself
//! counts receives and moves them to the DLQ after `maxReceiveCount`.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use anyhow::Context;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage, SqsMessageAttribute};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName};
use futures::FutureExt;

use callscope_cloud::sqs::{failed_ids, SqsBatchHandler};

use crate::provision::{Provisioned, SqsSource};

/// One queue → function wiring, as the template's SQS event declares it.
#[derive(Debug, Clone)]
pub struct EventSource {
    pub queue_url: String,
    pub queue_arn: String,
    /// Up to this many messages per invocation, from as many receives (of ≤ 10) as it takes.
    pub batch_size: i32,
}

impl EventSource {
    /// A function's SQS event as provisioned: its queue's URL and ARN, and the batch size.
    pub fn provisioned(provisioned: &Provisioned, source: &SqsSource) -> anyhow::Result<Self> {
        let queue = provisioned
            .queues
            .get(&source.queue_logical_id)
            .with_context(|| format!("queue {} was not provisioned", source.queue_logical_id))?;
        Ok(Self {
            queue_url: queue.url.clone(),
            queue_arn: queue.arn.clone(),
            batch_size: source.batch_size,
        })
    }
}

/// What one poll did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollReport {
    pub received: usize,
    pub deleted: usize,
    pub failed: usize,
    /// Handler invocations (polls that delivered a batch).
    pub invocations: usize,
}

#[derive(Debug, Clone)]
pub struct LocalRunner {
    sqs: aws_sdk_sqs::Client,
    source: EventSource,
    /// Locally, a failed message is made visible again after this delay instead of the queue's
    /// visibility timeout (minutes), so retries and DLQ moves happen within a test's time.
    retry_delay: Duration,
    /// The handler hides a failed message for its own retry delay (the webhooks function's
    /// backoff): the runner leaves its visibility as the handler set it.
    handler_sets_retry_delay: bool,
    wait: Duration,
}

impl LocalRunner {
    pub fn new(sqs: aws_sdk_sqs::Client, source: EventSource) -> Self {
        Self {
            sqs,
            source,
            retry_delay: Duration::ZERO,
            handler_sets_retry_delay: false,
            wait: Duration::from_secs(1),
        }
    }

    pub fn with_retry_delay(mut self, delay: Duration) -> Self {
        self.retry_delay = delay;
        self
    }

    /// For a handler that sets each failed message's visibility itself, as Lambda leaves it.
    pub fn leaving_retry_delays_to_the_handler(mut self) -> Self {
        self.handler_sets_retry_delay = true;
        self
    }

    pub fn queue_url(&self) -> &str {
        &self.source.queue_url
    }

    /// Long-poll wait per receive (0–20 s).
    pub fn with_wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// Receives one batch, invokes the handler, deletes what succeeded.
    pub async fn poll_once(&self, handler: &dyn SqsBatchHandler) -> anyhow::Result<PollReport> {
        // Lambda fills a batch of up to BatchSize (25 for aggregate) from several receives of
        // at most 10; so does the runner, so large batches run locally too.
        let batch_size = usize::try_from(self.source.batch_size.max(1)).unwrap_or(1);
        let mut messages: Vec<Message> = Vec::new();
        while messages.len() < batch_size {
            let wanted = (batch_size - messages.len()).min(10);
            let received = self
                .sqs
                .receive_message()
                .queue_url(&self.source.queue_url)
                .max_number_of_messages(i32::try_from(wanted).unwrap_or(10))
                .wait_time_seconds(if messages.is_empty() {
                    self.wait.as_secs().min(20) as i32
                } else {
                    0
                })
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .message_attribute_names("All")
                .send()
                .await
                .with_context(|| format!("receiving from {}", self.source.queue_url))?;
            let batch = received.messages.unwrap_or_default();
            if batch.is_empty() {
                break;
            }
            messages.extend(batch);
        }
        if messages.is_empty() {
            return Ok(PollReport::default());
        }
        let receipts: HashMap<String, String> = messages
            .iter()
            .filter_map(|m| Some((m.message_id.clone()?, m.receipt_handle.clone()?)))
            .collect();
        let mut event = SqsEvent::default();
        event.records = messages.iter().map(|m| self.to_lambda_record(m)).collect();

        // The Lambda runtime turns a handler's panic into an invocation error; so does the runner.
        let outcome = AssertUnwindSafe(handler.handle(event))
            .catch_unwind()
            .await
            .unwrap_or_else(|_| Err("the handler panicked".into()));
        let failed: Vec<String> = match outcome {
            Ok(response) => failed_ids(&response)
                .into_iter()
                .map(str::to_owned)
                .collect(),
            // An invocation error fails the whole batch, as on Lambda.
            Err(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "handler failed the whole batch"
                );
                receipts.keys().cloned().collect()
            }
        };
        let to_delete: Vec<(&String, &String)> = receipts
            .iter()
            .filter(|(id, _)| !failed.contains(id))
            .collect();
        self.delete(&to_delete).await?;
        if !self.handler_sets_retry_delay {
            self.retry_later(&failed, &receipts).await?;
        }
        Ok(PollReport {
            received: receipts.len(),
            deleted: to_delete.len(),
            failed: failed.len(),
            invocations: 1,
        })
    }

    /// Polls until `idle_polls` receives in a row come back empty, or `limit` passes.
    pub async fn run_until_idle(
        &self,
        handler: &dyn SqsBatchHandler,
        idle_polls: u32,
        limit: Duration,
    ) -> anyhow::Result<PollReport> {
        let deadline = tokio::time::Instant::now() + limit;
        let mut total = PollReport::default();
        let mut idle = 0;
        while idle < idle_polls && tokio::time::Instant::now() < deadline {
            let report = self.poll_once(handler).await?;
            idle = if report.received == 0 { idle + 1 } else { 0 };
            total.received += report.received;
            total.deleted += report.deleted;
            total.failed += report.failed;
            total.invocations += report.invocations;
        }
        Ok(total)
    }

    fn to_lambda_record(&self, message: &Message) -> SqsMessage {
        let mut record = SqsMessage::default();
        record.message_id = message.message_id.clone();
        record.receipt_handle = message.receipt_handle.clone();
        record.body = message.body.clone();
        record.md5_of_body = message.md5_of_body.clone();
        record.event_source = Some("aws:sqs".to_owned());
        record.event_source_arn = Some(self.source.queue_arn.clone());
        record.attributes = message
            .attributes
            .iter()
            .flatten()
            .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
            .collect();
        record.message_attributes = message
            .message_attributes
            .iter()
            .flatten()
            .map(|(name, value)| {
                let mut attribute = SqsMessageAttribute::default();
                attribute.string_value = value.string_value.clone();
                attribute.data_type = Some(value.data_type.clone());
                (name.clone(), attribute)
            })
            .collect();
        record
    }

    async fn delete(&self, messages: &[(&String, &String)]) -> anyhow::Result<()> {
        for chunk in messages.chunks(10) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, (_, receipt))| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(*receipt)
                        .build()
                        .context("building a delete entry")
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let output = self
                .sqs
                .delete_message_batch()
                .queue_url(&self.source.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .context("deleting processed messages")?;
            if !output.failed.is_empty() {
                // Not fatal: an undeleted message is redelivered and the handlers are idempotent.
                tracing::warn!(
                    failed = output.failed.len(),
                    "some processed messages were not deleted"
                );
            }
        }
        Ok(())
    }

    async fn retry_later(
        &self,
        failed: &[String],
        receipts: &HashMap<String, String>,
    ) -> anyhow::Result<()> {
        for id in failed {
            let Some(receipt) = receipts.get(id) else {
                continue;
            };
            self.sqs
                .change_message_visibility()
                .queue_url(&self.source.queue_url)
                .receipt_handle(receipt)
                .visibility_timeout(self.retry_delay.as_secs() as i32)
                .send()
                .await
                .with_context(|| format!("making failed message {id} visible again"))?;
        }
        Ok(())
    }
}
