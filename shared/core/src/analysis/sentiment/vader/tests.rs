//! The port is held to the `vader_sentiment` crate's scores: on hand-picked sentences that hit
//! each rule, and on generated text mixing lexicon words, boosters, negations, capitals,
//! punctuation and emoji.

use proptest::prelude::*;
use vader_sentiment::SentimentIntensityAnalyzer;

use super::words::{BOOSTERS, SPECIAL_IDIOMS};
use super::Vader;

fn crate_compound(text: &str) -> f64 {
    SentimentIntensityAnalyzer::new().polarity_scores(text)["compound"]
}

fn assert_same(vader: &Vader, text: &str) {
    let expected = crate_compound(text);
    let got = vader.compound(text);
    assert!(
        (expected - got).abs() < 1e-9,
        "{text:?}: the crate says {expected}, the port {got}"
    );
}

#[test]
fn every_rule_scores_as_the_crate_scores_it() {
    let vader = Vader::new();
    for text in [
        "",
        "a",
        "The price works for us.",
        "This is GREAT, really GREAT!!!",
        "I am not happy with the terms.",
        "It isn't bad at all, but the support was terrible.",
        "We were never so happy with a vendor.",
        "Without doubt the best demo we had.",
        "That was kind of good, sort of helpful.",
        "At least it is not the worst.",
        "It is the least good option?",
        // One idiom per window: where two meet, the crate picks by its hash map's random order.
        "This product is honestly the bomb.",
        "we will see, yeah right",
        "that was the kiss of death",
        "worth it, to die for",
        "Extremely very incredibly good",
        "They are so not good",
        "The integration is barely acceptable???!!!!",
        "I love it 😀 and 👍 but 😡",
        "Café ÉNORME, très bien!",
        "DON'T do that, it's AWFUL",
        "also some reason good",
        "Good good good good good good good good good good good good good good",
    ] {
        assert_same(&vader, text);
    }
}

const WORDS: &[&str] = &[
    "good",
    "bad",
    "great",
    "terrible",
    "love",
    "hate",
    "happy",
    "sad",
    "helpful",
    "worst",
    "best",
    "expensive",
    "fine",
    "problem",
    "nice",
    "no",
    "not",
    "never",
    "isn't",
    "don't",
    "dont",
    "without",
    "doubt",
    "nothing",
    "very",
    "extremely",
    "really",
    "barely",
    "kind",
    "of",
    "sort",
    "so",
    "this",
    "least",
    "at",
    "but",
    "just",
    "enough",
    "also",
    "some",
    "the",
    "price",
    "call",
    "we",
    "send",
    "proposal",
    "I",
    "a",
    "GREAT",
    "VERY",
    "BAD",
    "Good",
    "NOT",
    "good!",
    "bad?",
    "great!!!",
    ",don't",
    "fine.",
    "(happy)",
    ":)",
    ":(",
    "😀",
    "😡",
    "👍",
    "?",
    "!",
    "...",
    "ok",
    "OK",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn generated_text_scores_as_the_crate_scores_it(
        words in prop::collection::vec(prop::sample::select(WORDS), 0..24),
        glue in prop::sample::select(&[" ", "  ", " \n", "\t"][..]),
    ) {
        let text = words.join(glue);
        let expected = crate_compound(&text);
        let got = Vader::new().compound(&text);
        prop_assert!((expected - got).abs() < 1e-9, "{text:?}: crate {expected}, port {got}");
    }
}

/// The window search ignores ASCII case and the windows are lowercase: the patterns must be too
/// for it to find what the crate's case-sensitive `contains` finds.
#[test]
fn boosters_and_idioms_are_lowercase() {
    for pattern in BOOSTERS
        .iter()
        .map(|(word, _)| *word)
        .chain(SPECIAL_IDIOMS.iter().map(|(idiom, _)| *idiom))
    {
        assert_eq!(pattern, pattern.to_lowercase(), "{pattern}");
    }
}
