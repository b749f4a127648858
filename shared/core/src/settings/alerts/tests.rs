//! Alert rules: each refusal names its JSON path; the evaluator fires exactly at its thresholds
//! and carries the evidence.

use proptest::prelude::*;

use super::*;
use crate::analysis::test_support::timed;
use crate::analysis::trackers::TrackerMention;
use crate::analysis::Analyser;
use crate::domain::Role::{Agent, Customer};
use crate::redaction::RedactionCounts;
use crate::settings::Section;

/// Analysed once: the cases below change the fields they test on a copy.
fn analysis() -> CallAnalysis {
    static ANALYSIS: std::sync::OnceLock<CallAnalysis> = std::sync::OnceLock::new();
    ANALYSIS.get_or_init(analyse).clone()
}

fn analyse() -> CallAnalysis {
    let transcript = timed(&[
        (Agent, "Hi, this is Ana. What is your budget?", 0.0, 4.0),
        (Customer, "We compared you with Zephyr on price.", 4.5, 9.0),
        (Agent, "I'll send you the proposal by Friday.", 9.5, 14.0),
        (Customer, "This is terrible, awful, I hate it.", 14.5, 18.0),
    ]);
    Analyser::default().analyse(&transcript, None, RedactionCounts::default())
}

fn rules(json: &str) -> AlertRules {
    match Section::Alerts.read(json.as_bytes()).expect("valid rules") {
        crate::settings::SectionValue::Alerts(r) => r,
        other => panic!("{other:?}"),
    }
}

fn refusal(json: &str) -> InputError {
    Section::Alerts
        .read(json.as_bytes())
        .expect_err("the body breaks a rule")
}

fn rule(condition: &str) -> String {
    format!(r#"{{"rules": [{{"id": "r1", "name": "Rule one", "condition": {condition}}}]}}"#)
}

fn hit(tracker: &str, category: TrackerCategory, count: u32) -> TrackerHit {
    TrackerHit {
        tracker: tracker.into(),
        category,
        count,
        satisfied: None,
        mentions: (0..count as usize)
            .map(|i| TrackerMention {
                utterance_index: i,
                speaker: Customer,
                phrase: format!("{tracker} {i}"),
                at_seconds: i as f64,
            })
            .collect(),
    }
}

#[test]
fn refusals_name_the_json_path_of_the_field() {
    let cases = [
        (rule(r#"{"kind": "score_below", "score": 0}"#), "rules[0].condition.score"),
        (rule(r#"{"kind": "score_below", "score": 101}"#), "rules[0].condition.score"),
        (rule(r#"{"kind": "score_below", "score": 300}"#), "rules[0].condition"),
        (rule(r#"{"kind": "closing_sentiment_below", "sentiment": -1}"#), "rules[0].condition.sentiment"),
        (rule(r#"{"kind": "closing_sentiment_below", "sentiment": 1.5}"#), "rules[0].condition.sentiment"),
        (rule(r#"{"kind": "interruptions_at_least", "count": 0}"#), "rules[0].condition.count"),
        (rule(r#"{"kind": "tracker_hit", "tracker": " "}"#), "rules[0].condition.tracker"),
        (rule(r#"{"kind": "outcome_is", "outcome": "maybe"}"#), "rules[0].condition"),
        (rule(r#"{"kind": "no_such_kind"}"#), "rules[0].condition.kind"),
        (
            r#"{"rules": [{"id": "a b", "name": "x", "condition": {"kind": "outcome_is", "outcome": "lost"}}]}"#.into(),
            "rules[0].id",
        ),
        (
            format!(r#"{{"rules": [{{"id": "a", "name": "{}", "condition": {{"kind": "outcome_is", "outcome": "lost"}}}}]}}"#, "n".repeat(101)),
            "rules[0].name",
        ),
        (
            r#"{"rules": [{"id": "a", "name": "x", "condition": {"kind": "outcome_is", "outcome": "lost"}},
                          {"id": "a", "name": "y", "condition": {"kind": "outcome_is", "outcome": "won"}}]}"#.into(),
            "rules[1].id",
        ),
    ];
    for (body, path) in cases {
        assert_eq!(refusal(&body).field, path, "{body}");
    }
}

#[test]
fn too_many_rules_are_refused_with_the_limit() {
    let many: Vec<String> = (0..=crate::settings::limits::MAX_ALERT_RULES)
        .map(|i| format!(r#"{{"id": "r{i}", "name": "r{i}", "condition": {{"kind": "score_below", "score": 50}}}}"#))
        .collect();
    let e = refusal(&format!(r#"{{"rules": [{}]}}"#, many.join(",")));
    assert_eq!(e.field, "rules");
    assert!(e.rule.contains("50"), "{}", e.rule);
}

#[test]
fn a_rule_written_is_read_back_the_same_with_its_defaults_filled() {
    let r = rules(&rule(r#"{"kind": "interruptions_at_least", "count": 3}"#));
    assert_eq!(
        r.rules[0].condition,
        Condition::InterruptionsAtLeast {
            count: 3,
            by: Interrupter::Agent
        }
    );
    assert!(r.rules[0].enabled);
    let json = serde_json::to_string(&r).unwrap();
    assert_eq!(serde_json::from_str::<AlertRules>(&json).unwrap(), r);
}

#[test]
fn score_below_fires_strictly_below_its_threshold() {
    let mut a = analysis();
    a.score = 49;
    let r = rules(&rule(r#"{"kind": "score_below", "score": 50}"#));
    let fired = evaluate(&r, &a, None);
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].rule_id, "r1");
    assert_eq!(fired[0].evidence.measure, "score");
    assert_eq!(fired[0].evidence.value, Measured::Number(49.0));
    assert_eq!(fired[0].evidence.threshold, Measured::Number(50.0));
    a.score = 50;
    assert!(evaluate(&r, &a, None).is_empty(), "50 is not below 50");
}

#[test]
fn a_tracker_hit_carries_the_matched_phrases_and_turns() {
    let mut a = analysis();
    a.trackers = vec![
        hit("competitors", TrackerCategory::Competitor, 8),
        hit("pricing", TrackerCategory::Pricing, 0),
    ];
    let fired = evaluate(
        &rules(&rule(
            r#"{"kind": "tracker_hit", "tracker": "competitors"}"#,
        )),
        &a,
        None,
    );
    assert_eq!(fired.len(), 1);
    let e = &fired[0].evidence;
    assert_eq!(e.value, Measured::Number(8.0), "the count stays exact");
    assert_eq!(e.mentions.len(), MAX_EVIDENCE_MENTIONS);
    assert_eq!(e.mentions[1].phrase, "competitors 1");
    assert_eq!(e.mentions[1].utterance_index, 1);
    assert_eq!(e.mentions[1].speaker, Customer);
    let none = evaluate(
        &rules(&rule(r#"{"kind": "tracker_hit", "tracker": "pricing"}"#)),
        &a,
        None,
    );
    assert!(
        none.is_empty(),
        "a tracker listed with count 0 (a required one missed) is no hit"
    );
    let unknown = evaluate(
        &rules(&rule(r#"{"kind": "tracker_hit", "tracker": "nope"}"#)),
        &a,
        None,
    );
    assert!(unknown.is_empty());
}

#[test]
fn a_category_hit_sums_its_trackers() {
    let mut a = analysis();
    a.trackers = vec![
        hit("budget", TrackerCategory::Objection, 1),
        hit("timing", TrackerCategory::Objection, 2),
        hit("pricing", TrackerCategory::Pricing, 4),
    ];
    let fired = evaluate(
        &rules(&rule(
            r#"{"kind": "category_hit", "category": "objection"}"#,
        )),
        &a,
        None,
    );
    assert_eq!(fired[0].evidence.measure, "category_count");
    assert_eq!(fired[0].evidence.value, Measured::Number(3.0));
    let trackers: Vec<&str> = fired[0]
        .evidence
        .mentions
        .iter()
        .map(|m| m.tracker.as_str())
        .collect();
    assert_eq!(trackers, ["budget", "timing", "timing"]);
    assert!(evaluate(
        &rules(&rule(
            r#"{"kind": "category_hit", "category": "competitor"}"#
        )),
        &a,
        None
    )
    .is_empty());
}

#[test]
fn closing_sentiment_reads_the_customers_last_quarter_and_silence_never_fires() {
    let a = analysis();
    let last = a.sentiment.quarters_by_role.customer[3].expect("the customer spoke last");
    assert!(last < -0.5, "the fixture ends badly: {last}");
    let fired = evaluate(
        &rules(&rule(
            r#"{"kind": "closing_sentiment_below", "sentiment": -0.2}"#,
        )),
        &a,
        None,
    );
    assert_eq!(fired[0].evidence.measure, "customer_sentiment_last_quarter");
    assert_eq!(fired[0].evidence.value, Measured::Number(last));
    let mut quiet = a.clone();
    quiet.sentiment.quarters_by_role.customer[3] = None;
    assert!(evaluate(
        &rules(&rule(
            r#"{"kind": "closing_sentiment_below", "sentiment": 1}"#
        )),
        &quiet,
        None
    )
    .is_empty());
}

#[test]
fn interruptions_count_the_role_asked_for() {
    let mut a = analysis();
    a.interruptions.agent = 2;
    a.interruptions.customer = 1;
    let at = |json: &str| evaluate(&rules(&rule(json)), &a, None).len();
    assert_eq!(
        at(r#"{"kind": "interruptions_at_least", "count": 2}"#),
        1,
        "agent by default"
    );
    assert_eq!(at(r#"{"kind": "interruptions_at_least", "count": 3}"#), 0);
    assert_eq!(
        at(r#"{"kind": "interruptions_at_least", "count": 2, "by": "customer"}"#),
        0
    );
    assert_eq!(
        at(r#"{"kind": "interruptions_at_least", "count": 3, "by": "any"}"#),
        1
    );
}

#[test]
fn outcome_is_the_calls_own_and_a_call_without_one_never_fires() {
    let a = analysis();
    let r = rules(&rule(r#"{"kind": "outcome_is", "outcome": "lost"}"#));
    let fired = evaluate(&r, &a, Some(Outcome::Lost));
    assert_eq!(fired[0].evidence.value, Measured::Text("lost".into()));
    assert!(evaluate(&r, &a, Some(Outcome::Won)).is_empty());
    assert!(evaluate(&r, &a, None).is_empty());
}

#[test]
fn disabled_rules_never_fire_and_fired_ones_keep_the_rules_order() {
    let r = rules(
        r#"{"rules": [
            {"id": "b", "name": "B", "condition": {"kind": "outcome_is", "outcome": "lost"}},
            {"id": "off", "name": "Off", "enabled": false, "condition": {"kind": "score_below", "score": 100}},
            {"id": "a", "name": "A", "condition": {"kind": "score_below", "score": 100}}]}"#,
    );
    let mut a = analysis();
    a.score = 10;
    let ids: Vec<String> = evaluate(&r, &a, Some(Outcome::Lost))
        .into_iter()
        .map(|f| f.rule_id)
        .collect();
    assert_eq!(ids, ["b", "a"]);
}

proptest! {
    #[test]
    fn score_below_fires_exactly_when_the_score_is_under_the_threshold(score in 0u8..=100, threshold in 1u8..=100) {
        let mut a = analysis();
        a.score = score;
        let r = AlertRules { rules: vec![AlertRule {
            id: "s".into(), name: "s".into(), enabled: true,
            condition: Condition::ScoreBelow { score: threshold },
        }]};
        prop_assert!(r.validate().is_ok());
        prop_assert_eq!(evaluate(&r, &a, None).len() == 1, score < threshold);
    }

    #[test]
    fn closing_sentiment_fires_exactly_below_the_threshold(last in -1.0f64..=1.0, threshold in -0.999f64..=1.0) {
        let mut a = analysis();
        a.sentiment.quarters_by_role.customer[3] = Some(last);
        let r = AlertRules { rules: vec![AlertRule {
            id: "s".into(), name: "s".into(), enabled: true,
            condition: Condition::ClosingSentimentBelow { sentiment: threshold },
        }]};
        prop_assert!(r.validate().is_ok());
        prop_assert_eq!(evaluate(&r, &a, None).len() == 1, last < threshold);
    }
}
