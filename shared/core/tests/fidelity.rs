//! Our figures against the ones Amazon's file carries, on the Contact Lens sample with word
//! items (events/calls/contact_lens_words.json: turn-start crosstalk, backchannels, pauses
//! inside turns and one real interruption). Tolerances: talk time per participant ±10 %,
//! interruptions ±1.

use callscope_core::analysis::TimingSource;
use callscope_core::formats::{parse_transcript, Format};
use serde_json::Value;

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../events/calls/contact_lens_words.json"
);

fn sample() -> (callscope_core::CallAnalysis, Value) {
    let bytes = std::fs::read(SAMPLE).expect("the sample exists");
    let file: Value = serde_json::from_slice(&bytes).expect("JSON");
    let parsed = parse_transcript(&bytes, Format::Auto).expect("a valid Contact Lens file");
    let analysis = callscope_core::analyze(&parsed.transcript, parsed.duration_seconds);
    (analysis, file["ConversationCharacteristics"].clone())
}

#[test]
fn talk_time_per_participant_is_within_ten_percent_of_contact_lens() {
    let (ours, theirs) = sample();
    assert_eq!(ours.timing_source, Some(TimingSource::Words));
    for (participant, our_seconds) in [
        ("AGENT", ours.talk_time_seconds.agent),
        ("CUSTOMER", ours.talk_time_seconds.customer),
    ] {
        let their_seconds = theirs["TalkTime"]["DetailsByParticipant"][participant]
            ["TotalTimeMillis"]
            .as_f64()
            .expect("TalkTime in the file")
            / 1000.0;
        let difference = (our_seconds - their_seconds).abs() / their_seconds;
        assert!(
            difference <= 0.10,
            "{participant}: ours {our_seconds} s, Contact Lens {their_seconds} s"
        );
    }
}

#[test]
fn interruptions_are_within_one_of_contact_lens() {
    let (ours, theirs) = sample();
    let their_count = theirs["Interruptions"]["TotalCount"]
        .as_i64()
        .expect("Interruptions.TotalCount in the file");
    let our_count = i64::from(
        ours.interruptions.agent + ours.interruptions.customer + ours.interruptions.other,
    );
    assert!(
        (our_count - their_count).abs() <= 1,
        "ours {our_count}, Contact Lens {their_count}"
    );
    assert!(
        ours.crosstalk_seconds > 0.0,
        "the hellos and the backchannel overlap"
    );
}
