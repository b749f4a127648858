//! The alerts part of the outbound use case: each tenant's alert rules, read through the
//! function's settings cache (at most once a minute per tenant, never per call), evaluated on
//! each call leaving, one `CallAlert` event per rule that fired.
//!
//! The event id is the analysis's (`{tenant}/{call_id}/{analysed_at}`) plus the rule's id, so
//! whatever sends an analysis again (a stream retry, a function that died after the bus took
//! its events) sends the same alerts under the same ids; process running twice is one
//! transition, so one set of alerts. Rules are read when the call leaves, not when it was
//! analysed: a rule written in the meantime applies within the cache's 60 s.

use std::collections::BTreeMap;
use std::sync::Arc;

use callscope_core::analysis::CallAnalysis;
use callscope_core::domain::TenantId;
use callscope_core::pipeline::call_alert::{CallAlertDetail, CALL_ALERT};
use callscope_core::pipeline::events::AnalysedCall;
use callscope_core::settings::evaluate_alerts;

use super::Processed;
use crate::ports::BusEvent;
use crate::settings::{SettingsCache, TenantConfig};

/// The alert rules of the tenants of one batch.
#[derive(Debug, Default)]
pub(super) struct BatchRules {
    tenants: BTreeMap<TenantId, Arc<TenantConfig>>,
    /// The first transition whose tenant's settings could not be read: the batch is retried
    /// from it rather than sending that call without its alerts.
    pub(super) unreadable_from: Option<usize>,
}

impl BatchRules {
    /// The call's alerts, as bus events (none when its tenant has no rules or none fired).
    pub(super) fn events(&self, call: &AnalysedCall<'_>, analysis: &CallAnalysis) -> Vec<BusEvent> {
        let Some(config) = self.tenants.get(call.tenant) else {
            return Vec::new();
        };
        let settings = &config.settings;
        evaluate_alerts(&settings.alerts, analysis, call.outcome)
            .into_iter()
            .map(|fired| {
                let detail = CallAlertDetail::new(call, settings.version, fired);
                BusEvent {
                    detail_type: CALL_ALERT.to_owned(),
                    detail: serde_json::to_string(&detail).unwrap_or_default(),
                    tenant: detail.tenant,
                }
            })
            .collect()
    }
}

/// Where the outbound function reads tenants' alert rules.
#[derive(Debug, Clone)]
pub struct Alerts {
    settings: SettingsCache,
}

impl Alerts {
    pub fn new(settings: SettingsCache) -> Self {
        Self { settings }
    }

    /// Each tenant of the batch once, through the cache, up to the first that cannot be read
    /// (the batch is retried from there anyway).
    pub(super) async fn load(&self, batch: &[Processed]) -> BatchRules {
        let mut rules = BatchRules::default();
        for (index, transition) in batch.iter().enumerate() {
            let tenant = &transition.tenant;
            if rules.tenants.contains_key(tenant) {
                continue;
            }
            match self.settings.get(tenant).await {
                Ok(config) => {
                    rules.tenants.insert(tenant.clone(), config);
                }
                Err(error) => {
                    tracing::warn!(%error, %tenant, "alert rules could not be read; will retry from this call");
                    rules.unreadable_from = Some(index);
                    break;
                }
            }
        }
        rules
    }
}

#[cfg(test)]
mod tests;
