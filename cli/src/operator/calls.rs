//! `callscope calls get ID`: where one call is: its status, failure reason and timeline, from
//! the times its call item holds and its rollup marker (nothing in the pipeline writes more
//! for this: a call's write units are capped by a test).

use std::fmt::Write;

use anyhow::{bail, Context};
use callscope_cloud::dynamo::{CallBookkeeping, DynamoCalls, DynamoRollups};
use callscope_core::domain::{CallId, TenantId, Timestamp};
use serde::Serialize;

use super::target::TargetArgs;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Print a call's status, failure reason and timeline.
    Get(GetArgs),
    /// Erase a call everywhere (items, listing, signature, cache, rollups once).
    Delete(super::lifecycle::DeleteArgs),
    /// Erase every call of one customer_id (a data subject's request).
    EraseCustomer(super::lifecycle::EraseCustomerArgs),
    /// Queue the re-analysis of a call, or of every PROCESSED call in a time range.
    Reanalyse(super::lifecycle::ReanalyseArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct GetArgs {
    pub call_id: String,
    /// The call's tenant; without it the listing index is searched for the id (a Scan).
    #[arg(long)]
    pub tenant: Option<String>,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: TargetArgs,
}

/// What `calls get` prints.
#[derive(Debug, Clone, Serialize)]
pub struct CallReport {
    #[serde(flatten)]
    pub record: CallBookkeeping,
    /// When its analysis was counted into the rollups (from the idempotency marker).
    pub aggregated_at: Option<Timestamp>,
    pub timeline: Vec<Step>,
}

/// One thing that happened to the call, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub at: Timestamp,
    pub event: &'static str,
    /// Known to the second only (the rollup marker's expiry is in whole seconds).
    pub to_the_second: bool,
}

pub async fn run(command: Command) -> anyhow::Result<()> {
    let args = match command {
        Command::Get(args) => args,
        Command::Delete(args) => return super::lifecycle::delete(&args).await,
        Command::EraseCustomer(args) => return super::lifecycle::erase_customer(&args).await,
        Command::Reanalyse(args) => return super::lifecycle::reanalyse(&args).await,
    };
    let report = get(&args).await?;
    let text = if args.json {
        serde_json::to_string_pretty(&report)? + "\n"
    } else {
        render(&report)
    };
    super::print(&text).map(|_| ())
}

pub async fn get(args: &GetArgs) -> anyhow::Result<CallReport> {
    let sdk = super::sdk_config(args.target.profile.as_deref()).await;
    let target = super::target::resolve(&args.target, &sdk).await?;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let calls = DynamoCalls::new(dynamodb.clone(), target.calls_table.clone());
    let rollups = DynamoRollups::new(dynamodb, target.analytics_table.clone());
    let call_id = CallId::parse("call id", &args.call_id)?;
    let tenant = match &args.tenant {
        Some(raw) => TenantId::parse("--tenant", raw)?,
        None => {
            let tenants = calls.tenants_of(&call_id).await?;
            match tenants.as_slice() {
                [] => bail!("no call {call_id} in {}", target.label),
                [one] => one.clone(),
                many => bail!(
                    "call {call_id} exists in several tenants ({}): pass --tenant",
                    many.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        }
    };
    let record = calls
        .bookkeeping(&tenant, &call_id)
        .await?
        .with_context(|| format!("no call {call_id} of tenant {tenant} in {}", target.label))?;
    let aggregated_at = rollups.applied_at(&tenant, &call_id).await?;
    Ok(CallReport {
        timeline: timeline(&record, aggregated_at),
        record,
        aggregated_at,
    })
}

/// The call's recorded times in order. A FAILED call processed after a fix has no
/// `failed_at` any more; a call requeued several times shows its last requeue only. A time
/// known to the second sorts by the end of its second, the latest it can have been: counted
/// in the same second as it was processed means after it.
pub fn timeline(record: &CallBookkeeping, aggregated_at: Option<Timestamp>) -> Vec<Step> {
    let exact = |at: Option<Timestamp>, event| (at, event, false);
    let mut steps: Vec<Step> = [
        exact(Some(record.received_at), "received (stored RECEIVED)"),
        exact(
            record.last_requeued_at,
            "queued again by the sweeper (last time)",
        ),
        exact(
            record.processed_at,
            "processed (analysis stored, CallAnalysed event sent)",
        ),
        exact(record.failed_at, "failed"),
        (aggregated_at, "counted in the rollups", true),
    ]
    .into_iter()
    .filter_map(|(at, event, to_the_second)| {
        Some(Step {
            at: at?,
            event,
            to_the_second,
        })
    })
    .collect();
    steps.sort_by_key(|s| {
        let latest = if s.to_the_second { 999 } else { 0 };
        s.at.time() + chrono::Duration::milliseconds(latest)
    });
    steps
}

pub fn render(report: &CallReport) -> String {
    let r = &report.record;
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = (|| -> std::fmt::Result {
        writeln!(
            out,
            "call {}/{}: {}",
            r.tenant,
            r.call_id,
            r.status.as_str()
        )?;
        writeln!(
            out,
            "agent {}, correlation {}, pending {}, failed attempts {}",
            r.agent_id,
            r.correlation_id,
            if r.pending { "yes" } else { "no" },
            r.attempts.unwrap_or(0)
        )?;
        if let Some(reason) = &r.failure_reason {
            writeln!(out, "reason: {reason}")?;
        }
        writeln!(out, "timeline:")?;
        let start = r.received_at.time();
        for step in &report.timeline {
            let after = (step.at.time() - start).num_milliseconds() as f64 / 1_000.0;
            if step.to_the_second {
                let at = step.at.time().format("%Y-%m-%dT%H:%M:%SZ");
                writeln!(out, "  {at}      (to the second)  {}", step.event)?;
            } else {
                writeln!(out, "  {}  +{after:>9.3}s  {}", step.at, step.event)?;
            }
        }
        Ok(())
    })();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use callscope_app::ports::CallStatus;
    use callscope_core::domain::{AgentId, CorrelationId};

    fn at(raw: &str) -> Timestamp {
        Timestamp::parse("at", raw).expect("time")
    }

    #[test]
    fn the_timeline_orders_what_the_item_holds_and_leaves_out_what_it_does_not() {
        let record = CallBookkeeping {
            tenant: TenantId::parse("tenant", "acme").expect("tenant"),
            call_id: CallId::parse("call_id", "c-1").expect("id"),
            agent_id: AgentId::parse("agent_id", "a-1").expect("agent"),
            status: CallStatus::Processed,
            correlation_id: CorrelationId::parse("correlation_id", "k").expect("id"),
            pending: false,
            failure_reason: None,
            attempts: None,
            received_at: at("2026-11-01T10:00:00Z"),
            last_requeued_at: Some(at("2026-11-01T10:20:00Z")),
            processed_at: Some(at("2026-11-01T10:20:02.300Z")),
            failed_at: None,
        };
        // Counted within the second it was processed: after it, whatever the truncation.
        let steps = timeline(&record, Some(at("2026-11-01T10:20:02Z")));
        let events: Vec<&str> = steps.iter().map(|s| s.event).collect();
        assert_eq!(
            events,
            [
                "received (stored RECEIVED)",
                "queued again by the sweeper (last time)",
                "processed (analysis stored, CallAnalysed event sent)",
                "counted in the rollups"
            ]
        );
        let report = CallReport {
            record,
            aggregated_at: None,
            timeline: steps,
        };
        let printed = render(&report);
        assert!(
            printed.contains("+ 1200.000s  queued again by the sweeper"),
            "{printed}"
        );
        assert!(
            printed.contains("2026-11-01T10:20:02Z      (to the second)  counted in the rollups"),
            "{printed}"
        );
    }
}
