//! Adversarial calls at the input limit: the analysis of each stays small enough to store
//! (every list in it is capped), whatever the transcript repeats. Their time is held to a
//! budget by `benches/adversarial.rs`.

use callscope_core::analysis::{Analyser, CallAnalysis, MAX_INTERVALS};
use callscope_core::domain::{Role, Transcript, Utterance, MAX_TRANSCRIPT_BYTES, MAX_UTTERANCES};
use callscope_core::redaction::redact_transcript;
use callscope_samples::adversarial::cases;

/// Well inside DynamoDB's 400 KB item, before compression, for everything but the per-turn
/// lists (`turns`, `intervals`), which grow with the call and are bounded as stored below.
const MAX_ANALYSIS_JSON_BYTES: usize = 64 * 1024;
/// The analysis as stored (zstd level 3, as shared/cloud writes it), turns and intervals
/// included: half of the 380,000 bytes the store writes at most. A 60-minute generated call
/// stores in about 10 KB; the worst case below in about 148 KB.
const MAX_STORED_ANALYSIS_BYTES: usize = 190_000;

fn analysed(transcript: &Transcript) -> CallAnalysis {
    let (redacted, counts) = redact_transcript(transcript);
    Analyser::default().analyse(&redacted, redacted.timed_length_seconds(), counts)
}

/// (JSON bytes without turns and intervals, zstd bytes of the whole analysis).
fn sizes(analysis: &CallAnalysis) -> (usize, usize) {
    let json = serde_json::to_vec(analysis).expect("serialisable");
    let stored = zstd::bulk::compress(&json, 3).expect("compressible").len();
    let mut rest = analysis.clone();
    rest.turns.clear();
    rest.intervals.clear();
    let rest = serde_json::to_vec(&rest).expect("serialisable").len();
    (rest, stored)
}

#[test]
fn every_adversarial_call_has_an_analysis_small_enough_to_store() {
    for case in cases() {
        let analysis = analysed(&(case.build)(MAX_TRANSCRIPT_BYTES));
        let (rest, stored) = sizes(&analysis);
        assert!(
            rest <= MAX_ANALYSIS_JSON_BYTES,
            "{}: analysis is {rest} bytes of JSON without its turns",
            case.name
        );
        assert!(
            stored <= MAX_STORED_ANALYSIS_BYTES,
            "{}: analysis is {stored} bytes stored",
            case.name
        );
        assert!(
            analysis.turns.len() <= MAX_UTTERANCES && analysis.intervals.len() <= MAX_INTERVALS
        );
    }
}

/// The most turns, each with its own times and sentiment, each cutting into the one before
/// (an interruption and crosstalk per turn): the turns and intervals that compress worst.
#[test]
fn the_most_turns_and_intervals_still_fit_when_stored() {
    let words = [
        "good", "bad", "great", "awful", "fine", "sad", "happy", "no",
    ];
    let mut seed = 7_u64;
    let mut next = move || {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        seed >> 33
    };
    let utterances = (0..MAX_UTTERANCES)
        .map(|i| {
            let start = i as f64 * 2.0 + (next() % 500) as f64 / 1_000.0;
            let end = start + 3.5 + (next() % 500) as f64 / 1_000.0;
            let text = format!(
                "we {} {} now",
                words[(next() % 8) as usize],
                words[(next() % 8) as usize]
            );
            let speaker = if i % 2 == 0 {
                Role::Agent
            } else {
                Role::Customer
            };
            Utterance {
                speaker,
                text,
                start: Some(start),
                end: Some(end),
                word_times: Vec::new(),
            }
        })
        .collect();
    let analysis = analysed(&Transcript::new(utterances).expect("valid"));
    assert_eq!(analysis.turns.len(), MAX_UTTERANCES);
    assert_eq!(analysis.intervals.len(), MAX_INTERVALS);
    let (rest, stored) = sizes(&analysis);
    assert!(
        rest <= MAX_ANALYSIS_JSON_BYTES,
        "{rest} bytes of JSON without its turns"
    );
    assert!(stored <= MAX_STORED_ANALYSIS_BYTES, "{stored} bytes stored");
}
