//! One invocation as telemetry sees it: a span with the Lambda request id and whether this is the
//! sandbox's cold start (so both are on every log line), `ColdStarts` counted on the first, and
//! the metrics recorded meanwhile flushed as Embedded Metric Format documents when it ends,
//! before the runtime sends the response.

use std::fmt;
use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use callscope_app::telemetry as names;
use lambda_runtime::LambdaEvent;
use metrics_cloudwatch_embedded::Collector;
use tracing::instrument::Instrumented;
use tracing::Instrument;

use super::{Function, FUNCTION_DIMENSION, NAMESPACE};

/// Where flushed metric documents go: a new writer per flush (stdout on Lambda).
type MakeWriter = Arc<dyn Fn() -> Box<dyn Write + Send> + Send + Sync>;

/// The metrics recorder of this process and the cold-start flag of its sandbox.
#[derive(Clone)]
pub struct Telemetry {
    /// `None` when another recorder was installed first (then nothing is emitted).
    collector: Option<&'static Collector>,
    writer: MakeWriter,
    cold: Arc<AtomicBool>,
}

impl fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Telemetry")
            .field("recording", &self.collector.is_some())
            .field("cold", &self.cold.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Telemetry {
    /// Installs the process-wide EMF recorder for `function`; documents are written to a writer
    /// from `writer` at the end of each invocation.
    pub fn install<W>(function: Function, writer: W) -> Self
    where
        W: Fn() -> Box<dyn Write + Send> + Send + Sync + 'static,
    {
        let collector = metrics_cloudwatch_embedded::Builder::new()
            .cloudwatch_namespace(NAMESPACE)
            .with_dimension(FUNCTION_DIMENSION, function.as_str())
            .init();
        let collector = match collector {
            Ok(collector) => {
                names::describe();
                Some(collector)
            }
            Err(error) => {
                tracing::warn!(%error, "metrics recorder not installed; no metrics are emitted");
                None
            }
        };
        Self {
            collector,
            writer: Arc::new(writer),
            cold: Arc::new(AtomicBool::new(true)),
        }
    }

    /// Runs one invocation's `work` inside its span and flushes its metrics when it ends.
    pub fn invocation<F: Future>(&self, request_id: &str, work: F) -> Invocation<F> {
        let cold_start = self.cold.swap(false, Ordering::Relaxed);
        if let Some(collector) = self.collector {
            // A property, not a dimension: it finds the invocation's logs, it is not aggregated.
            collector.set_property("requestId", request_id.to_owned());
        }
        if cold_start {
            names::count(names::COLD_STARTS, 1);
        }
        // At ERROR so no log level filters it out: its fields must be on every line that is kept.
        let span = tracing::error_span!("invocation", requestId = request_id, cold_start);
        Invocation {
            work: Box::pin(work.instrument(span)),
            telemetry: self.clone(),
        }
    }

    /// `handler` (a `service_fn`, or lambda_http's adapter of a Router) with every invocation
    /// under this telemetry; hand it to `lambda_runtime::run`.
    pub fn wrap<S>(&self, handler: S) -> WithTelemetry<S> {
        WithTelemetry {
            telemetry: self.clone(),
            handler,
        }
    }

    /// Writes the metrics recorded since the last flush, one document per set of dimensions.
    pub fn flush(&self) {
        let Some(collector) = self.collector else {
            return;
        };
        let mut writer = (self.writer)();
        if let Err(error) = collector.flush(&mut writer).and_then(|()| writer.flush()) {
            // Losing an invocation's metrics must not fail the invocation.
            tracing::warn!(%error, "could not write the invocation's metrics");
        }
    }
}

/// The future of one invocation (see [`Telemetry::invocation`]).
pub struct Invocation<F> {
    work: Pin<Box<Instrumented<F>>>,
    telemetry: Telemetry,
}

impl<F> fmt::Debug for Invocation<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Invocation").finish_non_exhaustive()
    }
}

impl<F: Future> Future for Invocation<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let output = std::task::ready!(self.work.as_mut().poll(cx));
        self.telemetry.flush();
        Poll::Ready(output)
    }
}

/// A Lambda handler whose every call is an [`Invocation`] (see [`Telemetry::wrap`]).
#[derive(Debug)]
pub struct WithTelemetry<S> {
    telemetry: Telemetry,
    handler: S,
}

impl<A, S> lambda_runtime::Service<LambdaEvent<A>> for WithTelemetry<S>
where
    S: lambda_runtime::Service<LambdaEvent<A>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Invocation<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.handler.poll_ready(cx)
    }

    fn call(&mut self, event: LambdaEvent<A>) -> Self::Future {
        let request_id = event.context.request_id.clone();
        self.telemetry
            .invocation(&request_id, self.handler.call(event))
    }
}
