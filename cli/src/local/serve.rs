//! `callscope local serve`: the whole system on a laptop. The template's HTTP API on a local
//! port (each route delivered to its function as API Gateway would), and the template's event
//! sources running behind it — the SQS queues into intake, dropin (the drop-in bucket's objects),
//! recordings (its audio, started as Transcribe jobs), process, aggregate, webhooks (the bus's
//! events to the tenants' endpoints) and erasures (a customer's calls, page by page), the table streams into cache invalidation, the sweeper on its schedule — so a call POSTed is readable,
//! analysed and counted seconds later. Ctrl-C stops it. Every SDK client is metered, and
//! `GET /_local/meter` (this local server's only, not the template's) answers the counts so far.

pub mod meter;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use callscope_cloud::aws::{load_sdk_config, AwsClients};
use callscope_cloud::config::{FromEnv, QueryConfig};
use callscope_cloud::sqs::SqsBatchHandler;
use callscope_local::cost::table_models;
use callscope_local::gateway::{Gateway, Route};
use callscope_local::{LocalPipeline, TENANT_CLAIM};
use callscope_meter::Meter;

use self::meter::LocalMeter;
use super::StackArgs;

/// How often the sweeper runs: the template's schedule, rate(5 minutes).
const SWEEP_EVERY: Duration = Duration::from_secs(300);
/// The pause between polls of an idle queue or stream.
const IDLE_POLL: Duration = Duration::from_millis(250);

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    stack: StackArgs,
    #[arg(long, default_value_t = 3000)]
    port: u16,
    /// The tenant of requests without a bearer token (local use only; off by default, so a
    /// request without a token gets API Gateway's 401).
    #[arg(long)]
    default_tenant: Option<String>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    callscope_cloud::telemetry::init_tracing();
    let template = args.stack.load_local()?;
    let prefix = &args.stack.prefix;
    let sdk = load_sdk_config().await;
    let meter = LocalMeter::new(
        Meter::new(table_models(&template, prefix)),
        Meter::new(table_models(&template, prefix)),
        &[
            "IntakeFunction",
            "DropInFunction",
            "RecordingsFunction",
            "ProcessFunction",
            "AggregateFunction",
            "WebhooksFunction",
            "ErasuresFunction",
        ],
    );
    let clients = AwsClients::from_config_with(&sdk, meter.write_path.clone());
    let pipeline = Arc::new(LocalPipeline::start(clients, &template, prefix).await?);
    // The query API on clients of their own meter, so what reads cost is told apart from what
    // a call costs to write.
    let api = callscope_query::router(
        &QueryConfig::from_lookup(pipeline.provisioned.env_of("QueryFunction")?)?,
        &AwsClients::from_config_with(&sdk, meter.read_path.clone()),
    )?;

    let mut routes = Vec::new();
    for (function, wiring) in &pipeline.provisioned.functions {
        let router = match function.as_str() {
            "IngestFunction" => pipeline.ingest.clone(),
            "QueryFunction" => api.clone(),
            _ if wiring.http_routes.is_empty() => continue,
            other => anyhow::bail!("{other} has HTTP routes but no local router"),
        };
        for route in &wiring.http_routes {
            println!("  {:<6} {:<45} → {function}", route.method, route.path);
            routes.push(Route {
                method: route.method.clone(),
                path: route.path.clone(),
                authorized: route.authorized,
                function: router.clone(),
            });
        }
    }
    let gateway = Gateway::new(
        routes,
        TENANT_CLAIM,
        args.default_tenant.clone(),
        "$default",
    );

    let mut tasks = Vec::new();
    // One poller per SQS event source the template gives a function: process has two (its queue
    // and the reanalyse queue), and a re-analysis must run here as it does deployed.
    for function in [
        "IntakeFunction",
        "ProcessFunction",
        "AggregateFunction",
        "DropInFunction",
        "RecordingsFunction",
        "WebhooksFunction",
        "ErasuresFunction",
    ] {
        let runners = match function {
            "WebhooksFunction" => vec![pipeline.webhook_runner()],
            _ => pipeline.runners(function),
        };
        for runner in runners {
            let pipeline = pipeline.clone();
            let meter = meter.clone();
            tasks.push(tokio::spawn(async move {
                let handler: &dyn SqsBatchHandler = match function {
                    "IntakeFunction" => &pipeline.intake,
                    "ProcessFunction" => &pipeline.process,
                    "AggregateFunction" => &pipeline.aggregate,
                    "DropInFunction" => &pipeline.dropin,
                    "RecordingsFunction" => &pipeline.recordings,
                    "ErasuresFunction" => &pipeline.erasures,
                    _ => &pipeline.webhooks,
                };
                loop {
                    match runner.poll_once(handler).await {
                        Ok(report) if report.received > 0 => {
                            meter.invoked(function, report.invocations);
                        }
                        // Idle: poll again shortly (short polls keep the emulator free for others).
                        Ok(_) => tokio::time::sleep(IDLE_POLL).await,
                        Err(error) => {
                            tracing::warn!(
                                function,
                                error = format!("{error:#}"),
                                "event source poll failed"
                            );
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                    }
                }
            }));
        }
    }
    {
        let pipeline = pipeline.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                if let Err(error) = pipeline.drain_streams().await {
                    tracing::warn!(error = format!("{error:#}"), "stream poll failed");
                }
                tokio::time::sleep(IDLE_POLL).await;
            }
        }));
    }
    {
        let pipeline = pipeline.clone();
        tasks.push(tokio::spawn(async move {
            let mut every = tokio::time::interval(SWEEP_EVERY);
            every.tick().await;
            loop {
                every.tick().await;
                if let Err(error) = pipeline.sweep.run().await {
                    tracing::warn!(%error, "sweep failed");
                }
            }
        }));
    }

    let address = std::net::SocketAddr::from(([127, 0, 0, 1], args.port));
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("listening on {address}"))?;
    println!(
        "\ncallscope is serving http://{address} (tables and queues prefixed {}; tenant without a token: {})\nCtrl-C stops it.",
        prefix,
        args.default_tenant.as_deref().unwrap_or("none, 401")
    );
    axum::serve(listener, meter.router().merge(gateway.into_router()))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("serving HTTP")?;
    for task in tasks {
        task.abort();
    }
    println!("stopped; the local tables and queues are kept (make local-down stops the services)");
    Ok(())
}
