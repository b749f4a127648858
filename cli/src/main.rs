//! The `callscope` command: analyse transcripts, and run the pipeline on the local cloud.

mod analyze;
mod bench_api;
mod chaos;
mod cost;
mod demo;
mod dlq;
mod local;
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
    Analyze(analyze::Args),
    /// The local cloud (moto or LocalStack at AWS_ENDPOINT_URL).
    #[command(subcommand)]
    Local(local::Command),
    /// Dead-letter queues: peek at parked messages, redrive them.
    #[command(subcommand)]
    Dlq(dlq::Command),
    /// Print the HTTP API's OpenAPI document (the committed openapi.json is this output).
    Openapi,
}

fn print_openapi() -> anyhow::Result<()> {
    let document = callscope_api::openapi();
    println!("{}", serde_json::to_string_pretty(&document)?);
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze(args) => analyze::run(&args),
        Command::Local(command) => local::run(command),
        Command::Dlq(command) => dlq::run(command),
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
