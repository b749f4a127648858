//! The `callscope` command: analyse transcripts, and run the pipeline on the local cloud.

mod analyse;
mod bench_api;
mod chaos;
mod cost;
mod demo;
mod dlq;
mod load;
mod local;
mod pump;
mod serve;

use std::process::ExitCode;

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
    Dlq(dlq::Command),
    /// Where the pipeline stands: queue depths and ages, parked messages and their reasons,
    /// calls pending past the sweep threshold, FAILED calls (local cloud or --stack).
    Status(callscope_cli::operator::status::Args),
    /// Calls: where one is (`calls get ID`).
    #[command(subcommand)]
    Calls(callscope_cli::operator::calls::Command),
    /// Load the HTTP API: ingest generated calls, wait until they are counted, run read
    /// queries, and report throughput, latencies, errors, cache hits and the bill per call.
    Load(load::Args),
    /// Print the HTTP API's OpenAPI document (the committed openapi.json is this output).
    Openapi,
}

fn print_openapi() -> anyhow::Result<()> {
    let document = callscope_query::openapi();
    println!("{}", serde_json::to_string_pretty(&document)?);
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyse(args) => analyse::run(&args),
        Command::Local(command) => local::run(command),
        Command::Dlq(command) => dlq::run(command),
        Command::Status(args) => callscope_cli::operator::status::run(args),
        Command::Calls(command) => callscope_cli::operator::calls::run(command),
        Command::Load(args) => load::run(args),
        Command::Openapi => print_openapi(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
