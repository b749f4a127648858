//! Fault injection for the end-to-end tests and the chaos run: a handler wrapper that fails on
//! purpose.
//!
//! It models what at-least-once delivery and crashes do to a real function: a message reported
//! failed before it was handled (transient error), a message handled and then reported failed
//! (a crash after the work, before the delete: the message comes back), and whole batches that
//! error. Which messages are hit is decided by a seeded hash of the message id, so a run is
//! reproducible, and each id is hit at most once so the run terminates.

use std::collections::HashSet;
use std::sync::Mutex;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use callscope_cloud::sqs::{batch_response, failed_ids, SqsBatchHandler};
use futures::future::BoxFuture;

/// Fails the given share of messages, half before and half after the real handler ran.
pub struct Flaky<'a> {
    inner: &'a dyn SqsBatchHandler,
    /// Out of 100.
    percent: u64,
    seed: u64,
    already_hit: Mutex<HashSet<String>>,
    pub injected: Mutex<InjectedFaults>,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct InjectedFaults {
    pub failed_before_handling: usize,
    pub failed_after_handling: usize,
}

impl std::fmt::Debug for Flaky<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Flaky")
            .field("percent", &self.percent)
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

impl<'a> Flaky<'a> {
    pub fn new(inner: &'a dyn SqsBatchHandler, percent: u64, seed: u64) -> Self {
        Self {
            inner,
            percent,
            seed,
            already_hit: Mutex::new(HashSet::new()),
            injected: Mutex::new(InjectedFaults::default()),
        }
    }

    fn roll(&self, message_id: &str) -> u64 {
        // FNV-1a: stable across runs and platforms, unlike std's RandomState.
        message_id
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64 ^ self.seed, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            })
            % 100
    }

    fn pick(&self, message_id: &str) -> Option<bool> {
        let roll = self.roll(message_id);
        if roll >= self.percent {
            return None;
        }
        let mut hit = self.already_hit.lock().expect("lock");
        hit.insert(message_id.to_owned()).then_some(roll % 2 == 0)
    }
}

impl SqsBatchHandler for Flaky<'_> {
    fn handle(
        &self,
        mut event: SqsEvent,
    ) -> BoxFuture<'_, Result<SqsBatchResponse, lambda_runtime::Error>> {
        Box::pin(async move {
            let mut failed = Vec::new();
            let mut after = Vec::new();
            event.records.retain(|m| {
                let id = m.message_id.clone().unwrap_or_default();
                match self.pick(&id) {
                    Some(true) => {
                        failed.push(id);
                        false
                    }
                    Some(false) => {
                        after.push(id);
                        true
                    }
                    None => true,
                }
            });
            {
                let mut injected = self.injected.lock().expect("lock");
                injected.failed_before_handling += failed.len();
                injected.failed_after_handling += after.len();
            }
            if !event.records.is_empty() {
                let response = self.inner.handle(event).await?;
                failed.extend(failed_ids(&response).into_iter().map(str::to_owned));
            }
            failed.extend(after);
            failed.sort();
            failed.dedup();
            Ok(batch_response(failed))
        })
    }
}
