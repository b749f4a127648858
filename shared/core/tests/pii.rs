//! PII redaction held to its measured floor on the labelled set (`make pii-report` prints the
//! table), and the property that no run of nine or more digits survives unless the policy says
//! that kind of number is not PII.

#[path = "../examples/pii_report/eval.rs"]
mod eval;
#[path = "../examples/pii_report/generate.rs"]
mod generate;

use callscope_core::redaction::{redact_text, PiiType, RedactionPolicy, Redactor};
use proptest::prelude::*;

#[test]
fn every_type_meets_its_recall_and_precision_floor_on_the_generated_set() {
    let calls = eval::parse("generated", &generate::calls(2));
    let mut misses = Vec::new();
    let tallies = eval::score(&calls, &Redactor::default(), &mut misses);
    for (pii, t) in &tallies {
        assert!(t.gold > 0, "{pii:?} has no labelled example");
        assert!(
            t.recall() >= 0.95,
            "{pii:?} recall {:.3}: {misses:#?}",
            t.recall()
        );
        assert!(
            t.precision() >= 0.90,
            "{pii:?} precision {:.3}: {misses:#?}",
            t.precision()
        );
    }
}

#[test]
fn the_hand_written_calls_leak_nothing_labelled() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/pii/eval");
    let mut calls = Vec::new();
    for entry in std::fs::read_dir(dir).expect("eval dir").flatten() {
        let text = std::fs::read_to_string(entry.path()).expect("readable");
        calls.extend(eval::parse(&entry.file_name().to_string_lossy(), &text));
    }
    assert!(calls.len() >= 8, "{} calls", calls.len());
    let mut misses = Vec::new();
    let tallies = eval::score(&calls, &Redactor::default(), &mut misses);
    for (pii, t) in &tallies {
        assert_eq!(t.hidden, t.gold, "{pii:?} leaked: {misses:#?}");
        assert!(t.precision() >= 0.9, "{pii:?}: {misses:#?}");
    }
}

/// The most digits in consecutive words made only of digits and `-()+.` (`415 555-0134` is one
/// run of ten; `$1,200` is an amount, not part of a run).
fn longest_digit_run(text: &str) -> usize {
    let (mut best, mut current) = (0, 0);
    for word in text.split_whitespace() {
        let numeric = word.bytes().any(|b| b.is_ascii_digit())
            && word
                .bytes()
                .all(|b| b.is_ascii_digit() || b"-()+.".contains(&b));
        if numeric {
            current += word.bytes().filter(u8::is_ascii_digit).count();
            best = best.max(current);
        } else {
            current = 0;
        }
    }
    best
}

fn digits_text() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        Just("my".to_owned()),
        Just("order".to_owned()),
        Just("number".to_owned()),
        Just("is".to_owned()),
        Just("$1,200".to_owned()),
        Just("dollars".to_owned()),
        Just("minutes".to_owned()),
        "[a-z]{1,8}",
        "[0-9]{1,6}",
        "[0-9]{2,4}-[0-9]{2,4}",
        "\\(?[0-9]{3}\\)?",
    ];
    prop::collection::vec(word, 1..30).prop_map(|w| w.join(" "))
}

proptest! {
    #[test]
    fn no_run_of_nine_or_more_digits_survives(text in digits_text()) {
        let (out, _) = redact_text(&text);
        prop_assert!(longest_digit_run(&out) < 9, "{text:?} -> {out:?}");
    }

    #[test]
    fn numbers_after_a_keep_phrase_survive(digits in "[1-9][0-9]{8,15}") {
        let redactor = Redactor::new(RedactionPolicy::default().keeping_numbers_after("order number"));
        let text = format!("the order number is {digits}");
        let (out, _) = redactor.redact_text(&text);
        prop_assert_eq!(out.as_ref(), text.as_str());
        let (out, counts) = redact_text(&text);
        prop_assert!(!out.contains(&digits));
        prop_assert!(PiiType::ALL.iter().map(|t| counts.of(*t)).sum::<u32>() >= 1);
    }
}
