//! `callscope status`: per queue its depth, in-flight count and oldest age; per dead-letter
//! queue its count and top failure reasons; the calls still pending past the sweeper's
//! threshold (the sweeper's own query of the `Pending` index); the FAILED calls. A table by
//! default, `--json` for scripts, `--watch SECS` to refresh.

mod gather;
mod render;

use std::io::IsTerminal;
use std::time::Duration;

use callscope_cloud::dynamo::FailedCalls;
use callscope_core::domain::{CallId, TenantId, Timestamp};
use serde::Serialize;

use super::age::AgeSource;
use super::target::TargetArgs;

pub use gather::gather;
pub use render::table;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Print the report as one JSON document (one per refresh with --watch).
    #[arg(long)]
    pub json: bool,
    /// Refresh every SECS seconds until interrupted.
    #[arg(long, value_name = "SECS")]
    pub watch: Option<u64>,
    /// Parked messages read per dead-letter queue for the failure reasons (they stay parked).
    #[arg(long, default_value_t = 20)]
    pub peek_limit: usize,
    /// Without the CloudWatch metric, also peek at the consumed queues for their oldest age.
    /// Off by default: a peek is a receive, and counts toward a message's maxReceiveCount.
    #[arg(long)]
    pub peek_queues: bool,
    /// The sweeper's threshold in seconds (default: the stack's or template's StaleAfterSeconds).
    #[arg(long, value_name = "SECS")]
    pub stale_after: Option<i64>,
    /// Look for FAILED calls of this tenant only (a Query instead of a Scan of the listing index).
    #[arg(long)]
    pub tenant: Option<String>,
    /// Most listing-index entries read to find FAILED calls.
    #[arg(long, default_value_t = 100_000)]
    pub max_scanned: usize,
}

/// Everything `status` reports.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub target: String,
    pub at: Timestamp,
    pub queues: Vec<QueueStatus>,
    pub dead_letter_queues: Vec<DeadLetterStatus>,
    pub stale: StaleCalls,
    pub failed: FailedCalls,
    /// What the report could not read, or read another way.
    pub notes: Vec<String>,
}

/// A queue a function consumes (it has a redrive policy).
#[derive(Debug, Clone, Serialize)]
pub struct QueueStatus {
    pub name: String,
    /// `ApproximateNumberOfMessages`.
    pub visible: u64,
    /// `ApproximateNumberOfMessagesNotVisible`: received, not yet deleted.
    pub in_flight: u64,
    pub delayed: u64,
    pub oldest_age_seconds: Option<i64>,
    pub age_source: Option<AgeSource>,
    pub dead_letter_queue: Option<String>,
}

/// A queue without a redrive policy of its own: where messages are parked.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLetterStatus {
    pub name: String,
    pub parked: u64,
    pub in_flight: u64,
    pub oldest_age_seconds: Option<i64>,
    pub age_source: Option<AgeSource>,
    /// The queues that park here.
    pub sources: Vec<String>,
    /// Messages read for the reasons.
    pub peeked: usize,
    /// Most frequent first.
    pub top_reasons: Vec<ReasonCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReasonCount {
    pub reason: String,
    pub count: usize,
}

/// Calls in the sweeper's `Pending` index since before the threshold.
#[derive(Debug, Clone, Serialize)]
pub struct StaleCalls {
    pub threshold_seconds: i64,
    /// Found, up to `limit`.
    pub count: usize,
    pub limit: usize,
    /// The oldest, with their status read from the call item.
    pub oldest: Vec<StaleCall>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StaleCall {
    pub tenant: TenantId,
    pub call_id: CallId,
    /// Received or last queued again: the sweeper's clock for it.
    pub since: Timestamp,
    /// RECEIVED (never processed, or analysed with its event not yet sent): the PROCESSED and
    /// the FAILED marks both take a call out of the index.
    pub status: Option<String>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let sdk = super::sdk_config(args.target.profile.as_deref()).await;
    let target = super::target::resolve(&args.target, &sdk).await?;
    loop {
        let report = gather(&sdk, &target, &args).await?;
        let mut text = if args.json {
            serde_json::to_string(&report)? + "\n"
        } else {
            render::table(&report)
        };
        if !args.json && args.watch.is_some() && std::io::stdout().is_terminal() {
            text.insert_str(0, "\x1b[2J\x1b[H");
        }
        if !super::print(&text)? {
            return Ok(());
        }
        let Some(seconds) = args.watch else {
            return Ok(());
        };
        tokio::time::sleep(Duration::from_secs(seconds.max(1))).await;
    }
}
