//! The calls of a chaos run and how they go in: over HTTP one at a time and in bulk (clients
//! that retry a 503 and bulk items answered `retry`), from a producer on the intake queue, and
//! as objects put in the drop-in bucket (whose call ids the pipeline derives from the objects);
//! with duplicates at every entrance (client retries, producers re-sending, the same call on
//! both routes, process requests sent twice, identical objects put again), bad input over HTTP,
//! poison on the queues, and calls erased and re-analysed while the others go in
//! ([`lifecycle`](super::lifecycle)). The ledger it returns is what was accepted (and erased),
//! which the check holds the pipeline to.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context;
use aws_sdk_sqs::types::QueueAttributeName;
use callscope_cloud::aws::AwsClients;
use callscope_cloud::dynamo::DynamoCalls;
use callscope_core::domain::{CallId, CorrelationId, TenantId};
use callscope_core::objects::call_id_of;
use callscope_core::pipeline::ProcessCall;
use callscope_samples::generate_call_document;
use serde_json::{json, Value};

use super::lifecycle::LifecycleCounts;
use super::poison::{Poison, KINDS, POISON_TAG};
use super::ChaosPlan;
use crate::LocalPipeline;

pub const TENANTS: [&str; 2] = ["acme", "globex"];
const AGENTS: [&str; 6] = ["ana", "ben", "chen", "dara", "eli", "fay"];
const DAYS: [&str; 3] = ["2026-11-02", "2026-11-03", "2026-11-04"];
const OUTCOMES: [Option<&str>; 4] = [Some("won"), Some("lost"), Some("follow_up"), None];
/// Calls sent per round; a round's bulk calls go in one request per tenant.
pub(super) const ROUND: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Route {
    HttpSingle,
    HttpBulk,
    IntakeQueue,
    /// An object put under `{tenant}/` in the drop-in bucket (S3 tells the drop-in queue).
    S3Object,
}

impl Route {
    pub fn label(self) -> &'static str {
        match self {
            Route::HttpSingle => "POST /api/v1/calls",
            Route::HttpBulk => "POST /api/v1/calls/bulk",
            Route::IntakeQueue => "intake queue",
            Route::S3Object => "S3 drop-in bucket object",
        }
    }
}

#[derive(Debug, Clone)]
pub struct PlannedCall {
    pub index: usize,
    pub tenant: TenantId,
    pub call_id: CallId,
    pub route: Route,
    /// The document as sent (an S3 object's names no call id: the pipeline derives it).
    pub document: Value,
    /// The object's key in the drop-in bucket, for [`Route::S3Object`].
    pub object_key: Option<String>,
}

/// The run's calls: agents, teams (some none), three days and outcomes spread over them; one
/// in twenty an object in `drop_in_bucket`, whose call id is the one the pipeline derives from
/// the object (the same code computes it).
pub fn planned_calls(plan: &ChaosPlan, drop_in_bucket: &str) -> anyhow::Result<Vec<PlannedCall>> {
    (0..plan.calls)
        .map(|i| {
            let mut id = format!("chaos-{i:05}");
            let mut doc =
                generate_call_document(1 + (i % 2) as u32, plan.seed * 1_000_003 + i as u64, &id);
            doc["agent_id"] = json!(AGENTS[i % AGENTS.len()]);
            doc["team_id"] = match i % 7 {
                0 => Value::Null,
                n => json!(if n % 2 == 0 { "east" } else { "west" }),
            };
            doc["start_time"] = json!(format!("{}T{:02}:15:00Z", DAYS[i % DAYS.len()], 8 + i % 10));
            doc["outcome"] = OUTCOMES[i % OUTCOMES.len()].map_or(Value::Null, Value::from);
            if let Some(fields) = doc.as_object_mut() {
                fields.retain(|_, v| !v.is_null());
            }
            let tenant = TENANTS[i % TENANTS.len()];
            let route = match i % 10 {
                0..=2 => Route::HttpSingle,
                3..=6 => Route::HttpBulk,
                9 if i % 20 == 9 => Route::S3Object,
                _ => Route::IntakeQueue,
            };
            let mut object_key = None;
            if route == Route::S3Object {
                let key = format!("{tenant}/chaos/{id}.json");
                id = call_id_of(drop_in_bucket, &key).to_string();
                if let Some(fields) = doc.as_object_mut() {
                    fields.remove("call_id");
                }
                object_key = Some(key);
            }
            Ok(PlannedCall {
                index: i,
                tenant: TenantId::parse("tenant", tenant)?,
                call_id: CallId::parse("call_id", &id)?,
                route,
                document: doc,
                object_key,
            })
        })
        .collect()
}

#[derive(Debug, Clone, Default)]
pub struct RouteCounts {
    pub sent: usize,
    pub accepted: usize,
    /// Requests sent again after a 503 or a bulk item answered `retry`.
    pub client_retries: usize,
}

/// What went in.
#[derive(Debug, Default)]
pub struct Ledger {
    /// Every call accepted (202, a bulk item `accepted`, sent to the intake queue, or put in the
    /// drop-in bucket).
    pub accepted: BTreeMap<(TenantId, CallId), Route>,
    /// Accepted calls erased (a DELETE answered 204, or 404 after a 503) and not sent again
    /// since, with their object's key when they came from the bucket: gone everywhere.
    pub erased: BTreeMap<(TenantId, CallId), Option<String>>,
    /// Calls whose re-analysis was queued (202), with the revision the last one answered.
    pub reanalysed: BTreeMap<(TenantId, CallId), u32>,
    /// Calls to re-analyse once processed (answered 409 while the calls went in).
    pub reanalyse_later: BTreeSet<(TenantId, CallId)>,
    pub lifecycle: LifecycleCounts,
    /// DELETE, re-analyse and settings requests answered other than the contract says: each is
    /// a failure.
    pub lifecycle_misanswered: Vec<String>,
    pub routes: BTreeMap<Route, RouteCounts>,
    pub duplicates: BTreeMap<&'static str, usize>,
    pub poison: Vec<Poison>,
    /// Invalid calls sent over HTTP (alone, or as one item of a bulk request).
    pub http_invalid: usize,
    /// Invalid input not answered with a 4xx or a `rejected` item: each is a failure.
    pub http_invalid_mishandled: Vec<String>,
    /// Valid calls the clients gave up on: each is a failure.
    pub refused: Vec<String>,
}

pub struct Feeder<'a> {
    pub pipeline: &'a LocalPipeline,
    /// The producers' own clients: faults are injected into the functions' clients only.
    pub producer: &'a AwsClients,
    /// The calls table read through the producers' clients (what state a call is in when it
    /// is erased, for the report).
    pub calls: DynamoCalls,
    pub plan: &'a ChaosPlan,
    /// Calls sent so far, for the run's timeline.
    pub fed: AtomicUsize,
}

impl Feeder<'_> {
    pub async fn feed(&self, calls: &[PlannedCall]) -> anyhow::Result<Ledger> {
        let mut ledger = Ledger::default();
        for (round, chunk) in calls.chunks(ROUND).enumerate() {
            self.wait_for_backlog().await?;
            let invalid_in_bulk = round % 3 == 1;
            for tenant in TENANTS {
                let docs: Vec<&PlannedCall> = chunk
                    .iter()
                    .filter(|c| c.route == Route::HttpBulk && c.tenant.as_str() == tenant)
                    .collect();
                self.post_bulk(tenant, &docs, invalid_in_bulk, &mut ledger)
                    .await;
                self.erase_before_processing(&docs, &mut ledger).await;
            }
            for call in chunk.iter().filter(|c| c.route != Route::HttpBulk) {
                self.send_by(call, call.route, &mut ledger).await?;
            }
            self.duplicate(chunk, &mut ledger).await?;
            self.lifecycle_while_feeding(round, calls, &mut ledger)
                .await?;
            if round % 4 == 2 {
                self.post_invalid(&chunk[0], &mut ledger).await;
            }
            self.poison(round, chunk, &mut ledger).await?;
            self.fed.fetch_add(chunk.len(), Ordering::Relaxed);
        }
        Ok(ledger)
    }

    /// A client's duplicates of calls already sent, the same call on the other route, and
    /// process requests for calls already queued.
    async fn duplicate(&self, chunk: &[PlannedCall], ledger: &mut Ledger) -> anyhow::Result<()> {
        for call in chunk {
            if call.route == Route::S3Object {
                // The same bytes put again: S3 tells the queue again, still one call.
                if call.index % 40 == 9 {
                    *ledger
                        .duplicates
                        .entry("identical S3 object put again")
                        .or_default() += 1;
                    self.send_by(call, Route::S3Object, ledger).await?;
                }
                continue;
            }
            if call.index % 10 == 4 || call.index % 10 == 8 {
                let route = match call.route {
                    Route::IntakeQueue => Route::IntakeQueue,
                    _ => Route::HttpSingle,
                };
                *ledger
                    .duplicates
                    .entry("sent again by its client or producer")
                    .or_default() += 1;
                self.send_by(call, route, ledger).await?;
            }
            if call.index % 13 == 6 {
                let other = match call.route {
                    Route::IntakeQueue => Route::HttpSingle,
                    _ => Route::IntakeQueue,
                };
                *ledger
                    .duplicates
                    .entry("sent on the other route too")
                    .or_default() += 1;
                self.send_by(call, other, ledger).await?;
            }
            // Only for calls answered 202 (stored): a request for a call an intake message is
            // still admitting would find it half stored and fail it, which no sender can cause.
            if call.index % 11 == 5
                && call.route != Route::IntakeQueue
                && ledger.accepted.contains_key(&key(call))
            {
                let request = ProcessCall {
                    tenant: call.tenant.clone(),
                    call_id: call.call_id.clone(),
                    correlation_id: CorrelationId::parse("correlation_id", "chaos-duplicate")?,
                    revision: None,
                };
                *ledger
                    .duplicates
                    .entry("process request sent twice")
                    .or_default() += 1;
                self.send("ProcessQueue", &serde_json::to_string(&request)?, &[])
                    .await?;
            }
        }
        Ok(())
    }

    pub(super) async fn send_by(
        &self,
        call: &PlannedCall,
        route: Route,
        ledger: &mut Ledger,
    ) -> anyhow::Result<()> {
        let counts = ledger.routes.entry(route).or_default();
        counts.sent += 1;
        let accepted = match route {
            Route::S3Object => {
                let key = call
                    .object_key
                    .as_deref()
                    .context("an S3 call has its object key")?;
                self.pipeline
                    .drop_object_with(
                        &self.producer.s3,
                        key,
                        call.document.to_string().into_bytes(),
                        &[],
                    )
                    .await?;
                ledger.lifecycle.s3_objects += 1;
                true
            }
            Route::IntakeQueue => {
                let tenant = [("tenant", call.tenant.as_str())];
                self.send("IntakeQueue", &call.document.to_string(), &tenant)
                    .await?;
                true
            }
            _ => self.post_single(call, counts).await,
        };
        if accepted {
            counts.accepted += 1;
            ledger.accepted.entry(key(call)).or_insert(route);
        } else {
            ledger
                .refused
                .push(format!("{} over {}", call.call_id, route.label()));
        }
        Ok(())
    }

    async fn poison(
        &self,
        round: usize,
        chunk: &[PlannedCall],
        ledger: &mut Ledger,
    ) -> anyhow::Result<()> {
        let kind = KINDS[round % KINDS.len()];
        // A call accepted over HTTP, so a conflicting copy meets it stored.
        let Some(accepted) = chunk.iter().find(|c| {
            !matches!(c.route, Route::IntakeQueue | Route::S3Object)
                && ledger.accepted.contains_key(&key(c))
        }) else {
            return Ok(());
        };
        let tag = format!("poison-{round:04}");
        let (body, tenant) = kind.message(accepted.tenant.as_str(), &accepted.document);
        let mut attributes = vec![(POISON_TAG, tag.as_str())];
        if let Some(tenant) = &tenant {
            attributes.push(("tenant", tenant.as_str()));
        }
        self.send(kind.queue(), &body, &attributes).await?;
        ledger.poison.push(Poison { tag, kind });
        Ok(())
    }

    /// Sends as an external producer, through its own client.
    async fn send(
        &self,
        queue: &str,
        body: &str,
        attributes: &[(&str, &str)],
    ) -> anyhow::Result<()> {
        self.pipeline
            .send_with(&self.producer.sqs, queue, body, attributes)
            .await
    }

    /// Holds the feed while the queues hold more than the plan's backlog: the emulator slows
    /// down as its queues grow, and a real producer is paced by its own traffic anyway.
    async fn wait_for_backlog(&self) -> anyhow::Result<()> {
        while messages_in(
            self.pipeline,
            &self.producer.sqs,
            &[QueueAttributeName::ApproximateNumberOfMessages],
        )
        .await?
            > self.plan.max_backlog
        {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        Ok(())
    }
}

/// The source queues of the run's functions.
pub const SOURCE_QUEUES: [&str; 5] = [
    "IntakeQueue",
    "DropInQueue",
    "ProcessQueue",
    "ReanalyseQueue",
    "AnalyticsQueue",
];

/// Messages in the source queues, counted by the given attributes (visible, in flight).
pub async fn messages_in(
    pipeline: &LocalPipeline,
    sqs: &aws_sdk_sqs::Client,
    counts: &[QueueAttributeName],
) -> anyhow::Result<usize> {
    let mut total = 0;
    for queue in SOURCE_QUEUES {
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(pipeline.queue_url(queue))
            .set_attribute_names(Some(counts.to_vec()))
            .send()
            .await
            .with_context(|| format!("reading the depth of {queue}"))?
            .attributes
            .unwrap_or_default();
        total += counts
            .iter()
            .filter_map(|name| attributes.get(name)?.parse::<usize>().ok())
            .sum::<usize>();
    }
    Ok(total)
}

pub(super) fn key(call: &PlannedCall) -> (TenantId, CallId) {
    (call.tenant.clone(), call.call_id.clone())
}
