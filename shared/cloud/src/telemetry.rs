//! JSON logs for CloudWatch: one object per line, with the fields of the current spans
//! (`correlation_id`, `call_id`, `tenant`) on every line of a call's journey.

use tracing_subscriber::EnvFilter;

/// Initialises logging once; later calls (tests, the local runner) are no-ops.
pub fn init_tracing() {
    // An error only means a subscriber is already installed, which is what we want then.
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .with_ansi(false)
        .try_init();
}
