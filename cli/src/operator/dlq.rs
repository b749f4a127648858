//! `callscope dlq …`: read a dead-letter queue's parked messages and their reasons (`peek`), and
//! send them back to the queue they failed on once the cause is fixed (`redrive`). Works on AWS
//! and on the emulator (redrive uses `StartMessageMoveTask` where the endpoint has it, see
//! [`redrive`]).

pub mod redrive;

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
    Redrive(redrive::Args),
}

pub async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Peek { queue_url, limit } => peek(&queue_url, limit).await,
        Command::Redrive(args) => redrive::run(args).await,
    }
}

async fn peek(queue_url: &str, limit: usize) -> anyhow::Result<()> {
    let clients = AwsClients::from_config(&load_sdk_config().await);
    for message in sqs::peek(&clients.sqs, queue_url, limit).await? {
        println!("{}", serde_json::to_string(&message)?);
    }
    Ok(())
}
