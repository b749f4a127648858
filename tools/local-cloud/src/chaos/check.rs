//! After the run: every accepted call not erased PROCESSED, or FAILED with its reason and its
//! message parked; every erased call gone from every table (but its tombstone), from the API
//! and from the bucket; every re-analysis queued done; every poison message in its DLQ with a
//! reason that names what is wrong; every rollup equal to the one computed directly from the
//! stored analyses of the calls that remain; no call counted twice; and the query API (its
//! cache restarted empty mid-run) agreeing with the rollups.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context;
use callscope_app::ports::{
    CallQueries, CallRepository, CallStatus, RollupQueries, FAILURE_REASON_ATTRIBUTE,
};
use callscope_cloud::aws::AwsClients;
use callscope_cloud::dynamo::{DynamoCalls, DynamoRollups};
use callscope_core::domain::{AgentId, Call, CallId, CorrelationId, TenantId};
use callscope_core::pipeline::{CallAnalysed, RollupKey, RollupScope};

use super::feed::Ledger;
use super::poison::{process_request, POISON_TAG};
use crate::{attribute, expected, traces, LocalPipeline};

type Calls = BTreeSet<(TenantId, CallId)>;

pub const DEAD_LETTER_QUEUES: [&str; 5] = [
    "IntakeDeadLetterQueue",
    "DropInDeadLetterQueue",
    "ProcessDeadLetterQueue",
    "ReanalyseDeadLetterQueue",
    "AnalyticsDeadLetterQueue",
];

/// What the check found; the run passes when [`Verdict::holds`].
#[derive(Debug, Default)]
pub struct Verdict {
    pub processed: usize,
    pub failed: usize,
    /// Messages in each DLQ: poison, FAILED calls' process requests, anything else.
    pub parked: BTreeMap<&'static str, (usize, usize, usize)>,
    /// Accepted calls neither PROCESSED nor FAILED, poison found in no DLQ, and re-analyses
    /// queued but never done.
    pub lost: Vec<String>,
    /// Calls erased and not sent again: all of them must be gone.
    pub erased: usize,
    /// Where an erased call still shows: a table item, the API, the bucket.
    pub erased_remaining: Vec<String>,
    /// Re-analysed calls whose analysis a tenant's changed scorecard made.
    pub reanalysed_with_new_settings: usize,
    /// FAILED calls without a reason, or without their parked message.
    pub failed_unexplained: Vec<String>,
    /// Parked messages without a reason, or whose reason does not say what is wrong.
    pub parked_unexplained: Vec<String>,
    /// Calls counted more often than once, summed over the tenants' daily rollups.
    pub double_counted: u64,
    /// Calls processed but missing from the tenants' daily rollups.
    pub uncounted: u64,
    /// Rollups that differ from the direct computation.
    pub rollup_mismatches: Vec<String>,
    /// Leaderboard answers of the query API that differ from the rollups.
    pub api_mismatches: Vec<String>,
}

impl Verdict {
    pub fn holds(&self) -> bool {
        self.lost.is_empty()
            && self.erased_remaining.is_empty()
            && self.failed_unexplained.is_empty()
            && self.parked_unexplained.is_empty()
            && self.double_counted == 0
            && self.uncounted == 0
            && self.rollup_mismatches.is_empty()
            && self.api_mismatches.is_empty()
    }
}

/// Reads with `clean`, clients without the injected faults.
pub async fn check(
    pipeline: &LocalPipeline,
    clean: &AwsClients,
    ledger: &Ledger,
) -> anyhow::Result<Verdict> {
    let mut verdict = Verdict::default();
    let calls = DynamoCalls::new(
        clean.dynamodb.clone(),
        pipeline.table("CallsTable").to_owned(),
    );
    let rollups = DynamoRollups::new(
        clean.dynamodb.clone(),
        pipeline.table("AnalyticsTable").to_owned(),
    );
    let mut events = Vec::new();
    let mut failed = Calls::new();
    for (tenant, call_id) in ledger.accepted.keys() {
        if ledger
            .erased
            .contains_key(&(tenant.clone(), call_id.clone()))
        {
            continue;
        }
        let record = calls
            .record(tenant, call_id, callscope_app::ports::Read::Strong)
            .await
            .with_context(|| format!("reading call {call_id}"))?;
        let Some(record) = record else {
            verdict
                .lost
                .push(format!("{tenant}/{call_id} was accepted but is not stored"));
            continue;
        };
        match (record.listing.status, record.analysis) {
            (CallStatus::Processed, Some(analysis)) => {
                // The chaos run sets no retention: a transcript that is gone was lost.
                let Some(transcript) = record.transcript else {
                    verdict
                        .lost
                        .push(format!("{tenant}/{call_id} has lost its transcript"));
                    continue;
                };
                verdict.processed += 1;
                let listing = record.listing;
                let call = Call {
                    call_id: listing.call_id,
                    agent_id: listing.agent_id,
                    customer_id: listing.customer_id,
                    team_id: listing.team_id,
                    language: listing.language,
                    start_time: listing.start_time.time(),
                    duration_seconds: listing.duration_seconds,
                    utterances: transcript,
                    outcome: listing.outcome,
                    // Chaos calls name their roles; a listing carries none.
                    roles: None,
                };
                let correlation_id = CorrelationId::parse("correlation_id", "check")?;
                events.push(CallAnalysed::new(
                    tenant.clone(),
                    &call,
                    &analysis,
                    correlation_id,
                ));
            }
            (CallStatus::Failed, _) => {
                verdict.failed += 1;
                failed.insert((tenant.clone(), call_id.clone()));
                if record
                    .listing
                    .failure_reason
                    .is_none_or(|r| r.trim().is_empty())
                {
                    verdict
                        .failed_unexplained
                        .push(format!("{tenant}/{call_id} is FAILED without a reason"));
                }
            }
            (status, _) => verdict.lost.push(format!(
                "{tenant}/{call_id} was accepted but is {} with no analysis",
                status.as_str()
            )),
        }
    }
    let settled: Calls = ledger
        .accepted
        .keys()
        .filter(|k| !failed.contains(*k) && !ledger.erased.contains_key(*k))
        .cloned()
        .collect();
    check_reanalysed(&calls, ledger, &mut verdict).await?;
    check_erased(pipeline, clean, ledger, &mut verdict).await?;
    check_parked(pipeline, ledger, (&failed, &settled), &mut verdict).await?;
    check_rollups(&rollups, &events, &mut verdict).await?;
    check_api(pipeline, &events, &mut verdict).await;
    Ok(verdict)
}

/// Every re-analysis answered 202 was done: the call's revision reached the one answered.
async fn check_reanalysed(
    calls: &DynamoCalls,
    ledger: &Ledger,
    verdict: &mut Verdict,
) -> anyhow::Result<()> {
    for ((tenant, call_id), &revision) in &ledger.reanalysed {
        if ledger
            .erased
            .contains_key(&(tenant.clone(), call_id.clone()))
        {
            continue;
        }
        let head = calls
            .head(tenant, call_id)
            .await
            .with_context(|| format!("reading call {call_id}"))?;
        let analysis = calls
            .get_analysis(tenant, call_id)
            .await
            .with_context(|| format!("reading the analysis of {call_id}"))?;
        match head {
            Some(head) if head.revision >= revision => {
                if analysis.is_some_and(|a| a.settings_version.is_some()) {
                    verdict.reanalysed_with_new_settings += 1;
                }
            }
            found => verdict.lost.push(format!(
                "{tenant}/{call_id}: re-analysis {revision} was queued but the call is at {:?}",
                found.map(|h| h.revision)
            )),
        }
    }
    Ok(())
}

/// Every erased call gone: no item of the tables names it (but its rollup-ledger tombstone),
/// the API answers 404 for it, and the object it came from left the bucket.
async fn check_erased(
    pipeline: &LocalPipeline,
    clean: &AwsClients,
    ledger: &Ledger,
    verdict: &mut Verdict,
) -> anyhow::Result<()> {
    verdict.erased = ledger.erased.len();
    let ids: BTreeSet<String> = ledger.erased.keys().map(|(_, c)| c.to_string()).collect();
    for (call, items) in traces::traces_of(pipeline, &clean.dynamodb, &ids).await? {
        verdict.erased_remaining.push(format!(
            "erased {call} is still stored: {}",
            items.join(", ")
        ));
    }
    for ((tenant, call_id), object) in &ledger.erased {
        let reply = pipeline
            .get(&format!("/api/v1/calls/{call_id}"), Some(tenant.as_str()))
            .await;
        if reply.status != 404 {
            verdict.erased_remaining.push(format!(
                "erased {tenant}/{call_id} is answered {} by the API",
                reply.status
            ));
        }
        if let Some(key) = object {
            if traces::in_drop_in_bucket(pipeline, &clean.s3, key).await? {
                verdict.erased_remaining.push(format!(
                    "erased {tenant}/{call_id}: its object {key} is still in the bucket"
                ));
            }
        }
    }
    Ok(())
}

async fn check_parked(
    pipeline: &LocalPipeline,
    ledger: &Ledger,
    (failed, others): (&Calls, &Calls),
    verdict: &mut Verdict,
) -> anyhow::Result<()> {
    let mut poison_found: BTreeMap<String, String> = BTreeMap::new();
    let mut failed_parked = BTreeSet::new();
    for dlq in DEAD_LETTER_QUEUES {
        let counts = verdict.parked.entry(dlq).or_default();
        for message in pipeline.peek_all(dlq).await? {
            let reason = attribute(&message, FAILURE_REASON_ATTRIBUTE).unwrap_or_default();
            let body = message.body.as_deref().unwrap_or_default();
            if let Some(tag) = attribute(&message, POISON_TAG) {
                counts.0 += 1;
                poison_found.insert(format!("{dlq}/{tag}"), reason.to_owned());
            } else if let Some(request) =
                process_request(body).filter(|_| dlq.starts_with("Process"))
            {
                counts.1 += 1;
                let key = (request.tenant, request.call_id);
                // A call marked FAILED that a later delivery processed after all (its parked
                // message is then history) is explained too.
                let known = failed.contains(&key) || others.contains(&key);
                if !known || !reason.contains("marked FAILED") {
                    verdict.parked_unexplained.push(format!(
                        "{dlq}: the process request of {}/{} (reason {reason:?}) is not a FAILED call's",
                        key.0, key.1
                    ));
                }
                failed_parked.insert(key);
            } else {
                counts.2 += 1;
                verdict.parked_unexplained.push(format!(
                    "{dlq}: unexpected message (reason {reason:?}): {body:.120}"
                ));
            }
        }
    }
    for poison in &ledger.poison {
        let place = format!("{}/{}", poison.kind.dead_letter_queue(), poison.tag);
        match poison_found.get(&place) {
            None => verdict.lost.push(format!(
                "poison {} ({}) is in no DLQ",
                poison.tag,
                poison.kind.label()
            )),
            Some(reason) if !reason.contains(poison.kind.reason_contains()) => {
                verdict.parked_unexplained.push(format!(
                    "poison {} ({}) parked with reason {reason:?}, which does not say {:?}",
                    poison.tag,
                    poison.kind.label(),
                    poison.kind.reason_contains()
                ))
            }
            Some(_) => {}
        }
    }
    for (tenant, call_id) in failed.difference(&failed_parked) {
        verdict.failed_unexplained.push(format!(
            "{tenant}/{call_id} is FAILED but its message is in no DLQ"
        ));
    }
    Ok(())
}

async fn check_rollups(
    store: &DynamoRollups,
    events: &[CallAnalysed],
    verdict: &mut Verdict,
) -> anyhow::Result<()> {
    let expected = expected::rollups_of(events);
    verdict.rollup_mismatches = expected::mismatches(store, &expected).await?;
    // Every day of each tenant, including days no expected call has: a call counted under a
    // wrong key shows up here even when no expected key names it.
    let tenants: BTreeSet<&TenantId> = events.iter().map(|e| &e.tenant).collect();
    for tenant in tenants {
        let stored = store
            .series(tenant, &RollupScope::Tenant, None, None)
            .await
            .with_context(|| format!("reading the daily rollups of {tenant}"))?;
        let want_of = |day| {
            expected
                .get(&RollupKey {
                    tenant: tenant.clone(),
                    scope: RollupScope::Tenant,
                    day,
                })
                .map_or(0, |t| t.calls)
        };
        for (day, got) in &stored {
            verdict.double_counted += got.calls.saturating_sub(want_of(*day));
        }
        for (key, want) in expected
            .iter()
            .filter(|(k, _)| &k.tenant == tenant && k.scope == RollupScope::Tenant)
        {
            let got = stored.get(&key.day).map_or(0, |t| t.calls);
            verdict.uncounted += want.calls.saturating_sub(got);
        }
    }
    Ok(())
}

/// The agents leaderboard of each tenant, through the query API and its cache, against the
/// direct computation.
async fn check_api(pipeline: &LocalPipeline, events: &[CallAnalysed], verdict: &mut Verdict) {
    let mut want: BTreeMap<&TenantId, BTreeMap<&AgentId, u64>> = BTreeMap::new();
    for event in events {
        *want
            .entry(&event.tenant)
            .or_default()
            .entry(&event.agent_id)
            .or_default() += 1;
    }
    for (tenant, agents) in want {
        let reply = pipeline
            .get("/api/v1/analytics/agents", Some(tenant.as_str()))
            .await;
        if reply.status != 200 {
            verdict
                .api_mismatches
                .push(format!("{tenant}: leaderboard answered {}", reply.status));
            continue;
        }
        let got: BTreeMap<String, u64> = reply.body["agents"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| {
                Some((
                    a["agent_id"].as_str()?.to_owned(),
                    a["total_calls"].as_u64()?,
                ))
            })
            .collect();
        let want: BTreeMap<String, u64> = agents
            .into_iter()
            .map(|(a, n)| (a.to_string(), n))
            .collect();
        if got != want {
            verdict.api_mismatches.push(format!(
                "{tenant}: the leaderboard says {got:?}, the analyses {want:?} (x-cache {:?})",
                reply.header("x-cache")
            ));
        }
    }
}
