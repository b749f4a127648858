//! The `callscope analyse` command on every sample call and every invalid one.

use std::path::PathBuf;
use std::process::{Command, Output};

fn calls_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events/calls")
}

fn analyse(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_callscope"))
        .arg("analyse")
        .args(args)
        .output()
        .expect("the binary runs")
}

#[test]
fn every_sample_call_is_analysed_into_the_documented_json() {
    let mut seen = 0;
    for entry in std::fs::read_dir(calls_dir()).expect("events/calls exists") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        seen += 1;
        let out = analyse(&[path.to_str().expect("utf-8 path")]);
        assert!(
            out.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
        for key in [
            "agent_talk_ratio",
            "customer_sentiment_score",
            "talk_time_seconds",
            "non_talk_time_seconds",
            "interruptions",
            "crosstalk_seconds",
            "talk_speed_wpm",
            "longest_monologue_seconds",
            "longest_customer_story_seconds",
            "interactivity",
            "patience_seconds",
            "questions",
            "filler_words_per_minute",
            "sentiment",
            "trackers",
            "next_steps",
            "redactions",
            "score",
            "recommendations",
        ] {
            assert!(json.get(key).is_some(), "{}: {key} missing", path.display());
        }
    }
    assert_eq!(seen, 8, "all eight sample files were exercised");
}

#[test]
fn the_timed_discovery_call_has_the_metrics_computed_by_hand() {
    let out = analyse(&[calls_dir()
        .join("callscope_discovery.json")
        .to_str()
        .expect("path")]);
    let a: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(a["timing"], "measured");
    // Turn 10 (agent, from 59.2 s) starts 0.3 s before turn 9 (customer, to 59.5 s) ends: a
    // hand-over. Turn 11 (customer "Mm-hmm", 70.4–71.0 s) inside turn 10 is a backchannel.
    // Neither is an interruption; both are crosstalk: 0.3 + 0.6 = 0.9 s.
    assert_eq!(a["interruptions"]["agent"], 0);
    assert_eq!(a["interruptions"]["customer"], 0);
    assert_eq!(a["crosstalk_seconds"], 0.9);
    // Agent questions: "Is now still a good time?", "what made you take this meeting?", "How
    // many reps…?", "And how do managers…?", "What would good look like…?", "Who else…?",
    // "Would it help…?", "Does Tuesday work?" = 8. Customer: "What does pricing look like…?" = 1.
    assert_eq!(a["questions"]["agent"], 8);
    assert_eq!(a["questions"]["customer"], 1);
    assert_eq!(
        a["redactions"],
        // Names too since issue 25: "Hi Dana, this is Sam from Brightline" and "Talk soon, Dana!".
        serde_json::json!({"emails": 1, "phone_numbers": 1, "card_numbers": 1,
            "by_type": {"email": 1, "phone": 1, "credit_debit_number": 1, "name": 3}})
    );
    let compliance = a["trackers"]
        .as_array()
        .expect("trackers")
        .iter()
        .find(|t| t["tracker"] == "compliance.recording_disclosure")
        .cloned();
    assert_eq!(compliance.expect("compliance hit")["satisfied"], true);
    let next: Vec<&str> = a["next_steps"]
        .as_array()
        .expect("next steps")
        .iter()
        .map(|n| n["text"].as_str().expect("text"))
        .collect();
    assert!(
        next.contains(&"I'll send you the proposal and the ROI summary by Friday."),
        "{next:?}"
    );
    assert!(
        !serde_json::to_string(&a)
            .expect("json")
            .contains("dana.reyes@example.com"),
        "PII never leaves redaction"
    );
    let ratio = a["agent_talk_ratio"].as_f64().expect("ratio");
    assert!((0.0..=1.0).contains(&ratio));
}

#[test]
fn every_invalid_sample_fails_with_one_line_naming_the_field() {
    for (file, field) in [
        ("backwards_times.json", "utterances[1].start"),
        ("unknown_role.json", "transcript"),
        ("empty_transcript.json", "transcript"),
        ("missing_agent_id.json", "agent_id"),
        ("not_json.txt", "document"),
    ] {
        let out = analyse(&[calls_dir()
            .join("invalid")
            .join(file)
            .to_str()
            .expect("path")]);
        assert_eq!(out.status.code(), Some(1), "{file}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{file}: {stderr}");
        assert!(
            stderr.starts_with(&format!("error: {field}: ")),
            "{file}: {stderr}"
        );
    }
}

#[test]
fn a_missing_file_is_a_one_line_error() {
    let out = analyse(&["/nonexistent/call.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
}

#[test]
fn compare_puts_every_shared_metric_beside_the_files_and_all_agree_on_every_amazon_sample() {
    for name in [
        "contact_lens.json",
        "contact_lens_words.json",
        "transcribe_call_analytics.json",
        "transcribe_call_analytics_call.json",
        "transcribe_call_analytics_renewal.json",
    ] {
        let path = calls_dir().join(name);
        let out = analyse(&["--compare", path.to_str().expect("path")]);
        let table = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{name}: {table}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for metric in [
            "talk time agent",
            "talk time customer",
            "talk speed agent",
            "talk speed customer",
            "interruptions",
            "non-talk time",
        ] {
            assert!(
                table.contains(metric),
                "{name}: {metric} missing from\n{table}"
            );
        }
        assert!(!table.contains(" NO"), "{name}: {table}");
    }
}

#[test]
fn compare_exits_1_and_says_no_when_a_metric_is_out_of_tolerance() {
    let mut file: serde_json::Value = serde_json::from_slice(
        &std::fs::read(calls_dir().join("contact_lens.json")).expect("sample"),
    )
    .expect("JSON");
    file["ConversationCharacteristics"]["Interruptions"]["TotalCount"] = 5.into();
    let path = std::env::temp_dir().join(format!("compare-{}.json", std::process::id()));
    std::fs::write(&path, file.to_string()).expect("temp file");
    let out = analyse(&["--compare", path.to_str().expect("path")]);
    std::fs::remove_file(&path).ok();
    assert_eq!(out.status.code(), Some(1));
    let table = String::from_utf8_lossy(&out.stdout);
    let line = table
        .lines()
        .find(|l| l.starts_with("interruptions"))
        .expect("an interruptions row");
    assert!(line.ends_with("NO"), "{table}");
}

#[test]
fn compare_refuses_a_file_without_conversation_characteristics() {
    let path = calls_dir().join("callscope_discovery.json");
    let out = analyse(&["--compare", path.to_str().expect("path")]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("ConversationCharacteristics"));
}

#[test]
fn the_american_spelling_still_runs_the_same_command() {
    let file = calls_dir().join("plain_discovery.json");
    let file = file.to_str().expect("utf-8 path");
    let british = analyse(&[file]);
    let american = Command::new(env!("CARGO_BIN_EXE_callscope"))
        .args(["analyze", file])
        .output()
        .expect("the binary runs");
    assert!(american.status.success(), "{american:?}");
    assert_eq!(american.stdout, british.stdout);
}
