//! `callscope load --mix dashboard`: what a team's dashboard does to the cache while calls keep
//! arriving. After the run's calls are in and counted, `--readers` readers refresh a small set
//! of views for `--duration` seconds — the leaderboard, the first page of calls, two team series
//! and six agent series, the popular ones read most — at `--reads-per-second` in all, while new
//! calls of the same agents and teams arrive at `--calls-per-second`. It reports the hit rate
//! (overall and per route, from the `x-cache` header), p50/p95/p99 per route, and the read units
//! per read from the meter of `callscope local serve`.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::http::Target;
use super::ingest::SINGLE;
use super::plan::Plan;
use super::queries::{AGENT, LEADERBOARD, LIST, TEAM};
use super::stats::{EndpointReport, Latency};

/// One view of the dashboard and how often it is read (weights, not percents).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub endpoint: &'static str,
    pub path: String,
    pub weight: u32,
}

/// The views: the leaderboard and the first page of calls read most, then two team series and
/// six agent series with falling weights (a Zipf-like skew, as people open the top few).
pub fn views(plan: &Plan) -> Vec<View> {
    let range = format!("from_date={}&to_date={}", plan.first_day, plan.last_day);
    let mut views = vec![
        View {
            endpoint: LEADERBOARD,
            path: "/api/v1/analytics/agents".into(),
            weight: 20,
        },
        View {
            endpoint: LIST,
            path: "/api/v1/calls?limit=20".into(),
            weight: 20,
        },
    ];
    for (team, weight) in plan.teams().into_iter().take(2).zip([10, 8]) {
        views.push(View {
            endpoint: TEAM,
            path: format!("/api/v1/analytics/teams/{team}?{range}"),
            weight,
        });
    }
    for (agent, weight) in plan.agents.iter().take(6).zip([10, 8, 6, 5, 4, 3]) {
        views.push(View {
            endpoint: AGENT,
            path: format!("/api/v1/analytics/agents/{agent}?{range}"),
            weight,
        });
    }
    views
}

/// The `n`th read's view: a deterministic walk over the weights, spread so that each view's
/// reads are evenly spaced rather than bunched.
pub fn pick(views: &[View], n: usize) -> &View {
    let total: u32 = views.iter().map(|v| v.weight).sum();
    // A golden-ratio sequence visits [0, total) evenly in any window of reads.
    let x = ((n as f64 * 0.618_033_988_75).fract() * f64::from(total)) as u32;
    let mut below = 0;
    for view in views {
        below += view.weight;
        if x < below {
            return view;
        }
    }
    &views[views.len() - 1]
}

#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub readers: usize,
    pub reads_per_second: f64,
    pub calls_per_second: f64,
    pub duration: Duration,
}

/// What the dashboard phase saw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DashboardReport {
    pub readers: usize,
    pub seconds: f64,
    pub reads: u64,
    pub reads_per_second: f64,
    pub calls_sent: u64,
    pub calls_accepted: u64,
    pub calls_per_second: f64,
    /// Answers served from the cache (`hit`, and `stale` within its bound) over answers that
    /// went through it (those and `miss`, `error`).
    pub hit_rate: Option<f64>,
    /// Of those, answers served `stale` (a previous answer within its endpoint's bound while
    /// another request recomputed it).
    pub stale_rate: Option<f64>,
    pub routes: Vec<RouteReport>,
    /// DynamoDB read units the query API used per read (the meter of `local serve`).
    pub read_units_per_read: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RouteReport {
    pub endpoint: String,
    pub requests: u64,
    pub hit_rate: Option<f64>,
    pub latency_ms: Latency,
    pub cache: std::collections::BTreeMap<String, u64>,
}

/// (served from the cache, through the cache) of one endpoint.
fn served_from_cache(e: &EndpointReport) -> (u64, u64, u64) {
    let count = |k: &str| e.cache.get(k).copied().unwrap_or(0);
    let from_cache = count("hit") + count("stale");
    (
        from_cache,
        from_cache + count("miss") + count("error"),
        count("stale"),
    )
}

/// Runs the readers and the arriving calls for `settings.duration`; reads are recorded by
/// `readers`, calls by `writers` (so the report holds only the dashboard's reads).
pub async fn run(
    readers: &Target,
    writers: &Target,
    plan: &Plan,
    live: &Plan,
    settings: Settings,
) -> DashboardReport {
    let views = views(plan);
    let started = Instant::now();
    let end = started + settings.duration;
    let next = AtomicUsize::new(0);
    let sent = AtomicU64::new(0);
    let accepted = AtomicU64::new(0);
    let per_reader =
        Duration::from_secs_f64(settings.readers as f64 / settings.reads_per_second.max(0.001));
    let reader = |_| async {
        let mut tick = tokio::time::interval(per_reader);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if Instant::now() >= end {
                return;
            }
            let view = pick(&views, next.fetch_add(1, Ordering::Relaxed));
            readers.get(view.endpoint, &view.path).await;
        }
    };
    // Calls arrive at their rate whatever the API's latency: each POST runs on its own task.
    let ingest = async {
        if settings.calls_per_second <= 0.0 {
            return;
        }
        let mut tick =
            tokio::time::interval(Duration::from_secs_f64(1.0 / settings.calls_per_second));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut posts = Vec::new();
        for index in 0..live.calls.len() {
            tick.tick().await;
            if Instant::now() >= end {
                break;
            }
            let body = live_document(plan, live, index).to_string();
            sent.fetch_add(1, Ordering::Relaxed);
            let writers = writers.clone();
            posts.push(tokio::spawn(async move {
                writers
                    .post(SINGLE, "/api/v1/calls", body)
                    .await
                    .is_some_and(|answer| answer.status == 202)
            }));
        }
        for post in posts {
            if post.await.unwrap_or(false) {
                accepted.fetch_add(1, Ordering::Relaxed);
            }
        }
    };
    tokio::join!(
        futures::future::join_all((0..settings.readers).map(reader)),
        ingest
    );
    let seconds = started.elapsed().as_secs_f64();
    let endpoints = readers.recorder.endpoints();
    let (mut from_cache, mut through, mut stale) = (0, 0, 0);
    let routes = endpoints
        .iter()
        .map(|e| {
            let (f, t, s) = served_from_cache(e);
            (from_cache, through, stale) = (from_cache + f, through + t, stale + s);
            RouteReport {
                endpoint: e.endpoint.clone(),
                requests: e.requests,
                hit_rate: (t > 0).then(|| f as f64 / t as f64),
                latency_ms: e.latency_ms,
                cache: e.cache.clone(),
            }
        })
        .collect();
    let reads: u64 = endpoints.iter().map(|e| e.requests).sum();
    let calls_sent = sent.load(Ordering::Relaxed);
    DashboardReport {
        readers: settings.readers,
        seconds,
        reads,
        reads_per_second: reads as f64 / seconds.max(f64::EPSILON),
        calls_sent,
        calls_accepted: accepted.load(Ordering::Relaxed),
        calls_per_second: calls_sent as f64 / seconds.max(f64::EPSILON),
        hit_rate: (through > 0).then(|| from_cache as f64 / through as f64),
        stale_rate: (through > 0).then(|| stale as f64 / through as f64),
        routes,
        read_units_per_read: None,
    }
}

/// A call arriving during the dashboard phase: one of `live`'s generated calls, made by the
/// agents (and so the teams) of `plan` on its last day, so it moves the views being read.
fn live_document(plan: &Plan, live: &Plan, index: usize) -> serde_json::Value {
    let mut doc = live.document(index);
    let agent = index % plan.agents.len();
    doc["agent_id"] = serde_json::json!(plan.agents[agent]);
    doc["team_id"] = serde_json::json!(plan.team_of(agent));
    let start = live.calls[index].start_time.clone();
    let time = start.split_once('T').map_or("12:00:00Z", |(_, t)| t);
    doc["start_time"] = serde_json::json!(format!("{}T{time}", plan.last_day));
    doc
}

/// The dashboard phase as text: a table a note can take as it is.
pub fn render(report: &DashboardReport) -> String {
    let mut out = String::new();
    let percent = |r: Option<f64>| r.map_or("-".to_owned(), |r| format!("{:.1} %", r * 100.0));
    let _ = writeln!(
        out,
        "\ndashboard: {} readers, {:.1} s, {} reads ({:.1}/s), {} calls arriving ({:.2}/s, {} accepted)",
        report.readers,
        report.seconds,
        report.reads,
        report.reads_per_second,
        report.calls_sent,
        report.calls_per_second,
        report.calls_accepted
    );
    let _ = writeln!(
        out,
        "hit rate {} (stale within bound {}), read units per read {}",
        percent(report.hit_rate),
        percent(report.stale_rate),
        report
            .read_units_per_read
            .map_or("-".to_owned(), |u| format!("{u:.2}"))
    );
    let _ = writeln!(
        out,
        "| route | reads | hits | p50 ms | p95 ms | p99 ms |\n|---|---:|---:|---:|---:|---:|"
    );
    for route in &report.routes {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.1} | {:.1} | {:.1} |",
            route.endpoint,
            route.requests,
            percent(route.hit_rate),
            route.latency_ms.p50,
            route.latency_ms.p95,
            route.latency_ms.p99
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::plan::{parse_mix, PlanSpec};

    fn plan() -> Plan {
        let mix = parse_mix("5").expect("mix");
        Plan::new(&PlanSpec {
            run: "dash",
            seed: 3,
            calls: 24,
            agents: 12,
            mix: &mix,
            bulk_share: 0.0,
            bulk_size: 10,
            today: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
        })
    }

    #[test]
    fn the_dashboard_reads_ten_views_the_popular_ones_most() {
        let plan = plan();
        let views = views(&plan);
        assert_eq!(views.len(), 10);
        let mut reads = std::collections::HashMap::new();
        for n in 0..9_400 {
            *reads.entry(pick(&views, n).path.clone()).or_insert(0) += 1;
        }
        for view in &views {
            let share = f64::from(reads[&view.path]) / 9_400.0;
            let expected = f64::from(view.weight) / 94.0;
            assert!((share - expected).abs() < 0.01, "{}: {share}", view.path);
        }
        assert_eq!(views[0].endpoint, LEADERBOARD);
        assert!(views.iter().filter(|v| v.endpoint == AGENT).count() == 6);
    }

    #[test]
    fn arriving_calls_belong_to_the_read_agents_on_the_last_day() {
        let plan = plan();
        let live = Plan::new(&PlanSpec {
            run: "dash-live",
            seed: 4,
            calls: 5,
            agents: 5,
            mix: &parse_mix("5").expect("mix"),
            bulk_share: 0.0,
            bulk_size: 10,
            today: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
        });
        let doc = live_document(&plan, &live, 1);
        assert_eq!(doc["agent_id"], serde_json::json!(plan.agents[1]));
        assert_eq!(doc["team_id"], serde_json::json!(plan.team_of(1)));
        let start = doc["start_time"].as_str().expect("start");
        assert!(start.starts_with(&plan.last_day.to_string()), "{start}");
        assert_eq!(doc["call_id"], serde_json::json!(live.calls[1].call_id));
    }
}
