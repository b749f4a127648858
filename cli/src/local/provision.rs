//! `callscope local provision`: the template's queues and tables created in the emulator
//! (idempotent), the resolved wiring printed as JSON, and optionally every function's
//! environment written for `cargo lambda watch --env-file`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use callscope_cloud::aws::{load_sdk_config, AwsClients};
use callscope_local::provision::{provision, Provisioned};
use callscope_local::template::{LocalTemplate, Stack};

use super::StackArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    stack: StackArgs,
    /// Also write every function's environment, with the emulator's endpoint and
    /// credentials, as KEY=VALUE lines for `cargo lambda watch --env-file`.
    #[arg(long)]
    env_file: Option<PathBuf>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let StackArgs {
        template,
        prefix,
        parameters,
    } = args.stack;
    // Only the parameters given: unlike `serve` and `pump`, no `CacheUrl` from REDIS_URL.
    let template = LocalTemplate::load_for_stack(
        &template,
        &Stack::local(&prefix),
        parameters.into_iter().collect(),
    )?;
    let clients = AwsClients::from_config(&load_sdk_config().await);
    let provisioned = provision(&clients, &template, &prefix).await?;
    if let Some(path) = args.env_file {
        write_env_file(&path, &provisioned)?;
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&provisioned).context("printing the wiring")?
    );
    Ok(())
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
