//! When a call was counted into the rollups, read back from its idempotency marker (for
//! `callscope calls get`): the marker's expiry is its write time plus [`MARKER_TTL_DAYS`], so
//! the time is known to the second without the pipeline writing anything more.

use aws_sdk_dynamodb::types::AttributeValue;
use callscope_app::aggregate::MARKER_TTL_DAYS;
use callscope_app::ports::StoreError;
use callscope_core::domain::{CallId, TenantId, Timestamp};

use super::{marker_key, DynamoRollups};
use crate::dynamo::unavailable;

impl DynamoRollups {
    /// When the call's analysis was applied to the rollups, or `None` if it was not (or its
    /// marker has expired, 35 days on).
    pub async fn applied_at(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
    ) -> Result<Option<Timestamp>, StoreError> {
        let (pk, sk) = marker_key(tenant, call_id);
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk))
            .key("sk", AttributeValue::S(sk))
            .projection_expression("expires_at")
            .send()
            .await
            .map_err(|e| unavailable(format!("reading the rollup marker of {call_id}"), e))?;
        let expires_at = output
            .item
            .as_ref()
            .and_then(|item| item.get("expires_at"))
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<i64>().ok());
        Ok(expires_at
            .map(|at| at - MARKER_TTL_DAYS * 24 * 3600)
            .and_then(|at| chrono::DateTime::from_timestamp(at, 0))
            .map(Timestamp::new))
    }
}
