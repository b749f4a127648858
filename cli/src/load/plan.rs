//! What a load run sends, decided up front from a seed: the mix of call lengths, each call's
//! agent, team, day and start, the ingest requests they travel in (one call, or a bulk of
//! several), and the read queries. Each call has an (agent, day) of its own, so the agent's
//! per-day series tells exactly when that call was counted.

use chrono::{Duration as Days, NaiveDate};
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use serde::Serialize;
use serde_json::json;

/// Longest call the mix may ask for (a 180-minute call is ~150 KB of transcript, under the
/// 300 KB limit).
pub const MAX_MINUTES: u32 = 180;
const TEAMS: [&str; 3] = ["amer", "emea", "apac"];
/// Bulk bodies stay below this, well under ingest's 3,000,000-byte document limit.
pub const MAX_BULK_BYTES: usize = 2_000_000;

/// One entry of `--minutes-mix`: calls of `minutes` minutes, `weight` parts of the total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MixEntry {
    pub minutes: u32,
    pub weight: u32,
}

/// `5:6,30:3,60:1` (minutes:weight; a bare `30` weighs 1).
pub fn parse_mix(raw: &str) -> Result<Vec<MixEntry>, String> {
    let mut mix = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (minutes, weight) = part.split_once(':').unwrap_or((part, "1"));
        let minutes: u32 = minutes.trim().parse().ok().filter(|m| (1..=MAX_MINUTES).contains(m)).ok_or_else(|| {
            format!("--minutes-mix: {part:?}: minutes must be a whole number from 1 to {MAX_MINUTES}")
        })?;
        let weight: u32 = weight.trim().parse().ok().filter(|w| (1..=1_000).contains(w)).ok_or_else(|| {
            format!("--minutes-mix: {part:?}: the weight after ':' must be a whole number from 1 to 1000")
        })?;
        mix.push(MixEntry { minutes, weight });
    }
    if mix.is_empty() {
        return Err("--minutes-mix: give at least one MINUTES[:WEIGHT], e.g. 5:6,30:3,60:1".into());
    }
    Ok(mix)
}

/// Exactly how many calls of each length `calls` holds: the largest-remainder share of each
/// weight, so 300 calls of `5:6,30:3,60:1` are 180, 90 and 30.
pub fn apportion(mix: &[MixEntry], calls: usize) -> Vec<usize> {
    let total: u64 = mix.iter().map(|e| u64::from(e.weight)).sum();
    let exact: Vec<(usize, u64)> = mix
        .iter()
        .map(|e| {
            let share = u64::from(e.weight) * calls as u64;
            ((share / total) as usize, share % total)
        })
        .collect();
    let mut counts: Vec<usize> = exact.iter().map(|(n, _)| *n).collect();
    let mut by_remainder: Vec<usize> = (0..mix.len()).collect();
    by_remainder.sort_by_key(|&i| std::cmp::Reverse(exact[i].1));
    let missing = calls - counts.iter().sum::<usize>();
    for &i in by_remainder.iter().take(missing) {
        counts[i] += 1;
    }
    counts
}

/// One generated call.
#[derive(Debug, Clone)]
pub struct PlannedCall {
    pub call_id: String,
    pub agent: usize,
    pub day: NaiveDate,
    pub minutes: u32,
    pub start_time: String,
    pub customer: usize,
    pub seed: u64,
}

/// The calls of a run and who made them.
#[derive(Debug, Clone)]
pub struct Plan {
    pub run: String,
    pub calls: Vec<PlannedCall>,
    pub agents: Vec<String>,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    /// Which calls go together: one index is a single POST, more are a bulk POST.
    pub requests: Vec<Vec<usize>>,
}

#[derive(Debug, Clone)]
pub struct PlanSpec<'a> {
    pub run: &'a str,
    pub seed: u64,
    pub calls: usize,
    pub agents: usize,
    pub mix: &'a [MixEntry],
    pub bulk_share: f64,
    pub bulk_size: usize,
    /// The calls end the day before this one.
    pub today: NaiveDate,
}

impl Plan {
    pub fn new(spec: &PlanSpec<'_>) -> Self {
        let mut rng = SmallRng::seed_from_u64(spec.seed);
        let mut lengths: Vec<u32> = apportion(spec.mix, spec.calls)
            .into_iter()
            .zip(spec.mix)
            .flat_map(|(n, e)| std::iter::repeat_n(e.minutes, n))
            .collect();
        lengths.shuffle(&mut rng);
        let agents = spec.agents.clamp(1, spec.calls.max(1));
        let days = spec.calls.div_ceil(agents).max(1);
        let first_day = spec.today - Days::days(days as i64);
        let calls: Vec<PlannedCall> = lengths
            .into_iter()
            .enumerate()
            .map(|(i, minutes)| {
                let day = first_day + Days::days((i / agents) as i64);
                let minute_of_day = 8 * 60 + rng.random_range(0..9 * 60);
                PlannedCall {
                    call_id: format!("{}-{i:06}", spec.run),
                    agent: i % agents,
                    day,
                    minutes,
                    start_time: format!(
                        "{day}T{:02}:{:02}:00Z",
                        minute_of_day / 60,
                        minute_of_day % 60
                    ),
                    customer: rng.random_range(0..spec.calls.div_ceil(2).max(1)),
                    seed: spec.seed.wrapping_mul(1_000_003).wrapping_add(i as u64),
                }
            })
            .collect();
        let mut requests = Vec::new();
        let mut bulk = Vec::new();
        for i in 0..calls.len() {
            if spec.bulk_size >= 2 && rng.random_bool(spec.bulk_share.clamp(0.0, 1.0)) {
                bulk.push(i);
                if bulk.len() == spec.bulk_size {
                    requests.push(std::mem::take(&mut bulk));
                }
            } else {
                requests.push(vec![i]);
            }
        }
        if !bulk.is_empty() {
            requests.push(bulk);
        }
        Self {
            run: spec.run.to_owned(),
            last_day: first_day + Days::days(days as i64 - 1),
            agents: (0..agents)
                .map(|a| format!("{}-agent-{a:02}", spec.run))
                .collect(),
            calls,
            first_day,
            requests,
        }
    }

    pub fn team_of(&self, agent: usize) -> &'static str {
        TEAMS[agent % TEAMS.len()]
    }

    pub fn teams(&self) -> Vec<&'static str> {
        TEAMS.iter().take(self.agents.len()).copied().collect()
    }

    /// The call as a callscope JSON document (the generator's realistic transcript).
    pub fn document(&self, index: usize) -> serde_json::Value {
        let call = &self.calls[index];
        let mut doc =
            callscope_samples::generate_call_document(call.minutes, call.seed, &call.call_id);
        doc["agent_id"] = json!(self.agents[call.agent]);
        doc["team_id"] = json!(self.team_of(call.agent));
        doc["customer_id"] = json!(format!("{}-customer-{}", self.run, call.customer));
        doc["start_time"] = json!(call.start_time);
        doc
    }

    pub fn calls_in_bulk(&self) -> usize {
        self.requests
            .iter()
            .filter(|r| r.len() > 1)
            .map(Vec::len)
            .sum()
    }
}

/// Bulk requests split where their body would pass [`MAX_BULK_BYTES`].
pub fn split_by_size(documents: Vec<(usize, String)>) -> Vec<Vec<(usize, String)>> {
    let mut parts: Vec<Vec<(usize, String)>> = Vec::new();
    let mut size = 0;
    for (index, doc) in documents {
        if parts.is_empty() || size + doc.len() > MAX_BULK_BYTES {
            parts.push(Vec::new());
            size = 0;
        }
        size += doc.len() + 1;
        if let Some(last) = parts.last_mut() {
            last.push((index, doc));
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(mix: &[MixEntry]) -> PlanSpec<'_> {
        PlanSpec {
            run: "lt-test",
            seed: 7,
            calls: 300,
            agents: 12,
            mix,
            bulk_share: 0.5,
            bulk_size: 10,
            today: NaiveDate::from_ymd_opt(2026, 12, 1).expect("a date"),
        }
    }

    #[test]
    fn a_mix_reads_minutes_and_weights_and_a_bare_length_weighs_one() {
        assert_eq!(
            parse_mix("5:6, 30:3,60").expect("valid"),
            vec![
                MixEntry {
                    minutes: 5,
                    weight: 6
                },
                MixEntry {
                    minutes: 30,
                    weight: 3
                },
                MixEntry {
                    minutes: 60,
                    weight: 1
                },
            ]
        );
    }

    #[test]
    fn a_bad_mix_names_the_option_and_the_rule() {
        for (raw, rule) in [
            ("", "at least one"),
            ("0:1", "from 1 to 180"),
            ("abc", "from 1 to 180"),
            ("5:0", "weight"),
            ("5:x", "weight"),
        ] {
            let error = parse_mix(raw).expect_err(raw);
            assert!(
                error.starts_with("--minutes-mix") && error.contains(rule),
                "{raw}: {error}"
            );
        }
    }

    #[test]
    fn lengths_are_apportioned_exactly_by_weight() {
        let mix = parse_mix("5:6,30:3,60:1").expect("valid");
        assert_eq!(apportion(&mix, 300), vec![180, 90, 30]);
        assert_eq!(apportion(&mix, 7).iter().sum::<usize>(), 7);
        assert_eq!(
            apportion(&parse_mix("1,2,3").expect("valid"), 2),
            vec![1, 1, 0]
        );
    }

    #[test]
    fn every_call_has_an_agent_day_of_its_own_and_each_call_is_sent_once() {
        let mix = parse_mix("5:6,30:3,60:1").expect("valid");
        let plan = Plan::new(&spec(&mix));
        let cells: std::collections::BTreeSet<_> =
            plan.calls.iter().map(|c| (c.agent, c.day)).collect();
        assert_eq!(cells.len(), 300);
        let mut sent: Vec<usize> = plan.requests.iter().flatten().copied().collect();
        sent.sort_unstable();
        assert_eq!(sent, (0..300).collect::<Vec<_>>());
        assert!(plan.requests.iter().all(|r| r.len() <= 10));
        let bulk = plan.calls_in_bulk();
        assert!((90..210).contains(&bulk), "{bulk} of 300 calls in bulk");
        assert!(plan
            .calls
            .iter()
            .all(|c| c.day >= plan.first_day && c.day <= plan.last_day));
    }

    #[test]
    fn the_same_seed_plans_the_same_run() {
        let mix = parse_mix("5,30").expect("valid");
        let (a, b) = (Plan::new(&spec(&mix)), Plan::new(&spec(&mix)));
        assert_eq!(a.requests, b.requests);
        assert_eq!(a.document(3), b.document(3));
    }

    #[test]
    fn bulk_bodies_are_split_before_the_size_limit() {
        let doc = "x".repeat(MAX_BULK_BYTES / 2 - 10);
        let parts = split_by_size((0..5).map(|i| (i, doc.clone())).collect());
        assert_eq!(
            parts.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![2, 2, 1]
        );
    }
}
