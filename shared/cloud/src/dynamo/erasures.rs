//! Tenant job requests (customer erasures and bulk re-analyses) in the calls table (one item
//! each, beside the tenant's calls but in no index and passing no stream filter), and the
//! page-by-page listing of a tenant's calls that finds a job's: a customer's calls (a filter)
//! or those started in a range (the key condition).
//!
//! | pk | sk | attributes |
//! |---|---|---|
//! | `TENANT#{t}#ERASURE#{erasure_id}` | `ERASURE` | `erasure_id`, `kind`? (`reanalyse`; absent: an erasure, as items made before re-analyses were), `customer_id` (an erasure's), `from_date`?, `to_date`? (a re-analysis'), `status` (`running`/`done`), `erased` (N: erased, or queued for re-analysis), `skipped` (N), `pages` (N), `next_cursor`?, `requested_at`, `requested_by`, `finished_at`?, `expires_at` (N, the table's TTL: 30 days after the request) |
//!
//! No personal data beyond the customer id the tenant sent (and the requester's JWT subject).
//! A page is recorded with a condition on `pages`, so each page counts once.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use callscope_app::erasure::KEPT_DAYS;
use callscope_app::ports::{
    CustomerCalls, CustomerCallsPage, ErasureRequest, ErasureRequests, ErasureStatus, JobKind,
    PageEnd, StoreError,
};
use callscope_core::domain::{CustomerId, TenantId, Timestamp};

use super::calls::{parse_pk as parse_call_pk, DynamoCalls, BY_TENANT_INDEX};
use super::unavailable;

const ERASURE_SK: &str = "ERASURE";

fn erasure_pk(tenant: &TenantId, erasure_id: &str) -> String {
    format!("TENANT#{tenant}#ERASURE#{erasure_id}")
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn corrupt(erasure_id: &str, detail: impl Into<String>) -> StoreError {
    StoreError::Unavailable {
        operation: format!("reading erasure request {erasure_id}"),
        detail: detail.into(),
    }
}

#[derive(Debug, Clone)]
pub struct DynamoErasures {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoErasures {
    pub fn new(client: aws_sdk_dynamodb::Client, table: String) -> Self {
        Self { client, table }
    }

    fn read(
        tenant: &TenantId,
        erasure_id: &str,
        item: &HashMap<String, AttributeValue>,
    ) -> Result<ErasureRequest, StoreError> {
        let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
        let needed = |name: &str| {
            text(name).ok_or_else(|| corrupt(erasure_id, format!("the item has no {name}")))
        };
        let number = |name: &str| {
            item.get(name)
                .and_then(|v| v.as_n().ok())
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| corrupt(erasure_id, format!("the item has no number {name}")))
        };
        let time = |name: &str, raw: &str| {
            Timestamp::parse(name, raw).map_err(|e| corrupt(erasure_id, e.to_string()))
        };
        let status = match needed("status")?.as_str() {
            "running" => ErasureStatus::Running,
            "done" => ErasureStatus::Done,
            other => return Err(corrupt(erasure_id, format!("unknown status {other:?}"))),
        };
        let kind = match text("kind").as_deref() {
            None | Some("erase") => JobKind::Erase(
                CustomerId::parse("customer_id", needed("customer_id")?)
                    .map_err(|e| corrupt(erasure_id, e.to_string()))?,
            ),
            Some("reanalyse") => JobKind::Reanalyse {
                from: text("from_date")
                    .map(|raw| time("from_date", &raw))
                    .transpose()?,
                to: text("to_date")
                    .map(|raw| time("to_date", &raw))
                    .transpose()?,
            },
            Some(other) => return Err(corrupt(erasure_id, format!("unknown kind {other:?}"))),
        };
        Ok(ErasureRequest {
            tenant: tenant.clone(),
            erasure_id: erasure_id.to_owned(),
            kind,
            status,
            erased: number("erased")?,
            // Items made before re-analyses have none.
            skipped: if item.contains_key("skipped") {
                number("skipped")?
            } else {
                0
            },
            pages: u32::try_from(number("pages")?)
                .map_err(|e| corrupt(erasure_id, e.to_string()))?,
            next_cursor: text("next_cursor"),
            requested_at: time("requested_at", &needed("requested_at")?)?,
            requested_by: needed("requested_by")?,
            finished_at: text("finished_at")
                .map(|raw| time("finished_at", &raw))
                .transpose()?,
        })
    }

    /// An update that applies only while `page` pages are recorded; false when it did not.
    async fn update_at_page(
        &self,
        tenant: &TenantId,
        erasure_id: &str,
        page: u32,
        update: aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder,
    ) -> Result<bool, StoreError> {
        let result = update
            .table_name(&self.table)
            .key("pk", s(&erasure_pk(tenant, erasure_id)))
            .key("sk", s(ERASURE_SK))
            .condition_expression("pages = :page AND #status = :running")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":page", n(page))
            .expression_attribute_values(":running", s("running"))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(error) => Err(unavailable(
                format!("recording page {page} of erasure {erasure_id}"),
                error,
            )),
        }
    }
}

#[async_trait]
impl ErasureRequests for DynamoErasures {
    async fn create(&self, request: &ErasureRequest) -> Result<(), StoreError> {
        let expires_at = request.requested_at.time().timestamp() + KEPT_DAYS * 24 * 3600;
        let mut put = self.client.put_item();
        match &request.kind {
            // An erasure's item is as it was before re-analyses (no `kind`).
            JobKind::Erase(customer) => put = put.item("customer_id", s(customer.as_str())),
            JobKind::Reanalyse { from, to } => {
                put = put
                    .item("kind", s(request.kind.as_str()))
                    .item("skipped", n(request.skipped));
                if let Some(from) = from {
                    put = put.item("from_date", s(&from.to_string()));
                }
                if let Some(to) = to {
                    put = put.item("to_date", s(&to.to_string()));
                }
            }
        }
        put.table_name(&self.table)
            .item("pk", s(&erasure_pk(&request.tenant, &request.erasure_id)))
            .item("sk", s(ERASURE_SK))
            .item("erasure_id", s(&request.erasure_id))
            .item("status", s(request.status.as_str()))
            .item("erased", n(request.erased))
            .item("pages", n(request.pages))
            .item("requested_at", s(&request.requested_at.to_string()))
            .item("requested_by", s(&request.requested_by))
            .item("expires_at", n(expires_at))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(|e| {
                unavailable(format!("storing erasure request {}", request.erasure_id), e)
            })?;
        Ok(())
    }

    async fn get(
        &self,
        tenant: &TenantId,
        erasure_id: &str,
    ) -> Result<Option<ErasureRequest>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(&erasure_pk(tenant, erasure_id)))
            .key("sk", s(ERASURE_SK))
            // The page that follows a record reads what it recorded.
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable(format!("reading erasure request {erasure_id}"), e))?;
        output
            .item
            .as_ref()
            .map(|item| Self::read(tenant, erasure_id, item))
            .transpose()
    }

    async fn record_page(
        &self,
        tenant: &TenantId,
        erasure_id: &str,
        page: u32,
        erased: u64,
        skipped: u64,
        end: &PageEnd,
    ) -> Result<bool, StoreError> {
        let update = self
            .client
            .update_item()
            .expression_attribute_values(":next", n(page + 1))
            .expression_attribute_values(":erased", n(erased))
            .expression_attribute_values(":skipped", n(skipped));
        let update = match end {
            PageEnd::More(cursor) => update
                .update_expression(
                    "SET pages = :next, next_cursor = :cursor ADD erased :erased, skipped :skipped",
                )
                .expression_attribute_values(":cursor", s(cursor)),
            PageEnd::Last(at) => update
                .update_expression(
                    "SET pages = :next, #status = :done, finished_at = :at REMOVE next_cursor ADD erased :erased, skipped :skipped",
                )
                .expression_attribute_values(":done", s("done"))
                .expression_attribute_values(":at", s(&at.to_string())),
        };
        self.update_at_page(tenant, erasure_id, page, update).await
    }

    async fn add_erased(
        &self,
        tenant: &TenantId,
        erasure_id: &str,
        page: u32,
        erased: u64,
    ) -> Result<bool, StoreError> {
        let update = self
            .client
            .update_item()
            .update_expression("ADD erased :erased")
            .expression_attribute_values(":erased", n(erased));
        self.update_at_page(tenant, erasure_id, page, update).await
    }

    async fn forget(&self, tenant: &TenantId, erasure_id: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(&erasure_pk(tenant, erasure_id)))
            .key("sk", s(ERASURE_SK))
            .send()
            .await
            .map_err(|e| unavailable(format!("removing erasure request {erasure_id}"), e))?;
        Ok(())
    }
}

/// The `ByTenant` index's key attributes: what a cursor holds.
const CURSOR_KEYS: [&str; 4] = ["pk", "sk", "gsi2pk", "gsi2sk"];

#[async_trait]
impl CustomerCalls for DynamoCalls {
    /// One Query page of the `ByTenant` index: for an erasure the customer is a filter, `limit`
    /// entries looked at (read units are for those, a few hundred bytes each), the customer's
    /// returned; for a re-analysis the range is the key condition (the bounds the calls list
    /// uses), so every entry looked at is returned. The cursor is the page's last evaluated key
    /// as JSON; it never leaves callscope's queue.
    async fn customer_page(
        &self,
        tenant: &TenantId,
        kind: &JobKind,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<CustomerCallsPage, StoreError> {
        let tenant_pk = format!("TENANT#{tenant}");
        let start = cursor.map(|raw| read_cursor(raw, &tenant_pk)).transpose()?;
        let query = self
            .client()
            .query()
            .table_name(self.table())
            .index_name(BY_TENANT_INDEX)
            .expression_attribute_values(":pk", s(&tenant_pk));
        let query = match kind {
            JobKind::Erase(customer) => query
                .key_condition_expression("gsi2pk = :pk")
                .filter_expression("customer_id = :customer")
                .expression_attribute_values(":customer", s(customer.as_str())),
            // `#` sorts below every id character and `~` above them, so these bounds take in
            // every call of the first and of the last instant (as the calls list's do). An open
            // end is no condition: DynamoDB refuses an empty string as a key value.
            JobKind::Reanalyse { from, to } => {
                let from = from.map(|t| s(&format!("{t}#")));
                let to = to.map(|t| s(&format!("{t}#~")));
                let condition = match (&from, &to) {
                    (Some(_), Some(_)) => "gsi2pk = :pk AND gsi2sk BETWEEN :from AND :to",
                    (Some(_), None) => "gsi2pk = :pk AND gsi2sk >= :from",
                    (None, Some(_)) => "gsi2pk = :pk AND gsi2sk <= :to",
                    (None, None) => "gsi2pk = :pk",
                };
                query
                    .key_condition_expression(condition)
                    .set_expression_attribute_values(Some(
                        [(":pk".to_owned(), s(&tenant_pk))]
                            .into_iter()
                            .chain(from.map(|v| (":from".to_owned(), v)))
                            .chain(to.map(|v| (":to".to_owned(), v)))
                            .collect(),
                    ))
            }
        };
        let output = query
            .projection_expression("pk")
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| {
                unavailable(
                    format!("listing the calls of {tenant} for a {}", kind.as_str()),
                    e,
                )
            })?;
        let calls = output
            .items
            .unwrap_or_default()
            .iter()
            .filter_map(|item| item.get("pk").and_then(|v| v.as_s().ok()))
            .filter_map(|pk| parse_call_pk(pk))
            .map(|(_, call_id)| call_id)
            .collect();
        let next = output
            .last_evaluated_key
            .map(|key| {
                let key: HashMap<&str, &str> = CURSOR_KEYS
                    .iter()
                    .filter_map(|name| Some((*name, key.get(*name)?.as_s().ok()?.as_str())))
                    .collect();
                serde_json::to_string(&key).map_err(|e| StoreError::Unavailable {
                    operation: "writing a listing cursor".into(),
                    detail: e.to_string(),
                })
            })
            .transpose()?;
        Ok(CustomerCallsPage { calls, next })
    }
}

/// A cursor back into the index's start key; one of another tenant's listing is refused.
fn read_cursor(raw: &str, tenant_pk: &str) -> Result<HashMap<String, AttributeValue>, StoreError> {
    let refused = |reason: &str| StoreError::Rejected {
        operation: "reading a listing cursor".into(),
        reason: reason.to_owned(),
    };
    let key: HashMap<String, String> =
        serde_json::from_str(raw).map_err(|_| refused("not a cursor of the ByTenant index"))?;
    if key.len() != CURSOR_KEYS.len() || !CURSOR_KEYS.iter().all(|k| key.contains_key(*k)) {
        return Err(refused("not a cursor of the ByTenant index"));
    }
    if key.get("gsi2pk").map(String::as_str) != Some(tenant_pk) {
        return Err(refused("a cursor of another tenant's listing"));
    }
    Ok(key
        .into_iter()
        .map(|(k, v)| (k, AttributeValue::S(v)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_is_read_back_for_its_tenant_only() {
        let raw = r#"{"pk":"TENANT#acme#CALL#c-1","sk":"CALL","gsi2pk":"TENANT#acme","gsi2sk":"2026-11-02T09:00:00Z#c-1"}"#;
        let key = read_cursor(raw, "TENANT#acme").expect("read");
        assert_eq!(key.len(), 4);
        assert!(matches!(
            read_cursor(raw, "TENANT#globex"),
            Err(StoreError::Rejected { .. })
        ));
        assert!(read_cursor("{}", "TENANT#acme").is_err());
        assert!(read_cursor("not json", "TENANT#acme").is_err());
    }
}
