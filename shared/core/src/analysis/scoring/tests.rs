//! Score and recommendations on hand-set analyses.

use super::*;
use crate::analysis::next_steps::NextStep;
use crate::analysis::trackers::{TrackerCategory, TrackerHit};
use crate::analysis::{PerRole, SentimentSummary, Timing};
use crate::domain::Role;

/// A call that meets every benchmark.
fn model_call() -> CallAnalysis {
    CallAnalysis {
        timing: Timing::Measured,
        timing_source: None,
        duration_seconds: 1_800.0,
        word_count: PerRole {
            agent: 1_800,
            customer: 2_400,
            other: 0,
        },
        agent_talk_ratio: 0.43,
        talk_time_seconds: PerRole {
            agent: 700.0,
            customer: 930.0,
            other: 0.0,
        },
        non_talk_time_seconds: 60.0,
        interruptions: PerRole::default(),
        crosstalk_seconds: 0.0,
        talk_speed_wpm: PerRole {
            agent: Some(150.0),
            customer: Some(150.0),
            other: None,
        },
        longest_monologue_seconds: 90.0,
        longest_customer_story_seconds: 120.0,
        interactivity: 4.0,
        patience_seconds: Some(0.9),
        questions: PerRole {
            agent: 12,
            customer: 5,
            other: 0,
        },
        filler_words_per_minute: 1.0,
        sentiment: SentimentSummary {
            agent: Some(0.4),
            customer: Some(0.3),
            other: None,
            overall: Some(0.35),
            quarters: [Some(0.3); 4],
            quarters_by_role: Default::default(),
        },
        customer_sentiment_score: 0.3,
        trackers: vec![TrackerHit {
            tracker: "compliance.recording_disclosure".into(),
            category: TrackerCategory::Compliance,
            count: 1,
            satisfied: Some(true),
            mentions: Vec::new(),
        }],
        next_steps: vec![NextStep {
            speaker: Role::Agent,
            text: "I'll send it by Friday.".into(),
            utterance_index: 3,
            at_seconds: 1_700.0,
            due: Some("by friday".into()),
        }],
        redactions: Default::default(),
        score: 0,
        recommendations: Vec::new(),
        turns: Vec::new(),
        intervals: Vec::new(),
        roles: None,
        settings_version: None,
    }
}

#[test]
fn a_call_meeting_every_benchmark_scores_100_with_no_recommendations() {
    let a = assess(&model_call());
    assert_eq!(a.score, 100);
    assert!(a.recommendations.is_empty(), "{:?}", a.recommendations);
}

#[test]
fn talking_too_much_costs_the_talk_ratio_weight_and_says_so_with_evidence() {
    let mut call = model_call();
    call.agent_talk_ratio = 0.65; // attainment 0 → loses 20 of 100.
    let a = assess(&call);
    assert_eq!(a.score, 80);
    let r = &a.recommendations[0];
    assert_eq!(r.metric, "agent_talk_ratio");
    assert_eq!(r.evidence, 0.65);
    assert_eq!(r.priority, Priority::High);
    assert!(r.benchmark.contains("43:57"));
    assert!(r.source.contains("Gong"));
}

#[test]
fn a_missing_disclosure_and_no_next_step_come_first() {
    let mut call = model_call();
    call.trackers[0].satisfied = Some(false);
    call.next_steps.clear();
    call.questions.agent = 5; // attainment 5/11 → loses 15 × 6/11 ≈ 8.18
    let a = assess(&call);
    // 100 − 10 − 10 − 8.18 = 71.8 → 72.
    assert_eq!(a.score, 72);
    let metrics: Vec<&str> = a
        .recommendations
        .iter()
        .map(|r| r.metric.as_str())
        .collect();
    assert_eq!(
        metrics,
        ["next_steps", "trackers.compliance", "questions.agent"]
    );
}

#[test]
fn untimed_calls_are_scored_only_on_what_can_be_measured() {
    let mut call = model_call();
    call.timing = Timing::Estimated;
    call.longest_monologue_seconds = 1_000.0; // would cost 15 points if it were measured
    call.patience_seconds = Some(0.0);
    assert_eq!(assess(&call).score, 100);
}

#[test]
fn high_filler_rates_are_advised_but_not_scored() {
    let mut call = model_call();
    call.filler_words_per_minute = 9.0;
    let a = assess(&call);
    assert_eq!(a.score, 100);
    assert_eq!(a.recommendations.len(), 1);
    assert_eq!(a.recommendations[0].metric, "filler_words_per_minute");
}
