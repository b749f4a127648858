//! When a call was counted into the rollups, read back from its idempotency marker (for
//! `callscope calls get`): its `applied_at`, or, on markers written before it was recorded, the
//! expiry they had (their write time plus [`MARKER_TTL_DAYS`]).

use callscope_app::aggregate::MARKER_TTL_DAYS;
use callscope_app::ports::StoreError;
use callscope_core::domain::{CallId, TenantId, Timestamp};

use super::DynamoRollups;

impl DynamoRollups {
    /// When the call's analysis was applied to the rollups, or `None` if it was not (or its
    /// marker has expired, 35 days on).
    pub async fn applied_at(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
    ) -> Result<Option<Timestamp>, StoreError> {
        let item = self.marker_item(tenant, call_id).await?;
        // Markers write when they were applied; older ones only their expiry.
        if let Some(at) = item
            .as_ref()
            .and_then(|item| item.get("applied_at"))
            .and_then(|v| v.as_s().ok())
            .and_then(|raw| Timestamp::parse("applied_at", raw).ok())
        {
            return Ok(Some(at));
        }
        let expires_at = item
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
