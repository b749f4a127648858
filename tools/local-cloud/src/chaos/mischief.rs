//! What happens to a function's invocations in the chaos run, batch by batch: it crashes
//! partway (an error, or a panic, after handling the first half of its batch: the whole batch
//! comes back, half of it done already), it is cut off past its deadline (its future dropped
//! while requests are in flight, as when Lambda stops a run at its timeout), or the same batch
//! is delivered to two invocations at once (SQS delivers at least once, to any poller).
//!
//! Which batches are hit follows their sequence number, so a run is reproducible up to timing.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use callscope_cloud::sqs::SqsBatchHandler;
use futures::future::BoxFuture;

/// The payload of an injected panic, so the chaos run's panic hook can keep quiet about it.
#[derive(Debug, Clone, Copy)]
pub struct InjectedCrash;

/// Injected panics are expected: the hook stays silent for them and reports every other panic
/// as before.
pub fn silence_injected_panics() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info.payload().is::<InjectedCrash>() {
                previous(info);
            }
        }));
    });
}

/// How often each kind strikes: one batch in `period` for each of the four kinds.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub period: u64,
}

/// What was done to a function's invocations.
#[derive(Debug, Default)]
pub struct MischiefCounts {
    pub batches: AtomicUsize,
    pub crashed_with_error: AtomicUsize,
    pub crashed_with_panic: AtomicUsize,
    pub cut_off: AtomicUsize,
    pub redelivered: AtomicUsize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    CrashError,
    CrashPanic,
    CutOff,
    Redeliver,
}

pub struct Mischief<'a> {
    inner: &'a dyn SqsBatchHandler,
    schedule: Schedule,
    sequence: AtomicU64,
    /// Total time and count of the batches that ran to the end: a cut-off strikes at half the
    /// mean, so it lands while the batch is at work.
    finished: Mutex<(Duration, u32)>,
    pub counts: MischiefCounts,
}

impl std::fmt::Debug for Mischief<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mischief")
            .field("schedule", &self.schedule)
            .field("counts", &self.counts)
            .finish_non_exhaustive()
    }
}

impl<'a> Mischief<'a> {
    pub fn new(inner: &'a dyn SqsBatchHandler, schedule: Schedule) -> Self {
        Self {
            inner,
            schedule,
            sequence: AtomicU64::new(0),
            finished: Mutex::new((Duration::ZERO, 0)),
            counts: MischiefCounts::default(),
        }
    }

    fn kind_of(&self, sequence: u64) -> Option<Kind> {
        let period = self.schedule.period.max(4);
        match sequence % period {
            s if s == period / 4 => Some(Kind::CrashError),
            s if s == period / 2 => Some(Kind::CrashPanic),
            s if s == 3 * period / 4 => Some(Kind::CutOff),
            s if s == period - 1 => Some(Kind::Redeliver),
            _ => None,
        }
    }

    fn cut_off_after(&self) -> Option<Duration> {
        let (total, count) = *self.finished.lock().ok()?;
        (count >= 3).then(|| total / count / 2)
    }

    async fn run_to_the_end(
        &self,
        event: SqsEvent,
    ) -> Result<SqsBatchResponse, lambda_runtime::Error> {
        let started = Instant::now();
        let result = self.inner.handle(event).await;
        if let Ok(mut finished) = self.finished.lock() {
            finished.0 += started.elapsed();
            finished.1 += 1;
        }
        result
    }

    /// Handles the first half of the batch (all of a batch of one), then crashes.
    async fn crash_partway(&self, mut event: SqsEvent, kind: Kind) -> lambda_runtime::Error {
        let half = event.records.len().div_ceil(2);
        event.records.truncate(half);
        // What the first half did is not reported: the invocation dies before it answers.
        let _done_then_lost = self.inner.handle(event).await;
        if kind == Kind::CrashPanic {
            self.counts
                .crashed_with_panic
                .fetch_add(1, Ordering::Relaxed);
            std::panic::panic_any(InjectedCrash);
        }
        self.counts
            .crashed_with_error
            .fetch_add(1, Ordering::Relaxed);
        "the function crashed halfway through its batch (injected)".into()
    }
}

impl SqsBatchHandler for Mischief<'_> {
    fn handle(
        &self,
        event: SqsEvent,
    ) -> BoxFuture<'_, Result<SqsBatchResponse, lambda_runtime::Error>> {
        Box::pin(async move {
            self.counts.batches.fetch_add(1, Ordering::Relaxed);
            let sequence = self.sequence.fetch_add(1, Ordering::Relaxed);
            match self.kind_of(sequence) {
                None => self.run_to_the_end(event).await,
                Some(kind @ (Kind::CrashError | Kind::CrashPanic)) => {
                    Err(self.crash_partway(event, kind).await)
                }
                Some(Kind::CutOff) => {
                    let Some(after) = self.cut_off_after() else {
                        return self.run_to_the_end(event).await;
                    };
                    match tokio::time::timeout(after, self.inner.handle(event)).await {
                        Ok(result) => result,
                        Err(_) => {
                            self.counts.cut_off.fetch_add(1, Ordering::Relaxed);
                            Err(
                                "the function ran past its deadline and was stopped (injected)"
                                    .into(),
                            )
                        }
                    }
                }
                Some(Kind::Redeliver) => {
                    self.counts.redelivered.fetch_add(1, Ordering::Relaxed);
                    // Both invocations do the work; the first one's answer is what the event
                    // source acts on, the second's deletes would find the messages gone.
                    let (first, _second) =
                        futures::join!(self.inner.handle(event.clone()), self.inner.handle(event));
                    first
                }
            }
        })
    }
}
