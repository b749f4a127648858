//! The chaos run (`callscope local chaos`, `make chaos`, and a small one in `make test`): calls
//! go in over HTTP (one and bulk), the intake queue and the drop-in bucket (S3 objects, one put
//! twice) while the functions run behind them, and some are erased (before, while and after
//! they are processed; some twice; some sent again) and re-analysed (some twice, the last ones
//! after the tenants' scorecards change); faults are injected into every DynamoDB and SQS
//! request the functions make, invocations crash partway, are cut off past their deadline or
//! run twice on the same batch, messages are failed before and after their work, poison is
//! mixed in, the sweeper fires while work is in flight, and the cache's Redis is stopped and
//! started again. Then the pipeline drains (what SQS parked after maxReceiveCount is redriven,
//! as an operator would), the table streams reach the cache invalidation and the export, and
//! the check holds it to the invariants: nothing accepted lost, erased calls gone everywhere,
//! nothing counted twice, every refusal explained.

mod check;
mod client;
mod feed;
mod lifecycle;
mod mischief;
mod poison;
mod report;
mod rules;
mod sources;
mod timeline;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::QueueAttributeName;
use callscope_app::sweep::Sweep;
use callscope_cloud::aws::{load_sdk_config, AwsClients};
use callscope_cloud::config::{FromEnv, SweepConfig};
use callscope_cloud::dynamo::DynamoCalls;
use callscope_cloud::sqs::SqsBatchHandler;

pub use check::Verdict;
pub use feed::{Route, RouteCounts};
pub use lifecycle::LifecycleCounts;
pub use mischief::{silence_injected_panics, InjectedCrash, Mischief, MischiefCounts, Schedule};
pub use poison::{PoisonKind, POISON_TAG};
pub use report::{ChaosReport, StageChaos};
pub use timeline::Outage;

use crate::faults::FaultInjector;
use crate::flaky::Flaky;
use crate::redis::OwnRedis;
use crate::runner::PollReport;
use crate::template::{LocalTemplate, Stack};
use crate::LocalPipeline;

/// What to run.
#[derive(Debug, Clone)]
pub struct ChaosPlan {
    pub calls: usize,
    pub seed: u64,
    /// One call in this many can never be stored processed (the store refuses its analysis):
    /// it must end FAILED with its reason.
    pub fail_one_in: usize,
    /// Each kind of invocation mischief strikes one batch in this many.
    pub mischief_period: u64,
    /// Messages failed once before or after their work, out of 100.
    pub flaky_percent: u64,
    /// The feed waits while the queues hold more messages than this.
    pub max_backlog: usize,
    /// The sweeper runs this often while calls go in.
    pub sweep_every: Duration,
}

impl ChaosPlan {
    /// Whether the call of this index can never be stored processed (see `fail_one_in`).
    pub fn fails(&self, index: usize) -> bool {
        index % self.fail_one_in.max(1) == self.fail_one_in / 2
    }

    pub fn sized(calls: usize) -> Self {
        Self {
            calls,
            seed: 1,
            fail_one_in: 97,
            mischief_period: 16,
            flaky_percent: 8,
            max_backlog: 200,
            sweep_every: Duration::from_secs(20),
        }
    }
}

/// Sweeper age while the calls go in (the template's least), and at the end.
const SWEEP_AFTER_SECONDS: &str = "60";
const FINAL_SWEEP_AFTER_SECONDS: &str = "0";
/// Longer than the longest visibility timeout in the template (aggregate's, 6 × 30 s).
const SETTLE_WITHIN: Duration = Duration::from_secs(600);

/// Provisions a fresh copy of the template under `prefix` (with a Redis of its own as the
/// cache and the deployed maxReceiveCount), runs the plan, checks, and tears it down unless
/// `keep`.
pub async fn run(
    template: &Path,
    prefix: &str,
    plan: &ChaosPlan,
    keep: bool,
) -> anyhow::Result<ChaosReport> {
    silence_injected_panics();
    let started = Instant::now();
    let drop_in_bucket = crate::provision::bucket_name(prefix, "DropInBucket");
    let calls = feed::planned_calls(plan, &drop_in_bucket)?;
    let failing: Vec<&feed::PlannedCall> = calls.iter().filter(|c| plan.fails(c.index)).collect();
    let faults = FaultInjector::new(rules::fault_rules(plan, &failing));
    let mut redis = OwnRedis::start().await;
    let overrides = BTreeMap::from([
        ("MaxReceiveCount".to_owned(), "5".to_owned()),
        ("CacheUrl".to_owned(), redis.url()),
    ]);
    let template = LocalTemplate::load_for_stack(template, &Stack::local(prefix), overrides)?;
    let sdk = load_sdk_config().await;
    let clean = AwsClients::from_config(&sdk);
    let pipeline = LocalPipeline::start(
        AwsClients::from_config_with(&sdk, faults.clone()),
        &template,
        prefix,
    )
    .await?;
    anyhow::ensure!(
        pipeline.bucket("DropInBucket") == drop_in_bucket,
        "the drop-in bucket is {}, not {drop_in_bucket} as the planned calls' ids assume",
        pipeline.bucket("DropInBucket")
    );
    let outcome = run_on(&pipeline, &clean, &mut redis, plan, &calls, &faults).await;
    if !keep {
        pipeline.teardown().await?;
    }
    let mut report = outcome?;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// The functions' handlers as the event sources invoke them in a phase of the run.
#[derive(Clone, Copy)]
struct Handlers<'a> {
    intake: &'a dyn SqsBatchHandler,
    dropin: &'a dyn SqsBatchHandler,
    process: &'a dyn SqsBatchHandler,
    aggregate: &'a dyn SqsBatchHandler,
}

/// What one drain to the end did.
#[derive(Debug, Default)]
struct Settled {
    redriven: usize,
    swept: usize,
    rounds: usize,
}

async fn run_on(
    pipeline: &LocalPipeline,
    clean: &AwsClients,
    redis: &mut OwnRedis,
    plan: &ChaosPlan,
    calls: &[feed::PlannedCall],
    faults: &FaultInjector,
) -> anyhow::Result<ChaosReport> {
    let started = Instant::now();
    // A second sandbox of the process function, cold until the scorecards change: it runs the
    // last re-analyses with the new settings (a warm one may keep the old ones for a minute).
    let cold_process = pipeline.process_sandbox()?;
    let flaky = [
        Flaky::new(&pipeline.intake, plan.flaky_percent, plan.seed),
        Flaky::new(&pipeline.dropin, plan.flaky_percent, plan.seed + 3),
        Flaky::new(&pipeline.process, plan.flaky_percent, plan.seed + 1),
        Flaky::new(&pipeline.aggregate, plan.flaky_percent, plan.seed + 2),
        Flaky::new(&cold_process, plan.flaky_percent, plan.seed + 4),
    ];
    let schedule = Schedule {
        period: plan.mischief_period,
    };
    let stages = [
        "intake",
        "dropin",
        "process",
        "aggregate",
        "process, cold sandbox",
    ]
    .into_iter()
    .zip(&flaky)
    .map(|(name, flaky)| (name, Mischief::new(flaky, schedule)))
    .collect::<Vec<_>>();
    let handlers = Handlers {
        intake: &stages[0].1,
        dropin: &stages[1].1,
        process: &stages[2].1,
        aggregate: &stages[3].1,
    };
    let deliveries: Mutex<BTreeMap<&'static str, PollReport>> = Mutex::default();
    let sweep = sweeper(pipeline, SWEEP_AFTER_SECONDS)?;
    let feeder = feed::Feeder {
        pipeline,
        producer: clean,
        calls: DynamoCalls::new(
            clean.dynamodb.clone(),
            pipeline.table("CallsTable").to_owned(),
        ),
        plan,
        fed: AtomicUsize::new(0),
    };
    let fed = AtomicBool::new(false);
    let poll_errors = AtomicUsize::new(0);

    // While the calls go in: the feed, the event sources (two pollers each for the process and
    // analytics queues, as Lambda runs several; one for the others, the quiet ones polled less
    // often), and the timeline of outages and sweeps.
    let feeding = async {
        let ledger = feeder.feed(calls).await;
        fed.store(true, Ordering::Relaxed);
        ledger
    };
    let mut pollers = Vec::new();
    for (stage, function, handler) in [
        ("intake", "IntakeFunction", handlers.intake),
        ("dropin", "DropInFunction", handlers.dropin),
        ("process", "ProcessFunction", handlers.process),
        ("aggregate", "AggregateFunction", handlers.aggregate),
    ] {
        for runner in pipeline.runners(function) {
            let queue = |id| pipeline.queue_url(id) == runner.queue_url();
            let (pollers_of_queue, idle) = if queue("ProcessQueue") || queue("AnalyticsQueue") {
                (2, sources::IDLE_BUSY)
            } else if queue("IntakeQueue") {
                (1, sources::IDLE_BUSY)
            } else {
                (1, sources::IDLE_QUIET)
            };
            for _ in 0..pollers_of_queue {
                pollers.push(sources::poll_while_feeding(
                    runner.clone(),
                    (stage, idle),
                    handler,
                    (&fed, &poll_errors),
                    &deliveries,
                ));
            }
        }
    }
    let polling = futures::future::join_all(pollers);
    let outage = timeline::run(pipeline, redis, &feeder, &fed, &sweep, plan);
    let (ledger, _, outage) = tokio::join!(feeding, polling, outage);
    let mut ledger = ledger?;
    let mut outage = outage?;
    let mut phases = vec![("calls in, with the functions running", started.elapsed())];

    // Then until nothing is left (the mischief goes on).
    let final_sweep = sweeper(pipeline, FINAL_SWEEP_AFTER_SECONDS)?;
    let first = settle(
        pipeline,
        clean,
        handlers,
        &final_sweep,
        &deliveries,
        &poll_errors,
    )
    .await?;
    phases.push(("drained, redriven and swept", started.elapsed()));

    // Processed calls erased, some sent again, the scorecards changed and calls re-analysed
    // (by the cold sandbox, which loads the new scorecards), and again until nothing is left.
    feeder
        .lifecycle_after_processing(calls, &mut ledger)
        .await?;
    let last = Handlers {
        process: &stages[4].1,
        ..handlers
    };
    let second = settle(
        pipeline,
        clean,
        last,
        &final_sweep,
        &deliveries,
        &poll_errors,
    )
    .await?;
    phases.push((
        "erased, re-analysed with new scorecards, drained again",
        started.elapsed(),
    ));
    pipeline.drain_streams().await?;
    pipeline.settle().await;
    outage.after = timeline::read_api(pipeline).await;
    phases.push((
        "streams into the cache invalidation and the export",
        started.elapsed(),
    ));

    let verdict = check::check(pipeline, clean, &ledger).await?;
    phases.push(("checked", started.elapsed()));
    let deliveries = deliveries.into_inner().unwrap_or_default();
    Ok(ChaosReport::new(
        plan,
        ledger,
        faults.injected(),
        stages
            .iter()
            .zip(&flaky)
            .map(|((name, m), f)| (*name, StageChaos::of(m, f)))
            .collect(),
        deliveries,
        outage,
        first.redriven + second.redriven,
        first.swept + second.swept,
        first.rounds + second.rounds,
        poll_errors.into_inner(),
        phases,
        verdict,
    ))
}

/// Drains (the mischief goes on), redrives what SQS parked without a reason, sweeps what is
/// still pending, and waits out messages still in flight (a runner that could not make a failed
/// message visible again leaves it hidden for the queue's visibility timeout: late, not lost),
/// until a round finds nothing left.
async fn settle(
    pipeline: &LocalPipeline,
    clean: &AwsClients,
    handlers: Handlers<'_>,
    final_sweep: &Sweep,
    deliveries: &Mutex<BTreeMap<&'static str, PollReport>>,
    poll_errors: &AtomicUsize,
) -> anyhow::Result<Settled> {
    let mut settled = Settled::default();
    let settle_by = Instant::now() + SETTLE_WITHIN;
    loop {
        settled.rounds += 1;
        anyhow::ensure!(
            Instant::now() < settle_by,
            "the pipeline did not settle within {} s",
            SETTLE_WITHIN.as_secs()
        );
        let dropped = pipeline
            .runner("DropInFunction")
            .run_until_idle(handlers.dropin, 1, Duration::from_secs(300))
            .await;
        let drained = pipeline
            .drain_through(handlers.intake, handlers.process, handlers.aggregate)
            .await;
        match dropped.and_then(|dropped| {
            let mut drained = drained?;
            drained.insert("dropin", dropped);
            Ok(drained)
        }) {
            Ok(drained) => sources::add_reports(deliveries, drained),
            // As while the calls went in: the event source polls again.
            Err(error) => {
                poll_errors.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    error = format!("{error:#}"),
                    "a drain failed; polling again"
                );
            }
        }
        let moved = timeline::redrive_unexplained(pipeline, &clean.sqs).await?;
        // A sweep whose sends the faults failed is retried next round, as the schedule would.
        let requeued = match final_sweep.run().await {
            Ok(report) => report.requeued,
            Err(error) => {
                tracing::warn!(%error, "a final sweep failed");
                1
            }
        };
        settled.redriven += moved;
        settled.swept += requeued;
        let in_flight = feed::messages_in(
            pipeline,
            &clean.sqs,
            &[
                QueueAttributeName::ApproximateNumberOfMessages,
                QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
            ],
        )
        .await?;
        if moved == 0 && requeued == 0 && in_flight == 0 {
            return Ok(settled);
        }
        if in_flight > 0 {
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    }
}

/// The sweep function with its age set to `seconds`.
fn sweeper(pipeline: &LocalPipeline, seconds: &'static str) -> anyhow::Result<Sweep> {
    let env = pipeline.provisioned.env_of("SweepFunction")?;
    let config = SweepConfig::from_lookup(|name| match name {
        "STALE_AFTER_SECONDS" => Some(seconds.to_owned()),
        other => env(other),
    })?;
    Ok(callscope_sweep::sweep(&config, &pipeline.clients))
}
