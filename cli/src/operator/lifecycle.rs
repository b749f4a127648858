//! `callscope calls delete ID`, `calls erase-customer CUSTOMER` and `calls reanalyse`: the
//! calls' lifecycle for an operator, through the same use case the API's DELETE and re-analyse
//! routes run (so an erasure subtracts the call from the rollups once and writes its audit
//! line, with `operator` as who), against the local cloud or a stack.

use std::sync::Arc;

use anyhow::Context;
use callscope_app::lifecycle::{CallLifecycle, LifecycleError, NoRawObjects, RawObjects};
use callscope_app::ports::SystemClock;
use callscope_cloud::dynamo::DynamoCalls;
use callscope_cloud::s3::S3RawObjects;
use callscope_cloud::sqs::SqsPublisher;
use callscope_core::domain::{CallId, TenantId};

use super::target::TargetArgs;

#[derive(Debug, Clone, clap::Args)]
pub struct DeleteArgs {
    pub call_id: String,
    #[arg(long)]
    pub tenant: String,
    #[command(flatten)]
    pub target: TargetArgs,
}

#[derive(Debug, Clone, clap::Args)]
pub struct EraseCustomerArgs {
    /// Every call of this `customer_id` is erased (a data subject's request).
    pub customer_id: String,
    #[arg(long)]
    pub tenant: String,
    #[command(flatten)]
    pub target: TargetArgs,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ReanalyseArgs {
    /// One call; without it, every PROCESSED call of the tenant started within --from/--to.
    pub call_id: Option<String>,
    #[arg(long)]
    pub tenant: String,
    /// Calls that started at or after this (RFC 3339, or a day `2026-11-01`).
    #[arg(long)]
    pub from: Option<String>,
    /// Calls that started at or before this (a day includes all of it).
    #[arg(long)]
    pub to: Option<String>,
    #[command(flatten)]
    pub target: TargetArgs,
}

struct Lifecycle {
    calls: DynamoCalls,
    lifecycle: CallLifecycle,
    reanalyse_queue: String,
    sqs: aws_sdk_sqs::Client,
}

async fn lifecycle(target: &TargetArgs) -> anyhow::Result<Lifecycle> {
    let sdk = super::sdk_config(target.profile.as_deref()).await;
    let target = super::target::resolve(target, &sdk).await?;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let queue = |id: &str| -> anyhow::Result<String> {
        Ok(target
            .queue_url(id)
            .with_context(|| format!("{} has no {id}", target.label))?
            .to_owned())
    };
    let reanalyse_queue = queue("ReanalyseQueue")?;
    let calls = DynamoCalls::new(dynamodb, target.calls_table.clone());
    // The same client setup as the functions' (path-style against an emulator).
    let s3 = callscope_cloud::aws::AwsClients::from_config(&sdk).s3;
    let raw_objects: Arc<dyn RawObjects> = match &target.dropin_bucket {
        Some(bucket) => Arc::new(S3RawObjects::new(s3, bucket.clone())),
        None => Arc::new(NoRawObjects),
    };
    let lifecycle = CallLifecycle::new(
        Arc::new(calls.clone()),
        Arc::new(SqsPublisher::new(sqs.clone(), queue("AnalyticsQueue")?)),
        Arc::new(SqsPublisher::new(sqs.clone(), reanalyse_queue.clone())),
        raw_objects,
        Arc::new(SystemClock),
    );
    Ok(Lifecycle {
        calls,
        lifecycle,
        reanalyse_queue,
        sqs,
    })
}

pub async fn delete(args: &DeleteArgs) -> anyhow::Result<()> {
    let l = lifecycle(&args.target).await?;
    let tenant = TenantId::parse("--tenant", &args.tenant)?;
    let call_id = CallId::parse("call id", &args.call_id)?;
    l.lifecycle.erase(&tenant, &call_id, "operator").await?;
    println!("erased {tenant}/{call_id}; its rollups are corrected by the analytics queue");
    Ok(())
}

pub async fn erase_customer(args: &EraseCustomerArgs) -> anyhow::Result<()> {
    let l = lifecycle(&args.target).await?;
    let tenant = TenantId::parse("--tenant", &args.tenant)?;
    let ids = l
        .calls
        .call_ids(&tenant, None, None, Some(&args.customer_id))
        .await?;
    for call_id in &ids {
        match l.lifecycle.erase(&tenant, call_id, "operator").await {
            Ok(()) | Err(LifecycleError::NotFound(_)) => {}
            Err(error) => return Err(error).context(format!("erasing {call_id}; run again")),
        }
    }
    println!(
        "erased {} calls of customer {} in {tenant}",
        ids.len(),
        args.customer_id
    );
    Ok(())
}

pub async fn reanalyse(args: &ReanalyseArgs) -> anyhow::Result<()> {
    let l = lifecycle(&args.target).await?;
    let tenant = TenantId::parse("--tenant", &args.tenant)?;
    let ids = match &args.call_id {
        Some(raw) => vec![CallId::parse("call id", raw)?],
        None => {
            l.calls
                .call_ids(&tenant, args.from.as_deref(), args.to.as_deref(), None)
                .await?
        }
    };
    let (mut queued, mut skipped) = (0, 0);
    for call_id in &ids {
        match l.lifecycle.reanalyse(&tenant, call_id).await {
            Ok(_) => queued += 1,
            Err(LifecycleError::NotProcessed { .. } | LifecycleError::NotFound(_)) => skipped += 1,
            Err(error) => return Err(error).context(format!("queueing {call_id}")),
        }
    }
    let waiting = l
        .sqs
        .get_queue_attributes()
        .queue_url(&l.reanalyse_queue)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .ok()
        .and_then(|o| {
            o.attributes?
                .get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
                .cloned()
        })
        .unwrap_or_else(|| "?".into());
    println!(
        "queued {queued} re-analyses ({skipped} calls not PROCESSED, skipped); the reanalyse queue holds {waiting} (progress: `callscope status`)"
    );
    Ok(())
}
