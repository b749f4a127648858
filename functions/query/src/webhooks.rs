//! `GET /api/v1/webhooks/parked`: the caller's webhook deliveries parked after their last
//! attempt, with the receiver's answer, so an integrator sees what did not arrive and why
//! without an operator reading the shared DLQ. Never cached: it is read when someone looks.

use axum::extract::State;
use axum::Json;
use callscope_app::ports::ParkedDelivery;
use callscope_http::schema::{Problem, Refused};
use callscope_http::{ApiError, Tenant};
use serde::Serialize;

use crate::Api;

/// Parked deliveries one answer lists at most.
const LISTED_AT_MOST: usize = 100;

/// The tenant's parked webhook deliveries, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ParkedDeliveries {
    pub parked: Vec<ParkedDeliveryView>,
    /// More are parked than listed.
    pub more: bool,
}

/// One delivery that was not made.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ParkedDeliveryView {
    pub event_id: String,
    /// `CallAnalysed` or `CallAlert`.
    pub kind: String,
    /// The call the event is about.
    pub call_id: Option<String>,
    /// The receiver's last answer (status and the start of its body), or why no attempt could
    /// be made (no signing secret, an endpoint this deployment may not call).
    pub reason: String,
    pub attempts: u32,
    pub parked_at: String,
}

impl From<ParkedDelivery> for ParkedDeliveryView {
    fn from(p: ParkedDelivery) -> Self {
        Self {
            event_id: p.event_id,
            kind: p.kind,
            call_id: p.call_id,
            reason: p.reason,
            attempts: p.attempts,
            parked_at: p.parked_at.to_string(),
        }
    }
}

/// The caller's webhook deliveries parked after their last attempt (up to 100, newest first).
/// Each stays listed until its event is delivered (an operator redrives the webhook DLQ once
/// the endpoint is fixed: `callscope webhooks redrive`) or for 14 days, the DLQ's retention.
#[utoipa::path(
    get, path = "/api/v1/webhooks/parked", tag = "settings",
    responses(
        (status = 200, description = "The parked deliveries, newest first", body = ParkedDeliveries),
        Refused,
        (status = 503, description = "The records cannot be read now; retrying is safe", body = Problem,
            headers(("Retry-After" = u32, description = "Seconds to wait"))),
    ),
    security(("jwt" = []))
)]
pub async fn parked_deliveries(
    State(api): State<Api>,
    Tenant(tenant): Tenant,
) -> Result<Json<ParkedDeliveries>, ApiError> {
    let (parked, more) = api
        .settings
        .parked_deliveries(&tenant, LISTED_AT_MOST)
        .await
        .map_err(|error| {
            tracing::error!(%error, "the parked webhook deliveries could not be read");
            ApiError::Unavailable(
                "the parked webhook deliveries could not be read; retry the request".into(),
            )
        })?;
    Ok(Json(ParkedDeliveries {
        parked: parked.into_iter().map(Into::into).collect(),
        more,
    }))
}
