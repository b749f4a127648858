//! When each accepted call is counted: every call of a run has an (agent, day) of its own, so
//! the first poll of the agent's per-day series (`GET /api/v1/analytics/agents/{id}`) that
//! shows that day with a call is when the call was aggregated and readable — through the cache
//! and its invalidation, as a client sees it. Polls run beside the ingest, for the agents that
//! have calls accepted and not yet counted.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use callscope_app::query::views::ScopeAnalytics;
use chrono::NaiveDate;
use indicatif::ProgressBar;

use super::http::Driver;
use super::plan::Plan;
use super::queries::agent_series;

/// The pause between rounds of polls: the observation's resolution is this plus a round, and
/// the polls share the emulator with the pipeline they watch, so they stay few.
const POLL_EVERY: Duration = Duration::from_millis(500);
pub const POLL: &str = "GET /api/v1/analytics/agents/{agent_id} (watch)";

#[derive(Debug, Default)]
struct Calls {
    accepted: Vec<Option<Instant>>,
    counted: Vec<Option<Instant>>,
}

#[derive(Debug)]
pub struct Tracker {
    calls: Mutex<Calls>,
    cells: HashMap<(usize, NaiveDate), usize>,
    pub ingest_done: AtomicBool,
}

impl Tracker {
    pub fn new(plan: &Plan) -> Self {
        let n = plan.calls.len();
        Self {
            calls: Mutex::new(Calls {
                accepted: vec![None; n],
                counted: vec![None; n],
            }),
            cells: plan
                .calls
                .iter()
                .enumerate()
                .map(|(i, c)| ((c.agent, c.day), i))
                .collect(),
            ingest_done: AtomicBool::new(false),
        }
    }

    pub fn accepted(&self, index: usize) {
        if let Ok(mut calls) = self.calls.lock() {
            calls.accepted[index].get_or_insert_with(Instant::now);
        }
    }

    /// Indexes of the accepted calls, in plan order.
    pub fn accepted_calls(&self) -> Vec<usize> {
        self.calls.lock().map_or_else(
            |_| Vec::new(),
            |c| {
                (0..c.accepted.len())
                    .filter(|&i| c.accepted[i].is_some())
                    .collect()
            },
        )
    }

    /// Agents with calls accepted and not yet counted.
    fn waiting_agents(&self, plan: &Plan) -> BTreeSet<usize> {
        self.calls.lock().map_or_else(
            |_| BTreeSet::new(),
            |c| {
                (0..c.accepted.len())
                    .filter(|&i| c.accepted[i].is_some() && c.counted[i].is_none())
                    .map(|i| plan.calls[i].agent)
                    .collect()
            },
        )
    }

    fn counted(&self, agent: usize, day: NaiveDate, at: Instant) -> bool {
        let Some(&index) = self.cells.get(&(agent, day)) else {
            return false;
        };
        let Ok(mut calls) = self.calls.lock() else {
            return false;
        };
        // A call counted before its 202 was read is seen again on the next poll.
        if calls.accepted[index].is_none() || calls.counted[index].is_some() {
            return false;
        }
        calls.counted[index] = Some(at);
        true
    }

    /// (first 202, last counted, each counted call's 202 → counted in seconds, not counted).
    pub fn outcome(&self) -> (Option<Instant>, Option<Instant>, Vec<f64>, u64) {
        let Ok(calls) = self.calls.lock() else {
            return (None, None, Vec::new(), 0);
        };
        let first = calls.accepted.iter().flatten().min().copied();
        let last = calls.counted.iter().flatten().max().copied();
        let mut e2e = Vec::new();
        let mut missing = 0;
        for (accepted, counted) in calls.accepted.iter().zip(&calls.counted) {
            match (accepted, counted) {
                (Some(a), Some(c)) => e2e.push(c.duration_since(*a).as_secs_f64()),
                (Some(_), None) => missing += 1,
                _ => {}
            }
        }
        (first, last, e2e, missing)
    }
}

/// Polls until every accepted call is counted and the ingest is over, or `deadline`; returns the
/// number of polls.
pub async fn watch(driver: &Driver<'_>, plan: &Plan, tracker: &Tracker, bar: &ProgressBar) -> u64 {
    let mut polls = 0;
    loop {
        let agents = tracker.waiting_agents(plan);
        if agents.is_empty() && tracker.ingest_done.load(Ordering::Acquire) {
            return polls;
        }
        if driver.past_deadline() {
            return polls;
        }
        polls += agents.len() as u64;
        let counted = driver
            .each(agents, |agent| async move {
                let path = agent_series(plan, &plan.agents[agent]);
                let answer = driver.target.get(POLL, &path).await?;
                let at = Instant::now();
                let series: ScopeAnalytics = serde_json::from_slice(&answer.body).ok()?;
                let days = series
                    .series
                    .iter()
                    .filter(|point| point.summary.total_calls > 0)
                    .filter_map(|point| point.day.parse::<NaiveDate>().ok())
                    .filter(|day| tracker.counted(agent, *day, at))
                    .count();
                Some(days)
            })
            .await;
        bar.inc(counted.into_iter().flatten().sum::<usize>() as u64);
        tokio::time::sleep(POLL_EVERY).await;
    }
}
