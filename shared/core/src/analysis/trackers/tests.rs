//! Tracker matching: boundaries, roles, windows, negation, required rules, and the defaults.

use super::*;
use crate::domain::{Transcript, Utterance};

fn timeline_of(turns: &[(Role, &str, f64)]) -> (Transcript, f64) {
    let t = Transcript::new(
        turns
            .iter()
            .map(|(speaker, text, start)| Utterance {
                speaker: *speaker,
                text: (*text).to_owned(),
                start: Some(*start),
                end: Some(*start + 5.0),
                word_times: Vec::new(),
            })
            .collect(),
    )
    .expect("valid");
    let duration = turns.last().map_or(0.0, |t| t.2 + 5.0);
    (t, duration)
}

fn rule(name: &str, phrases: &[&str]) -> TrackerRule {
    TrackerRule {
        name: name.into(),
        category: TrackerCategory::Custom,
        phrases: phrases.iter().map(|p| (*p).to_owned()).collect(),
        speaker: None,
        window: None,
        negation: NegationMode::Exclude,
        expectation: Expectation::Mention,
    }
}

fn hits(rules: Vec<TrackerRule>, turns: &[(Role, &str, f64)]) -> Vec<TrackerHit> {
    let (t, duration) = timeline_of(turns);
    TrackerSet::try_new(rules)
        .expect("valid rules")
        .find(&Timeline::build(&t, Some(duration)))
}

fn count(hits: &[TrackerHit], name: &str) -> u32 {
    hits.iter()
        .find(|h| h.tracker == name)
        .map_or(0, |h| h.count)
}

#[test]
fn phrases_match_whole_words_case_insensitively() {
    let h = hits(
        vec![rule("pricing", &["price", "how much"])],
        &[(
            Role::Customer,
            "Price, PRICE and priceless. How   much?",
            0.0,
        )],
    );
    assert_eq!(count(&h, "pricing"), 3);
    assert_eq!(h[0].mentions[0].phrase, "Price");
}

#[test]
fn a_speaker_filter_only_counts_that_role() {
    let mut r = rule("budget", &["budget"]);
    r.speaker = Some(Role::Customer);
    let h = hits(
        vec![r],
        &[
            (Role::Agent, "what is your budget", 0.0),
            (Role::Customer, "the budget is small", 5.0),
        ],
    );
    assert_eq!(count(&h, "budget"), 1);
    assert_eq!(h[0].mentions[0].speaker, Role::Customer);
}

#[test]
fn windows_count_only_utterances_starting_inside_them() {
    let mut first = rule("opening", &["hello"]);
    first.window = Some(TimeWindow::FirstSeconds(30.0));
    let mut last = rule("closing", &["hello"]);
    last.window = Some(TimeWindow::LastSeconds(10.0));
    // starts at 0, 40 and 95; call lasts 100 s.
    let h = hits(
        vec![first, last],
        &[
            (Role::Agent, "hello", 0.0),
            (Role::Agent, "hello", 40.0),
            (Role::Agent, "hello", 95.0),
        ],
    );
    assert_eq!(count(&h, "opening"), 1);
    assert_eq!(count(&h, "closing"), 1);
}

#[test]
fn negated_mentions_are_excluded_included_or_required_as_configured() {
    let turns = [(
        Role::Customer,
        "We are not interested in price. What about price for 10 seats?",
        0.0,
    )];
    assert_eq!(count(&hits(vec![rule("p", &["price"])], &turns), "p"), 1);
    let mut include = rule("p", &["price"]);
    include.negation = NegationMode::Include;
    assert_eq!(count(&hits(vec![include], &turns), "p"), 2);
    let mut only = rule("need", &["need"]);
    only.negation = NegationMode::Only;
    let h = hits(
        vec![only],
        &[(
            Role::Customer,
            "Honestly we don't really need it. I need to think.",
            0.0,
        )],
    );
    assert_eq!(count(&h, "need"), 1);
}

#[test]
fn a_required_rule_is_always_reported_with_whether_it_was_satisfied() {
    let mut disclosure = rule("disclosure", &["being recorded"]);
    disclosure.expectation = Expectation::Required;
    disclosure.window = Some(TimeWindow::FirstSeconds(30.0));
    let late = hits(
        vec![disclosure.clone()],
        &[
            (Role::Agent, "hi", 0.0),
            (Role::Agent, "this call is being recorded", 35.0),
        ],
    );
    assert_eq!(late.len(), 1);
    assert_eq!(late[0].satisfied, Some(false));
    assert_eq!(late[0].count, 0);
    let early = hits(
        vec![disclosure],
        &[(Role::Agent, "this call is being recorded", 2.0)],
    );
    assert_eq!(early[0].satisfied, Some(true));
}

#[test]
fn rules_without_mentions_are_not_reported() {
    assert!(hits(vec![rule("p", &["price"])], &[(Role::Agent, "hello", 0.0)]).is_empty());
}

#[test]
fn invalid_rules_are_refused_with_the_field() {
    let err =
        TrackerSet::try_new(vec![rule("ok", &["a"]), rule("", &["b"])]).expect_err("empty name");
    assert_eq!(err.field, "trackers[1].name");
    let err = TrackerSet::try_new(vec![rule("none", &[])]).expect_err("no phrases");
    assert_eq!(err.field, "trackers[0].phrases");
    let mut backwards = rule("w", &["a"]);
    backwards.window = Some(TimeWindow::Between(WindowRange {
        from_seconds: 10.0,
        to_seconds: 5.0,
    }));
    assert_eq!(
        TrackerSet::try_new(vec![backwards])
            .expect_err("window")
            .field,
        "trackers[0].window"
    );
}

#[test]
fn the_default_rules_parse_validate_and_cover_every_category() {
    let rules = default_rules();
    assert_eq!(rules.len(), 8);
    assert!(TrackerSet::try_new(rules.clone()).is_ok());
    for category in [
        TrackerCategory::Pricing,
        TrackerCategory::Competitor,
        TrackerCategory::Objection,
        TrackerCategory::NextStep,
        TrackerCategory::Compliance,
    ] {
        assert!(rules.iter().any(|r| r.category == category), "{category:?}");
    }
}

#[test]
fn the_default_set_finds_a_typical_discovery_call() {
    let h = hits(
        default_rules(),
        &[
            (
                Role::Agent,
                "Hi, this call is being recorded for quality.",
                0.0,
            ),
            (
                Role::Customer,
                "We currently use Salesforce, but it is too expensive.",
                10.0,
            ),
            (
                Role::Customer,
                "I'd need to check with my boss, and honestly not right now.",
                20.0,
            ),
            (
                Role::Agent,
                "Understood. As a next step I'll send you our pricing.",
                30.0,
            ),
        ],
    );
    assert_eq!(
        h.iter()
            .find(|h| h.tracker == "compliance.recording_disclosure")
            .and_then(|h| h.satisfied),
        Some(true)
    );
    assert_eq!(
        count(&h, "competitors"),
        2,
        "'we currently use' and 'Salesforce'"
    );
    assert_eq!(count(&h, "objection.budget"), 1);
    assert_eq!(count(&h, "objection.authority"), 1);
    assert_eq!(count(&h, "objection.timing"), 1);
    assert_eq!(count(&h, "next_steps"), 2, "'next step' and 'send you'");
    assert_eq!(count(&h, "pricing"), 1);
}

/// The negation check as it was before it read backwards: the last sentence of the text before
/// the phrase, then its last words. Kept as the reference the bounded check must agree with.
fn negated_by_whole_sentence(before: &str) -> bool {
    let sentence = before.rsplit(['.', '!', '?', ';']).next().unwrap_or(before);
    crate::analysis::text::words_from_the_end(sentence)
        .take(NEGATION_WINDOW_WORDS)
        .any(|w| NEGATION_CUES.iter().any(|cue| is_cue(cue, w)))
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1024))]

    #[test]
    fn the_bounded_negation_check_agrees_with_reading_the_whole_sentence(
        words in proptest::collection::vec(
            proptest::sample::select(vec![
                "not", "No", "never", "don’t", "we", "price", "really", "-", "...", "ok.", "end;",
                "why?", "a.not", "(not", "isn't!", "", " ", "\u{a0}", "x!y", "😀",
            ]),
            0..24,
        ),
        separator in proptest::sample::select(vec![" ", "  ", "\t", "\n"]),
    ) {
        let before = words.join(separator) + " ";
        proptest::prop_assert_eq!(is_negated(&before), negated_by_whole_sentence(&before), "{:?}", before);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    /// The phrase automaton finds each rule's regex matches, at the same places, in the same
    /// order: phrases that overlap, share words, nest, start or end with punctuation, differ in
    /// case or spacing, in text where words touch punctuation or each other.
    #[test]
    fn the_phrase_automaton_finds_what_the_rules_regexes_find(
        rules in proptest::collection::vec(
            proptest::collection::vec(
                proptest::sample::select(vec![
                    "price", "prices", "per seat", "Per  Seat", "how much", "much", "follow-up",
                    "follow", "a", "a b", "b a", "ab", "x_", "_x", "can't afford", "9", "a.b",
                    "price!", "!price", "seat price",
                ]),
                1..5,
            ),
            1..4,
        ),
        words in proptest::collection::vec(
            (
                proptest::sample::select(vec![
                    "price", "Price", "PRICE", "prices", "per", "PER", "seat", "Seat", "how",
                    "much", "follow", "-", "up", "follow-up", "a", "A", "b", "ab", "x", "_", "x_",
                    "can't", "afford", "9", "99", ".", "!", ",", "a.b", "'",
                ]),
                proptest::sample::select(vec![" ", "", " "]),
            ),
            0..30,
        ),
    ) {
        let rules: Vec<TrackerRule> = rules
            .iter()
            .enumerate()
            .map(|(i, phrases)| rule(&format!("r{i}"), phrases))
            .collect();
        let text: String = words.iter().flat_map(|(word, gap)| [*word, *gap]).collect();
        let (found, expected) = automaton_and_regex_matches(&rules, &text);
        proptest::prop_assert_eq!(found, expected, "{:?}", text);
    }
}

/// Each rule's matches in `text` as `(rule, range)`: by the phrase automaton, by the regexes.
type Matches = Vec<(usize, std::ops::Range<usize>)>;
fn automaton_and_regex_matches(rules: &[TrackerRule], text: &str) -> (Matches, Matches) {
    let phrases = AsciiPhrases::new(rules).expect("ASCII phrases with words");
    assert!(AsciiPhrases::applies_to(text), "{text:?}");
    let mut found = Vec::new();
    phrases.find(text, &mut Vec::new(), |rule, at| found.push((rule, at)));
    let expected = rules
        .iter()
        .enumerate()
        .flat_map(|(i, r)| {
            let regex = r.compile().expect("valid");
            regex
                .find_iter(text)
                .map(|m| (i, m.range()))
                .collect::<Vec<_>>()
        })
        .collect();
    (found, expected)
}

#[test]
fn the_phrase_automaton_agrees_with_the_regexes_where_matches_touch_nest_or_overlap() {
    let rules = [
        rule("a", &["price", "!price", "price list"]),
        rule("b", &["list", "price list", "per seat"]),
        rule("c", &["price"]),
    ];
    for text in [
        "price!price",
        "Price!PRICE!price list",
        "the price list, per seat",
        "price listprice list",
        "!price",
        "per seat-price",
    ] {
        let (found, expected) = automaton_and_regex_matches(&rules, text);
        assert_eq!(found, expected, "{text:?}");
    }
}

#[test]
fn the_phrase_automaton_leaves_other_spacing_and_non_ascii_text_to_the_regexes() {
    for text in [
        "how  much",
        "how\tmuch",
        "how\nmuch",
        "caf\u{e9} price",
        "price\u{0}",
    ] {
        assert!(!AsciiPhrases::applies_to(text), "{text:?}");
    }
    assert!(AsciiPhrases::applies_to("How much, per seat? ~$60."));
    assert!(AsciiPhrases::new(&[rule("r", &["price", "caf\u{e9}"])]).is_none());
}

/// The settings limit on phrase bytes (`settings::limits::MAX_TOTAL_PHRASE_BYTES`) is what keeps
/// a tenant's rules inside the literal matcher's table: the worst case for the table (phrases
/// that share no prefix, over every printable ASCII byte) still builds it.
#[test]
fn the_most_phrase_bytes_settings_allow_still_fit_the_literal_matcher() {
    use crate::settings::limits::{MAX_PHRASES_PER_RULE, MAX_PHRASE_CHARS, MAX_TOTAL_PHRASE_BYTES};
    let alphabet: Vec<char> = (b'!'..=b'~')
        .map(char::from)
        .filter(|c| !c.is_ascii_uppercase())
        .collect();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        alphabet[(state % alphabet.len() as u64) as usize]
    };
    let mut phrases = Vec::new();
    let mut bytes = 0;
    while bytes + MAX_PHRASE_CHARS <= MAX_TOTAL_PHRASE_BYTES {
        // A letter first, so every phrase has a word.
        let phrase: String = std::iter::once('a')
            .chain((1..MAX_PHRASE_CHARS).map(|_| next()))
            .collect();
        bytes += phrase.len();
        phrases.push(phrase);
    }
    let rules: Vec<TrackerRule> = phrases
        .chunks(MAX_PHRASES_PER_RULE)
        .enumerate()
        .map(|(i, chunk)| TrackerRule {
            name: format!("r{i}"),
            category: TrackerCategory::Custom,
            phrases: chunk.to_vec(),
            speaker: None,
            window: None,
            negation: NegationMode::Exclude,
            expectation: Expectation::Mention,
        })
        .collect();
    let set = TrackerSet::try_new(rules).expect("valid rules");
    assert!(set.ascii.is_some(), "the dense table was built");
}
