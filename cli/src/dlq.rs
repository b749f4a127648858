//! `callscope dlq …`: read a dead-letter queue's parked messages and their reasons, and send
//! them back to the queue they failed on once the cause is fixed. Works on AWS and on the
//! emulator (redrive uses `StartMessageMoveTask` where the endpoint has it, see
//! `callscope_cli::operator::redrive`).

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
    /// Move a DLQ's messages back to the queue they failed on: SQS's message move task where
    /// the endpoint has it, else (moto) receive/send, with a note.
    Redrive(callscope_cli::operator::redrive::Args),
}

pub fn run(command: Command) -> anyhow::Result<()> {
    let command = match command {
        Command::Redrive(args) => return callscope_cli::operator::redrive::run(args),
        peek => peek,
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let clients = AwsClients::from_config(&load_sdk_config().await);
        if let Command::Peek { queue_url, limit } = command {
            for message in sqs::peek(&clients.sqs, &queue_url, limit).await? {
                println!("{}", serde_json::to_string(&message)?);
            }
        }
        Ok(())
    })
}
