//! Analysis throughput on generated realistic calls of 5, 30 and 60 minutes (one core).

use std::hint::black_box;

use callscope_core::analysis::Analyser;
use callscope_samples::generate_call;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn analysis(c: &mut Criterion) {
    let analyser = Analyser::default();
    let mut group = c.benchmark_group("analyse");
    for minutes in [5_u32, 30, 60] {
        let call = generate_call(minutes, u64::from(minutes));
        let bytes: usize = call.utterances().iter().map(|u| u.text.len()).sum();
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(format!("{minutes}_minute_call"), |b| {
            b.iter(|| {
                analyser.analyse(
                    black_box(&call),
                    black_box(Some(f64::from(minutes) * 60.0)),
                    Default::default(),
                )
            })
        });
    }
    group.finish();
}

/// Redaction as admit runs it, on the same calls (the 30-minute call is the figure the docs
/// quote), and on a 30-minute call with PII said in every form every few turns.
fn redaction(c: &mut Criterion) {
    use callscope_core::redaction::redact_transcript;
    let mut group = c.benchmark_group("redact");
    for minutes in [5_u32, 30, 60] {
        let call = generate_call(minutes, u64::from(minutes));
        let bytes: usize = call.utterances().iter().map(|u| u.text.len()).sum();
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(format!("{minutes}_minute_call"), |b| {
            b.iter(|| redact_transcript(black_box(&call)))
        });
    }
    group.finish();
}

criterion_group!(benches, analysis, redaction);
criterion_main!(benches);
