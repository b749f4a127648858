//! The template's event sources in front of functions served out of process (by
//! `cargo lambda watch`): every SQS event polled by the [`LocalRunner`], every table stream read
//! by the [`StreamRunner`], every schedule on its timer, each invoking its function through the
//! Invoke API. The runners are the in-process ones, so the contract is the same: only what the
//! batch response does not name is deleted, and an invocation error deletes nothing.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use callscope_cloud::aws::load_sdk_config;
use futures::future::join_all;
use serde_json::json;

use crate::invoke::{InvokeApi, RemoteFunction};
use crate::pipeline::RETRY_DELAY;
use crate::provision::Provisioned;
use crate::runner::{EventSource, LocalRunner, PollReport};
use crate::streams::{StreamPollReport, StreamRunner};

/// The pause between polls of an idle queue or stream, or while nothing serves the functions.
const IDLE_POLL: Duration = Duration::from_millis(250);

/// What the pump did, for whoever shows it.
#[derive(Debug)]
pub enum Activity<'a> {
    Sqs {
        function: &'a str,
        report: PollReport,
    },
    Stream {
        function: &'a str,
        report: StreamPollReport,
    },
    Schedule {
        function: &'a str,
        outcome: Result<(), String>,
    },
    /// Nothing answers the Invoke API: the pump holds off, receiving nothing.
    Waiting {
        url: &'a str,
    },
    Error {
        function: &'a str,
        error: String,
    },
}

/// What [`Pump::drain`] handed each function, by binary name.
#[derive(Debug, Default)]
pub struct Drained {
    pub sqs: BTreeMap<String, PollReport>,
    pub streams: BTreeMap<String, StreamPollReport>,
}

#[derive(Debug)]
struct Schedule {
    function: RemoteFunction,
    expression: String,
    every: Option<Duration>,
}

#[derive(Debug)]
pub struct Pump {
    api: InvokeApi,
    /// Whether the sources are holding off for the Invoke API (said once, not per source).
    waiting: AtomicBool,
    sqs: Vec<(LocalRunner, RemoteFunction)>,
    streams: Vec<(StreamRunner, RemoteFunction)>,
    schedules: Vec<Schedule>,
}

impl Pump {
    /// Wires every event source of the provisioned template to its function's binary at `api`.
    pub async fn start(
        sqs: &aws_sdk_sqs::Client,
        provisioned: &Provisioned,
        api: InvokeApi,
    ) -> anyhow::Result<Self> {
        let streams = &aws_sdk_dynamodbstreams::Client::new(&load_sdk_config().await);
        let mut pump = Self {
            api,
            waiting: AtomicBool::new(false),
            sqs: Vec::new(),
            streams: Vec::new(),
            schedules: Vec::new(),
        };
        for (logical_id, wiring) in &provisioned.functions {
            let has_sources = !wiring.sqs_sources.is_empty()
                || !wiring.stream_sources.is_empty()
                || !wiring.schedules.is_empty();
            if !has_sources {
                continue;
            }
            let binary = wiring.binary.as_deref().with_context(|| {
                format!("{logical_id} has event sources but no Metadata.BuildProperties.Binary")
            })?;
            let function = pump.api.function(binary);
            for source in &wiring.sqs_sources {
                let runner =
                    LocalRunner::new(sqs.clone(), EventSource::provisioned(provisioned, source)?)
                        .with_retry_delay(RETRY_DELAY)
                        // Short polls: a long one would hold the single-threaded emulator, and
                        // with it the functions' own requests, for its whole wait.
                        .with_wait(Duration::ZERO);
                pump.sqs.push((runner, function.clone()));
            }
            for runner in StreamRunner::start_all(streams, &wiring.stream_sources).await? {
                pump.streams.push((runner, function.clone()));
            }
            for schedule in &wiring.schedules {
                pump.schedules.push(Schedule {
                    function: function.clone(),
                    expression: schedule.expression.clone(),
                    every: schedule.every_seconds.map(Duration::from_secs),
                });
            }
        }
        Ok(pump)
    }

    /// Each source as "function ← what", for a banner.
    pub fn describe(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .sqs
            .iter()
            .map(|(runner, f)| format!("{:<10} ← SQS {}", f.name(), runner.queue_url()))
            .collect();
        lines.extend(
            self.streams
                .iter()
                .map(|(runner, f)| format!("{:<10} ← stream {}", f.name(), runner.stream_arn())),
        );
        lines.extend(
            self.schedules
                .iter()
                .map(|s| format!("{:<10} ← schedule {}", s.function.name(), s.expression)),
        );
        lines
    }

    /// Invokes every scheduled function once, now, with a scheduled event.
    pub async fn run_schedules_now(&self, report: &(dyn Fn(Activity<'_>) + Sync)) {
        for schedule in &self.schedules {
            let outcome = invoke_scheduled(&schedule.function).await;
            report(Activity::Schedule {
                function: schedule.function.name(),
                outcome,
            });
        }
    }

    /// Polls every source until a full pass receives nothing; what each function was handed.
    pub async fn drain(&self) -> anyhow::Result<Drained> {
        let mut totals = Drained::default();
        loop {
            let mut received = 0;
            for (runner, function) in &self.sqs {
                let report = runner
                    .poll_once(function)
                    .await
                    .with_context(|| format!("polling the queue of {}", function.name()))?;
                received += report.received;
                let total = totals.sqs.entry(function.name().to_owned()).or_default();
                total.received += report.received;
                total.deleted += report.deleted;
                total.failed += report.failed;
                total.invocations += report.invocations;
            }
            for (runner, function) in &self.streams {
                let report = runner
                    .poll_once(function)
                    .await
                    .with_context(|| format!("reading the stream of {}", function.name()))?;
                received += report.read;
                let total = totals
                    .streams
                    .entry(function.name().to_owned())
                    .or_default();
                total.read += report.read;
                total.delivered += report.delivered;
                total.failed_batches += report.failed_batches;
            }
            if received == 0 {
                return Ok(totals);
            }
        }
    }

    /// Runs every source until the future is dropped, telling `report` what happened.
    pub async fn run(&self, report: &(dyn Fn(Activity<'_>) + Sync)) {
        let sqs = self.sqs.iter().map(|(runner, function)| {
            self.keep_polling(function, report, move || async move {
                let r = runner.poll_once(function).await?;
                Ok((r.received > 0).then(|| Activity::Sqs {
                    function: function.name(),
                    report: r,
                }))
            })
        });
        let streams = self.streams.iter().map(|(runner, function)| {
            self.keep_polling(function, report, move || async move {
                let r = runner.poll_once(function).await?;
                Ok((r.delivered > 0).then(|| Activity::Stream {
                    function: function.name(),
                    report: r,
                }))
            })
        });
        let schedules = self.schedules.iter().map(|schedule| async move {
            let Some(every) = schedule.every else {
                report(Activity::Error {
                    function: schedule.function.name(),
                    error: format!("{} is not run locally (only rate(…))", schedule.expression),
                });
                return;
            };
            let mut timer = tokio::time::interval(every);
            timer.tick().await;
            loop {
                timer.tick().await;
                report(Activity::Schedule {
                    function: schedule.function.name(),
                    outcome: invoke_scheduled(&schedule.function).await,
                });
            }
        });
        // Each source polls on its own, as each event source mapping does.
        let sqs = join_all(sqs);
        let streams = join_all(streams);
        let schedules = join_all(schedules);
        tokio::join!(sqs, streams, schedules);
    }

    /// One source's loop, as its event source mapping runs: hold off while nothing serves the
    /// functions, poll, report a poll that delivered, pause while idle or after an error.
    async fn keep_polling<'a, P, F>(
        &self,
        function: &'a RemoteFunction,
        report: &(dyn Fn(Activity<'_>) + Sync),
        poll: P,
    ) where
        P: Fn() -> F,
        F: Future<Output = anyhow::Result<Option<Activity<'a>>>>,
    {
        loop {
            if !self.wait_for_functions(report).await {
                continue;
            }
            match poll().await {
                Ok(Some(activity)) => report(activity),
                Ok(None) => tokio::time::sleep(IDLE_POLL).await,
                Err(error) => {
                    report(Activity::Error {
                        function: function.name(),
                        error: format!("{error:#}"),
                    });
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// False (after a pause) while nothing accepts connections at the Invoke API: a batch
    /// received then would fail, and every such receive counts towards the DLQ.
    async fn wait_for_functions(&self, report: &(dyn Fn(Activity<'_>) + Sync)) -> bool {
        if self.api.is_up().await {
            self.waiting.store(false, Ordering::Relaxed);
            return true;
        }
        if !self.waiting.swap(true, Ordering::Relaxed) {
            report(Activity::Waiting {
                url: self.api.base_url(),
            });
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        false
    }
}

/// What EventBridge hands a function on a schedule; the sweep reads nothing from it.
async fn invoke_scheduled(function: &RemoteFunction) -> Result<(), String> {
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let event = json!({
        "version": "0",
        "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": now,
        "region": std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into()),
        "resources": [],
        "detail": {}
    });
    function
        .invoke::<_, serde_json::Value>(&event, "any JSON")
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}
