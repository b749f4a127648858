//! Retention: how long a call's transcript and analysis are kept (DynamoDB TTL); its listing
//! entry and its rollup counts stay.

use serde::{Deserialize, Serialize};

use crate::error::InputError;
use crate::settings::limits::MAX_RETENTION_DAYS;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Retention {
    /// Days a call's transcript and analysis are kept after it is processed; `null` keeps
    /// them forever (the default).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3650))]
    #[serde(default, deserialize_with = "crate::settings::whole::option_u32")]
    pub days: Option<u32>,
}

impl Retention {
    pub fn validate(&self) -> Result<(), InputError> {
        match self.days {
            Some(d) if d == 0 || d > MAX_RETENTION_DAYS => Err(InputError::invalid(
                "days",
                format!("must be 1–{MAX_RETENTION_DAYS}, or null to keep calls forever"),
            )),
            _ => Ok(()),
        }
    }

    /// When content written at `now_epoch_seconds` expires, as the TTL attribute holds it.
    pub fn expires_at(&self, now_epoch_seconds: i64) -> Option<i64> {
        self.days.map(|d| now_epoch_seconds + i64::from(d) * 86_400)
    }
}
