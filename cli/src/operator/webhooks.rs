//! `callscope webhooks …`: the webhook deliveries parked after their last attempt, with the
//! receiver's answer (`parked`), sent back to be tried again (`redrive`), and a test event
//! POSTed to a tenant's endpoint now, signed as deliveries are (`test`). On the local cloud or
//! a deployed stack ([`target`](crate::operator::target)).

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use callscope_app::ports::SystemClock;
use callscope_app::settings::SettingsCache;
use callscope_app::webhooks::{Attempt, DeliverWebhooks, RetryPolicy};
use callscope_cloud::aws::AwsClients;
use callscope_cloud::sqs;
use callscope_cloud::webhooks::HttpSender;
use callscope_core::domain::TenantId;
use callscope_core::settings::{EndpointPolicy, EVENT_KINDS};

use crate::operator::dlq::redrive::redrive;
use crate::operator::target::{self, Target, TargetArgs};

const DLQ: &str = "WebhookDeadLetterQueue";
const QUEUE: &str = "WebhookQueue";

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Print up to LIMIT parked deliveries as JSON lines (failure_reason: the receiver's last
    /// answer; body: the EventBridge event); they stay parked.
    Parked {
        #[arg(long, default_value_t = 10)]
        limit: usize,
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Send the parked deliveries back to the webhook queue: each is tried again, with all its
    /// attempts (fix the endpoint or create the secret first).
    Redrive {
        /// Move at most this many.
        #[arg(long)]
        limit: Option<usize>,
        #[command(flatten)]
        target: TargetArgs,
    },
    /// POST a test event (`"test": true`) to the tenant's endpoint for KIND now, signed with its
    /// secret, and print the receiver's answer.
    Test {
        #[arg(long)]
        tenant: String,
        #[arg(long, default_value = "CallAnalysed")]
        kind: String,
        #[command(flatten)]
        target: TargetArgs,
    },
}

pub async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Parked { limit, target } => {
            let (sdk, target) = resolve(&target).await?;
            let dlq = queue(&target, DLQ)?;
            for message in sqs::peek(&aws_sdk_sqs::Client::new(&sdk), dlq, limit).await? {
                if !crate::operator::print(&format!("{}\n", serde_json::to_string(&message)?))? {
                    break;
                }
            }
            Ok(())
        }
        Command::Redrive { limit, target } => {
            let (sdk, target) = resolve(&target).await?;
            let outcome = redrive(
                &aws_sdk_sqs::Client::new(&sdk),
                queue(&target, DLQ)?,
                Some(queue(&target, QUEUE)?),
                limit,
            )
            .await?;
            if let Some(note) = &outcome.note {
                eprintln!("note: {note}");
            }
            println!("{}", serde_json::to_string(&outcome)?);
            Ok(())
        }
        Command::Test {
            tenant,
            kind,
            target: args,
        } => {
            if !EVENT_KINDS.contains(&kind.as_str()) {
                bail!("--kind must be one of {}", EVENT_KINDS.join(", "));
            }
            let tenant = TenantId::parse("--tenant", tenant).map_err(|e| anyhow::anyhow!("{e}"))?;
            let (sdk, target) = resolve(&args).await?;
            // Loopback http:// endpoints are the local cloud's only.
            let policy = match args.stack {
                None => EndpointPolicy::AllowLoopbackHttp,
                Some(_) => EndpointPolicy::HttpsOnly,
            };
            let attempt = send_test(
                &AwsClients::from_config(&sdk),
                &target.calls_table,
                &tenant,
                &kind,
                policy,
            )
            .await?;
            match attempt {
                Attempt::Delivered(answer) => {
                    println!("delivered: HTTP {} {}", answer.status, answer.body_start);
                    Ok(())
                }
                Attempt::NoEndpoint => bail!("tenant {tenant} has no {kind} endpoint"),
                Attempt::Failed(reason) | Attempt::Refused(reason) => bail!("{reason}"),
            }
        }
    }
}

/// One attempt of a test event to the tenant's endpoint for `kind`, through the delivery use
/// case (its settings, secret, signature and client).
pub async fn send_test(
    clients: &AwsClients,
    calls_table: &str,
    tenant: &TenantId,
    kind: &str,
    policy: EndpointPolicy,
) -> anyhow::Result<Attempt> {
    let clock = Arc::new(SystemClock);
    let deliver = DeliverWebhooks::new(
        SettingsCache::new(clients.settings(calls_table), clock.clone()),
        clients.webhook_secrets(calls_table),
        clients.parked_deliveries(calls_table),
        Arc::new(HttpSender::new().context("building the HTTP client")?),
        clock,
        policy,
        RetryPolicy {
            max_attempts: 1,
            base_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
            timeout: Duration::from_secs(5),
        },
    );
    let now = chrono::Utc::now();
    let event_id = format!("test/{tenant}/{}", now.timestamp_millis());
    let body = serde_json::json!({
        "version": 1,
        "event_id": event_id,
        "tenant": tenant.as_str(),
        "test": true,
        "sent_at": now.to_rfc3339(),
    })
    .to_string();
    Ok(deliver.attempt(tenant, kind, &event_id, &body).await)
}

async fn resolve(args: &TargetArgs) -> anyhow::Result<(aws_config::SdkConfig, Target)> {
    let sdk = crate::operator::sdk_config(args.profile.as_deref()).await;
    let target = target::resolve(args, &sdk).await?;
    Ok((sdk, target))
}

fn queue<'a>(target: &'a Target, logical_id: &str) -> anyhow::Result<&'a str> {
    target
        .queue_url(logical_id)
        .with_context(|| format!("{}: no {logical_id}", target.label))
}
