//! A tenant's tracker rules: its own phrases and categories, with the built-in set or instead
//! of it, held to the limits that keep the matcher within its table.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::analysis::trackers::default_rules;
use crate::analysis::TrackerRule;
use crate::error::InputError;
use crate::settings::limits::{
    MAX_NAME_CHARS, MAX_PHRASES_PER_RULE, MAX_PHRASE_CHARS, MAX_TOTAL_PHRASE_BYTES,
    MAX_TRACKER_RULES,
};

/// How the tenant's rules combine with the built-in set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TrackerMode {
    /// The built-in rules and the tenant's; a tenant rule named like a built-in one replaces it.
    #[default]
    Extend,
    /// Only the tenant's rules.
    Replace,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrackerSettings {
    #[serde(default)]
    pub mode: TrackerMode,
    /// At most 200 rules with distinct names; all phrases of the rules the analyser runs (the
    /// built-in ones included when extending) come to at most 16 384 bytes (the tracker
    /// matcher's table).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 200))]
    pub rules: Vec<TrackerRule>,
}

impl TrackerSettings {
    /// The rules the analyser runs.
    pub fn effective_rules(&self) -> Vec<TrackerRule> {
        match self.mode {
            TrackerMode::Replace => self.rules.clone(),
            TrackerMode::Extend => {
                let own: HashSet<&str> = self.rules.iter().map(|r| r.name.as_str()).collect();
                default_rules()
                    .into_iter()
                    .filter(|r| !own.contains(r.name.as_str()))
                    .chain(self.rules.iter().cloned())
                    .collect()
            }
        }
    }

    pub fn validate(&self) -> Result<(), InputError> {
        if self.rules.len() > MAX_TRACKER_RULES {
            return Err(InputError::invalid(
                "rules",
                format!(
                    "at most {MAX_TRACKER_RULES} rules (the tracker matcher's table size limit)"
                ),
            ));
        }
        let mut names = HashSet::new();
        for (i, rule) in self.rules.iter().enumerate() {
            let within = |e: InputError| e.within(&format!("rules[{i}]"));
            rule.validate().map_err(within)?;
            if rule.name.chars().count() > MAX_NAME_CHARS {
                return Err(within(InputError::invalid(
                    "name",
                    format!("at most {MAX_NAME_CHARS} characters"),
                )));
            }
            if !names.insert(rule.name.as_str()) {
                return Err(within(InputError::invalid(
                    "name",
                    "is used by another rule",
                )));
            }
            if rule.phrases.len() > MAX_PHRASES_PER_RULE {
                return Err(within(InputError::invalid(
                    "phrases",
                    format!("at most {MAX_PHRASES_PER_RULE} phrases per rule"),
                )));
            }
            if let Some(p) = rule
                .phrases
                .iter()
                .position(|p| p.chars().count() > MAX_PHRASE_CHARS)
            {
                return Err(within(InputError::invalid(
                    format!("phrases[{p}]"),
                    format!("at most {MAX_PHRASE_CHARS} characters"),
                )));
            }
        }
        let total: usize = self
            .effective_rules()
            .iter()
            .flat_map(|r| &r.phrases)
            .map(String::len)
            .sum();
        if total > MAX_TOTAL_PHRASE_BYTES {
            return Err(InputError::invalid(
                "rules",
                format!(
                    "the rules' phrases (built-in ones included when extending) come to {total} \
                     bytes; at most {MAX_TOTAL_PHRASE_BYTES} fit the tracker matcher's table"
                ),
            ));
        }
        Ok(())
    }
}
