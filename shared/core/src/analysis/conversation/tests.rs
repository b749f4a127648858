//! Hand-computed cases for each conversation metric.

use super::overlap::is_backchannel;
use super::*;
use crate::analysis::test_support::{timed, untimed, worded};
use crate::analysis::TimingSource;
use crate::domain::Transcript;

fn measure_of(t: &Transcript, duration: f64) -> ConversationMeasures {
    measure(&Timeline::build(t, Some(duration)))
}

use Role::{Agent, Customer, Other};

/// `n` words of text: enough words that a span of up to `n` × 0.6 s is all talk.
fn said(n: usize) -> String {
    vec!["word"; n].join(" ")
}

#[test]
fn talk_time_and_ratio_come_from_time_when_timed() {
    // agent 0–30 and 40–50 = 40 s; customer 30–40 and 50–110 = 70 s; ratio 40/110. Each turn
    // says ~150 words a minute.
    let (a1, c1, a2, c2) = (said(75), said(25), said(25), said(150));
    let t = timed(&[
        (Agent, &a1, 0.0, 30.0),
        (Customer, &c1, 30.0, 40.0),
        (Agent, &a2, 40.0, 50.0),
        (Customer, &c2, 50.0, 110.0),
    ]);
    let m = measure_of(&t, 110.0);
    assert_eq!(m.talk_time_seconds.agent, 40.0);
    assert_eq!(m.talk_time_seconds.customer, 70.0);
    assert!((m.agent_talk_ratio - 40.0 / 110.0).abs() < 1e-12);
}

#[test]
fn a_roles_own_overlapping_segments_are_not_counted_twice() {
    // agent 0–10 and 5–12 → union 0–12 = 12 s.
    let (first, second) = (said(25), said(18));
    let t = timed(&[(Agent, &first, 0.0, 10.0), (Agent, &second, 5.0, 12.0)]);
    assert_eq!(measure_of(&t, 12.0).talk_time_seconds.agent, 12.0);
}

#[test]
fn a_span_longer_than_its_words_could_fill_is_talk_for_0_6_s_a_word_only() {
    // Contact Lens turns without word times: "Okay? Hoping" over 3.4 s is 1.2 s of talk and 2.2 s
    // of pause; "Hello." over 0.5 s is all talk. The silence and overlaps still read the spans.
    let t = timed(&[
        (Agent, "Okay? Hoping", 0.0, 3.4),
        (Customer, "Hello.", 5.0, 5.5),
    ]);
    let timeline = Timeline::build(&t, Some(5.5));
    assert_eq!(timeline.source, TimingSource::Segments);
    let m = measure(&timeline);
    assert!((m.talk_time_seconds.agent - 1.2).abs() < 1e-9);
    assert!((m.talk_time_seconds.customer - 0.5).abs() < 1e-9);
    assert_eq!(m.talk_speed_wpm.agent, Some(100.0));
    assert!((m.agent_talk_ratio - 1.2 / 1.7).abs() < 1e-9);
    assert_eq!(m.non_talk_time_seconds, 0.0, "the 1.6 s gap is under 3 s");
}

#[test]
fn the_ratio_is_by_words_when_untimed() {
    // agent 3 words, customer 1 word → 0.75.
    let t = untimed(&[(Agent, "one two three"), (Customer, "four")]);
    let m = measure_of(&t, 0.0);
    assert_eq!(m.agent_talk_ratio, 0.75);
    assert_eq!(m.talk_speed_wpm.agent, None, "no speed without real times");
    assert_eq!(m.non_talk_time_seconds, 0.0);
    assert_eq!(m.interruptions, PerRole::default());
}

#[test]
fn one_speaker_only_gives_a_ratio_of_one_and_no_customer_metrics() {
    let t = timed(&[(Agent, "just me talking here", 0.0, 20.0)]);
    let m = measure_of(&t, 20.0);
    assert_eq!(m.agent_talk_ratio, 1.0);
    assert_eq!(m.talk_speed_wpm.customer, None);
    assert_eq!(m.patience_seconds, None);
    assert_eq!(m.interactivity, 0.0);
    assert_eq!(m.longest_customer_story_seconds, 0.0);
}

#[test]
fn only_gaps_of_three_seconds_or_more_are_silence_including_leading_and_trailing() {
    // leading 0–4 (4 s), gap 10–12 (2 s, ignored), gap 20–25 (5 s), trailing 30–40 (10 s) = 19 s.
    let t = timed(&[
        (Agent, "a b", 4.0, 10.0),
        (Customer, "c d", 12.0, 20.0),
        (Agent, "e f", 25.0, 30.0),
    ]);
    assert_eq!(measure_of(&t, 40.0).non_talk_time_seconds, 19.0);
}

#[test]
fn simultaneous_hellos_at_the_start_are_crosstalk_not_an_interruption() {
    // Both start within 0.3 s of each other: neither was mid-utterance.
    let t = timed(&[(Agent, "Hello.", 0.0, 0.8), (Customer, "Hello.", 0.3, 1.0)]);
    let m = measure_of(&t, 1.0);
    assert_eq!(m.interruptions, PerRole::default());
    assert!(
        (m.crosstalk_seconds - 0.5).abs() < 1e-9,
        "{}",
        m.crosstalk_seconds
    );
}

#[test]
fn a_backchannel_inside_the_agents_turn_is_not_an_interruption() {
    // "Mhm." from 4 to 5.5 inside the agent's 0–10 turn: 1.5 s of overlap, but only listening.
    let t = timed(&[
        (
            Agent,
            "let me walk you through how the pricing works for teams",
            0.0,
            10.0,
        ),
        (Customer, "Mhm.", 4.0, 5.5),
    ]);
    let m = measure_of(&t, 10.0);
    assert_eq!(m.interruptions, PerRole::default());
    assert!((m.crosstalk_seconds - 1.5).abs() < 1e-9);
}

#[test]
fn a_customer_cutting_the_agent_off_mid_sentence_for_two_seconds_is_one_interruption() {
    // The agent talks 0–10; the customer starts at 8 with a real objection: 2 s talked over.
    let t = timed(&[
        (
            Agent,
            "and the annual plan also includes onboarding and support for",
            0.0,
            10.0,
        ),
        (
            Customer,
            "sorry, but we really cannot commit to a year",
            8.0,
            13.0,
        ),
    ]);
    let m = measure_of(&t, 13.0);
    assert_eq!(m.interruptions.customer, 1);
    assert_eq!(m.interruptions.agent, 0);
    assert!((m.crosstalk_seconds - 2.0).abs() < 1e-9);
}

#[test]
fn an_overlap_shorter_than_a_second_is_a_hand_over_not_an_interruption() {
    // The agent starts 0.6 s before the customer's turn ends.
    let t = timed(&[
        (
            Customer,
            "we have forty two reps across two regions",
            0.0,
            5.0,
        ),
        (Agent, "great and how do managers review calls", 4.4, 8.0),
    ]);
    let m = measure_of(&t, 8.0);
    assert_eq!(m.interruptions, PerRole::default());
    assert!((m.crosstalk_seconds - 0.6).abs() < 1e-9);
}

#[test]
fn backchannels_are_recognised_whatever_their_case_and_punctuation() {
    for text in [
        "Mhm.",
        "mm-hmm",
        "Uh-huh!",
        "YEAH",
        "Right.",
        "okay",
        "Yeah, yeah.",
        "uh huh",
    ] {
        assert!(is_backchannel(text), "{text:?}");
    }
    for text in [
        "",
        "...",
        "Yeah, but the price is too high.",
        "no",
        "okay okay okay okay",
    ] {
        assert!(!is_backchannel(text), "{text:?}");
    }
}

#[test]
fn talk_speed_is_words_per_minute_of_talk_time() {
    // 10 words in 4 s → 150 wpm.
    let t = timed(&[(
        Agent,
        "one two three four five six seven eight nine ten",
        0.0,
        4.0,
    )]);
    assert_eq!(measure_of(&t, 4.0).talk_speed_wpm.agent, Some(150.0));
}

#[test]
fn backchannels_do_not_end_a_monologue_but_real_turns_and_long_gaps_do() {
    // Agent 0–60, customer "mm-hmm" 61–62, agent 62–100 → one stretch 0–100 = 100 s.
    // Then customer speaks 100–110 (5 words), agent 110–120: new stretch of 10 s.
    // Agent 124–130 after a 4 s gap: its own stretch (6 s).
    let t = timed(&[
        (Agent, "a long explanation of the product", 0.0, 60.0),
        (Customer, "mm-hmm", 61.0, 62.0),
        (Agent, "and more of the same", 62.0, 100.0),
        (Customer, "okay that makes sense to me", 100.0, 110.0),
        (Agent, "good so next", 110.0, 120.0),
        (Agent, "another point here", 124.0, 130.0),
    ]);
    let m = measure_of(&t, 130.0);
    assert_eq!(m.longest_monologue_seconds, 100.0);
    assert_eq!(m.longest_customer_story_seconds, 10.0);
}

#[test]
fn interactivity_counts_agent_customer_switches_per_minute_ignoring_others() {
    // A C O C A over 120 s: switches A→C, C→A = 2 (O ignored; C→C is no switch) → 1 per minute.
    let t = timed(&[
        (Agent, "hi", 0.0, 10.0),
        (Customer, "hello", 10.0, 20.0),
        (Other, "ivr message", 20.0, 30.0),
        (Customer, "still me", 30.0, 40.0),
        (Agent, "okay", 40.0, 50.0),
    ]);
    assert_eq!(measure_of(&t, 120.0).interactivity, 1.0);
}

#[test]
fn patience_is_the_mean_pause_before_the_agent_answers_the_customer() {
    // pauses: 12−10 = 2 s, and the agent starting at 19 before the customer ends at 20 = 0 s → 1 s.
    let t = timed(&[
        (Customer, "question one", 0.0, 10.0),
        (Agent, "answer one", 12.0, 15.0),
        (Customer, "question two", 15.0, 20.0),
        (Agent, "answer two", 19.0, 25.0),
    ]);
    assert_eq!(measure_of(&t, 25.0).patience_seconds, Some(1.0));
}

#[test]
fn a_zero_length_call_gives_zeros_not_nan() {
    let t = timed(&[(Agent, "hi", 0.0, 0.0), (Customer, "hello", 0.0, 0.0)]);
    let m = measure_of(&t, 0.0);
    assert_eq!(m.agent_talk_ratio, 0.0);
    assert_eq!(m.interactivity, 0.0);
    assert_eq!(m.talk_speed_wpm.agent, None);
    assert_eq!(
        m.patience_seconds, None,
        "customer does not precede the agent"
    );
    assert_eq!(m.longest_monologue_seconds, 0.0);
}

#[test]
fn with_word_times_pauses_inside_a_turn_are_not_talk_time() {
    // Agent: 4 words 0–2 s, a 4 s pause, 2 words 6–7 s → 3 s of talk (span 7 s), a 4 s silence,
    // and 6 words per 3 s = 120 wpm. Customer 7.5–8.5 s: 1 word.
    let t = worded(&[
        (
            Agent,
            "so about the pricing well then",
            &[
                (0.0, 0.5),
                (0.5, 1.0),
                (1.0, 1.5),
                (1.5, 2.0),
                (6.0, 6.5),
                (6.5, 7.0),
            ],
        ),
        (Customer, "okay", &[(7.5, 8.5)]),
    ]);
    let timeline = Timeline::build(&t, Some(8.5));
    assert_eq!(timeline.source, TimingSource::Words);
    let m = measure(&timeline);
    assert_eq!(m.talk_time_seconds.agent, 3.0);
    assert_eq!(m.talk_time_seconds.customer, 1.0);
    assert_eq!(m.non_talk_time_seconds, 4.0);
    assert_eq!(m.talk_speed_wpm.agent, Some(120.0));
}

#[test]
fn a_turn_in_the_other_partys_pause_does_not_talk_over_it() {
    // The agent pauses 2–6 s inside a turn; the customer speaks 3–5 s, inside the pause: with
    // word times nobody is talked over (by spans it would be a 2 s interruption).
    let t = worded(&[
        (
            Agent,
            "let me check that for you one moment",
            &[(0.0, 1.0), (1.0, 2.0), (6.0, 7.0), (7.0, 8.0)],
        ),
        (Customer, "no rush at all thanks", &[(3.0, 4.0), (4.0, 5.0)]),
    ]);
    let m = measure_of(&t, 8.0);
    assert_eq!(m.interruptions, PerRole::default());
    assert_eq!(m.crosstalk_seconds, 0.0);
}

/// Words laid end to end from `start`, each `length` long with `gap` between them.
fn words_at(start: f64, count: usize, length: f64, gap: f64) -> Vec<(f64, f64)> {
    (0..count)
        .map(|i| {
            let from = start + i as f64 * (length + gap);
            (from, from + length)
        })
        .collect()
}

#[test]
fn a_cut_off_counts_though_the_gaps_between_words_shorten_the_literal_overlap() {
    // The agent speaks 0–6 s, words of 0.3 s with 0.1 s gaps; the customer cuts in at 4.6 s
    // with words of 0.2 s and 0.15 s gaps. Word items overlap 0.65 s of the 1.3 s both are
    // talking; joined across gaps under 0.25 s, they overlap 1.3 s: an interruption.
    let agent = words_at(0.0, 15, 0.3, 0.1);
    let customer = words_at(4.6, 10, 0.2, 0.15);
    let t = worded(&[
        (Agent, "so the annual plan comes with onboarding support and a coach for every new rep you hire this year", &agent),
        (Customer, "hold on we never agreed to an annual plan at all", &customer),
    ]);
    let m = measure_of(&t, 8.0);
    assert!(
        m.crosstalk_seconds < 1.0,
        "literal overlap {}",
        m.crosstalk_seconds
    );
    assert_eq!(m.interruptions.customer, 1);
}

#[test]
fn a_pause_of_a_quarter_second_or_more_is_not_bridged() {
    // The same cut-in, but every gap in the customer's words is 0.3 s: its speech runs are its
    // words, which overlap the agent's for under a second.
    let agent = words_at(0.0, 15, 0.3, 0.1);
    let customer = words_at(4.6, 8, 0.2, 0.3);
    let t = worded(&[
        (Agent, "so the annual plan comes with onboarding support and a coach for every new rep you hire this year", &agent),
        (Customer, "hold on we never agreed to an annual plan", &customer),
    ]);
    assert_eq!(measure_of(&t, 8.0).interruptions, PerRole::default());
}

#[test]
fn when_only_some_turns_have_word_times_every_turn_is_measured_by_its_span() {
    let mut t = worded(&[
        (
            Agent,
            "one two three four five six seven",
            &[(0.0, 1.0), (3.0, 4.0)],
        ),
        (Customer, "eight", &[(5.0, 6.0)]),
    ]);
    let mut utterances = t.utterances().to_vec();
    utterances[1].word_times.clear();
    t = Transcript::new(utterances).expect("valid");
    let timeline = Timeline::build(&t, Some(6.0));
    assert_eq!(timeline.source, TimingSource::Segments);
    assert_eq!(measure(&timeline).talk_time_seconds.agent, 4.0);
}
