//! Settings validation (each refusal names its field) and a tenant's rules and scorecard
//! changing what an analysis says.

use super::*;
use crate::analysis::test_support::timed;
use crate::domain::Role::{Agent, Customer};
use crate::redaction::RedactionCounts;

fn refusal(section: Section, body: &str) -> InputError {
    section
        .read(body.as_bytes())
        .expect_err("the body breaks a rule")
}

#[test]
fn an_empty_phrase_is_refused_naming_the_phrase() {
    let e = refusal(
        Section::Trackers,
        r#"{"rules": [{"name": "x", "category": "custom", "phrases": ["ok", "  "]}]}"#,
    );
    assert_eq!(e.field, "rules[0].phrases[1]");
}

#[test]
fn too_many_rules_are_refused_with_the_limit() {
    let rules: Vec<String> = (0..=limits::MAX_TRACKER_RULES)
        .map(|i| format!(r#"{{"name": "r{i}", "category": "custom", "phrases": ["p{i}"]}}"#))
        .collect();
    let e = refusal(
        Section::Trackers,
        &format!(r#"{{"rules": [{}]}}"#, rules.join(",")),
    );
    assert_eq!(e.field, "rules");
    assert!(e.rule.contains("200"), "{}", e.rule);
}

#[test]
fn phrases_beyond_the_matchers_table_are_refused_with_the_byte_limit() {
    let phrase = "a".repeat(limits::MAX_PHRASE_CHARS);
    let phrases: Vec<String> = (0..limits::MAX_PHRASES_PER_RULE)
        .map(|i| format!("\"{}{i}\"", &phrase[..90]))
        .collect();
    let rules: Vec<String> = (0..2)
        .map(|i| {
            format!(
                r#"{{"name": "r{i}", "category": "custom", "phrases": [{}]}}"#,
                phrases.join(",")
            )
        })
        .collect();
    let e = refusal(
        Section::Trackers,
        &format!(r#"{{"mode": "replace", "rules": [{}]}}"#, rules.join(",")),
    );
    assert_eq!(e.field, "rules");
    assert!(e.rule.contains("16384"), "{}", e.rule);
}

#[test]
fn weights_that_do_not_sum_to_100_are_refused() {
    let e = refusal(
        Section::Scorecard,
        r#"{"criteria": [{"measure": "questions_agent", "weight": 60, "benchmark": {"min": 5}},
                         {"measure": "next_step_agreed", "weight": 30}]}"#,
    );
    assert_eq!(e.field, "criteria");
    assert!(e.rule.contains("sum to 100"), "{}", e.rule);
}

#[test]
fn an_unknown_measure_is_refused_naming_the_criterion() {
    let e = refusal(
        Section::Scorecard,
        r#"{"criteria": [{"measure": "charisma", "weight": 100, "benchmark": {"min": 1}}]}"#,
    );
    assert_eq!(e.field, "criteria[0].measure");
    assert!(
        e.rule.contains("agent_talk_ratio"),
        "lists the measures: {}",
        e.rule
    );
}

#[test]
fn a_bad_benchmark_band_is_refused() {
    let backwards = refusal(
        Section::Scorecard,
        r#"{"criteria": [{"measure": "agent_talk_ratio", "weight": 100, "benchmark": {"min": 0.6, "max": 0.4}}]}"#,
    );
    assert_eq!(backwards.field, "criteria[0].benchmark");
    let outside = refusal(
        Section::Scorecard,
        r#"{"criteria": [{"measure": "agent_talk_ratio", "weight": 100, "benchmark": {"max": 43}}]}"#,
    );
    assert_eq!(outside.field, "criteria[0].benchmark.max");
    let missing = refusal(
        Section::Scorecard,
        r#"{"criteria": [{"measure": "questions_agent", "weight": 100}]}"#,
    );
    assert_eq!(missing.field, "criteria[0].benchmark");
    let tracker = refusal(
        Section::Scorecard,
        r#"{"criteria": [{"measure": "tracker_present", "weight": 100}]}"#,
    );
    assert_eq!(tracker.field, "criteria[0].tracker");
}

#[test]
fn a_wrongly_typed_field_is_refused_by_its_path() {
    let e = refusal(
        Section::Scorecard,
        r#"{"criteria": [{"measure": "questions_agent", "weight": "lots"}]}"#,
    );
    assert_eq!(e.field, "criteria[0].weight");
    let e = refusal(Section::Retention, r#"{"days": 0}"#);
    assert_eq!(e.field, "days");
}

#[test]
fn an_unknown_key_in_a_tracker_rule_is_refused_by_its_path() {
    let e = refusal(
        Section::Trackers,
        r#"{"rules": [{"name": "x", "category": "custom", "phrases": ["ok"], "negate": "include"}]}"#,
    );
    assert_eq!(e.field, "rules[0].negate");
    assert!(e.to_string().contains("unknown field"), "{e}");
    let e = refusal(
        Section::Trackers,
        r#"{"rules": [{"name": "x", "category": "custom", "phrases": ["ok"],
            "window": {"between": {"from_seconds": 0, "to_seconds": 5, "until": 9}}}]}"#,
    );
    assert_eq!(e.field, "rules[0].window.between.until");
}

#[test]
fn an_agent_in_an_unlisted_team_is_refused() {
    let e = refusal(
        Section::Agents,
        r#"{"agents": [{"agent_id": "ana", "name": "Ana", "team_id": "west"}], "teams": [{"team_id": "east", "name": "East"}]}"#,
    );
    assert_eq!(e.field, "agents[0].team_id");
}

fn call() -> crate::domain::Transcript {
    timed(&[
        (Agent, "Hi, this is Ana. Do you have a minute?", 0.0, 4.0),
        (
            Customer,
            "Sure. We looked at the Zephyr plan last week.",
            4.5,
            9.0,
        ),
        (
            Agent,
            "What did you think of it? Is the team growing?",
            9.5,
            14.0,
        ),
        (Customer, "It was fine, we are growing fast.", 14.5, 18.0),
        (
            Agent,
            "Great, I'll send you the proposal by Friday.",
            18.5,
            22.0,
        ),
    ])
}

fn settings(trackers: &str, scorecard: &str, version: u64) -> TenantSettings {
    let mut s = TenantSettings {
        version,
        ..TenantSettings::default()
    };
    s.set(
        Section::Trackers
            .read(trackers.as_bytes())
            .expect("valid trackers"),
    );
    s.set(
        Section::Scorecard
            .read(scorecard.as_bytes())
            .expect("valid scorecard"),
    );
    s
}

#[test]
fn a_custom_tracker_and_scorecard_decide_the_score_and_the_nudges() {
    let s = settings(
        r#"{"mode": "extend", "rules": [{"name": "zephyr", "category": "competitor", "phrases": ["zephyr plan"]}]}"#,
        r#"{"criteria": [
            {"measure": "tracker_absent", "tracker": "zephyr", "weight": 40, "priority": "high",
             "message": "Find out why they looked at Zephyr."},
            {"measure": "questions_agent", "weight": 30, "benchmark": {"min": 2, "max": 5}},
            {"measure": "next_step_agreed", "weight": 30}]}"#,
        7,
    );
    let analysis = s
        .analyser()
        .analyse(&call(), None, RedactionCounts::default());
    let zephyr = analysis
        .trackers
        .iter()
        .find(|h| h.tracker == "zephyr")
        .expect("the tenant's tracker fired");
    assert_eq!(zephyr.count, 1);
    assert!(
        analysis
            .trackers
            .iter()
            .any(|h| h.tracker == "compliance.recording_disclosure"),
        "extend keeps the built-in rules"
    );
    // 3 agent questions and a next step pass (60 of 100); the competitor mention fails 40.
    assert_eq!(analysis.score, 60);
    assert_eq!(analysis.settings_version, Some(7));
    assert_eq!(analysis.recommendations.len(), 1);
    let nudge = &analysis.recommendations[0];
    assert_eq!(nudge.metric, "trackers.zephyr");
    assert_eq!(nudge.message, "Find out why they looked at Zephyr.");
    assert_eq!(nudge.evidence, 1.0);
    assert!(nudge.source.contains("version 7"), "{}", nudge.source);
}

#[test]
fn replace_runs_only_the_tenants_rules_and_defaults_keep_the_builtin_score() {
    let s = settings(
        r#"{"mode": "replace", "rules": [{"name": "zephyr", "category": "competitor", "phrases": ["zephyr"]}]}"#,
        "null",
        2,
    );
    let analysis = s
        .analyser()
        .analyse(&call(), None, RedactionCounts::default());
    let names: Vec<&str> = analysis
        .trackers
        .iter()
        .map(|h| h.tracker.as_str())
        .collect();
    assert_eq!(names, ["zephyr"]);
    let builtin =
        crate::analysis::Analyser::default().analyse(&call(), None, RedactionCounts::default());
    assert_eq!(builtin.settings_version, None);
    // Without a scorecard the built-in criteria score; only the compliance tracker differs.
    assert!(builtin
        .recommendations
        .iter()
        .any(|r| r.source.contains("Gong")));
    assert!(analysis
        .recommendations
        .iter()
        .any(|r| r.source.contains("Gong")));
}

#[test]
fn criteria_a_call_cannot_measure_are_left_out_and_the_rest_rescaled() {
    let s = settings(
        r#"{}"#,
        r#"{"criteria": [
            {"measure": "longest_monologue_seconds", "weight": 50, "benchmark": {"max": 1}},
            {"measure": "next_step_agreed", "weight": 50}]}"#,
        3,
    );
    let untimed = crate::analysis::test_support::untimed(&[
        (Agent, "Hello there, I'll call you tomorrow."),
        (Customer, "Fine."),
    ]);
    let analysis = s
        .analyser()
        .analyse(&untimed, None, RedactionCounts::default());
    assert_eq!(analysis.score, 100, "the monologue is not measured untimed");
    let timed_call = s
        .analyser()
        .analyse(&call(), None, RedactionCounts::default());
    assert_eq!(
        timed_call.score, 50,
        "a 3.5 s monologue misses a 1 s benchmark"
    );
}

#[test]
fn a_section_sent_as_an_array_is_refused() {
    for section in [Section::Trackers, Section::Agents, Section::Retention] {
        let e = refusal(section, " []");
        assert!(e.rule.contains("object"), "{}", e.rule);
    }
}
