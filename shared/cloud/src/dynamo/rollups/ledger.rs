//! A call's marker read and written as its ledger entry: the version the rollups hold of the
//! call (`inc`: its incarnation, `rev`: its revision, `u32::MAX` for an erasure), the event
//! they count of it (`counted`, JSON; none after an erasure), when it was applied
//! (`applied_at`), and, on an erasure's tombstone only, `expires_at`.
//!
//! A settlement is one transaction: the entry `Put` on the condition that the entry is still
//! the version read, and one `ADD` per rollup key with the signed delta. Any cancellation is a
//! conflict for the use case to read again; the deltas commute with the fast path's.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::builders::PutBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use callscope_app::aggregate::MARKER_TTL_DAYS;
use callscope_app::ports::{LedgerEntry, Settled, Settlement, StoreError};
use callscope_core::domain::{CallId, CorrelationId, TenantId};
use callscope_core::pipeline::{CallAnalysed, Version};

use super::{marker_key, DynamoRollups};
use crate::dynamo::unavailable;

/// The entry's item, unconditioned.
pub(super) fn entry_put(
    table: String,
    pk: String,
    sk: String,
    entry: &LedgerEntry,
    correlation_id: &CorrelationId,
) -> Result<PutBuilder, String> {
    let now = chrono::Utc::now();
    let mut put = Put::builder()
        .table_name(table)
        .item("pk", AttributeValue::S(pk))
        .item("sk", AttributeValue::S(sk))
        .item(
            "correlation_id",
            AttributeValue::S(correlation_id.to_string()),
        )
        .item(
            "inc",
            AttributeValue::N(entry.version.incarnation.to_string()),
        )
        .item("rev", AttributeValue::N(entry.version.revision.to_string()))
        .item(
            "applied_at",
            AttributeValue::S(callscope_core::domain::Timestamp::new(now).to_string()),
        );
    match &entry.counted {
        Some(event) => {
            let json = serde_json::to_string(event)
                .map_err(|e| format!("writing the counted event: {e}"))?;
            put = put.item("counted", AttributeValue::S(json));
        }
        None => {
            // A tombstone outlives every message that could still name its incarnation.
            let expires_at = now.timestamp() + MARKER_TTL_DAYS * 24 * 3600;
            put = put.item("expires_at", AttributeValue::N(expires_at.to_string()));
        }
    }
    Ok(put)
}

fn number<T: std::str::FromStr>(item: &HashMap<String, AttributeValue>, name: &str) -> Option<T> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

/// The entry a marker item holds; one without `rev` was written before the ledger (legacy).
fn entry_of(item: &HashMap<String, AttributeValue>) -> Result<LedgerEntry, String> {
    let Some(revision) = number::<u32>(item, "rev") else {
        return Ok(LedgerEntry {
            version: Version::new(None, 0),
            counted: None,
            legacy: true,
        });
    };
    let counted = match item.get("counted").and_then(|v| v.as_s().ok()) {
        Some(json) => Some(
            serde_json::from_str::<CallAnalysed>(json)
                .map_err(|e| format!("the counted event cannot be read: {e}"))?,
        ),
        None => None,
    };
    Ok(LedgerEntry {
        version: Version {
            incarnation: number(item, "inc").unwrap_or(0),
            revision,
        },
        counted,
        legacy: false,
    })
}

impl DynamoRollups {
    /// The call's marker item as stored, read consistently: the ledger's entry and when it
    /// was applied are both read from it.
    pub(super) async fn marker_item(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
    ) -> Result<Option<HashMap<String, AttributeValue>>, StoreError> {
        let (pk, sk) = marker_key(tenant, call_id);
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk))
            .key("sk", AttributeValue::S(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable(format!("reading the rollup ledger of {call_id}"), e))?;
        Ok(output.item)
    }

    pub(super) async fn read_ledger(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
    ) -> Result<Option<LedgerEntry>, StoreError> {
        self.marker_item(tenant, call_id)
            .await?
            .as_ref()
            .map(entry_of)
            .transpose()
            .map_err(|reason| StoreError::Corrupt {
                call_id: call_id.clone(),
                reason,
            })
    }

    pub(super) async fn write_settlement(
        &self,
        settlement: &Settlement,
    ) -> Result<Settled, StoreError> {
        let built = |e: String| StoreError::Rejected {
            operation: format!("settling the rollups of {}", settlement.call_id),
            reason: e,
        };
        let (pk, sk) = marker_key(&settlement.tenant, &settlement.call_id);
        let mut put = entry_put(
            self.table.clone(),
            pk,
            sk,
            &settlement.entry,
            &settlement.correlation_id,
        )
        .map_err(built)?;
        put = match settlement.expected {
            None => put.condition_expression("attribute_not_exists(pk)"),
            Some(version) => put
                .condition_expression("inc = :inc AND rev = :rev")
                .expression_attribute_values(
                    ":inc",
                    AttributeValue::N(version.incarnation.to_string()),
                )
                .expression_attribute_values(
                    ":rev",
                    AttributeValue::N(version.revision.to_string()),
                ),
        };
        let mut items = vec![TransactWriteItem::builder()
            .put(put.build().map_err(|e| built(e.to_string()))?)
            .build()];
        for (key, delta) in &settlement.deltas {
            items.push(
                TransactWriteItem::builder()
                    .update(self.update(key, delta).map_err(built)?)
                    .build(),
            );
        }
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(Settled::Written),
            Err(error) => match error.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(_)) => {
                    Ok(Settled::Conflict)
                }
                _ => Err(StoreError::Unavailable {
                    operation: format!("settling the rollups of {}", settlement.call_id),
                    detail: DisplayErrorContext(&error).to_string(),
                }),
            },
        }
    }
}
