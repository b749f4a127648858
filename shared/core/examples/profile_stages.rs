//! A fixed workload for `valgrind --tool=callgrind` (instruction counts are repeatable on a busy
//! machine, wall time is not): the generated 30-minute call of `benches/analysis.rs` redacted,
//! analysed and serialised `CALLSCOPE_PROFILE_RUNS` times (default 20), each stage in its own
//! non-inlined function so the profile attributes it. `make profile` runs it under callgrind.

use std::hint::black_box;

use callscope_core::analysis::{Analyser, CallAnalysis};
use callscope_core::domain::Transcript;
use callscope_core::redaction::{redact_transcript, RedactionCounts};
use callscope_samples::generate_call;

#[inline(never)]
fn stage_redact(t: &Transcript) -> (Transcript, RedactionCounts) {
    redact_transcript(t)
}

#[inline(never)]
fn stage_analyse(a: &Analyser, t: &Transcript, counts: RedactionCounts) -> CallAnalysis {
    a.analyse(t, Some(30.0 * 60.0), counts)
}

#[inline(never)]
fn stage_json(analysis: &CallAnalysis) -> Vec<u8> {
    serde_json::to_vec(analysis).unwrap_or_default()
}

fn main() {
    let runs: usize = std::env::var("CALLSCOPE_PROFILE_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let analyser = Analyser::default();
    let call = generate_call(30, 30);
    for _ in 0..runs {
        let (redacted, counts) = stage_redact(black_box(&call));
        let analysis = stage_analyse(&analyser, black_box(&redacted), counts);
        black_box(stage_json(&analysis));
    }
}
