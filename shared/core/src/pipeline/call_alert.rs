//! The `CallAlert` integration event: one of a tenant's alert rules fired on an analysed call.
//! A public contract like `CallAnalysed` (`events/schemas/call_alert.v1.json`), published on the
//! same bus, one event per fired rule.

use serde::{Deserialize, Serialize};

use crate::domain::{AgentId, CallId, CustomerId, Day, Outcome, TeamId, TenantId, Timestamp};
use crate::pipeline::events::AnalysedCall;
use crate::settings::{Condition, Evidence, FiredAlert};

/// The `detail-type` of [`CallAlertDetail`].
pub const CALL_ALERT: &str = "CallAlert";
/// The schema version [`CallAlertDetail`] is written in (`events/schemas/call_alert.v1.json`).
pub const CALL_ALERT_VERSION: u32 = 1;

/// `detail` of a `CallAlert` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallAlertDetail {
    pub version: u32,
    /// `{tenant}/{call_id}/{analysed_at}/{rule_id}`: the same for every delivery of one rule
    /// firing on one analysis, however often process or the stream ran; a re-analysis (a later
    /// `analysed_at`) is a new analysis, so its alerts are new ones.
    pub event_id: String,
    /// The `event_id` of the `CallAnalysed` event of the same analysis.
    pub analysis_event_id: String,
    pub tenant: TenantId,
    pub call_id: CallId,
    pub agent_id: AgentId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<TeamId>,
    pub customer_id: CustomerId,
    pub day: Day,
    pub start_time: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    pub analysed_at: Timestamp,
    /// The settings version whose alert rules fired.
    pub settings_version: u64,
    pub rule: AlertRuleDetail,
    pub evidence: Evidence,
    pub links: AlertLinks,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRuleDetail {
    pub id: String,
    pub name: String,
    pub condition: Condition,
}

/// Where to look, as paths on the API's origin (callscope does not know the name a tenant
/// reaches it by; prefix the stack's `ApiUrl`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertLinks {
    /// The call and its analysis in the JSON API.
    pub call: String,
    /// The call's page in the dashboard.
    pub dashboard: String,
}

impl CallAlertDetail {
    pub fn new(call: &AnalysedCall<'_>, settings_version: u64, fired: FiredAlert) -> Self {
        let analysis_event_id = call.event_id();
        Self {
            version: CALL_ALERT_VERSION,
            event_id: format!("{analysis_event_id}/{}", fired.rule_id),
            analysis_event_id,
            tenant: call.tenant.clone(),
            call_id: call.call_id.clone(),
            agent_id: call.agent_id.clone(),
            team_id: call.team_id.cloned(),
            customer_id: call.customer_id.clone(),
            day: Day::of(call.start_time.time()),
            start_time: call.start_time,
            outcome: call.outcome,
            analysed_at: call.analysed_at,
            settings_version,
            rule: AlertRuleDetail {
                id: fired.rule_id,
                name: fired.rule_name,
                condition: fired.condition,
            },
            evidence: fired.evidence,
            links: AlertLinks {
                call: format!("/api/v1/calls/{}", call.call_id),
                dashboard: format!("/#/calls/{}", call.call_id),
            },
        }
    }
}
