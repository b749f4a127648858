//! Reading the query API's parameters: each one checked against its rule, and a bad one named in
//! a 422 (`{"detail": [{"loc": ["query", "limit"], …}]}`), as v1 clients expect.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use callscope_app::ports::ListFilter;
use callscope_app::query::{DayRange, ListCalls};
use callscope_core::domain::{
    range_bound, AgentId, Bound, CallId, Day, TeamId, TenantId, Timestamp,
};
use callscope_core::InputError;
use callscope_http::problem::Place;
use callscope_http::ApiError;
use serde::Deserialize;
use utoipa::IntoParams;

pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 100;
/// Deepest `offset`: the skipped calls are read (counted past) on every request, so deeper
/// pages go by `cursor`, whose cost does not grow with depth.
pub const MAX_OFFSET: u64 = 1_000;

/// `GET /api/v1/calls` parameters as they arrive (text); [`ListParams::check`] types them.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Calls per page, 1–100 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// Matching calls to skip, 0–1000 (default 0); page deeper with `cursor`.
    #[param(value_type = Option<u32>, minimum = 0, maximum = 1000)]
    offset: Option<String>,
    /// Only this agent's calls.
    #[param(pattern = r"^[A-Za-z0-9._:-]{1,128}$")]
    agent_id: Option<String>,
    /// Only calls made in this team.
    #[param(pattern = r"^[A-Za-z0-9._:-]{1,128}$")]
    team_id: Option<String>,
    /// Calls that started at or after this time (ISO 8601; `Z`, an offset, none = UTC, or a
    /// date = its first instant).
    #[param(value_type = Option<String>, format = DateTime)]
    from_date: Option<String>,
    /// Calls that started at or before this time (a date = its last instant).
    #[param(value_type = Option<String>, format = DateTime)]
    to_date: Option<String>,
    /// Customer sentiment at least this, in [-1, 1]; unprocessed calls are left out.
    #[param(value_type = Option<f64>, minimum = -1, maximum = 1)]
    min_sentiment: Option<String>,
    /// Customer sentiment at most this, in [-1, 1]; unprocessed calls are left out.
    #[param(value_type = Option<f64>, minimum = -1, maximum = 1)]
    max_sentiment: Option<String>,
    /// The `next_cursor` of the previous page, with the same filters (and no `offset`). Signed
    /// and bound to the caller's tenant and those filters; anything else is a 422.
    #[param(max_length = 1024)]
    cursor: Option<String>,
}

impl ListParams {
    pub fn check(self, tenant: TenantId) -> Result<ListCalls, ApiError> {
        let limit = match self.limit {
            None => DEFAULT_LIMIT,
            Some(raw) => whole_number("limit", &raw)
                .filter(|n| (1..=MAX_LIMIT as u64).contains(n))
                .ok_or_else(|| {
                    invalid(
                        "limit",
                        format!(
                            "must be a whole number from 1 to {MAX_LIMIT} (got {})",
                            quoted(&raw)
                        ),
                    )
                })? as usize,
        };
        let offset = match self.offset {
            None => 0,
            Some(raw) => whole_number("offset", &raw)
                .filter(|n| *n <= MAX_OFFSET)
                .ok_or_else(|| {
                    invalid(
                        "offset",
                        format!(
                            "must be a whole number from 0 to {MAX_OFFSET}; page further with cursor (got {})",
                            quoted(&raw)
                        ),
                    )
                })? as usize,
        };
        let from = self
            .from_date
            .map(|raw| instant("from_date", &raw, Bound::Start))
            .transpose()?;
        let to = self
            .to_date
            .map(|raw| instant("to_date", &raw, Bound::End))
            .transpose()?;
        if let (Some(from), Some(to)) = (from, to) {
            if to < from {
                return Err(invalid("to_date", "must not be before from_date"));
            }
        }
        let min_sentiment = self
            .min_sentiment
            .map(|raw| sentiment("min_sentiment", &raw))
            .transpose()?;
        let max_sentiment = self
            .max_sentiment
            .map(|raw| sentiment("max_sentiment", &raw))
            .transpose()?;
        if let (Some(min), Some(max)) = (min_sentiment, max_sentiment) {
            if max < min {
                return Err(invalid("max_sentiment", "must not be below min_sentiment"));
            }
        }
        Ok(ListCalls {
            filter: ListFilter {
                tenant,
                agent: self.agent_id.map(|a| agent("agent_id", &a)).transpose()?,
                team: self.team_id.map(|t| team("team_id", &t)).transpose()?,
                from,
                to,
                min_sentiment,
                max_sentiment,
            },
            limit,
            offset,
            cursor: self.cursor,
        })
    }
}

/// Analytics parameters: a range of days, and a team for the leaderboard.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnalyticsParams {
    /// First day counted (ISO 8601 date or date-time; its UTC day). Open when absent.
    #[param(value_type = Option<String>, format = Date)]
    from_date: Option<String>,
    /// Last day counted. Open when absent.
    #[param(value_type = Option<String>, format = Date)]
    to_date: Option<String>,
}

impl AnalyticsParams {
    pub fn check(self) -> Result<DayRange, ApiError> {
        let day = |name: &str, raw: &str| -> Result<Day, ApiError> {
            Ok(Day::of(instant(name, raw, Bound::Start)?.time()))
        };
        let from = self
            .from_date
            .map(|raw| day("from_date", &raw))
            .transpose()?;
        let to = self.to_date.map(|raw| day("to_date", &raw)).transpose()?;
        if let (Some(from), Some(to)) = (from, to) {
            if to < from {
                return Err(invalid("to_date", "must not be before from_date"));
            }
        }
        Ok(DayRange { from, to })
    }
}

/// The leaderboard's parameters: the range, and optionally one team's agents.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeaderboardParams {
    /// Only calls the agents made in this team.
    #[param(pattern = r"^[A-Za-z0-9._:-]{1,128}$")]
    team_id: Option<String>,
    /// First day counted (ISO 8601 date or date-time; its UTC day). Absent: 365 days before
    /// `to_date`.
    #[param(value_type = Option<String>, format = Date)]
    from_date: Option<String>,
    /// Last day counted, at most 365 days after `from_date`. Absent: 365 days after
    /// `from_date`, or the latest day with calls when both are absent.
    #[param(value_type = Option<String>, format = Date)]
    to_date: Option<String>,
}

impl LeaderboardParams {
    pub fn check(self) -> Result<(DayRange, Option<TeamId>), ApiError> {
        let team = self.team_id.map(|t| team("team_id", &t)).transpose()?;
        let range = AnalyticsParams {
            from_date: self.from_date,
            to_date: self.to_date,
        };
        Ok((range.check()?, team))
    }
}

pub fn call_id(raw: &str) -> Result<CallId, ApiError> {
    CallId::parse("call_id", raw).map_err(ApiError::path)
}

pub fn agent_path(raw: &str) -> Result<AgentId, ApiError> {
    AgentId::parse("agent_id", raw).map_err(ApiError::path)
}

pub fn team_path(raw: &str) -> Result<TeamId, ApiError> {
    TeamId::parse("team_id", raw).map_err(ApiError::path)
}

fn agent(name: &str, raw: &str) -> Result<AgentId, ApiError> {
    AgentId::parse(name, raw).map_err(ApiError::query)
}

fn team(name: &str, raw: &str) -> Result<TeamId, ApiError> {
    TeamId::parse(name, raw).map_err(ApiError::query)
}

fn invalid(name: &str, rule: impl std::fmt::Display) -> ApiError {
    ApiError::query(InputError::invalid(name, rule))
}

/// A value quoted into a message: at most 40 characters of it, so a huge parameter is never
/// echoed back whole.
fn quoted(raw: &str) -> String {
    match raw.char_indices().nth(40) {
        None => format!("{raw:?}"),
        Some((cut, _)) => format!("{:?}…", &raw[..cut]),
    }
}

fn whole_number(_name: &str, raw: &str) -> Option<u64> {
    raw.trim().parse().ok()
}

fn sentiment(name: &str, raw: &str) -> Result<f64, ApiError> {
    raw.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| (-1.0..=1.0).contains(v))
        .ok_or_else(|| {
            invalid(
                name,
                format!("must be a number from -1 to 1 (got {})", quoted(raw)),
            )
        })
}

/// ISO 8601: with `Z` or an offset, without (UTC), or a date alone (its first or last instant).
fn instant(name: &str, raw: &str, bound: Bound) -> Result<Timestamp, ApiError> {
    range_bound(name, raw, bound).map_err(ApiError::query)
}

/// A query string read into `T` (whose fields are text): unknown parameters are ignored and a
/// repeated one counts once, with its last value, as the v1 API read them.
#[derive(Debug)]
pub struct Params<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let Query(map) =
            Query::<HashMap<String, String>>::try_from_uri(&parts.uri).map_err(|e| {
                ApiError::Input(
                    Place::Query,
                    InputError::malformed("", format!("the query string cannot be read: {e}")),
                )
            })?;
        serde_json::to_value(map)
            .and_then(serde_json::from_value)
            .map(Params)
            .map_err(|e| {
                ApiError::Input(
                    Place::Query,
                    InputError::malformed("", format!("the query string cannot be read: {e}")),
                )
            })
    }
}
