//! `callscope local …`: the local cloud's resources, created from infra/template.yaml.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use callscope_cloud::aws::{load_sdk_config, AwsClients};
use callscope_local::provision::{provision, Provisioned};
use callscope_local::template::{LocalTemplate, Stack};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create the template's queues and tables in the emulator at AWS_ENDPOINT_URL (idempotent)
    /// and print the resolved wiring (names, URLs, each function's environment) as JSON.
    Provision {
        #[arg(long, default_value = "infra/template.yaml")]
        template: PathBuf,
        /// Prefix of every created name.
        #[arg(long, default_value = "callscope-local-")]
        prefix: String,
        /// Template parameter overrides, NAME=VALUE.
        #[arg(long = "parameter", value_parser = parse_parameter)]
        parameters: Vec<(String, String)>,
        /// Also write every function's environment, with the emulator's endpoint and
        /// credentials, as KEY=VALUE lines for `cargo lambda watch --env-file`.
        #[arg(long)]
        env_file: Option<PathBuf>,
    },
    /// Run the write path end to end on the local cloud and print what each step did.
    Demo(crate::demo::Args),
    /// Serve the template's HTTP API on 127.0.0.1 with every event source running behind it.
    Serve(crate::serve::Args),
    /// Measure the query API per endpoint, in-process, with the cache warm and with no cache.
    BenchApi(crate::bench_api::Args),
    /// Measure what a call costs in AWS requests and dollars, with the request meter.
    Cost(crate::cost::Args),
    /// Run the template's event sources (queues, streams, schedules) against the functions
    /// `cargo lambda watch` serves (`make watch`), with Lambda's delete-only-successes contract.
    Pump(crate::pump::Args),
    /// Run the pipeline under faults, crashes, duplicates, poison and a Redis outage, then
    /// check that nothing was lost or counted twice (`make chaos`).
    Chaos(crate::chaos::Args),
}

pub fn parse_parameter(raw: &str) -> Result<(String, String), String> {
    raw.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("{raw:?} is not NAME=VALUE"))
}

pub fn run(command: Command) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    anyhow::ensure!(
        std::env::var_os("AWS_ENDPOINT_URL").is_some(),
        "AWS_ENDPOINT_URL is not set: refusing to create resources in a real AWS account (eval \"$(infra/local-cloud.sh env)\")"
    );
    runtime.block_on(async {
        match command {
            Command::Demo(args) => crate::demo::run(args).await,
            Command::Serve(args) => crate::serve::run(args).await,
            Command::BenchApi(args) => crate::bench_api::run(args).await,
            Command::Cost(args) => crate::cost::run(args).await,
            Command::Pump(args) => crate::pump::run(args).await,
            Command::Chaos(args) => crate::chaos::run(args).await,
            Command::Provision {
                template,
                prefix,
                parameters,
                env_file,
            } => {
                let template = LocalTemplate::load_for_stack(
                    &template,
                    &Stack::local(&prefix),
                    parameters.into_iter().collect::<BTreeMap<_, _>>(),
                )?;
                let clients = AwsClients::from_config(&load_sdk_config().await);
                let provisioned = provision(&clients, &template, &prefix).await?;
                if let Some(path) = env_file {
                    write_env_file(&path, &provisioned)?;
                }
                println!(
                    "{}",
                    serde_json::to_string_pretty(&provisioned).context("printing the wiring")?
                );
                Ok(())
            }
        }
    })
}

/// The functions' variables never collide (a shared name such as CALLS_TABLE has one value), so
/// one file serves a `cargo lambda watch` that hosts all of them.
fn write_env_file(path: &Path, provisioned: &Provisioned) -> anyhow::Result<()> {
    let mut env: BTreeMap<String, String> = provisioned
        .functions
        .values()
        .flat_map(|wiring| wiring.env.clone())
        .collect();
    for name in [
        "AWS_ENDPOINT_URL",
        "AWS_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "CALLSCOPE_EMULATOR_TIMEOUT_SECONDS",
    ] {
        if let Ok(value) = std::env::var(name) {
            env.insert(name.to_owned(), value);
        }
    }
    let lines: String = env.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(path, lines).with_context(|| format!("writing {}", path.display()))
}
