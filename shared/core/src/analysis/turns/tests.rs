//! Turns and intervals of hand-made calls, and old stored analyses without them.

use super::*;
use crate::analysis::test_support::{timed, untimed};
use crate::analysis::{analyse, CallAnalysis, Timing};
use Role::{Agent, Customer};

fn said(n: usize) -> String {
    vec!["word"; n].join(" ")
}

#[test]
fn a_timed_call_has_its_turns_and_every_kind_of_interval() {
    // Agent talks 0–65 (a monologue); the customer cuts in at 60 (5 s talked over: an
    // interruption and crosstalk); nobody speaks 70–80; the agent closes 80–84.
    let (long, short) = (said(110), said(10));
    let t = timed(&[
        (Agent, &long, 0.0, 65.0),
        (Customer, &short, 60.0, 70.0),
        (Agent, "The book was good.", 80.0, 84.0),
    ]);
    let a = analyse(&t, Some(84.0));
    let spans: Vec<(Role, f64, f64)> = a
        .turns
        .iter()
        .map(|t| (t.speaker, t.start_seconds, t.end_seconds))
        .collect();
    assert_eq!(
        spans,
        vec![
            (Agent, 0.0, 65.0),
            (Customer, 60.0, 70.0),
            (Agent, 80.0, 84.0)
        ]
    );
    // Each turn's own VADER score: neutral filler, then the reference's 0.4404.
    assert_eq!(a.turns[0].sentiment, Some(0.0));
    assert_eq!(a.turns[2].sentiment, Some(0.4404));
    use IntervalKind::*;
    assert_eq!(
        a.intervals,
        vec![
            Interval::new(Monologue, Some(Agent), 0.0, 65.0),
            Interval::new(Interruption, Some(Customer), 60.0, 65.0),
            Interval::new(Crosstalk, None, 60.0, 65.0),
            Interval::new(Silence, None, 70.0, 80.0),
        ]
    );
    // The intervals are what the totals are made of.
    assert_eq!(a.interruptions.customer, 1);
    assert_eq!(a.crosstalk_seconds, 5.0);
    assert_eq!(a.non_talk_time_seconds, 10.0);
    assert_eq!(a.longest_monologue_seconds, 65.0);
}

#[test]
fn an_untimed_call_has_estimated_turns_and_no_overlap_or_silence() {
    let (long, short) = (said(200), said(50));
    let t = untimed(&[(Agent, &long), (Customer, &short), (Agent, "...")]);
    let a = analyse(&t, Some(100.0));
    assert_eq!(a.timing, Timing::Estimated);
    let spans: Vec<(f64, f64, Option<f64>)> = a
        .turns
        .iter()
        .map(|t| (t.start_seconds, t.end_seconds, t.sentiment))
        .collect();
    // 250 words over 100 s: 0.4 s a word; a turn without words has no sentiment.
    assert_eq!(
        spans,
        vec![
            (0.0, 80.0, Some(0.0)),
            (80.0, 100.0, Some(0.0)),
            (100.0, 100.0, None)
        ]
    );
    assert_eq!(
        a.intervals,
        vec![Interval::new(
            IntervalKind::Monologue,
            Some(Agent),
            0.0,
            80.0
        )]
    );
}

#[test]
fn analyses_stored_before_turns_existed_still_read() {
    let t = timed(&[(Agent, "hello there", 0.0, 2.0)]);
    let a = analyse(&t, None);
    let mut json = serde_json::to_value(&a).expect("serialize");
    let object = json.as_object_mut().expect("object");
    assert!(object.remove("turns").is_some());
    assert!(object.remove("intervals").is_some());
    let old: CallAnalysis = serde_json::from_value(json).expect("old analysis reads");
    assert!(old.turns.is_empty() && old.intervals.is_empty());
    assert_eq!(old.score, a.score);
}

#[test]
fn intervals_without_a_speaker_leave_it_out_of_the_json() {
    let crosstalk = Interval::new(IntervalKind::Crosstalk, None, 1.0, 2.0);
    let json = serde_json::to_value(&crosstalk).expect("serialize");
    assert_eq!(
        json,
        serde_json::json!({"kind": "crosstalk", "start_seconds": 1.0, "end_seconds": 2.0})
    );
}

#[test]
fn past_the_cap_the_longest_intervals_are_kept_in_start_order() {
    // Lengths 1, 2, 1, 2, …: the cap keeps every 2 s one, then the earliest 1 s ones.
    let mut intervals: Vec<Interval> = (0..MAX_INTERVALS + 10)
        .map(|i| {
            let start = i as f64 * 10.0;
            let length = if i % 2 == 0 { 1.0 } else { 2.0 };
            Interval::new(IntervalKind::Silence, None, start, start + length)
        })
        .collect();
    cap(&mut intervals);
    assert_eq!(intervals.len(), MAX_INTERVALS);
    let long = intervals
        .iter()
        .filter(|i| i.end_seconds - i.start_seconds == 2.0);
    assert_eq!(long.count(), (MAX_INTERVALS + 10) / 2);
    assert!(intervals
        .windows(2)
        .all(|w| w[0].start_seconds < w[1].start_seconds));
    // The short ones dropped are the 10 latest: the last kept is short number 995 (i = 1988).
    let last_short = intervals
        .iter()
        .rfind(|i| i.end_seconds - i.start_seconds == 1.0)
        .expect("some short ones kept");
    assert_eq!(last_short.start_seconds, 19_880.0);
}
