//! `callscope dlq …`: read a dead-letter queue's parked messages and their reasons, and send
//! them back to the queue they failed on once the cause is fixed. Works on AWS and on the
//! emulator (it does not need `StartMessageMoveTask`, which moto lacks).

use anyhow::Context;
use callscope_cloud::aws::{load_sdk_config, AwsClients};
use callscope_cloud::sqs;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Print up to LIMIT parked messages as JSON lines (id, failure_reason, receive count,
    /// body); they stay in the DLQ.
    Peek {
        /// The DLQ's URL (stack outputs, or .local/provisioned.json locally).
        queue_url: String,
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
    /// Move up to LIMIT messages from a DLQ back to the queue they failed on.
    Redrive {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long, default_value_t = 1_000)]
        limit: usize,
    },
}

pub fn run(command: Command) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let clients = AwsClients::from_config(&load_sdk_config().await);
        match command {
            Command::Peek { queue_url, limit } => {
                for message in sqs::peek(&clients.sqs, &queue_url, limit).await? {
                    println!("{}", serde_json::to_string(&message)?);
                }
            }
            Command::Redrive { from, to, limit } => {
                let report = sqs::redrive(&clients.sqs, &from, &to, limit).await?;
                println!("{}", serde_json::to_string(&report)?);
            }
        }
        Ok(())
    })
}
