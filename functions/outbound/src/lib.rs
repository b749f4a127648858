//! The outbound function's event adapter: calls table stream records read into the
//! transitions to PROCESSED (a first analysis, or a re-analysis's later revision) the outbound
//! use case sends out, and the rows that leave the export: a PROCESSED call item's removal (an
//! erasure) and a re-analysed call's earlier rows; everything else (transcripts, analyses, a
//! PROCESSED call written again at its revision, calls not yet PROCESSED) is skipped. Then each
//! partition the batch wrote a file to is compacted once it holds more than
//! [`COMPACT_OVER_FILES`] small files (docs/export.md, "Small files").

use std::collections::HashMap;
use std::sync::Arc;

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use callscope_app::lifecycle::RawRetention;
use callscope_app::outbound::{
    Alerts, Compacted, ErasedCall, ExportCompaction, ExportErasure, Outbound, Processed, Removal,
};
use callscope_app::ports::SystemClock;
use callscope_app::settings::SettingsCache;
use callscope_cloud::aws::AwsClients;
use callscope_cloud::config::OutboundConfig;
use callscope_cloud::outbound::{EventBridgeBus, S3Export};
use callscope_cloud::s3::S3RawObjects;
use callscope_core::domain::{CallId, Day, TenantId, Timestamp};
use serde::Deserialize;

/// Small files a tenant's day may hold before the batch that wrote the next one compacts it.
pub const COMPACT_OVER_FILES: usize = 8;

/// The function as its composition root builds it.
pub fn handler(
    config: &OutboundConfig,
    clients: &AwsClients,
    events: aws_sdk_eventbridge::Client,
    s3: aws_sdk_s3::Client,
) -> StreamHandler {
    let export = Arc::new(S3Export::new(s3.clone(), config.export_bucket.clone()));
    let handler = StreamHandler::new(
        Outbound::new(
            clients.calls(&config.calls_table),
            Arc::new(EventBridgeBus::new(events, config.event_bus_name.clone())),
            export.clone(),
            config.transcript_tenants.clone(),
        )
        .with_alerts(Alerts::new(SettingsCache::new(
            clients.settings(&config.calls_table),
            Arc::new(SystemClock),
        ))),
    )
    .with_erasure(ExportErasure::new(export.clone()))
    .with_compaction(ExportCompaction::new(export, COMPACT_OVER_FILES));
    match &config.dropin_bucket {
        Some(bucket) => handler.with_raw_retention(RawRetention::new(
            clients.calls(&config.calls_table),
            Arc::new(S3RawObjects::new(s3, bucket.clone())),
        )),
        None => handler,
    }
}

#[derive(Debug, Clone)]
pub struct StreamHandler {
    outbound: Outbound,
    /// Erased calls' rows out of the export (none: removals are logged and skipped).
    erasure: Option<ExportErasure>,
    /// Raw objects of calls whose transcript expired (none: no drop-in bucket).
    raw_retention: Option<RawRetention>,
    /// Partitions past their file threshold folded into one file (none: never compacted).
    compaction: Option<ExportCompaction>,
}

impl StreamHandler {
    pub fn new(outbound: Outbound) -> Self {
        Self {
            outbound,
            erasure: None,
            raw_retention: None,
            compaction: None,
        }
    }

    pub fn with_compaction(mut self, compaction: ExportCompaction) -> Self {
        self.compaction = Some(compaction);
        self
    }

    pub fn with_erasure(mut self, erasure: ExportErasure) -> Self {
        self.erasure = Some(erasure);
        self
    }

    pub fn with_raw_retention(mut self, raw_retention: RawRetention) -> Self {
        self.raw_retention = Some(raw_retention);
        self
    }

    /// Sends the batch's transitions out; reports the first one not sent, so Lambda retries
    /// the batch from it (the records before it are done).
    pub async fn handle(&self, event: Event) -> DynamoDbEventResponse {
        let mut response = DynamoDbEventResponse::default();
        // The record index of the first record to retry.
        let mut retry: Option<usize> = None;
        let mut written = Vec::new();
        let transitions: Vec<(Processed, Option<String>, usize)> = event
            .records
            .iter()
            .enumerate()
            .filter_map(|(i, r)| transition(r).map(|t| (t, r.change.sequence_number.clone(), i)))
            .collect();
        if let (Some(first), Some(last)) = (transitions.first(), transitions.last()) {
            let batch_name = format!(
                "{}-{}",
                first.1.as_deref().unwrap_or("0"),
                last.1.as_deref().unwrap_or("0")
            );
            let batch: Vec<Processed> = transitions.iter().map(|(t, ..)| t.clone()).collect();
            let report = self.outbound.handle(&batch, &batch_name).await;
            tracing::info!(
                records = event.records.len(),
                published = report.published,
                alerts = report.alerts,
                exported_rows = report.exported_rows,
                files = report.files.len(),
                "processed calls sent out"
            );
            retry = report
                .retry_from
                .and_then(|from| transitions.get(from).map(|t| t.2));
            written = report
                .partitions
                .into_iter()
                .map(|p| (p, batch_name.clone()))
                .collect();
        }
        // After the export, so that a row this batch wrote from a read of a call erased since
        // (an eventually consistent read) is taken out too.
        let erased: Vec<(ErasedCall, usize)> = event
            .records
            .iter()
            .enumerate()
            .filter_map(|(i, r)| erasure(r).or_else(|| superseded(r)).map(|e| (e, i)))
            .collect();
        match (&self.erasure, erased.is_empty()) {
            (_, true) => {}
            (None, false) => {
                tracing::warn!(
                    erased = erased.len(),
                    "erased calls' export rows left: no export erasure configured"
                )
            }
            (Some(erasure), false) => {
                let batch: Vec<ErasedCall> = erased.iter().map(|(e, _)| e.clone()).collect();
                let report = erasure.erase(&batch).await;
                if let Some(at) = report
                    .retry_from
                    .and_then(|from| erased.get(from).map(|e| e.1))
                {
                    retry = Some(retry.map_or(at, |r| r.min(at)));
                }
            }
        }
        if let Some(raw) = &self.raw_retention {
            for (i, record) in event.records.iter().enumerate() {
                let Some((tenant, call_id)) = transcript_expired(record) else {
                    continue;
                };
                if retry.is_some_and(|r| r <= i) {
                    break;
                }
                if let Err(error) = raw.transcript_expired(&tenant, &call_id).await {
                    tracing::warn!(%error, %tenant, %call_id, "an expired call's raw object not deleted; will retry");
                    retry = Some(retry.map_or(i, |r| r.min(i)));
                    break;
                }
            }
        }
        // Last, and never a reason to retry the batch: what it had to do is done, and a
        // compaction left undone is tried again by the next batch writing to the partition.
        if let Some(compaction) = &self.compaction {
            for ((tenant, day), run) in written {
                match compaction.compact(&tenant, day, &run, false).await {
                    Ok(Compacted::Done { .. } | Compacted::NotNeeded { .. }) => {}
                    Ok(Compacted::Withdrawn { changed }) => {
                        tracing::warn!(%tenant, %day, changed, "compaction withdrawn; the next batch tries again")
                    }
                    Err(error) => {
                        tracing::warn!(%error, %tenant, %day, "compaction failed; the next batch tries again")
                    }
                }
            }
        }
        if let Some(index) = retry {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = event.records[index].change.sequence_number.clone();
            response.batch_item_failures.push(failure);
        }
        response
    }
}

/// The attributes of a call item this function reads from the images.
#[derive(Debug, Deserialize)]
struct Image {
    pk: String,
    sk: String,
    status: Option<String>,
    processed_at: Option<Timestamp>,
    /// Set by a re-analysis (absent: the first analysis, revision 0).
    #[serde(default)]
    revision: u32,
    start_time: Option<Timestamp>,
}

impl Image {
    fn is_processed_call(&self) -> bool {
        self.sk == "CALL" && self.status.as_deref() == Some("PROCESSED")
    }
}

fn image(map: &serde_dynamo::Item) -> Option<Image> {
    let item: HashMap<String, serde_dynamo::AttributeValue> = map.clone().into_inner();
    serde_dynamo::from_item(serde_dynamo::Item::from(item)).ok()
}

/// The call this record shows becoming PROCESSED, or analysed again (a later revision), if it
/// does. Process running twice writes PROCESSED over PROCESSED at the same revision: no
/// transition.
fn transition(record: &EventRecord) -> Option<Processed> {
    let new = image(&record.change.new_image)?;
    if !new.is_processed_call() {
        return None;
    }
    let old = image(&record.change.old_image).filter(Image::is_processed_call);
    if old.is_some_and(|old| old.revision >= new.revision) {
        return None;
    }
    let (tenant, call_id) = new.pk.strip_prefix("TENANT#")?.split_once("#CALL#")?;
    Some(Processed {
        tenant: TenantId::parse("tenant", tenant).ok()?,
        call_id: CallId::parse("call_id", call_id).ok()?,
        analysed_at: new.processed_at?,
    })
}

/// The attributes of a removed call item this function reads from its old image.
#[derive(Debug, Deserialize)]
struct RemovedImage {
    pk: String,
    sk: String,
    status: Option<String>,
    processed_at: Option<Timestamp>,
    start_time: Timestamp,
}

/// The analysis a re-analysis replaced, as an erasure of the rows up to it: the new analysis's
/// row is written first (the export before erasures), so the call keeps one row, the latest.
fn superseded(record: &EventRecord) -> Option<ErasedCall> {
    let new = image(&record.change.new_image)?;
    let old = image(&record.change.old_image)?;
    if !(new.is_processed_call() && old.is_processed_call() && new.revision > old.revision) {
        return None;
    }
    let (tenant, call_id) = old.pk.strip_prefix("TENANT#")?.split_once("#CALL#")?;
    Some(ErasedCall {
        tenant: TenantId::parse("tenant", tenant).ok()?,
        call_id: CallId::parse("call_id", call_id).ok()?,
        day: Day::of(old.start_time?.time()),
        analysed_until: old.processed_at?,
        removal: Removal::Superseded,
    })
}

/// The call whose transcript DynamoDB's TTL removed (the tenant's retention), if this record
/// is that: a removal by the service itself, not by an erasure (which deletes the raw object).
fn transcript_expired(record: &EventRecord) -> Option<(TenantId, CallId)> {
    let by_ttl = record
        .user_identity
        .as_ref()
        .is_some_and(|who| who.principal_id == "dynamodb.amazonaws.com");
    if record.event_name != "REMOVE" || !by_ttl {
        return None;
    }
    let pk = record.change.keys.get("pk")?;
    let sk = record.change.keys.get("sk")?;
    let (serde_dynamo::AttributeValue::S(pk), serde_dynamo::AttributeValue::S(sk)) = (pk, sk)
    else {
        return None;
    };
    if sk != "TRANSCRIPT" {
        return None;
    }
    let (tenant, call_id) = pk.strip_prefix("TENANT#")?.split_once("#CALL#")?;
    Some((
        TenantId::parse("tenant", tenant).ok()?,
        CallId::parse("call_id", call_id).ok()?,
    ))
}

/// The PROCESSED call this record shows erased, if it does: only those were exported.
fn erasure(record: &EventRecord) -> Option<ErasedCall> {
    if record.event_name != "REMOVE" {
        return None;
    }
    let item: HashMap<String, serde_dynamo::AttributeValue> =
        record.change.old_image.clone().into_inner();
    let old: RemovedImage = serde_dynamo::from_item(serde_dynamo::Item::from(item)).ok()?;
    if old.sk != "CALL" || old.status.as_deref() != Some("PROCESSED") {
        return None;
    }
    let (tenant, call_id) = old.pk.strip_prefix("TENANT#")?.split_once("#CALL#")?;
    Some(ErasedCall {
        tenant: TenantId::parse("tenant", tenant).ok()?,
        call_id: CallId::parse("call_id", call_id).ok()?,
        day: Day::of(old.start_time.time()),
        analysed_until: old.processed_at?,
        removal: Removal::Erased,
    })
}

#[cfg(test)]
mod tests;
