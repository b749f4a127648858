//! Telemetry for CloudWatch, set up once per cold start by each composition root: JSON logs with
//! the fields of every enclosing span flat on each line (the Lambda `requestId` and `cold_start`,
//! and a call's `correlation_id`, `call_id`, `tenant` on every line of its journey), and the
//! use cases' metrics in CloudWatch Embedded Metric Format, flushed at the end of every
//! invocation, namespace [`NAMESPACE`], dimension `function` = [`Function::as_str`].

mod invocation;
mod logs;

pub use invocation::{Invocation, Telemetry, WithTelemetry};
pub use logs::{init_tracing, json_logs, log_filter};

/// The CloudWatch namespace of every metric.
pub const NAMESPACE: &str = "callscope";
/// The dimension every metric carries: which function emitted it.
pub const FUNCTION_DIMENSION: &str = "function";

/// The functions, by the short name their metrics carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Ingest,
    Intake,
    DropIn,
    Process,
    Aggregate,
    Sweep,
    Query,
    Invalidate,
    Outbound,
    Recordings,
    Webhooks,
    Erasures,
}

impl Function {
    /// The `function` dimension's value (the alarms and the dashboard use these names).
    pub fn as_str(self) -> &'static str {
        match self {
            Function::Ingest => "ingest",
            Function::Intake => "intake",
            Function::DropIn => "dropin",
            Function::Process => "process",
            Function::Aggregate => "aggregate",
            Function::Sweep => "sweep",
            Function::Query => "query",
            Function::Invalidate => "invalidate",
            Function::Outbound => "outbound",
            Function::Recordings => "recordings",
            Function::Webhooks => "webhooks",
            Function::Erasures => "erasures",
        }
    }
}

/// Logs and metrics of a Lambda function writing to stdout, where Lambda sends both to
/// CloudWatch (which reads the metrics out of the log lines).
pub fn init(function: Function) -> Telemetry {
    init_tracing();
    Telemetry::install(function, || Box::new(std::io::stdout()))
}
