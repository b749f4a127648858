//! The webhooks function's adapters: the HTTP client that POSTs a delivery (reqwest over
//! rustls, no redirects, a per-request timeout), and the SQS handler that hides a failed
//! delivery for its backoff delay (`ChangeMessageVisibility` from `ApproximateReceiveCount`)
//! before Lambda's event source mapping sees it again.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use callscope_app::ports::{SendError, WebhookAnswer, WebhookRequest, WebhookSender};
use callscope_app::webhooks::{DeliverWebhooks, RetryPolicy};
use callscope_app::Deadline;
use futures::future::BoxFuture;

use crate::sqs::{failed_ids, SqsBatchHandler, SqsConsumer};

/// Bytes of an answer's body read (the reason keeps fewer).
const BODY_BYTES: usize = 1_024;

/// POSTs deliveries with one client (its connection pool lives as long as the sandbox).
#[derive(Debug, Clone)]
pub struct HttpSender {
    client: reqwest::Client,
}

impl HttpSender {
    pub fn new() -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            // A redirect is the receiver's misconfiguration; following it would send the
            // signed event somewhere the tenant did not name.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("callscope-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client })
    }
}

#[async_trait]
impl WebhookSender for HttpSender {
    async fn post(&self, request: WebhookRequest) -> Result<WebhookAnswer, SendError> {
        let mut builder = self
            .client
            .post(&request.url)
            .timeout(request.timeout)
            .body(request.body);
        for (name, value) in request.headers {
            builder = builder.header(name, value);
        }
        let classify = |e: reqwest::Error| {
            if e.is_timeout() {
                SendError::Timeout(request.timeout)
            } else if e.is_connect() {
                SendError::Connect(source_chain(&e))
            } else {
                SendError::Other(source_chain(&e))
            }
        };
        let mut response = builder.send().await.map_err(classify)?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        // The answer's first bytes only: a receiver's error page can be large. A body that
        // stops coming within the timeout keeps what arrived.
        while body.len() < BODY_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        body.truncate(BODY_BYTES);
        Ok(WebhookAnswer {
            status,
            body_start: String::from_utf8_lossy(&body).into_owned(),
        })
    }
}

/// An error with its causes (`error sending request: … : Connection refused`).
fn source_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The webhook consumer, with each failed delivery hidden for its backoff delay.
#[derive(Debug)]
pub struct BackoffConsumer {
    consumer: SqsConsumer<DeliverWebhooks>,
    retry: RetryPolicy,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
}

impl BackoffConsumer {
    pub fn new(
        consumer: SqsConsumer<DeliverWebhooks>,
        retry: RetryPolicy,
        sqs: aws_sdk_sqs::Client,
        queue_url: String,
    ) -> Self {
        Self {
            consumer,
            retry,
            sqs,
            queue_url,
        }
    }

    pub async fn handle_batch(&self, event: SqsEvent, deadline: Deadline) -> SqsBatchResponse {
        let receipts: HashMap<String, (String, u32)> = event
            .records
            .iter()
            .filter_map(|m| {
                let receive = m
                    .attributes
                    .get("ApproximateReceiveCount")
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(1);
                Some((m.message_id.clone()?, (m.receipt_handle.clone()?, receive)))
            })
            .collect();
        let response = self.consumer.handle_batch(event, deadline).await;
        for id in failed_ids(&response) {
            let Some((receipt, receive)) = receipts.get(id) else {
                continue;
            };
            let delay = self.retry.delay_after(*receive);
            let hidden = self
                .sqs
                .change_message_visibility()
                .queue_url(&self.queue_url)
                .receipt_handle(receipt)
                // SQS's longest visibility timeout is 12 hours.
                .visibility_timeout(delay.as_secs().min(43_200) as i32)
                .send()
                .await;
            if let Err(error) = hidden {
                // Not lost: the message comes back after the queue's visibility timeout.
                tracing::warn!(message_id = id, error = %aws_sdk_sqs::error::DisplayErrorContext(&error), "could not set the retry delay");
            }
        }
        response
    }
}

impl SqsBatchHandler for BackoffConsumer {
    fn handle(
        &self,
        event: SqsEvent,
    ) -> BoxFuture<'_, Result<SqsBatchResponse, lambda_runtime::Error>> {
        self.handle_before(event, Deadline::NONE)
    }

    fn handle_before(
        &self,
        event: SqsEvent,
        deadline: Deadline,
    ) -> BoxFuture<'_, Result<SqsBatchResponse, lambda_runtime::Error>> {
        Box::pin(async move { Ok(self.handle_batch(event, deadline).await) })
    }
}
