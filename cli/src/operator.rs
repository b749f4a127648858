//! The operator's commands: where the pipeline stands (`status`), where one call is
//! (`calls get`), and a dead-letter queue's parked messages read and sent back (`dlq peek`,
//! `dlq redrive`), webhook deliveries (`webhooks parked`, `redrive`, `test`), a partition of the
//! Parquet export compacted now (`export compact`), on the local cloud or a deployed stack
//! ([`target`]).

pub mod age;
pub mod calls;
pub mod dlq;
pub mod export;
pub mod lifecycle;
pub mod status;
pub mod target;
pub mod webhooks;

use aws_config::{BehaviorVersion, SdkConfig};

/// The SDK configuration of an operator's session: the default chain (environment, then the
/// profile: static keys, `credential_process` or SSO), with `--profile` over `AWS_PROFILE`.
/// Unlike the functions' it has no short timeouts: nothing here runs against a deadline.
pub async fn sdk_config(profile: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(profile) = profile {
        loader = loader.profile_name(profile);
    }
    loader.load().await
}

/// Prints `text` to stdout; `false` when the reader has gone (`status --json | head`), which
/// ends the command quietly instead of panicking as `println!` does.
pub fn print(text: &str) -> anyhow::Result<bool> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(error) => Err(anyhow::Error::new(error).context("writing to stdout")),
    }
}
