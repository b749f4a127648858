//! `callscope local cost`: what a call costs, measured by the request meter on the local
//! pipeline — write and read units, SQS requests and dollars per million calls, for generated
//! calls of each length.

use std::path::PathBuf;

use anyhow::Context;
use callscope_cloud::aws::load_sdk_config;
use callscope_local::cost::{
    measure, metered_pipeline, per_call, ASSUMED_MEMORY_GB, ASSUMED_MS_PER_INVOCATION,
};
use callscope_local::template::{LocalTemplate, Stack};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, default_value = super::TEMPLATE)]
    template: PathBuf,
    /// Call lengths, in minutes.
    #[arg(long, value_delimiter = ',', default_value = "5,30,60")]
    minutes: Vec<u32>,
    /// Calls of each length.
    #[arg(long, default_value_t = 10)]
    calls: u64,
    /// Print the operations' units per call too.
    #[arg(long)]
    detail: bool,
    /// Also write the measurements as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let prefix = format!("cost-{}-", std::process::id());
    let template =
        LocalTemplate::load_for_stack(&args.template, &Stack::local(&prefix), Default::default())?;
    let sdk = load_sdk_config().await;
    let (pipeline, meter) = metered_pipeline(&sdk, &template, &prefix).await?;
    let mut results = Vec::new();
    let outcome = async {
        println!(
            "{:>7} {:>9} {:>9} {:>7} | $ per million calls: {:>8} {:>7} {:>6} {:>7} {:>7} {:>8}",
            "minutes", "WCU/call", "RCU/call", "SQS/call", "DDB wr", "DDB rd", "SQS", "API GW", "Lambda", "total"
        );
        for minutes in &args.minutes {
            let cost = measure(&pipeline, &meter, *minutes, args.calls, "acme").await?;
            let b = &cost.bill;
            println!(
                "{:>7} {:>9.1} {:>9.1} {:>7.1} | {:>30.2} {:>7.2} {:>6.2} {:>7.2} {:>7.2} {:>8.2}",
                minutes,
                b.write_units_per_call,
                b.read_units_per_call,
                b.sqs_requests_per_call,
                b.dynamodb_writes,
                b.dynamodb_reads,
                b.sqs,
                b.api_gateway,
                b.lambda,
                b.total
            );
            if args.detail {
                for (operation, (write, read)) in per_call(&cost.usage, cost.calls) {
                    println!("          {operation:<32} {write:>7.2} WCU {read:>7.2} RCU");
                }
            }
            results.push(cost);
        }
        println!(
            "(Lambda: {ASSUMED_MS_PER_INVOCATION} ms billed per invocation at {ASSUMED_MEMORY_GB} GB assumed; prices us-east-1 list)"
        );
        anyhow::Ok(())
    }
    .await;
    pipeline.teardown().await?;
    outcome?;
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&results)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
