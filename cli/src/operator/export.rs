//! `callscope export compact`: one tenant's day of the Parquet export folded into one file now,
//! by the same use case the outbound function runs after each batch (`ExportCompaction`), on
//! the local cloud or a deployed stack: for a day that stopped receiving calls below the
//! function's threshold, or to see the rule work locally.

use std::sync::Arc;

use anyhow::Context;
use callscope_app::outbound::{Compacted, ExportCompaction};
use callscope_cloud::outbound::S3Export;
use callscope_core::domain::{Day, TenantId};

use crate::operator::target::{self, TargetArgs};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Fold the tenant's day into one file (each call once, its latest analysis) and delete
    /// the small files it replaces; safe beside erasures and the outbound function.
    Compact {
        #[arg(long)]
        tenant: String,
        /// The day, YYYY-MM-DD (UTC, the calls' start day).
        #[arg(long)]
        day: String,
        /// Only when the day holds more than this many small files (the outbound function's
        /// rule); without it, whenever it holds two or more.
        #[arg(long)]
        over: Option<usize>,
        #[command(flatten)]
        target: TargetArgs,
    },
}

pub async fn run(command: Command) -> anyhow::Result<()> {
    let Command::Compact {
        tenant,
        day,
        over,
        target: args,
    } = command;
    let tenant = TenantId::parse("--tenant", tenant).map_err(|e| anyhow::anyhow!("{e}"))?;
    let day = Day::parse("--day", &day).map_err(|e| anyhow::anyhow!("{e}"))?;
    let sdk = crate::operator::sdk_config(args.profile.as_deref()).await;
    let target = target::resolve(&args, &sdk).await?;
    let bucket = target
        .export_bucket
        .clone()
        .with_context(|| format!("{}: no ExportBucket", target.label))?;
    let compaction = ExportCompaction::new(
        Arc::new(S3Export::new(aws_sdk_s3::Client::new(&sdk), bucket)),
        over.unwrap_or(1),
    );
    let run = format!("cli-{}", chrono::Utc::now().timestamp_micros());
    let outcome = compaction
        .compact(&tenant, day, &run, over.is_none())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{}", summary(&outcome));
    Ok(())
}

fn summary(outcome: &Compacted) -> String {
    match outcome {
        Compacted::NotNeeded { files } => format!("nothing to do: {files} small file(s)"),
        Compacted::Done {
            inputs,
            rows_in,
            rows_out,
            erased,
            file,
            kept,
        } => format!(
            "{inputs} files, {rows_in} rows → {} with {rows_out} rows{}{}",
            file.as_deref().unwrap_or("no file"),
            if *erased == 0 {
                String::new()
            } else {
                format!(" ({erased} erased row(s) left out)")
            },
            if kept.is_empty() {
                String::new()
            } else {
                format!("; kept (changed under the delete): {}", kept.join(", "))
            }
        ),
        Compacted::Withdrawn { changed } => {
            format!("withdrawn: {changed} kept changing under erasures; run again later")
        }
    }
}
