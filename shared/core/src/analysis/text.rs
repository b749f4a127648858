//! Words, questions and filler words: the text measures of a call.

use std::ops::Range;

use crate::analysis::timeline::Timeline;
use crate::analysis::tokens::{class, tokens, tokens_from_the_end, AsciiToken, ASCII_CLASSES};
use crate::analysis::PerRole;
use crate::domain::Role;

/// The words of a text: whitespace-separated tokens that contain a letter or digit, with
/// surrounding punctuation trimmed.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    tokens(text).filter_map(word)
}

/// The [`words`] of an ASCII text, as bytes, read from its tokens (as the timeline split them).
pub fn ascii_words<'a>(text: &'a [u8], tokens: &'a [AsciiToken]) -> impl Iterator<Item = &'a [u8]> {
    tokens
        .iter()
        .filter(|t| t.has(class::ALPHANUMERIC))
        .map(move |t| {
            let token = text.get(t.range()).unwrap_or_default();
            // Only a token with something to trim differs from its word.
            if t.has(class::TRIMMED) {
                token.get(ascii_word_span(token)).unwrap_or(token)
            } else {
                token
            }
        })
}

/// Where the word of an ASCII token is: the token without the bytes at its ends that are neither
/// a letter, a digit nor the apostrophe (all of it when it has none to keep).
fn ascii_word_span(token: &[u8]) -> Range<usize> {
    let is_kept =
        |b: &u8| ASCII_CLASSES[usize::from(*b)] & (class::ALPHANUMERIC | class::APOSTROPHE) != 0;
    let start = token.iter().position(is_kept).unwrap_or(0);
    let end = token
        .iter()
        .rposition(is_kept)
        .map_or(token.len(), |p| p + 1);
    start..end
}

/// The same words, last first.
pub fn words_from_the_end(text: &str) -> impl Iterator<Item = &str> {
    tokens_from_the_end(text).filter_map(word)
}

/// A whitespace-separated token as a word, or `None` when it holds no letter or digit.
fn word(token: &str) -> Option<&str> {
    if token.is_ascii() {
        // The same trim by bytes: on ASCII, `char::is_alphanumeric` is `u8::is_ascii_alphanumeric`,
        // and trimming never removes a letter or digit, so the word exists if the token has one.
        let bytes = token.as_bytes();
        if !bytes.iter().any(u8::is_ascii_alphanumeric) {
            return None;
        }
        return token.get(ascii_word_span(bytes));
    }
    let trimmed = token.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'');
    trimmed
        .chars()
        .any(char::is_alphanumeric)
        .then_some(trimmed)
}

/// The number of [`words`]. The timeline counts an ASCII text's words from its tokens instead.
pub fn word_count(text: &str) -> usize {
    words(text).count()
}

/// Sentences of a text, split after `.`, `!` and `?`, with the terminator kept.
pub fn sentences(text: &str) -> impl Iterator<Item = &str> {
    text.split_inclusive(['.', '!', '?'])
        .map(str::trim)
        .filter(|s| s.chars().any(char::is_alphanumeric))
}

/// Single-word fillers, matched as whole words, case-insensitively.
const FILLER_WORDS: [&str; 9] = [
    "um",
    "umm",
    "uh",
    "uhh",
    "erm",
    "er",
    "ah",
    "hmm",
    "basically",
];
/// Two-word fillers.
const FILLER_PHRASES: [[&str; 2]; 4] = [
    ["you", "know"],
    ["i", "mean"],
    ["kind", "of"],
    ["sort", "of"],
];

/// Text measures of the whole call.
#[derive(Debug, Clone, PartialEq)]
pub struct TextMeasures {
    pub word_count: PerRole<u32>,
    pub questions: PerRole<u32>,
    pub filler_words_per_minute: f64,
}

// A frame of its own, so `make profile` can attribute this stage (one call per analysis).
#[inline(never)]
pub fn measure(timeline: &Timeline<'_>) -> TextMeasures {
    let mut word_count = PerRole::<u32>::default();
    let mut questions = PerRole::<u32>::default();
    let mut agent_fillers = 0_u32;
    let mut agent_seconds = 0.0;
    for s in &timeline.segments {
        *word_count.get_mut(s.role) += s.words as u32;
        *questions.get_mut(s.role) += count_questions(s.text);
        if s.role == Role::Agent {
            agent_fillers += match timeline.tokens_of(s) {
                Some(tokens) => count_filler_words(ascii_words(s.text.as_bytes(), tokens)),
                None => count_fillers(s.text),
            };
            agent_seconds += s.length();
        }
    }
    TextMeasures {
        word_count,
        questions,
        filler_words_per_minute: if agent_seconds > 0.0 {
            f64::from(agent_fillers) / (agent_seconds / 60.0)
        } else {
            0.0
        },
    }
}

/// Questions are sentences that end in `?` ("Really?? Why?" is two). Transcripts without
/// punctuation undercount; Transcribe and most clients punctuate.
pub fn count_questions(text: &str) -> u32 {
    let mut count = 0;
    if text.is_ascii() {
        // A `?` ends a question when a letter or digit came since the last `?`: memchr jumps
        // from mark to mark, and the test mostly stops at the sentence's first letter.
        let bytes = text.as_bytes();
        let mut since_last_mark = 0;
        for mark in memchr::memchr_iter(b'?', bytes) {
            if bytes[since_last_mark..mark]
                .iter()
                .any(u8::is_ascii_alphanumeric)
            {
                count += 1;
            }
            since_last_mark = mark + 1;
        }
        return count;
    }
    if !text.contains('?') {
        return 0;
    }
    let mut in_question_marks = false;
    let mut seen_text = false;
    for c in text.chars() {
        if c == '?' {
            if seen_text && !in_question_marks {
                count += 1;
            }
            in_question_marks = true;
            seen_text = false;
        } else {
            in_question_marks = false;
            if c.is_alphanumeric() {
                seen_text = true;
            }
        }
    }
    count
}

/// Filler words: um, uh, erm, er, ah, hmm, basically, and the phrases "you know", "I mean",
/// "kind of", "sort of". "Like" is left out: without grammar it cannot be told apart from its
/// ordinary uses ("I'd like a demo"), and a noisy count would coach the wrong thing.
pub fn count_fillers(text: &str) -> u32 {
    count_filler_words(words(text).map(str::as_bytes))
}

/// [`count_fillers`] of a text's words, as bytes (`str::eq_ignore_ascii_case` compares bytes too).
fn count_filler_words<'a>(words: impl Iterator<Item = &'a [u8]>) -> u32 {
    let mut count = 0;
    let mut previous: Option<&[u8]> = None;
    for word in words {
        if FILLER_WORD_SIEVE.may_hold(word) && is_one_of(word, &FILLER_WORDS) {
            count += 1;
        } else if let Some(prev) = previous.filter(|p| PHRASE_START_SIEVE.may_hold(p)) {
            if PHRASE_END_SIEVE.may_hold(word)
                && FILLER_PHRASES.iter().any(|[a, b]| {
                    a.len() == prev.len()
                        && a.as_bytes().eq_ignore_ascii_case(prev)
                        && b.as_bytes().eq_ignore_ascii_case(word)
                })
            {
                count += 1;
            }
        }
        previous = Some(word);
    }
    count
}

/// `word` is one of `list`, ignoring ASCII case; the length test first, since most words have
/// the length of no filler.
fn is_one_of(word: &[u8], list: &[&str]) -> bool {
    list.iter()
        .any(|f| f.len() == word.len() && f.as_bytes().eq_ignore_ascii_case(word))
}

/// The lengths and first letters of a list of words: a word with a length or first letter
/// none of them has is none of them, which two bit tests tell for most words, so few are
/// compared with the list.
#[derive(Debug, Clone, Copy)]
struct Sieve {
    /// Bit n: a listed word has n bytes (all are shorter than 64).
    lengths: u64,
    /// Bit [`initial`] of each listed word's first byte.
    initials: u32,
}

impl Sieve {
    const fn of(words: &[&str]) -> Self {
        let (mut lengths, mut initials) = (0, 0);
        let mut i = 0;
        while i < words.len() {
            let word = words[i].as_bytes();
            assert!(!word.is_empty() && word.len() < 64);
            lengths |= 1 << word.len();
            initials |= 1 << initial(word[0]);
            i += 1;
        }
        Self { lengths, initials }
    }

    /// Whether `word` can equal a listed word ignoring ASCII case.
    fn may_hold(self, bytes: &[u8]) -> bool {
        bytes.len() < 64
            && self.lengths & (1 << bytes.len()) != 0
            && bytes
                .first()
                .is_some_and(|&b| self.initials & (1 << initial(b)) != 0)
    }
}

/// A first byte's bit: its letter's place in the alphabet, ignoring ASCII case, and 31 for
/// every other byte (which then passes the sieve when any listed word starts with one).
const fn initial(byte: u8) -> u32 {
    let lower = byte.to_ascii_lowercase();
    if lower.is_ascii_lowercase() {
        (lower - b'a') as u32
    } else {
        31
    }
}

const FILLER_WORD_SIEVE: Sieve = Sieve::of(&FILLER_WORDS);
const PHRASE_START_SIEVE: Sieve = Sieve::of(&phrase_words(0));
const PHRASE_END_SIEVE: Sieve = Sieve::of(&phrase_words(1));

/// The first (`at` 0) or second words of the filler phrases.
const fn phrase_words(at: usize) -> [&'static str; FILLER_PHRASES.len()] {
    let mut words = [""; FILLER_PHRASES.len()];
    let mut i = 0;
    while i < words.len() {
        words[i] = FILLER_PHRASES[i][at];
        i += 1;
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Transcript, Utterance};

    #[test]
    fn words_ignore_punctuation_and_keep_contractions() {
        assert_eq!(
            words("Hi, I'm   here -- really!").collect::<Vec<_>>(),
            ["Hi", "I'm", "here", "really"]
        );
        assert_eq!(word_count("  ... "), 0);
    }

    proptest::proptest! {
        #[test]
        fn ascii_fast_paths_agree_with_the_definitions(
            text in "[a-cA-C0-9 '?.,!\\-\\t]{0,30}"
        ) {
            fn by_chars(token: &str) -> Option<&str> {
                let trimmed = token.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'');
                trimmed.chars().any(char::is_alphanumeric).then_some(trimmed)
            }
            let expected: Vec<&str> = text.split_whitespace().filter_map(by_chars).collect();
            proptest::prop_assert_eq!(words(&text).collect::<Vec<_>>(), expected.clone());
            proptest::prop_assert_eq!(word_count(&text), expected.len());
            let mut tokens = Vec::new();
            crate::analysis::tokens::push_ascii_tokens(text.as_bytes(), &mut tokens);
            let expected_bytes: Vec<&[u8]> = expected.iter().map(|w| w.as_bytes()).collect();
            proptest::prop_assert_eq!(ascii_words(text.as_bytes(), &tokens).collect::<Vec<_>>(), expected_bytes);
            // The same text made non-ASCII takes the character path: same questions.
            proptest::prop_assert_eq!(count_questions(&text), count_questions(&format!("{text}é")));
        }
    }

    proptest::proptest! {
        #[test]
        fn fillers_are_the_words_and_pairs_equal_to_one_ignoring_ascii_case(
            words in proptest::collection::vec(proptest::sample::select(vec![
                "um", "UM", "Umm", "uh,", "er", "erm.", "ah", "HMM", "hm", "basically", "Basically!",
                "basicallyy", "you", "You", "know", "KNOW", "i", "I", "mean", "kind", "sort", "of",
                "Of.", "umbrella", "u", "m", "caf\u{e9}", "\u{c9}r", "--", "a-very-long-hyphenated-word",
            ]), 0..12),
        ) {
            let text = words.join(" ");
            let is = |word: &str, list: &[&str]| list.iter().any(|f| f.eq_ignore_ascii_case(word));
            let mut expected = 0;
            let mut previous: Option<&str> = None;
            for word in super::words(&text) {
                if is(word, &FILLER_WORDS)
                    || previous.is_some_and(|p| {
                        FILLER_PHRASES.iter().any(|[a, b]| is(p, &[a]) && is(word, &[b]))
                    })
                {
                    expected += 1;
                }
                previous = Some(word);
            }
            proptest::prop_assert_eq!(count_fillers(&text), expected, "{:?}", text);
            if text.is_ascii() {
                let mut tokens = Vec::new();
                crate::analysis::tokens::push_ascii_tokens(text.as_bytes(), &mut tokens);
                proptest::prop_assert_eq!(count_filler_words(ascii_words(text.as_bytes(), &tokens)), expected);
            }
        }
    }

    #[test]
    fn each_question_terminated_sentence_counts_once() {
        assert_eq!(count_questions("Really?? Why?"), 2);
        assert_eq!(
            count_questions("What is your budget? And your timeline? Great."),
            2
        );
        assert_eq!(count_questions("No questions here."), 0);
        assert_eq!(count_questions("?"), 0);
    }

    #[test]
    fn fillers_are_whole_words_and_phrases() {
        assert_eq!(count_fillers("Um, so, you know, it's uh basically done"), 4);
        assert_eq!(count_fillers("Umbrella sort order"), 0);
        assert_eq!(count_fillers("It is kind of big, sort of"), 2);
        assert_eq!(count_fillers("I'd like a demo"), 0);
    }

    #[test]
    fn filler_rate_is_per_minute_of_agent_talk_and_questions_are_per_role() {
        // Agent speaks 30 s with 2 fillers → 4 per minute; the customer's fillers do not count.
        let t = Transcript::new(vec![
            Utterance {
                speaker: Role::Agent,
                text: "Um, what do you need? Uh, and when?".into(),
                start: Some(0.0),
                end: Some(30.0),
                word_times: Vec::new(),
            },
            Utterance {
                speaker: Role::Customer,
                text: "Um, um, a demo. Can you do Friday?".into(),
                start: Some(30.0),
                end: Some(40.0),
                word_times: Vec::new(),
            },
        ])
        .expect("valid");
        let m = measure(&Timeline::build(&t, Some(40.0)));
        assert_eq!(m.filler_words_per_minute, 4.0);
        assert_eq!(m.questions.agent, 2);
        assert_eq!(m.questions.customer, 1);
        assert_eq!(m.word_count.agent, 8);
    }
}
