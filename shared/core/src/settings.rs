//! Tenant settings: the sections a tenant configures (tracker rules, scorecard, agent and team
//! names, retention, alert rules, webhooks), each validated with limits before it is stored, and the analyser built
//! from them.
//!
//! One document per tenant with one `version`: every write of any section moves it on, and an
//! analysis records the version that produced it. A section is read from a request body by
//! [`Section::read`], which refuses bad input with an [`InputError`] naming the JSON path of the
//! offending field (`rules[3].phrases[0]`, `criteria[1].weight`). Adding a section: a variant of
//! [`Section`] and [`SectionValue`], a field of [`TenantSettings`], its type with a `validate`.

mod alerts;
mod directory;
pub mod limits;
mod retention;
mod scorecard;
mod trackers;
mod webhooks;
mod whole;

use serde::{Deserialize, Serialize};

use crate::analysis::Analyser;
use crate::error::InputError;

pub use alerts::{
    evaluate as evaluate_alerts, AlertRule, AlertRules, Condition, Evidence, FiredAlert,
    Interrupter, Measured, MentionEvidence, MAX_EVIDENCE_MENTIONS,
};
pub use directory::{AgentEntry, Directory, TeamEntry};
pub use retention::Retention;
pub use scorecard::{Band, Criterion, Measure, Scorecard};
pub use trackers::{TrackerMode, TrackerSettings};
#[cfg(feature = "openapi")]
pub use webhooks::WebhookEndpoints;
pub use webhooks::{endpoint, EndpointPolicy, Webhooks, EVENT_KINDS};

/// A tenant's whole settings document. `version` 0 means "never written" (all defaults).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TenantSettings {
    pub version: u64,
    pub trackers: TrackerSettings,
    /// `None`: the built-in criteria and benchmarks (docs/analysis.md#score).
    pub scorecard: Option<Scorecard>,
    pub agents: Directory,
    pub retention: Retention,
    #[serde(default)]
    pub alerts: AlertRules,
    pub webhooks: Webhooks,
}

impl TenantSettings {
    /// The engine configured by these settings: the tenant's tracker rules (with or instead of
    /// the built-in ones), its scorecard, and the version its analyses record.
    pub fn analyser(&self) -> Analyser {
        Analyser::configured(
            self.trackers.effective_rules(),
            self.scorecard.clone(),
            (self.version > 0).then_some(self.version),
        )
    }

    /// The value of one section.
    pub fn section(&self, section: Section) -> SectionValue {
        match section {
            Section::Trackers => SectionValue::Trackers(self.trackers.clone()),
            Section::Scorecard => SectionValue::Scorecard(self.scorecard.clone()),
            Section::Agents => SectionValue::Agents(self.agents.clone()),
            Section::Retention => SectionValue::Retention(self.retention),
            Section::Alerts => SectionValue::Alerts(self.alerts.clone()),
            Section::Webhooks => SectionValue::Webhooks(self.webhooks.clone()),
        }
    }

    /// These settings with one section replaced (the version is the store's to move).
    pub fn set(&mut self, value: SectionValue) {
        match value {
            SectionValue::Trackers(v) => self.trackers = v,
            SectionValue::Scorecard(v) => self.scorecard = v,
            SectionValue::Agents(v) => self.agents = v,
            SectionValue::Retention(v) => self.retention = v,
            SectionValue::Alerts(v) => self.alerts = v,
            SectionValue::Webhooks(v) => self.webhooks = v,
        }
    }
}

/// The sections, as `/api/v1/settings/{section}` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    Trackers,
    Scorecard,
    Agents,
    Retention,
    Alerts,
    Webhooks,
}

impl Section {
    pub const ALL: [Section; 6] = [
        Section::Trackers,
        Section::Scorecard,
        Section::Agents,
        Section::Retention,
        Section::Alerts,
        Section::Webhooks,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Section::Trackers => "trackers",
            Section::Scorecard => "scorecard",
            Section::Agents => "agents",
            Section::Retention => "retention",
            Section::Alerts => "alerts",
            Section::Webhooks => "webhooks",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Reads and validates a section's value from a request body (JSON). A scorecard of `null`
    /// goes back to the built-in criteria.
    pub fn read(self, body: &[u8]) -> Result<SectionValue, InputError> {
        if body.len() > limits::MAX_BODY_BYTES {
            return Err(InputError::too_large(
                "",
                format!(
                    "a settings section is at most {} bytes of JSON",
                    limits::MAX_BODY_BYTES
                ),
            ));
        }
        match self {
            Section::Trackers => {
                let v: TrackerSettings = parse(body)?;
                v.validate()?;
                Ok(SectionValue::Trackers(v))
            }
            Section::Scorecard => {
                let v: Option<Scorecard> = parse(body)?;
                if let Some(card) = &v {
                    card.validate()?;
                }
                Ok(SectionValue::Scorecard(v))
            }
            Section::Agents => {
                let v: Directory = parse(body)?;
                v.validate()?;
                Ok(SectionValue::Agents(v))
            }
            Section::Retention => {
                let v: Retention = parse(body)?;
                v.validate()?;
                Ok(SectionValue::Retention(v))
            }
            Section::Alerts => {
                let v: AlertRules = parse(body)?;
                v.validate()?;
                Ok(SectionValue::Alerts(v))
            }
            Section::Webhooks => {
                let v: Webhooks = parse(body)?;
                v.validate()?;
                Ok(SectionValue::Webhooks(v))
            }
        }
    }
}

/// One section's value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum SectionValue {
    Trackers(TrackerSettings),
    Scorecard(Option<Scorecard>),
    Agents(Directory),
    Retention(Retention),
    Alerts(AlertRules),
    Webhooks(Webhooks),
}

impl SectionValue {
    pub fn section(&self) -> Section {
        match self {
            SectionValue::Trackers(_) => Section::Trackers,
            SectionValue::Scorecard(_) => Section::Scorecard,
            SectionValue::Agents(_) => Section::Agents,
            SectionValue::Retention(_) => Section::Retention,
            SectionValue::Alerts(_) => Section::Alerts,
            SectionValue::Webhooks(_) => Section::Webhooks,
        }
    }
}

/// JSON into `T`, a refusal naming the path of the field that did not fit.
fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, InputError> {
    // serde takes a struct from an array of its fields in order (`[]` would be the defaults):
    // a section is an object, as documented.
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(InputError::invalid(
            "",
            "must be a JSON object, not an array",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { String::new() } else { path };
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            InputError::malformed(field, format!("is not valid JSON: {inner}"))
        } else {
            InputError::invalid(field, inner.to_string())
        }
    })?;
    de.end()
        .map_err(|e| InputError::malformed("", format!("is not valid JSON: {e}")))?;
    Ok(value)
}

#[cfg(test)]
mod tests;
