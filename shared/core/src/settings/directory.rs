//! Agents and teams as people see them: display names and which team an agent belongs to.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::domain::{AgentId, TeamId};
use crate::error::InputError;
use crate::settings::limits::{MAX_AGENTS, MAX_NAME_CHARS, MAX_TEAMS};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Directory {
    /// At most 5 000, each `agent_id` once.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 5000))]
    pub agents: Vec<AgentEntry>,
    /// At most 500, each `team_id` once.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 500))]
    pub teams: Vec<TeamEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentEntry {
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = r"^[A-Za-z0-9._:-]{1,128}$"))]
    pub agent_id: AgentId,
    /// 1–100 characters, not blank.
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 100,
            pattern = r"[^\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
        )
    )]
    pub name: String,
    /// The team the agent belongs to (listed in `teams`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, pattern = r"^[A-Za-z0-9._:-]{1,128}$"))]
    pub team_id: Option<TeamId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamEntry {
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = r"^[A-Za-z0-9._:-]{1,128}$"))]
    pub team_id: TeamId,
    /// 1–100 characters, not blank.
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 100,
            pattern = r"[^\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
        )
    )]
    pub name: String,
}

impl Directory {
    pub fn validate(&self) -> Result<(), InputError> {
        if self.agents.len() > MAX_AGENTS {
            return Err(InputError::invalid(
                "agents",
                format!("at most {MAX_AGENTS} agents"),
            ));
        }
        if self.teams.len() > MAX_TEAMS {
            return Err(InputError::invalid(
                "teams",
                format!("at most {MAX_TEAMS} teams"),
            ));
        }
        let mut teams = HashSet::new();
        for (i, t) in self.teams.iter().enumerate() {
            check_name(&t.name).map_err(|e| e.within(&format!("teams[{i}]")))?;
            if !teams.insert(&t.team_id) {
                return Err(InputError::invalid(
                    format!("teams[{i}].team_id"),
                    "is listed twice",
                ));
            }
        }
        let mut agents = HashSet::new();
        for (i, a) in self.agents.iter().enumerate() {
            check_name(&a.name).map_err(|e| e.within(&format!("agents[{i}]")))?;
            if !agents.insert(&a.agent_id) {
                return Err(InputError::invalid(
                    format!("agents[{i}].agent_id"),
                    "is listed twice",
                ));
            }
            if a.team_id.as_ref().is_some_and(|t| !teams.contains(t)) {
                return Err(InputError::invalid(
                    format!("agents[{i}].team_id"),
                    "must be a team listed in teams",
                ));
            }
        }
        Ok(())
    }

    /// Display names by agent id.
    pub fn agent_names(&self) -> BTreeMap<&str, &str> {
        self.agents
            .iter()
            .map(|a| (a.agent_id.as_str(), a.name.as_str()))
            .collect()
    }

    /// Display names by team id.
    pub fn team_names(&self) -> BTreeMap<&str, &str> {
        self.teams
            .iter()
            .map(|t| (t.team_id.as_str(), t.name.as_str()))
            .collect()
    }
}

fn check_name(name: &str) -> Result<(), InputError> {
    if name.trim().is_empty() {
        return Err(InputError::invalid("name", "must not be empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(InputError::invalid(
            "name",
            format!("at most {MAX_NAME_CHARS} characters"),
        ));
    }
    Ok(())
}
