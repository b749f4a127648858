//! `callscope local pump`: the template's event sources (SQS queues, table streams, schedules)
//! in front of the functions `cargo lambda watch` serves, so code edited and rebuilt by watch runs
//! the whole pipeline. The counterpart of `make watch`; Ctrl-C stops it.

use anyhow::Context;
use callscope_cloud::aws::{load_sdk_config, AwsClients};
use callscope_local::invoke::InvokeApi;
use callscope_local::provision::provision;
use callscope_local::pump::{Activity, Pump};

use super::StackArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    stack: StackArgs,
    /// Where `cargo lambda watch` serves the Invoke API (its --invoke-port).
    #[arg(long, default_value = "http://127.0.0.1:9000")]
    invoke_url: String,
    /// Invoke the scheduled functions (the sweep) once at start, besides their schedule.
    #[arg(long)]
    sweep_now: bool,
    /// Poll until every queue and stream is empty, print what each function got, and exit.
    #[arg(long)]
    until_idle: bool,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    callscope_cloud::telemetry::init_tracing();
    let template = args.stack.load_local()?;
    let clients = AwsClients::from_config(&load_sdk_config().await);
    // Idempotent: the same names `make local-up` created, resolved again rather than trusted
    // from a file that could be stale.
    let provisioned = provision(&clients, &template, &args.stack.prefix)
        .await
        .context("provisioning the template in the local cloud")?;
    let api = InvokeApi::new(&args.invoke_url);
    let pump = Pump::start(&clients.sqs, &provisioned, api.clone()).await?;
    for line in pump.describe() {
        println!("  {line}");
    }
    println!("invoking the functions at {}", api.base_url());
    anyhow::ensure!(
        !args.until_idle || api.is_up().await,
        "nothing answers at {}: start `make watch` first",
        api.base_url()
    );

    if args.sweep_now {
        pump.run_schedules_now(&show).await;
    }
    if args.until_idle {
        let drained = pump.drain().await?;
        for (function, report) in drained.sqs {
            println!(
                "{function:<10} {} message(s) received, {} deleted, {} failed, in {} invocation(s)",
                report.received, report.deleted, report.failed, report.invocations
            );
        }
        for (function, report) in drained.streams {
            println!(
                "{function:<10} {} stream record(s) read, {} delivered, {} batch(es) given up",
                report.read, report.delivered, report.failed_batches
            );
        }
        return Ok(());
    }
    println!("pumping; Ctrl-C stops it");
    tokio::select! {
        () = pump.run(&show) => {}
        _ = tokio::signal::ctrl_c() => println!("stopped"),
    }
    Ok(())
}

fn show(activity: Activity<'_>) {
    match activity {
        Activity::Sqs { function, report } => println!(
            "{function:<10} ← {} message(s): {} deleted, {} failed",
            report.received, report.deleted, report.failed
        ),
        Activity::Stream { function, report } => println!(
            "{function:<10} ← {} stream record(s){}",
            report.delivered,
            if report.failed_batches > 0 {
                " (a batch gave up after its retries)"
            } else {
                ""
            }
        ),
        Activity::Schedule { function, outcome } => match outcome {
            Ok(()) => println!("{function:<10} ← scheduled event: ok"),
            Err(error) => println!("{function:<10} ← scheduled event: {error}"),
        },
        Activity::Waiting { url } => println!("waiting for cargo lambda watch at {url}"),
        Activity::Error { function, error } => println!("{function:<10} ! {error}"),
    }
}
