//! Adversarial calls at the input limit: the analysis of each stays small enough to store
//! (every list in it is capped), whatever the transcript repeats. Their time is held to a
//! budget by `benches/adversarial.rs`.

use callscope_core::analysis::Analyser;
use callscope_core::domain::MAX_TRANSCRIPT_BYTES;
use callscope_core::redaction::redact_transcript;
use callscope_samples::adversarial::cases;

/// Well inside DynamoDB's 400 KB item, before compression.
const MAX_ANALYSIS_JSON_BYTES: usize = 64 * 1024;

#[test]
fn every_adversarial_call_has_an_analysis_small_enough_to_store() {
    let analyser = Analyser::default();
    for case in cases() {
        let (redacted, counts) = redact_transcript(&(case.build)(MAX_TRANSCRIPT_BYTES));
        let analysis = analyser.analyse(&redacted, redacted.timed_length_seconds(), counts);
        let bytes = serde_json::to_vec(&analysis).expect("serialisable").len();
        assert!(
            bytes <= MAX_ANALYSIS_JSON_BYTES,
            "{}: analysis is {bytes} bytes of JSON",
            case.name
        );
    }
}
