//! Each tenant's record of its webhook deliveries parked after their last attempt, in the calls
//! table beside its settings (the settings stream filter passes none of these items).
//!
//! | pk | sk | attributes |
//! |---|---|---|
//! | `TENANT#{t}#SETTINGS` | `WEBHOOK_PARKED#{event_id}` | `event_id`, `kind`, `call_id`?, `reason`, `attempts` (N), `parked_at`, `expires_at` (N, the table's TTL) |
//!
//! Keyed by event id, so a redrive forgets exactly its delivery's record and parking the same
//! event again overwrites it. A record expires with its DLQ message (the queue's retention).

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use callscope_app::ports::{ParkedDeliveries, ParkedDelivery, StoreError};
use callscope_core::domain::{TenantId, Timestamp};

use super::{settings_pk, unavailable};

const SK_PREFIX: &str = "WEBHOOK_PARKED#";
/// The webhook DLQ's `MessageRetentionPeriod` (infra/template.yaml): a record outlives its
/// message by no more than DynamoDB's TTL lag.
const RETENTION_SECONDS: i64 = 14 * 24 * 3600;
/// Records read for one list: enough for a tenant to see what fails, bounded in read units.
const READ_AT_MOST: i32 = 500;

#[derive(Debug, Clone)]
pub struct DynamoParkedDeliveries {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoParkedDeliveries {
    pub fn new(client: aws_sdk_dynamodb::Client, table: String) -> Self {
        Self { client, table }
    }
}

fn corrupt(tenant: &TenantId, detail: String) -> StoreError {
    StoreError::Unavailable {
        operation: format!("reading the parked deliveries of tenant {tenant}"),
        detail,
    }
}

fn read(
    tenant: &TenantId,
    item: &HashMap<String, AttributeValue>,
) -> Result<ParkedDelivery, StoreError> {
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    let needed =
        |name: &str| text(name).ok_or_else(|| corrupt(tenant, format!("a record has no {name}")));
    let attempts = item
        .get("attempts")
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| corrupt(tenant, "a record has no attempts".into()))?;
    Ok(ParkedDelivery {
        event_id: needed("event_id")?,
        kind: needed("kind")?,
        call_id: text("call_id"),
        reason: needed("reason")?,
        attempts,
        parked_at: Timestamp::parse("parked_at", &needed("parked_at")?)
            .map_err(|e| corrupt(tenant, e.to_string()))?,
    })
}

#[async_trait]
impl ParkedDeliveries for DynamoParkedDeliveries {
    async fn record(&self, tenant: &TenantId, parked: &ParkedDelivery) -> Result<(), StoreError> {
        let s = |v: &str| AttributeValue::S(v.to_owned());
        let expires_at = parked.parked_at.time().timestamp() + RETENTION_SECONDS;
        let mut request = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(&settings_pk(tenant)))
            .item("sk", s(&format!("{SK_PREFIX}{}", parked.event_id)))
            .item("event_id", s(&parked.event_id))
            .item("kind", s(&parked.kind))
            .item("reason", s(&parked.reason))
            .item("attempts", AttributeValue::N(parked.attempts.to_string()))
            .item("parked_at", s(&parked.parked_at.to_string()))
            .item("expires_at", AttributeValue::N(expires_at.to_string()));
        if let Some(call_id) = &parked.call_id {
            request = request.item("call_id", s(call_id));
        }
        request.send().await.map_err(|e| {
            unavailable(format!("recording a parked delivery of tenant {tenant}"), e)
        })?;
        Ok(())
    }

    async fn list(&self, tenant: &TenantId) -> Result<(Vec<ParkedDelivery>, bool), StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", AttributeValue::S(settings_pk(tenant)))
            .expression_attribute_values(":prefix", AttributeValue::S(SK_PREFIX.to_owned()))
            .limit(READ_AT_MOST)
            .send()
            .await
            .map_err(|e| {
                unavailable(
                    format!("reading the parked deliveries of tenant {tenant}"),
                    e,
                )
            })?;
        let parked = output
            .items()
            .iter()
            .map(|item| read(tenant, item))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((parked, output.last_evaluated_key().is_some()))
    }

    async fn forget(&self, tenant: &TenantId, event_id: &str) -> Result<(), StoreError> {
        let key = [
            ("pk", AttributeValue::S(settings_pk(tenant))),
            ("sk", AttributeValue::S(format!("{SK_PREFIX}{event_id}"))),
        ];
        let failed = |e| {
            unavailable(
                format!("forgetting a parked delivery of tenant {tenant}"),
                e,
            )
        };
        // Most delivered events were never parked: a strongly consistent read (1 read unit)
        // finds that for a fifth of a delete's price, and sees a record written just before.
        let found = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key.clone().map(|(k, v)| (k.to_owned(), v)).into()))
            .projection_expression("pk")
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable(format!("reading a parked delivery of tenant {tenant}"), e))?;
        if found.item.is_none() {
            return Ok(());
        }
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key.map(|(k, v)| (k.to_owned(), v)).into()))
            .send()
            .await
            .map_err(failed)?;
        Ok(())
    }
}
