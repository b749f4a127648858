//! The adversarial suite: every case of `callscope_samples::adversarial` at the input limit,
//! timed through what ingest and process spend CPU on (redaction, analysis, the similarity
//! signature), against two rules:
//!
//! - **budget**: a case takes at most `BUDGET_FACTOR` times a normal generated call with the
//!   same number of text bytes, measured in the same run (so the rule holds on any machine);
//! - **linear**: time grows linearly with length — the slope of log(time) over log(bytes) from
//!   an eighth of the limit to the limit stays under `MAX_SLOPE` (a quadratic stage gives ~2).
//!
//! It prints a table and exits non-zero when a case breaks either rule. Timing lives here, in
//! `make bench`, not in `make test`: timed assertions in tests fail on a loaded machine.

use std::hint::black_box;
use std::time::{Duration, Instant};

use callscope_core::analysis::Analyser;
use callscope_core::domain::{Transcript, MAX_TRANSCRIPT_BYTES};
use callscope_core::redaction::redact_transcript;
use callscope_core::similarity::Signature;
use callscope_samples::adversarial::cases;
use callscope_samples::generate_call;

/// A case may cost this many times a normal call of its size.
const BUDGET_FACTOR: f64 = 10.0;
/// Linear growth has slope 1; measurement noise on short inputs stays well under this.
const MAX_SLOPE: f64 = 1.35;
/// Each time is the fastest of as many runs as fit in this (at least three).
const SAMPLE_TIME: Duration = Duration::from_millis(300);

fn text_bytes(t: &Transcript) -> usize {
    t.utterances().iter().map(|u| u.text.len()).sum()
}

/// The CPU work of one call from ingest to stored analysis.
fn work(analyser: &Analyser, transcript: &Transcript) {
    let (redacted, counts) = redact_transcript(transcript);
    let duration = redacted.timed_length_seconds();
    black_box(analyser.analyse(&redacted, duration, counts));
    black_box(Signature::of(&redacted));
}

/// Fastest run, in milliseconds.
fn time(analyser: &Analyser, transcript: &Transcript) -> f64 {
    let started = Instant::now();
    let mut best = f64::INFINITY;
    let mut runs = 0;
    while runs < 3 || started.elapsed() < SAMPLE_TIME {
        let t = Instant::now();
        work(analyser, black_box(transcript));
        best = best.min(t.elapsed().as_secs_f64() * 1_000.0);
        runs += 1;
    }
    best
}

/// A normal generated call with about `bytes` of text, at `per_minute` bytes a minute.
fn normal_call(bytes: usize, per_minute: f64) -> Transcript {
    let minutes = (bytes as f64 / per_minute).round().max(1.0) as u32;
    generate_call(minutes, u64::from(minutes))
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument picks cases by name.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let analyser = Analyser::default();
    let per_minute = text_bytes(&generate_call(60, 60)) as f64 / 60.0;
    println!(
        "{:<20} {:>9} {:>10} {:>10} {:>7} {:>6}  verdict",
        "case", "bytes", "ms", "normal ms", "× norm", "slope"
    );
    let mut failures = Vec::new();
    for case in cases() {
        if filter.as_deref().is_some_and(|f| !case.name.contains(f)) {
            continue;
        }
        let full = (case.build)(MAX_TRANSCRIPT_BYTES);
        let small = (case.build)(MAX_TRANSCRIPT_BYTES / 8);
        let (full_bytes, small_bytes) = (text_bytes(&full), text_bytes(&small));
        let ms = time(&analyser, &full);
        let small_ms = time(&analyser, &small);
        let normal_ms = time(&analyser, &normal_call(full_bytes, per_minute));
        let factor = ms / normal_ms;
        let slope = if full_bytes >= 2 * small_bytes {
            (ms / small_ms).ln() / (full_bytes as f64 / small_bytes as f64).ln()
        } else {
            // The case (all but) stopped growing: it hit the utterance limit. tiny_utterances is
            // 37,500 bytes at an eighth of the byte limit and 40,000 at the limit, and over a
            // ratio of 1.07 a 10 % timing jitter reads as a slope of 1.5: no slope to judge.
            1.0
        };
        let mut verdict = Vec::new();
        if factor > BUDGET_FACTOR {
            verdict.push(format!("over budget ({BUDGET_FACTOR}× a normal call)"));
        }
        if slope > MAX_SLOPE {
            verdict.push(format!("super-linear (slope > {MAX_SLOPE})"));
        }
        println!(
            "{:<20} {:>9} {:>10.2} {:>10.2} {:>7.1} {:>6.2}  {}",
            case.name,
            full_bytes,
            ms,
            normal_ms,
            factor,
            slope,
            if verdict.is_empty() {
                "ok".to_owned()
            } else {
                verdict.join(", ")
            }
        );
        if !verdict.is_empty() {
            failures.push(case.name);
        }
    }
    if !failures.is_empty() {
        eprintln!("adversarial cases out of bounds: {}", failures.join(", "));
        std::process::exit(1);
    }
}
