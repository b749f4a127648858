//! `callscope local …`: the local cloud's commands, one file each under `local/`, on resources
//! created from infra/template.yaml in the emulator at AWS_ENDPOINT_URL.

pub mod bench_api;
pub mod chaos;
pub mod cost;
pub mod demo;
pub mod drop;
pub mod provision;
pub mod pump;
pub mod serve;
pub mod sql;

use callscope_cloud::config::calls_may_reach_aws;
use std::path::PathBuf;

use callscope_local::template::LocalTemplate;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create the template's queues and tables in the emulator at AWS_ENDPOINT_URL (idempotent)
    /// and print the resolved wiring (names, URLs, each function's environment) as JSON.
    Provision(provision::Args),
    /// Run the write path end to end on the local cloud and print what each step did.
    Demo(demo::Args),
    /// Serve the template's HTTP API on 127.0.0.1 with every event source running behind it.
    Serve(serve::Args),
    /// Measure the query API per endpoint, in-process, with the cache warm and with no cache.
    BenchApi(bench_api::Args),
    /// Measure what a call costs in AWS requests and dollars, with the request meter.
    Cost(cost::Args),
    /// Run the template's event sources (queues, streams, schedules) against the functions
    /// `cargo lambda watch` serves (`make watch`), with Lambda's delete-only-successes contract.
    Pump(pump::Args),
    /// Run the pipeline under faults, crashes, duplicates, poison and a Redis outage, then
    /// check that nothing was lost or counted twice (`make chaos`).
    Chaos(chaos::Args),
    /// Put a file in the local drop-in bucket under TENANT/, as a producer would.
    Drop(drop::Args),
    /// Run SQL with DuckDB over the Parquet export in the emulator's S3 (the table is `calls`),
    /// as Athena runs it over the deployed export (docs/export.md).
    Sql(sql::Args),
}

/// The template every local command reads unless told otherwise.
pub const TEMPLATE: &str = "infra/template.yaml";
/// The local stack's name: the prefix of every name `make local-up` creates.
pub const PREFIX: &str = "callscope-local-";

/// The local stack a long-lived command works on (`provision`, `serve`, `pump`): the template,
/// the prefix of its resources' names, and parameter overrides. The one-shot commands (demo,
/// cost, chaos, bench-api) name a stack of their own and take only `--template`.
#[derive(Debug, Clone, clap::Args)]
pub struct StackArgs {
    #[arg(long, default_value = TEMPLATE)]
    pub template: PathBuf,
    /// Prefix of every created name (the local stack's name).
    #[arg(long, default_value = PREFIX)]
    pub prefix: String,
    /// Template parameter overrides, NAME=VALUE. `local serve` and `local pump` default
    /// `CacheUrl` to `REDIS_URL`.
    #[arg(long = "parameter", value_parser = parse_parameter)]
    pub parameters: Vec<(String, String)>,
}

impl StackArgs {
    /// The template as `serve` and `pump` run it: `CacheUrl` defaults to `REDIS_URL`, so the
    /// cache and its invalidation exist exactly when a Redis is configured.
    pub fn load_local(&self) -> anyhow::Result<LocalTemplate> {
        LocalTemplate::load_local(&self.template, &self.prefix, self.parameters.clone())
    }
}

fn parse_parameter(raw: &str) -> Result<(String, String), String> {
    raw.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("{raw:?} is not NAME=VALUE"))
}

pub async fn run(command: Command) -> anyhow::Result<()> {
    // Where the SDK will really send requests, not only whether AWS_ENDPOINT_URL is set: these
    // commands create and delete tables and queues.
    if let Some(why) = calls_may_reach_aws(|name| std::env::var(name).ok()) {
        anyhow::bail!(
            "{why}: refusing to create or delete resources in what may be a real AWS account (eval \"$(infra/local-cloud.sh env)\")"
        );
    }
    match command {
        Command::Provision(args) => provision::run(args).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Serve(args) => serve::run(args).await,
        Command::BenchApi(args) => bench_api::run(args).await,
        Command::Cost(args) => cost::run(args).await,
        Command::Pump(args) => pump::run(args).await,
        Command::Chaos(args) => chaos::run(args).await,
        Command::Drop(args) => drop::run(args).await,
        Command::Sql(args) => sql::run(args).await,
    }
}
