//! Our figures against the ones Amazon's files carry, on every Contact Lens / Call Analytics
//! sample in events/calls/ (their figures are derived from their turns by Amazon's published
//! definitions in events/calls/amazon_figures.py, not by this engine). Every shared metric must
//! agree within the tolerances of `callscope_core::fidelity`: talk time ±10 %, talk speed ±15 %,
//! interruptions ±1, non-talk time ±10 % or ±1 s.

use std::path::{Path, PathBuf};

use callscope_core::analysis::TimingSource;
use callscope_core::fidelity::{self, Row};
use callscope_core::formats::{parse_transcript, Format};
use callscope_core::CallAnalysis;
use serde_json::Value;

const METRICS: [&str; 6] = [
    "talk time agent (s)",
    "talk speed agent (wpm)",
    "talk time customer (s)",
    "talk speed customer (wpm)",
    "interruptions",
    "non-talk time (s)",
];

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/calls")
}

fn analysed(name: &str) -> (CallAnalysis, Value) {
    let bytes = std::fs::read(samples_dir().join(name)).expect("the sample exists");
    let file: Value = serde_json::from_slice(&bytes).expect("JSON");
    let parsed = parse_transcript(&bytes, Format::Auto).expect("a valid sample");
    let analysis = callscope_core::analyse(&parsed.transcript, parsed.duration_seconds);
    (analysis, file)
}

/// The samples that carry Amazon's figures, by file name.
fn amazon_samples() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(samples_dir())
        .expect("events/calls exists")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .filter(|path| {
            let file: Value =
                serde_json::from_slice(&std::fs::read(path).expect("readable")).expect("JSON");
            fidelity::amazon_figures(&file).is_some()
        })
        .map(|path| {
            path.file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

#[test]
fn every_amazon_sample_agrees_on_every_shared_metric() {
    let samples = amazon_samples();
    assert_eq!(
        samples,
        [
            "contact_lens.json",
            "contact_lens_words.json",
            "transcribe_call_analytics.json",
            "transcribe_call_analytics_call.json",
            "transcribe_call_analytics_renewal.json"
        ],
        "the Contact Lens / Call Analytics samples"
    );
    for name in samples {
        let (ours, file) = analysed(&name);
        let rows = fidelity::rows(&ours, &file);
        let metrics: Vec<&str> = rows.iter().map(|r| r.metric.as_str()).collect();
        assert_eq!(metrics, METRICS, "{name}: the metrics compared");
        let outside: Vec<&Row> = rows.iter().filter(|r| !r.within()).collect();
        assert!(
            outside.is_empty(),
            "{name}: outside tolerance: {outside:#?}"
        );
    }
}

#[test]
fn samples_with_word_items_are_timed_from_words_and_the_others_from_turns() {
    for (name, source) in [
        ("contact_lens.json", TimingSource::Segments),
        ("contact_lens_words.json", TimingSource::Words),
        ("transcribe_call_analytics.json", TimingSource::Words),
        ("transcribe_call_analytics_call.json", TimingSource::Words),
        (
            "transcribe_call_analytics_renewal.json",
            TimingSource::Words,
        ),
    ] {
        assert_eq!(analysed(name).0.timing_source, Some(source), "{name}");
    }
}

#[test]
fn the_worded_sample_counts_its_one_cut_off_and_not_its_crosstalk_or_backchannels() {
    let (ours, _) = analysed("contact_lens_words.json");
    assert_eq!(
        (ours.interruptions.agent, ours.interruptions.customer),
        (0, 1),
        "the customer cuts the agent off once"
    );
    assert!(
        ours.crosstalk_seconds > 0.0,
        "the hellos and the backchannels overlap"
    );
}

#[test]
fn the_renewal_call_counts_both_cut_offs_and_neither_hand_over_nor_backchannel() {
    // Two cut-offs by the customer; a "Mhm." while the agent speaks, a 0.1 s hand-over and
    // "Perfect." said as the agent starts a question (crosstalk at a turn start), a 9.4 s hold.
    let (ours, _) = analysed("transcribe_call_analytics_renewal.json");
    assert_eq!(
        (ours.interruptions.agent, ours.interruptions.customer),
        (0, 2)
    );
    assert!((ours.non_talk_time_seconds - 9.4).abs() < 0.05);
}

#[test]
fn words_make_talk_time_shorter_than_the_turns_spans() {
    // The same call as contact_lens.json (turn spans) with word items laid across each turn:
    // the pauses between sentences are not talk.
    let (by_words, _) = analysed("transcribe_call_analytics.json");
    let (by_turns, _) = analysed("contact_lens.json");
    assert!(by_words.talk_time_seconds.agent < 0.9 * by_turns.talk_time_seconds.agent);
    assert!(by_words.talk_time_seconds.customer < 0.9 * by_turns.talk_time_seconds.customer);
}
