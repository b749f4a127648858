//! Property tests: the engine never panics and every metric stays in range, on arbitrary
//! transcripts and arbitrary bytes.

use callscope_core::analysis::{Analyser, CallAnalysis};
use callscope_core::domain::{Role, Transcript, Utterance};
use callscope_core::formats::{self, Format};
use callscope_samples::generate_call;
use proptest::prelude::*;

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::Agent), Just(Role::Customer), Just(Role::Other)]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z ,.?!']{0,80}",
        "\\PC{0,40}",
        "[0-9 @.()+-]{0,40}",
        Just("Um, you know, what is the price? I'll send it by Friday.".to_owned()),
        Just("?!".to_owned()),
    ]
}

/// Utterances with times that may overlap, touch or have zero length, or no times at all.
fn utterances() -> impl Strategy<Value = Vec<Utterance>> {
    (
        any::<bool>(),
        prop::collection::vec((role(), text(), 0.0..20.0_f64, 0.0..30.0_f64), 1..40),
    )
        .prop_map(|(timed, turns)| {
            let mut clock = 0.0;
            turns
                .into_iter()
                .map(|(speaker, text, step, length)| {
                    clock += step;
                    Utterance {
                        speaker,
                        text,
                        start: timed.then_some(clock),
                        end: timed.then_some(clock + length),
                        word_times: Vec::new(),
                    }
                })
                .collect()
        })
}

fn assert_in_range(a: &CallAnalysis) {
    assert!(
        (0.0..=1.0).contains(&a.agent_talk_ratio),
        "ratio {}",
        a.agent_talk_ratio
    );
    assert!((-1.0..=1.0).contains(&a.customer_sentiment_score));
    let s = &a.sentiment;
    for v in [s.agent, s.customer, s.other, s.overall]
        .into_iter()
        .chain(s.quarters)
        .flatten()
    {
        assert!((-1.0..=1.0).contains(&v), "sentiment {v}");
    }
    assert!(a.score <= 100);
    for v in [
        a.duration_seconds,
        a.non_talk_time_seconds,
        a.longest_monologue_seconds,
        a.longest_customer_story_seconds,
        a.interactivity,
        a.filler_words_per_minute,
        a.talk_time_seconds.agent,
        a.talk_time_seconds.customer,
        a.talk_time_seconds.other,
    ] {
        assert!(v.is_finite() && v >= 0.0, "{v}");
    }
    for v in [
        a.talk_speed_wpm.agent,
        a.talk_speed_wpm.customer,
        a.talk_speed_wpm.other,
        a.patience_seconds,
    ]
    .into_iter()
    .flatten()
    {
        assert!(v.is_finite() && v >= 0.0, "{v}");
    }
    assert!(a.longest_monologue_seconds <= a.duration_seconds + 1e-6);
    serde_json::to_string(a).expect("serialises (no NaN)");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn metrics_stay_in_range_and_the_engine_is_deterministic(
        u in utterances(),
        duration in prop_oneof![Just(None), Just(Some(0.0)), (0.0..2_000.0_f64).prop_map(Some)],
    ) {
        let analyser = Analyser::default();
        if let Ok(t) = Transcript::new(u) {
            let a = analyser.analyse(&t, duration, Default::default());
            assert_in_range(&a);
            prop_assert_eq!(a, analyser.analyse(&t, duration, Default::default()));
        }
    }

    #[test]
    fn parsers_never_panic_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = formats::parse_call(&bytes, Format::Auto);
        let _ = formats::parse_transcript(&bytes, Format::Auto);
    }

    #[test]
    fn parsers_never_panic_on_json_shaped_documents(
        transcript in "(Agent|Customer|Bob|)[:]? ?[a-z ?]{0,20}(\n(Agent|Customer): [a-z]{0,10}){0,3}",
        id in "[a-z0-9#]{0,10}",
        duration in prop_oneof![
            Just(serde_json::json!(null)),
            Just(serde_json::json!("x")),
            (-10.0..100_000.0_f64).prop_map(|d| serde_json::json!(d)),
        ],
    ) {
        let doc = serde_json::json!({
            "call_id": id, "agent_id": "a", "customer_id": "c", "start_time": "2026-01-01T00:00:00Z",
            "duration_seconds": duration, "transcript": transcript,
        });
        if let Ok(parsed) = formats::parse_transcript(doc.to_string().as_bytes(), Format::Auto) {
            assert_in_range(&callscope_core::analyse(&parsed.transcript, parsed.duration_seconds));
        }
    }

    #[test]
    fn generated_sample_calls_always_analyse(minutes in 1_u32..60, seed in any::<u64>()) {
        assert_in_range(&callscope_core::analyse(&generate_call(minutes, seed), None));
    }
}
