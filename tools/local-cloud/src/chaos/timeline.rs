//! What happens around the pipeline while the calls go in: the cache's Redis stops at 30% of
//! the feed and starts again (empty) at 60%, the query API is read all along (it must answer,
//! only slower), the table streams are delivered to the invalidation while Redis is down, and
//! the sweeper fires on its schedule with calls in flight. At the end, what SQS moved to a DLQ
//! after maxReceiveCount (no reason attached) is redriven, as the operator's runbook says.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use callscope_app::ports::FAILURE_REASON_ATTRIBUTE;
use callscope_app::sweep::Sweep;
use callscope_cloud::sqs::redrive_where;

use super::check::DEAD_LETTER_QUEUES;
use super::feed::{Feeder, TENANTS};
use super::ChaosPlan;
use crate::redis::OwnRedis;
use crate::LocalPipeline;

/// Query API answers seen in one part of the run.
#[derive(Debug, Clone, Default)]
pub struct ApiReads {
    pub reads: usize,
    /// Answers other than 200: each is a failure (the cache is never the source of truth).
    pub errors: usize,
    /// By the `x-cache` header: hit, miss, error.
    pub cache: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, Default)]
pub struct Outage {
    /// Calls sent when Redis was stopped, and when it was started again.
    pub stopped_at: Option<usize>,
    pub restarted_at: Option<usize>,
    pub while_down: ApiReads,
    /// After the run, with Redis back.
    pub after: ApiReads,
    /// Stream records delivered to the invalidation while Redis was down.
    pub invalidated_while_down: usize,
    pub sweeps: usize,
    /// Calls the sweeper queued again while calls went in.
    pub swept: usize,
}

pub async fn run(
    pipeline: &LocalPipeline,
    redis: &mut OwnRedis,
    feeder: &Feeder<'_>,
    fed: &AtomicBool,
    sweep: &Sweep,
    plan: &ChaosPlan,
) -> anyhow::Result<Outage> {
    let mut outage = Outage::default();
    let mut last_sweep = Instant::now();
    loop {
        let done = fed.load(Ordering::Relaxed);
        let sent = feeder.fed.load(Ordering::Relaxed);
        if outage.stopped_at.is_none() && (sent * 10 >= plan.calls * 3 || done) {
            redis.stop().await;
            outage.stopped_at = Some(sent);
            outage.invalidated_while_down += pipeline
                .drain_streams()
                .await
                .context("delivering the streams while Redis is down")?;
        }
        if outage.stopped_at.is_some() && outage.restarted_at.is_none() {
            if sent * 10 >= plan.calls * 6 || done {
                redis.resume().await;
                outage.restarted_at = Some(sent);
            } else {
                add(&mut outage.while_down, read_api(pipeline).await);
            }
        }
        if last_sweep.elapsed() >= plan.sweep_every {
            last_sweep = Instant::now();
            outage.sweeps += 1;
            match sweep.run().await {
                Ok(report) => outage.swept += report.requeued,
                // A failed run is retried by the schedule; the faults make some fail.
                Err(error) => tracing::warn!(%error, "a sweep failed"),
            }
        }
        if done && outage.restarted_at.is_some() {
            return Ok(outage);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// A leaderboard and a page of calls per tenant through the query API.
pub async fn read_api(pipeline: &LocalPipeline) -> ApiReads {
    let mut reads = ApiReads::default();
    for tenant in TENANTS {
        for path in ["/api/v1/analytics/agents", "/api/v1/calls?limit=5"] {
            let reply = pipeline.get(path, Some(tenant)).await;
            reads.reads += 1;
            if reply.status != 200 {
                reads.errors += 1;
            }
            let cache = reply.header("x-cache").unwrap_or("none").to_owned();
            *reads.cache.entry(cache).or_default() += 1;
        }
    }
    reads
}

fn add(into: &mut ApiReads, reads: ApiReads) {
    into.reads += reads.reads;
    into.errors += reads.errors;
    for (cache, n) in reads.cache {
        *into.cache.entry(cache).or_default() += n;
    }
}

/// Sends every DLQ message without a reason (moved by SQS after maxReceiveCount: it failed for
/// now, too often) back to its queue; messages parked with a reason stay. Returns how many.
pub async fn redrive_unexplained(
    pipeline: &LocalPipeline,
    sqs: &aws_sdk_sqs::Client,
) -> anyhow::Result<usize> {
    let mut moved = 0;
    for dlq in DEAD_LETTER_QUEUES {
        let source = pipeline.queue_url(&dlq.replace("DeadLetterQueue", "Queue"));
        let report = redrive_where(
            sqs,
            pipeline.queue_url(dlq),
            source,
            usize::MAX,
            |message| crate::attribute(message, FAILURE_REASON_ATTRIBUTE).is_none(),
        )
        .await
        .with_context(|| format!("redriving {dlq}"))?;
        moved += report.moved;
    }
    Ok(moved)
}
