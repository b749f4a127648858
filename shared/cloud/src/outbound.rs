//! The outbound adapters: the EventBridge bus (`PutEvents`, ten entries a request, entries the
//! bus failed retried with jitter) and the S3 export bucket (`PutObject`).

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use callscope_app::ports::{BusEvent, EventBus, ExportStore, OutboundError};
use callscope_core::pipeline::events::EVENT_SOURCE;

use crate::backoff;

/// Entries one PutEvents request takes.
const PUT_EVENTS_MAX: usize = 10;
/// Attempts at an entry the bus failed (throttled, internal) before it is reported failed.
const ATTEMPTS: u32 = 3;

#[derive(Debug, Clone)]
pub struct EventBridgeBus {
    client: aws_sdk_eventbridge::Client,
    bus_name: String,
}

impl EventBridgeBus {
    pub fn new(client: aws_sdk_eventbridge::Client, bus_name: String) -> Self {
        Self { client, bus_name }
    }

    /// One request; for each entry, in order, `None` when accepted or why not.
    async fn put_chunk(&self, events: &[&BusEvent]) -> Vec<Option<String>> {
        let entries: Vec<PutEventsRequestEntry> = events
            .iter()
            .map(|e| {
                PutEventsRequestEntry::builder()
                    .event_bus_name(&self.bus_name)
                    .source(EVENT_SOURCE)
                    .detail_type(&e.detail_type)
                    .detail(&e.detail)
                    .build()
            })
            .collect();
        match self
            .client
            .put_events()
            .set_entries(Some(entries))
            .send()
            .await
        {
            Ok(output) => {
                let results = output.entries.unwrap_or_default();
                (0..events.len())
                    .map(|i| match results.get(i) {
                        Some(r) if r.error_code.is_none() && r.event_id.is_some() => None,
                        Some(r) => Some(format!(
                            "{}: {}",
                            r.error_code.as_deref().unwrap_or("no event id"),
                            r.error_message.as_deref().unwrap_or("")
                        )),
                        None => Some("the bus answered for fewer entries".into()),
                    })
                    .collect()
            }
            Err(error) => {
                let why = aws_sdk_eventbridge::error::DisplayErrorContext(&error).to_string();
                vec![Some(why); events.len()]
            }
        }
    }
}

#[async_trait]
impl EventBus for EventBridgeBus {
    async fn put(&self, events: &[BusEvent]) -> Vec<Result<(), OutboundError>> {
        let mut outcome: Vec<Option<String>> = vec![Some("not sent".into()); events.len()];
        let mut pending: Vec<usize> = (0..events.len()).collect();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                backoff::sleep(Duration::from_millis(100), attempt, Duration::from_secs(1)).await;
            }
            let mut still = Vec::new();
            for chunk in pending.chunks(PUT_EVENTS_MAX) {
                let batch: Vec<&BusEvent> = chunk.iter().map(|&i| &events[i]).collect();
                for (&i, result) in chunk.iter().zip(self.put_chunk(&batch).await) {
                    if result.is_some() {
                        still.push(i);
                    }
                    outcome[i] = result;
                }
            }
            pending = still;
            if pending.is_empty() {
                break;
            }
        }
        outcome
            .into_iter()
            .map(|o| match o {
                None => Ok(()),
                Some(detail) => Err(OutboundError {
                    operation: "PutEvents".into(),
                    detail,
                }),
            })
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct S3Export {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl S3Export {
    pub fn new(client: aws_sdk_s3::Client, bucket: String) -> Self {
        Self { client, bucket }
    }
}

#[async_trait]
impl ExportStore for S3Export {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), OutboundError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/vnd.apache.parquet")
            .body(bytes.into())
            .send()
            .await
            .map_err(|e| OutboundError {
                operation: format!("PutObject s3://{}/{key}", self.bucket),
                detail: aws_sdk_s3::error::DisplayErrorContext(&e).to_string(),
            })?;
        Ok(())
    }
}
