//! JSON logs, one object per line, every enclosing span's fields flat beside the event's, at the
//! level Lambda's advanced logging asks for (`AWS_LAMBDA_LOG_LEVEL`), else `RUST_LOG`, else INFO.

use tracing::Subscriber;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

const DEFAULT_LEVEL: &str = "info";

/// Initialises logging once; later calls (tests, the local runner) are no-ops.
pub fn init_tracing() {
    let directives = log_filter(
        std::env::var("AWS_LAMBDA_LOG_LEVEL").ok().as_deref(),
        std::env::var("RUST_LOG").ok().as_deref(),
    );
    let filter = EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new(DEFAULT_LEVEL));
    // An error only means a subscriber is already installed, which is what we want then.
    let _ = tracing_subscriber::registry()
        .with(json_logs(std::io::stdout).with_filter(filter))
        .try_init();
}

/// The filter directives: Lambda's application log level when its advanced logging controls set
/// one (the function's `LoggingConfig.ApplicationLogLevel`, which would otherwise drop what a
/// lower `RUST_LOG` lets through), else `RUST_LOG` (directives per crate allowed), else INFO.
/// Lambda's FATAL is tracing's ERROR; an unknown Lambda level is ignored.
pub fn log_filter(aws_lambda_log_level: Option<&str>, rust_log: Option<&str>) -> String {
    let lambda_level = aws_lambda_log_level
        .map(|level| level.trim().to_ascii_lowercase())
        .and_then(|level| match level.as_str() {
            "trace" | "debug" | "info" | "warn" | "error" => Some(level),
            "fatal" => Some("error".to_owned()),
            _ => None,
        });
    lambda_level
        .or_else(|| {
            rust_log
                .map(str::trim)
                .filter(|directives| !directives.is_empty())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| DEFAULT_LEVEL.to_owned())
}

/// The JSON log layer writing to `writer`: `timestamp`, `level`, `message`, the event's fields
/// and every enclosing span's fields at the top level (a field of an inner span wins over the
/// same field of an outer one), so CloudWatch Logs Insights can filter a call by `call_id`.
/// Events must not repeat a field of their spans (the line would carry the key twice).
pub fn json_logs<S, W>(writer: W) -> impl Layer<S>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    json_subscriber::fmt::layer()
        .with_writer(writer)
        .with_target(false)
        .with_current_span(false)
        .with_span_list(false)
        .flatten_span_list_on_top_level(true)
        .flatten_event(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambdas_log_level_wins_over_rust_log() {
        assert_eq!(log_filter(Some("DEBUG"), Some("warn")), "debug");
        assert_eq!(log_filter(Some("TRACE"), None), "trace");
    }

    #[test]
    fn lambdas_fatal_is_error() {
        assert_eq!(log_filter(Some("FATAL"), Some("info")), "error");
    }

    #[test]
    fn rust_log_is_used_when_lambda_sets_no_level() {
        assert_eq!(
            log_filter(None, Some("info,aws_smithy_runtime=warn")),
            "info,aws_smithy_runtime=warn"
        );
    }

    #[test]
    fn an_unknown_lambda_level_falls_back_to_rust_log() {
        assert_eq!(log_filter(Some("LOUD"), Some("warn")), "warn");
    }

    #[test]
    fn info_is_the_default() {
        assert_eq!(log_filter(None, None), "info");
        assert_eq!(log_filter(Some(""), Some("  ")), "info");
    }
}
