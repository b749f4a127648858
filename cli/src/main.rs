//! The `callscope` command: its arguments and which module runs each subcommand. The modules
//! follow the command tree (see the `# Layout` of `callscope_cli`).

use std::process::ExitCode;

use callscope_cli::{analyse, import, load, local, openapi, operator};
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "callscope",
    version,
    about = "Sales-call analytics: analyse calls, run the local pipeline"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the analysis JSON of a call (any accepted format) from FILE, or stdin with `-`.
    #[command(alias = "analyze")]
    Analyse(analyse::Args),
    /// The local cloud (moto or LocalStack at AWS_ENDPOINT_URL).
    #[command(subcommand)]
    Local(local::Command),
    /// Dead-letter queues: peek at parked messages, redrive them.
    #[command(subcommand)]
    Dlq(operator::dlq::Command),
    /// Webhooks: deliveries parked with the receiver's answer, redrive them, send a test event.
    #[command(subcommand)]
    Webhooks(operator::webhooks::Command),
    /// The Parquet export: compact a tenant's day now (`export compact`).
    #[command(subcommand)]
    Export(operator::export::Command),
    /// Where the pipeline stands: queue depths and ages, parked messages and their reasons,
    /// calls pending past the sweep threshold, FAILED calls (local cloud or --stack).
    Status(operator::status::Args),
    /// Calls: where one is (`calls get ID`); erase (`calls delete ID`, `calls erase-customer`); re-analyse (`calls reanalyse`).
    #[command(subcommand)]
    Calls(operator::calls::Command),
    /// Load the HTTP API: ingest generated calls, wait until they are counted, run read
    /// queries, and report throughput, latencies, errors, cache hits and the bill per call.
    Load(load::Args),
    /// Bulk backfill: write a directory's or an S3 prefix's documents into the drop-in bucket
    /// under the tenant (checked, rate-limited, resumable), and summarise what became of them.
    Import(import::Args),
    /// Print the HTTP API's OpenAPI document (the committed openapi.json is this output).
    Openapi,
}

/// One runtime for the whole process; `analyse` and `openapi` run on it without awaiting.
#[tokio::main]
async fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Analyse(args) => analyse::run(&args),
        Command::Local(command) => local::run(command).await,
        Command::Dlq(command) => operator::dlq::run(command).await,
        Command::Webhooks(command) => operator::webhooks::run(command).await,
        Command::Export(command) => operator::export::run(command).await,
        Command::Status(args) => operator::status::run(args).await,
        Command::Calls(command) => operator::calls::run(command).await,
        Command::Load(args) => load::run(args).await,
        Command::Import(args) => import::run(args).await,
        Command::Openapi => openapi::print(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
