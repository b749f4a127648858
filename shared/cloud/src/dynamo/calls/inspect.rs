//! What an operator reads about calls (`callscope calls get`, `callscope status`): one call's
//! status and the times its item holds, and the FAILED calls. Reads only; the pipeline's writes
//! are untouched, so a call costs what it did.

use aws_sdk_dynamodb::types::AttributeValue;
use callscope_app::ports::CallStatus;
use callscope_core::domain::{AgentId, CallId, CorrelationId, TenantId, Timestamp};
use serde::{Deserialize, Serialize};

use super::items::{self, parse_call_pk, CallItem};
use super::{corrupt, DynamoCalls};
use crate::dynamo::unavailable;
use callscope_app::ports::StoreError;

/// The listing index that holds every call of a tenant (and projects `status` and
/// `failure_reason`): the smallest copy of the calls to look through.
pub(crate) const BY_TENANT_INDEX: &str = "ByTenant";

/// A call item's bookkeeping: where the call is and every time the pipeline wrote down.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallBookkeeping {
    pub tenant: TenantId,
    pub call_id: CallId,
    pub agent_id: AgentId,
    pub status: CallStatus,
    pub correlation_id: CorrelationId,
    /// Still owed work (in the sweeper's `Pending` index).
    pub pending: bool,
    pub failure_reason: Option<String>,
    /// Failed processing attempts so far (cleared when processed).
    pub attempts: Option<u32>,
    /// Stored by ingest or intake.
    pub received_at: Timestamp,
    /// Queued again by the sweeper (the last time).
    pub last_requeued_at: Option<Timestamp>,
    /// Analysed, its `CallAnalysed` event sent, marked PROCESSED.
    pub processed_at: Option<Timestamp>,
    pub failed_at: Option<Timestamp>,
}

impl From<CallItem> for CallBookkeeping {
    fn from(item: CallItem) -> Self {
        Self {
            pending: item.pending_pk.is_some(),
            tenant: item.tenant,
            call_id: item.call_id,
            agent_id: item.agent_id,
            status: item.status,
            correlation_id: item.correlation_id,
            failure_reason: item.failure_reason,
            attempts: item.attempts,
            received_at: item.received_at,
            last_requeued_at: item.last_requeued_at,
            processed_at: item.processed_at,
            failed_at: item.failed_at,
        }
    }
}

/// A FAILED call as the listing index holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailedCall {
    pub tenant: TenantId,
    pub call_id: CallId,
    pub received_at: Timestamp,
    pub failure_reason: Option<String>,
}

/// FAILED calls found by one look through the `ByTenant` index.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FailedCalls {
    /// FAILED calls counted.
    pub count: usize,
    /// The first of them, up to the number asked for.
    pub calls: Vec<FailedCall>,
    /// Index entries read to find them.
    pub scanned: usize,
    /// False when the look stopped at its limit of entries: `count` is then a lower bound.
    pub complete: bool,
}

#[derive(Debug, Deserialize)]
struct FailedEntry {
    pk: String,
    received_at: Timestamp,
    #[serde(default)]
    failure_reason: Option<String>,
}

impl DynamoCalls {
    /// The call item's bookkeeping, or `None` when the call was never stored.
    pub async fn bookkeeping(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
    ) -> Result<Option<CallBookkeeping>, StoreError> {
        let Some(item) = self.get_call_item(tenant, call_id).await? else {
            return Ok(None);
        };
        let item: CallItem =
            serde_dynamo::from_item(item).map_err(|e| corrupt(call_id, e.to_string()))?;
        Ok(Some(item.into()))
    }

    /// The ids of a tenant's calls that started in `[from, to]` (RFC 3339 prefixes; open ends
    /// when `None`) and, when given, belong to `customer`: one Query of the `ByTenant` index
    /// (the customer is a filter, so a data subject's calls cost a read of the tenant's
    /// listing). For operator commands (bulk erase and re-analysis), not for a request path.
    pub async fn call_ids(
        &self,
        tenant: &TenantId,
        from: Option<&str>,
        to: Option<&str>,
        customer: Option<&str>,
    ) -> Result<Vec<CallId>, StoreError> {
        let mut ids = Vec::new();
        let mut start = None;
        loop {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(BY_TENANT_INDEX)
                .key_condition_expression("gsi2pk = :pk AND gsi2sk BETWEEN :from AND :to")
                .expression_attribute_values(":pk", AttributeValue::S(format!("TENANT#{tenant}")))
                .expression_attribute_values(
                    ":from",
                    AttributeValue::S(from.unwrap_or("").to_owned()),
                )
                .expression_attribute_values(
                    ":to",
                    AttributeValue::S(format!("{}~", to.unwrap_or("~"))),
                )
                .projection_expression("pk")
                .set_exclusive_start_key(start.take());
            if let Some(customer) = customer {
                query = query
                    .filter_expression("customer_id = :customer")
                    .expression_attribute_values(
                        ":customer",
                        AttributeValue::S(customer.to_owned()),
                    );
            }
            let output = query
                .send()
                .await
                .map_err(|e| unavailable(format!("listing the calls of {tenant}"), e))?;
            for item in output.items.unwrap_or_default() {
                if let Some((_, call_id)) = items::string(&item, "pk").and_then(parse_call_pk) {
                    ids.push(call_id);
                }
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(ids);
            }
        }
    }

    /// The tenants that have a call with this id. Ids are unique per tenant only and no index
    /// is keyed by the id alone, so this reads the whole `ByTenant` index: for an operator who
    /// does not know the tenant, not for a request path.
    pub async fn tenants_of(&self, call_id: &CallId) -> Result<Vec<TenantId>, StoreError> {
        let mut tenants = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .scan()
                .table_name(&self.table)
                .index_name(BY_TENANT_INDEX)
                .filter_expression("call_id = :id")
                .expression_attribute_values(":id", AttributeValue::S(call_id.to_string()))
                .projection_expression("pk")
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| unavailable(format!("looking for call {call_id}"), e))?;
            for item in output.items.unwrap_or_default() {
                if let Some((tenant, _)) = items::string(&item, "pk").and_then(parse_call_pk) {
                    tenants.push(tenant);
                }
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(tenants);
            }
        }
    }

    /// FAILED calls of `tenant` (a Query), or of every tenant (a Scan), through the `ByTenant`
    /// index, reading at most `max_scanned` entries and keeping the first `keep`. No index is
    /// keyed by status: FAILED calls are rare and leave the `Pending` index, so this reads
    /// the listing copy of the calls (a few hundred bytes each), not the table.
    pub async fn failed(
        &self,
        tenant: Option<&TenantId>,
        max_scanned: usize,
        keep: usize,
    ) -> Result<FailedCalls, StoreError> {
        let mut found = FailedCalls::default();
        let mut start = None;
        loop {
            let page = i32::try_from(max_scanned.saturating_sub(found.scanned).min(1_000))
                .unwrap_or(1_000)
                .max(1);
            let values = [(
                ":failed".to_owned(),
                AttributeValue::S(CallStatus::Failed.as_str().to_owned()),
            )];
            let (items, scanned, last) = match tenant {
                Some(tenant) => {
                    let output = self
                        .client
                        .query()
                        .table_name(&self.table)
                        .index_name(BY_TENANT_INDEX)
                        .key_condition_expression("gsi2pk = :tenant")
                        .filter_expression("#status = :failed")
                        .expression_attribute_names("#status", "status")
                        .set_expression_attribute_values(Some(values.into_iter().collect()))
                        .expression_attribute_values(
                            ":tenant",
                            AttributeValue::S(format!("TENANT#{tenant}")),
                        )
                        .projection_expression("pk, received_at, failure_reason")
                        .limit(page)
                        .set_exclusive_start_key(start.take())
                        .send()
                        .await
                        .map_err(|e| unavailable("listing FAILED calls", e))?;
                    (
                        output.items,
                        output.scanned_count,
                        output.last_evaluated_key,
                    )
                }
                None => {
                    let output = self
                        .client
                        .scan()
                        .table_name(&self.table)
                        .index_name(BY_TENANT_INDEX)
                        .filter_expression("#status = :failed")
                        .expression_attribute_names("#status", "status")
                        .set_expression_attribute_values(Some(values.into_iter().collect()))
                        .projection_expression("pk, received_at, failure_reason")
                        .limit(page)
                        .set_exclusive_start_key(start.take())
                        .send()
                        .await
                        .map_err(|e| unavailable("listing FAILED calls", e))?;
                    (
                        output.items,
                        output.scanned_count,
                        output.last_evaluated_key,
                    )
                }
            };
            found.scanned += usize::try_from(scanned).unwrap_or_default();
            for item in items.unwrap_or_default() {
                found.count += 1;
                if found.calls.len() >= keep {
                    continue;
                }
                let entry: FailedEntry = match serde_dynamo::from_item(item) {
                    Ok(entry) => entry,
                    Err(error) => {
                        tracing::warn!(%error, "unreadable ByTenant entry; counted, not shown");
                        continue;
                    }
                };
                if let Some((tenant, call_id)) = parse_call_pk(&entry.pk) {
                    found.calls.push(FailedCall {
                        tenant,
                        call_id,
                        received_at: entry.received_at,
                        failure_reason: entry.failure_reason,
                    });
                }
            }
            start = last;
            if start.is_none() {
                found.complete = true;
                return Ok(found);
            }
            if found.scanned >= max_scanned {
                return Ok(found);
            }
        }
    }
}
