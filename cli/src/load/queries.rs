//! The read queries of a load run, drawn from a seed the way dashboards ask: lists with random
//! filters, call details and recommendations (recent calls asked for more often than old ones,
//! so some answers repeat, as they do in use), the leaderboard and the per-day series.

use chrono::Duration as Days;
use indicatif::ProgressBar;
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use rand::RngExt;

use super::http::{Answer, Driver, Target};
use super::plan::Plan;

/// One read request: its route (the endpoint it is reported under) and its path with query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub endpoint: &'static str,
    pub path: String,
}

pub const LIST: &str = "GET /api/v1/calls";
pub const DETAIL: &str = "GET /api/v1/calls/{call_id}";
pub const RECOMMENDATIONS: &str = "GET /api/v1/calls/{call_id}/recommendations";
pub const LEADERBOARD: &str = "GET /api/v1/analytics/agents";
pub const AGENT: &str = "GET /api/v1/analytics/agents/{agent_id}";
pub const TEAM: &str = "GET /api/v1/analytics/teams/{team_id}";

/// Percent of queries of each kind.
const KINDS: [(&str, u32); 6] = [
    (LIST, 35),
    (DETAIL, 25),
    (RECOMMENDATIONS, 15),
    (LEADERBOARD, 10),
    (AGENT, 8),
    (TEAM, 7),
];

/// The path of one agent's series over the run's days (what the aggregation watch polls).
pub fn agent_series(plan: &Plan, agent: &str) -> String {
    format!(
        "/api/v1/analytics/agents/{agent}?from_date={}&to_date={}",
        plan.first_day, plan.last_day
    )
}

/// A query over the run's data; `accepted` are the indexes of the calls that were accepted.
pub fn draw(rng: &mut SmallRng, plan: &Plan, accepted: &[usize]) -> Query {
    let kinds: Vec<(&'static str, u32)> = KINDS
        .iter()
        .copied()
        .filter(|(kind, _)| !accepted.is_empty() || (*kind != DETAIL && *kind != RECOMMENDATIONS))
        .collect();
    let endpoint = kinds
        .choose_weighted(rng, |(_, w)| *w)
        .map_or(LIST, |(kind, _)| *kind);
    let path = match endpoint {
        LIST => list(rng, plan),
        DETAIL => format!("/api/v1/calls/{}", recent_call(rng, plan, accepted)),
        RECOMMENDATIONS => format!(
            "/api/v1/calls/{}/recommendations",
            recent_call(rng, plan, accepted)
        ),
        LEADERBOARD => {
            let mut params = Vec::new();
            if rng.random_bool(0.4) {
                params.push(format!("team_id={}", team(rng, plan)));
            }
            if rng.random_bool(0.6) {
                params.extend(range(rng, plan));
            }
            with_params("/api/v1/analytics/agents", &params)
        }
        AGENT => {
            let agent = plan.agents.choose(rng).map_or("none", String::as_str);
            with_params(
                &format!("/api/v1/analytics/agents/{agent}"),
                &range(rng, plan),
            )
        }
        _ => with_params(
            &format!("/api/v1/analytics/teams/{}", team(rng, plan)),
            &range(rng, plan),
        ),
    };
    Query { endpoint, path }
}

fn list(rng: &mut SmallRng, plan: &Plan) -> String {
    let mut params = Vec::new();
    params.push(format!(
        "limit={}",
        [10, 20, 50, 100].choose(rng).unwrap_or(&50)
    ));
    if rng.random_bool(0.2) {
        params.push(format!(
            "offset={}",
            [10, 20, 50].choose(rng).unwrap_or(&10)
        ));
    }
    match rng.random_range(0..10) {
        0..=3 => {
            let agent = plan.agents.choose(rng).map_or("none", String::as_str);
            params.push(format!("agent_id={agent}"));
        }
        4..=5 => params.push(format!("team_id={}", team(rng, plan))),
        _ => {}
    }
    if rng.random_bool(0.5) {
        params.extend(range(rng, plan));
    }
    if rng.random_bool(0.25) {
        let (min, max) = *[(-1.0, -0.2), (-0.2, 0.3), (0.3, 1.0), (0.0, 1.0)]
            .choose(rng)
            .unwrap_or(&(0.0, 1.0));
        params.push(format!("min_sentiment={min}&max_sentiment={max}"));
    }
    with_params("/api/v1/calls", &params)
}

/// A call id, skewed towards the most recently planned calls.
fn recent_call<'a>(rng: &mut SmallRng, plan: &'a Plan, accepted: &[usize]) -> &'a str {
    let u: f64 = rng.random();
    let from_newest = ((u * u) * accepted.len() as f64) as usize;
    let index = accepted[accepted.len() - 1 - from_newest.min(accepted.len() - 1)];
    &plan.calls[index].call_id
}

fn team(rng: &mut SmallRng, plan: &Plan) -> &'static str {
    plan.teams().choose(rng).copied().unwrap_or("amer")
}

/// A window of the run's days: the last week, or a random span.
fn range(rng: &mut SmallRng, plan: &Plan) -> Vec<String> {
    let days = (plan.last_day - plan.first_day).num_days();
    let (from, to) = if rng.random_bool(0.5) {
        (
            (plan.last_day - Days::days(6)).max(plan.first_day),
            plan.last_day,
        )
    } else {
        let from = plan.first_day + Days::days(rng.random_range(0..=days));
        (from, from + Days::days(rng.random_range(0..=days)))
    };
    vec![format!("from_date={from}"), format!("to_date={to}")]
}

fn with_params(path: &str, params: &[String]) -> String {
    if params.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", params.join("&"))
    }
}

/// Sends the queries `concurrency` at a time; those left at `deadline` count as errors.
pub async fn ask(driver: &Driver<'_>, queries: &[Query], bar: &ProgressBar) {
    let target = driver.target;
    driver
        .each(queries, |query| async move {
            if !driver.in_time(1) {
                return;
            }
            let answer = target.get(query.endpoint, &query.path).await;
            if query.endpoint == DETAIL {
                check_detail(target, answer.as_ref());
            }
            bar.inc(1);
        })
        .await;
}

/// A detail read after its call was counted must show it processed (a stale cached answer would
/// not).
fn check_detail(target: &Target, answer: Option<&Answer>) {
    let Some(answer) = answer.filter(|a| a.status == 200) else {
        return;
    };
    let status = serde_json::from_slice::<serde_json::Value>(&answer.body)
        .ok()
        .and_then(|v| v["status"].as_str().map(str::to_owned));
    if status.as_deref() != Some("PROCESSED") {
        target.recorder.error("detail not PROCESSED", 1);
    }
}
