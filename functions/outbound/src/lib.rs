//! The outbound function's event adapter: calls table stream records read into the
//! transitions to PROCESSED the outbound use case sends out; everything else (transcripts,
//! analyses, calls that were PROCESSED already or are not yet) is skipped.

use std::collections::HashMap;
use std::sync::Arc;

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use callscope_app::outbound::{Alerts, Outbound, Processed};
use callscope_app::ports::SystemClock;
use callscope_app::settings::SettingsCache;
use callscope_cloud::aws::AwsClients;
use callscope_cloud::config::OutboundConfig;
use callscope_cloud::outbound::{EventBridgeBus, S3Export};
use callscope_core::domain::{CallId, TenantId, Timestamp};
use serde::Deserialize;

/// The function as its composition root builds it.
pub fn handler(
    config: &OutboundConfig,
    clients: &AwsClients,
    events: aws_sdk_eventbridge::Client,
    s3: aws_sdk_s3::Client,
) -> StreamHandler {
    StreamHandler {
        outbound: Outbound::new(
            clients.calls(&config.calls_table),
            Arc::new(EventBridgeBus::new(events, config.event_bus_name.clone())),
            Arc::new(S3Export::new(s3, config.export_bucket.clone())),
            config.transcript_tenants.clone(),
        )
        .with_alerts(Alerts::new(SettingsCache::new(
            clients.settings(&config.calls_table),
            Arc::new(SystemClock),
        ))),
    }
}

#[derive(Debug, Clone)]
pub struct StreamHandler {
    outbound: Outbound,
}

impl StreamHandler {
    pub fn new(outbound: Outbound) -> Self {
        Self { outbound }
    }

    /// Sends the batch's transitions out; reports the first one not sent, so Lambda retries
    /// the batch from it (the records before it are done).
    pub async fn handle(&self, event: Event) -> DynamoDbEventResponse {
        let mut response = DynamoDbEventResponse::default();
        let transitions: Vec<(Processed, Option<String>)> = event
            .records
            .iter()
            .filter_map(|r| transition(r).map(|t| (t, r.change.sequence_number.clone())))
            .collect();
        let Some(first) = transitions.first() else {
            return response;
        };
        let last = transitions.last().map_or(&first.1, |t| &t.1);
        let batch_name = format!(
            "{}-{}",
            first.1.as_deref().unwrap_or("0"),
            last.as_deref().unwrap_or("0")
        );
        let batch: Vec<Processed> = transitions.iter().map(|(t, _)| t.clone()).collect();
        let report = self.outbound.handle(&batch, &batch_name).await;
        tracing::info!(
            records = event.records.len(),
            published = report.published,
            alerts = report.alerts,
            exported_rows = report.exported_rows,
            files = report.files.len(),
            "processed calls sent out"
        );
        if let Some(from) = report.retry_from {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = transitions.get(from).and_then(|(_, seq)| seq.clone());
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
}

fn image(map: &serde_dynamo::Item) -> Option<Image> {
    let item: HashMap<String, serde_dynamo::AttributeValue> = map.clone().into_inner();
    serde_dynamo::from_item(serde_dynamo::Item::from(item)).ok()
}

/// The call this record shows becoming PROCESSED, if it does.
fn transition(record: &EventRecord) -> Option<Processed> {
    let new = image(&record.change.new_image)?;
    if new.sk != "CALL" || new.status.as_deref() != Some("PROCESSED") {
        return None;
    }
    let was_processed = image(&record.change.old_image)
        .is_some_and(|old| old.status.as_deref() == Some("PROCESSED"));
    if was_processed {
        return None;
    }
    let (tenant, call_id) = new.pk.strip_prefix("TENANT#")?.split_once("#CALL#")?;
    Some(Processed {
        tenant: TenantId::parse("tenant", tenant).ok()?,
        call_id: CallId::parse("call_id", call_id).ok()?,
        analysed_at: new.processed_at?,
    })
}

#[cfg(test)]
mod tests;
