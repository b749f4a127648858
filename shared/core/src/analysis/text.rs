//! Words, questions and filler words: the text measures of a call.

use crate::analysis::timeline::Timeline;
use crate::analysis::tokens::{is_ascii_space, tokens};
use crate::analysis::PerRole;
use crate::domain::Role;

/// The words of a text: whitespace-separated tokens that contain a letter or digit, with
/// surrounding punctuation trimmed.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    tokens(text).filter_map(word)
}

/// The same words, last first.
pub fn words_from_the_end(text: &str) -> impl Iterator<Item = &str> {
    text.split_whitespace().rev().filter_map(word)
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
        let is_kept = |b: &u8| b.is_ascii_alphanumeric() || *b == b'\'';
        let start = bytes.iter().position(is_kept).unwrap_or(0);
        let end = bytes
            .iter()
            .rposition(is_kept)
            .map_or(bytes.len(), |p| p + 1);
        return token.get(start..end);
    }
    let trimmed = token.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'');
    trimmed
        .chars()
        .any(char::is_alphanumeric)
        .then_some(trimmed)
}

/// The number of [`words`]: tokens with a letter or digit (trimming never removes one).
pub fn word_count(text: &str) -> usize {
    if text.is_ascii() {
        // One branch-free pass: a word starts at the first letter or digit of a token.
        let (mut count, mut counted) = (0, false);
        for &b in text.as_bytes() {
            let class = ASCII_CLASS[usize::from(b)];
            let alphanumeric = class & ALPHANUMERIC != 0;
            count += usize::from(alphanumeric & !counted);
            counted = (counted | alphanumeric) & (class & SPACE == 0);
        }
        return count;
    }
    words(text).count()
}

const ALPHANUMERIC: u8 = 1;
const SPACE: u8 = 2;
/// Each byte's class for [`word_count`]: ASCII letters and digits, and Unicode white space.
const ASCII_CLASS: [u8; 256] = {
    let mut table = [0; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        if byte.is_ascii_alphanumeric() {
            table[b] = ALPHANUMERIC;
        } else if is_ascii_space(byte) {
            table[b] = SPACE;
        }
        b += 1;
    }
    table
};

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
            agent_fillers += count_fillers(s.text);
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
    if !text.contains('?') {
        return 0;
    }
    let mut count = 0;
    let mut in_question_marks = false;
    let mut seen_text = false;
    if text.is_ascii() {
        for &b in text.as_bytes() {
            if b == b'?' {
                if seen_text && !in_question_marks {
                    count += 1;
                }
                in_question_marks = true;
                seen_text = false;
            } else {
                in_question_marks = false;
                seen_text |= b.is_ascii_alphanumeric();
            }
        }
        return count;
    }
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
    let mut count = 0;
    let mut previous: Option<&str> = None;
    for word in words(text) {
        if is_one_of(word, &FILLER_WORDS) {
            count += 1;
        } else if let Some(prev) = previous {
            if FILLER_PHRASES.iter().any(|[a, b]| {
                a.len() == prev.len()
                    && a.eq_ignore_ascii_case(prev)
                    && b.eq_ignore_ascii_case(word)
            }) {
                count += 1;
            }
        }
        previous = Some(word);
    }
    count
}

/// `word` is one of `list`, ignoring ASCII case; the length test first, since most words have
/// the length of no filler.
fn is_one_of(word: &str, list: &[&str]) -> bool {
    list.iter()
        .any(|f| f.len() == word.len() && f.eq_ignore_ascii_case(word))
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
            // The same text made non-ASCII takes the character path: same questions.
            proptest::prop_assert_eq!(count_questions(&text), count_questions(&format!("{text}é")));
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
