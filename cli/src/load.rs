//! `callscope load`: a load run against the HTTP API. It ingests generated realistic calls
//! (several lengths, agents, teams and days; single and bulk POSTs), waits until each is counted
//! in the analytics, runs read queries, and reports throughput, latency per endpoint, errors by
//! status, the cache hit rate, the time from 202 to counted, and — against `callscope local
//! serve`, whose request meter it reads — what a call costs per million.

mod bill;
mod dashboard;
mod http;
mod ingest;
mod plan;
mod queries;
mod report;
mod stats;
mod watch;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use rand::rngs::SmallRng;
use rand::SeedableRng;

use self::http::{Driver, Target};
use self::plan::{Plan, PlanSpec};
use self::report::{AggregationReport, BillReport, CallsReport, PhaseReport, Report};
use crate::local::serve::meter::{self, MeterReading};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Calls to ingest (1–100000).
    #[arg(long, default_value_t = 300)]
    calls: usize,
    /// Requests in flight at once (1–256). The local emulator answers one request at a time,
    /// so more only lengthens its queue.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Call lengths in minutes and their weights: MINUTES[:WEIGHT],…
    #[arg(long, default_value = "5:6,30:3,60:1")]
    minutes_mix: String,
    /// The API's base URL (loopback unless --allow-remote).
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    base_url: String,
    /// Read queries once the calls are counted (0–1000000).
    #[arg(long, default_value_t = 1000)]
    queries: usize,
    /// Also write the report as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// The whole run's limit in seconds (1–86400); what is left undone then counts as errors.
    #[arg(long, default_value_t = 600)]
    timeout: u64,
    /// Seconds one request may take (1–300); 30 is API Gateway's integration limit.
    #[arg(long, default_value_t = 30)]
    request_timeout: u64,
    /// Share of the calls sent in bulk requests (0–1).
    #[arg(long, default_value_t = 0.5)]
    bulk_share: f64,
    /// Calls per bulk request (2–100).
    #[arg(long, default_value_t = 10)]
    bulk_size: usize,
    /// Agents the calls are spread over (1–1000); the days follow (one call per agent and day).
    #[arg(long, default_value_t = 12)]
    agents: usize,
    /// Seed of every random choice (lengths, starts, filters): the same seed, the same run.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// A bearer token for every request (its tenant claim picks the tenant).
    #[arg(long)]
    token: Option<String>,
    /// Allow a base URL that is not loopback (a deployed API, which this loads and bills).
    #[arg(long)]
    allow_remote: bool,
    /// What is read once the calls are counted: `queries` (random reads of every route) or
    /// `dashboard` (readers refreshing a few views while calls keep arriving).
    #[arg(long, value_enum, default_value_t = Mix::Queries)]
    mix: Mix,
    /// Dashboard: readers refreshing at once (1–64).
    #[arg(long, default_value_t = 4)]
    readers: usize,
    /// Dashboard: reads per second of all readers together (0.1–10000).
    #[arg(long, default_value_t = 16.0)]
    reads_per_second: f64,
    /// Dashboard: new calls per second arriving while the readers read (0–100).
    #[arg(long, default_value_t = 1.0)]
    calls_per_second: f64,
    /// Dashboard: seconds the readers read (1–3600).
    #[arg(long, default_value_t = 60)]
    duration: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mix {
    Queries,
    Dashboard,
}

fn check(args: &Args) -> anyhow::Result<()> {
    let within = |name: &str, value: f64, low: f64, high: f64| {
        anyhow::ensure!(
            (low..=high).contains(&value),
            "--{name} must be from {low} to {high} (got {value})"
        );
        Ok(())
    };
    within("calls", args.calls as f64, 1.0, 100_000.0)?;
    within("concurrency", args.concurrency as f64, 1.0, 256.0)?;
    within("queries", args.queries as f64, 0.0, 1_000_000.0)?;
    within("timeout", args.timeout as f64, 1.0, 86_400.0)?;
    within("request-timeout", args.request_timeout as f64, 1.0, 300.0)?;
    within("bulk-share", args.bulk_share, 0.0, 1.0)?;
    within("bulk-size", args.bulk_size as f64, 2.0, 100.0)?;
    within("agents", args.agents as f64, 1.0, 1_000.0)?;
    within("readers", args.readers as f64, 1.0, 64.0)?;
    within("reads-per-second", args.reads_per_second, 0.1, 10_000.0)?;
    within("calls-per-second", args.calls_per_second, 0.0, 100.0)?;
    within("duration", args.duration as f64, 1.0, 3_600.0)
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    check(&args)?;
    let report = execute(&args).await?;
    print!("{}", report::render(&report));
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    anyhow::ensure!(
        report.error_count == 0,
        "{} errors (see the report)",
        report.error_count
    );
    Ok(())
}

/// The meter of `callscope local serve`; `None` where the API has no such route.
async fn read_meter(target: &Target) -> anyhow::Result<Option<MeterReading>> {
    let answer = target.get_unrecorded(meter::ROUTE).await?;
    if answer.status != 200 {
        return Ok(None);
    }
    Ok(serde_json::from_slice(&answer.body).ok())
}

fn bar(progress: &MultiProgress, len: u64, prefix: &'static str) -> ProgressBar {
    let style = ProgressStyle::with_template(
        "{prefix:>10} [{bar:40}] {pos}/{len} {per_sec:>10} {elapsed_precise}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    progress.add(ProgressBar::new(len).with_style(style).with_prefix(prefix))
}

async fn execute(args: &Args) -> anyhow::Result<Report> {
    let mix = plan::parse_mix(&args.minutes_mix).map_err(anyhow::Error::msg)?;
    let base = http::base_url(&args.base_url, args.allow_remote)?;
    let target = Target::new(
        base,
        args.token.clone(),
        Duration::from_secs(args.request_timeout),
    )?;
    let health = target.get_unrecorded("/health").await.with_context(|| {
        format!(
            "no callscope API answers at {} (is `callscope local serve` running?)",
            target.base()
        )
    })?;
    anyhow::ensure!(
        health.status == 200,
        "{}/health answered {}",
        target.base(),
        health.status
    );
    let deadline = Instant::now() + Duration::from_secs(args.timeout);
    let run_id = format!("load-{:x}", chrono::Utc::now().timestamp_millis());
    let plan = Plan::new(&PlanSpec {
        run: &run_id,
        seed: args.seed,
        calls: args.calls,
        agents: args.agents,
        mix: &mix,
        bulk_share: args.bulk_share,
        bulk_size: args.bulk_size,
        today: chrono::Utc::now().date_naive(),
    });
    let progress = MultiProgress::new();
    let before = read_meter(&target).await?;
    let driver = Driver {
        target: &target,
        concurrency: args.concurrency,
        deadline,
    };

    // Ingest, with the watch for counted calls running beside it.
    let tracker = watch::Tracker::new(&plan);
    let sent = bar(&progress, plan.calls.len() as u64, "sent");
    let counted = bar(&progress, plan.calls.len() as u64, "counted");
    let ((), polls) = tokio::join!(
        async {
            ingest::ingest(&driver, &plan, &tracker, &sent).await;
            tracker
                .ingest_done
                .store(true, std::sync::atomic::Ordering::Release);
            sent.finish();
        },
        watch::watch(&driver, &plan, &tracker, &counted)
    );
    counted.finish();
    let ingest_requests = target.recorder.requests_to(&[ingest::SINGLE, ingest::BULK]);
    let ingest_seconds = sent.elapsed().as_secs_f64();
    let (first, last, e2e, not_counted) = tracker.outcome();
    target.recorder.error("not counted", not_counted);
    let after_ingest = read_meter(&target).await?;

    // Queries over what was accepted.
    let accepted = tracker.accepted_calls();
    let dashboard = match args.mix {
        Mix::Queries => None,
        Mix::Dashboard => Some(run_dashboard(args, &target, &plan, &mix).await?),
    };
    let mut rng = SmallRng::seed_from_u64(args.seed ^ 0x9E37_79B9);
    let queries = if dashboard.is_some() { 0 } else { args.queries };
    let drawn: Vec<queries::Query> = (0..queries)
        .map(|_| queries::draw(&mut rng, &plan, &accepted))
        .collect();
    let asked = bar(&progress, drawn.len() as u64, "queries");
    let queries_started = Instant::now();
    queries::ask(&driver, &drawn, &asked).await;
    asked.finish();
    let queries_seconds = queries_started.elapsed().as_secs_f64();
    let after_queries = read_meter(&target).await?;
    progress.clear().ok();

    let query_endpoints = [
        queries::LIST,
        queries::DETAIL,
        queries::RECOMMENDATIONS,
        queries::LEADERBOARD,
        queries::AGENT,
        queries::TEAM,
    ];
    let endpoints = target.recorder.endpoints();
    let (hits, lookups) = endpoints
        .iter()
        .filter(|e| query_endpoints.contains(&e.endpoint.as_str()))
        .map(|e| e.cache_counts())
        .fold((0, 0), |(h, t), (eh, et)| (h + eh, t + et));
    let mut queries_phase = PhaseReport::new(
        target.recorder.requests_to(&query_endpoints),
        queries_seconds,
    );
    queries_phase.cache_hits = Some(hits);
    queries_phase.cache_lookups = Some(lookups);
    queries_phase.cache_hit_rate = (lookups > 0).then(|| hits as f64 / lookups as f64);
    let mut ingest_phase = PhaseReport::new(ingest_requests, ingest_seconds);
    ingest_phase.accepted_calls = Some(accepted.len() as u64);

    let (bill, bill_note) = match (before, after_ingest, after_queries) {
        (Some(before), Some(mid), Some(after)) => (
            Some(BillReport {
                write_path: bill::write_bill(&before, &mid, accepted.len() as u64, ingest_requests),
                read_path: (queries_phase.requests > 0)
                    .then(|| bill::read_bill(&mid, &after, queries_phase.requests)),
            }),
            None,
        ),
        _ => (
            None,
            Some(format!(
                "skipped: {} has no {} (only `callscope local serve` meters its requests)",
                target.base(),
                meter::ROUTE
            )),
        ),
    };
    let errors = target.recorder.errors_by_kind();
    let days = (plan.last_day - plan.first_day).num_days() + 1;
    let mut by_minutes = std::collections::BTreeMap::new();
    for call in &plan.calls {
        *by_minutes.entry(call.minutes).or_default() += 1;
    }
    Ok(Report {
        base_url: target.base().to_owned(),
        run: run_id,
        seed: args.seed,
        concurrency: args.concurrency,
        calls: CallsReport {
            planned: plan.calls.len(),
            by_minutes,
            sent_in_bulk: plan.calls_in_bulk(),
            agents: plan.agents.len(),
            teams: plan.teams().len(),
            days,
        },
        ingest: ingest_phase,
        aggregation: AggregationReport {
            observed_as: "the first poll of the agent's per-day series (GET /api/v1/analytics/agents/{agent_id}, through the cache) that shows the call's day; each call has an (agent, day) of its own".into(),
            counted: e2e.len() as u64,
            not_counted,
            seconds: match (first, last) {
                (Some(first), Some(last)) => last.duration_since(first).as_secs_f64(),
                _ => 0.0,
            },
            end_to_end_seconds: stats::Latency::of(&e2e),
            polls,
        },
        queries: queries_phase,
        endpoints,
        error_count: errors.values().sum(),
        errors,
        bill,
        bill_note,
        dashboard,
    })
}

/// The dashboard phase: its own recorders (its reads alone are reported) and the read path's
/// meter around it.
async fn run_dashboard(
    args: &Args,
    target: &Target,
    plan: &Plan,
    mix: &[plan::MixEntry],
) -> anyhow::Result<dashboard::DashboardReport> {
    let request_timeout = Duration::from_secs(args.request_timeout);
    let base = http::base_url(&args.base_url, args.allow_remote)?;
    let readers = Target::new(base.clone(), args.token.clone(), request_timeout)?;
    let writers = Target::new(base, args.token.clone(), request_timeout)?;
    let settings = dashboard::Settings {
        readers: args.readers,
        reads_per_second: args.reads_per_second,
        calls_per_second: args.calls_per_second,
        duration: Duration::from_secs(args.duration),
    };
    let live = Plan::new(&PlanSpec {
        run: &format!("{}-live", plan.run),
        seed: args.seed.wrapping_add(1),
        calls: ((args.calls_per_second * args.duration as f64).ceil() as usize).clamp(1, 100_000),
        agents: plan.agents.len(),
        mix,
        bulk_share: 0.0,
        bulk_size: 2,
        today: chrono::Utc::now().date_naive(),
    });
    let before = read_meter(target).await?;
    let mut report = dashboard::run(&readers, &writers, plan, &live, settings).await;
    let after = read_meter(target).await?;
    if let (Some(before), Some(after)) = (before, after) {
        let bill = bill::read_bill(&before, &after, report.reads);
        report.read_units_per_read =
            (report.reads > 0).then(|| bill.usage.read_units() / report.reads as f64);
    }
    for (kind, count) in readers.recorder.errors_by_kind() {
        target
            .recorder
            .error(&format!("dashboard read {kind}"), count);
    }
    for (kind, count) in writers.recorder.errors_by_kind() {
        target
            .recorder
            .error(&format!("dashboard call {kind}"), count);
    }
    Ok(report)
}
