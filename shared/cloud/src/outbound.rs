//! The outbound adapters: the EventBridge bus (`PutEvents`, ten entries a request, entries the
//! bus failed retried with jitter) and the S3 export bucket (`PutObject`; for erasure and
//! compaction `ListObjectsV2`, `GetObject`, `HeadObject`, `PutObject` / `DeleteObject`
//! conditional on the ETag read, and an empty `PutObject` for each erasure mark).

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_s3::error::ProvideErrorMetadata;
use callscope_app::ports::{
    BusEvent, EventBus, ExportFile, ExportFiles, ExportStore, Listed, OutboundError, Swapped,
};
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

impl S3Export {
    fn failed<E>(
        &self,
        operation: &str,
        key: &str,
        error: &aws_sdk_s3::error::SdkError<E>,
    ) -> OutboundError
    where
        E: std::error::Error + 'static,
    {
        OutboundError {
            operation: format!("{operation} s3://{}/{key}", self.bucket),
            detail: aws_sdk_s3::error::DisplayErrorContext(error).to_string(),
        }
    }
}

/// The service's error code, if the service answered.
fn code_of<E: ProvideErrorMetadata, R>(error: &aws_sdk_s3::error::SdkError<E, R>) -> Option<&str> {
    error.as_service_error().and_then(|e| e.code())
}

/// The file changed since it was read (412), or a conditional write raced another (409).
fn changed(code: Option<&str>) -> bool {
    matches!(
        code,
        Some("PreconditionFailed" | "ConditionalRequestConflict")
    )
}

#[async_trait]
impl ExportFiles for S3Export {
    async fn list(&self, prefix: &str) -> Result<Vec<Listed>, OutboundError> {
        let mut keys = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.failed("ListObjectsV2", prefix, &e))?;
            keys.extend(page.contents().iter().filter_map(|o| {
                o.key().map(|key| Listed {
                    key: key.to_owned(),
                    size: o.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
                })
            }));
        }
        Ok(keys)
    }

    async fn read(&self, key: &str) -> Result<Option<ExportFile>, OutboundError> {
        let output = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(output) => output,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(self.failed("GetObject", key, &e)),
        };
        let etag = output.e_tag.clone().unwrap_or_default();
        let bytes = output
            .body
            .collect()
            .await
            .map_err(|e| OutboundError {
                operation: format!("reading s3://{}/{key}", self.bucket),
                detail: e.to_string(),
            })?
            .into_bytes()
            .to_vec();
        Ok(Some(ExportFile {
            key: key.to_owned(),
            bytes,
            etag,
        }))
    }

    async fn version(&self, key: &str) -> Result<Option<String>, OutboundError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(output) => Ok(Some(output.e_tag.unwrap_or_default())),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(self.failed("HeadObject", key, &e)),
        }
    }

    async fn mark(&self, key: &str) -> Result<(), OutboundError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(Vec::new().into())
            .send()
            .await
            .map_err(|e| self.failed("PutObject", key, &e))?;
        Ok(())
    }

    async fn swap(
        &self,
        key: &str,
        etag: &str,
        bytes: Option<Vec<u8>>,
    ) -> Result<Swapped, OutboundError> {
        match bytes {
            Some(bytes) => {
                let put = self
                    .client
                    .put_object()
                    .bucket(&self.bucket)
                    .key(key)
                    .if_match(etag)
                    .content_type("application/vnd.apache.parquet")
                    .body(bytes.into())
                    .send()
                    .await;
                match put {
                    Ok(_) => Ok(Swapped::Done),
                    // Gone since it was read: another erasure deleted it.
                    Err(e) if changed(code_of(&e)) || code_of(&e) == Some("NoSuchKey") => {
                        Ok(Swapped::Changed)
                    }
                    Err(e) => Err(self.failed("PutObject", key, &e)),
                }
            }
            None => {
                let delete = self
                    .client
                    .delete_object()
                    .bucket(&self.bucket)
                    .key(key)
                    .if_match(etag)
                    .send()
                    .await;
                match delete {
                    Ok(_) => Ok(Swapped::Done),
                    Err(e) if code_of(&e) == Some("NoSuchKey") => Ok(Swapped::Done),
                    Err(e) if changed(code_of(&e)) => Ok(Swapped::Changed),
                    Err(e) => Err(self.failed("DeleteObject", key, &e)),
                }
            }
        }
    }
}
