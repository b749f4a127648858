//! The event sources while the calls go in: each poller receives, invokes and deletes as
//! Lambda's event source mapping does, until the feed is done.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use callscope_cloud::sqs::SqsBatchHandler;

use crate::runner::{LocalRunner, PollReport};

/// The pause after an empty poll of a busy queue (process, analytics, intake), and of a
/// quiet one (drop-in, reanalyse): every empty receive is a request the single-threaded
/// emulator serves instead of the functions' own.
pub const IDLE_BUSY: Duration = Duration::from_millis(200);
pub const IDLE_QUIET: Duration = Duration::from_secs(1);

/// One poller of an event source until the feed is done, pausing `idle` after an empty poll;
/// an error of the emulator is logged and the poll tried again, as Lambda's event source
/// mapping does.
pub async fn poll_while_feeding(
    runner: LocalRunner,
    (stage, idle): (&'static str, Duration),
    handler: &dyn SqsBatchHandler,
    (fed, errors): (&AtomicBool, &AtomicUsize),
    deliveries: &Mutex<BTreeMap<&'static str, PollReport>>,
) {
    while !fed.load(Ordering::Relaxed) {
        match runner.poll_once(handler).await {
            Ok(report) => {
                add_reports(deliveries, BTreeMap::from([(stage, report)]));
                if report.received == 0 {
                    tokio::time::sleep(idle).await;
                }
            }
            Err(error) => {
                errors.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    stage,
                    error = format!("{error:#}"),
                    "poll failed; polling again"
                );
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

pub fn add_reports(
    into: &Mutex<BTreeMap<&'static str, PollReport>>,
    reports: BTreeMap<&'static str, PollReport>,
) {
    let Ok(mut into) = into.lock() else { return };
    for (stage, report) in reports {
        let total = into.entry(stage).or_default();
        total.received += report.received;
        total.deleted += report.deleted;
        total.failed += report.failed;
        total.invocations += report.invocations;
    }
}
