//! Next steps: sentences where a party commits to a follow-up ("I'll send you the proposal by
//! Friday", "let's schedule a demo"), with the due time when one is said.
//!
//! A commitment is a first-person or joint subject followed closely by a follow-up action, or an
//! explicit "next step". Questions are requests, not commitments ("Can you send…?"), and negated
//! sentences ("I won't be able to send…") commit to nothing, so both are skipped.

use std::sync::OnceLock;

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

use crate::analysis::literals::Prefilter;
use crate::analysis::text::sentences;
use crate::analysis::timeline::Timeline;
use crate::domain::Role;

/// At most this many next steps are listed per call.
pub const MAX_NEXT_STEPS: usize = 20;
/// A next step's text is its sentence, cut to about this many bytes around the commitment when
/// longer (an unpunctuated transcript can be one sentence of the whole call).
pub const MAX_NEXT_STEP_BYTES: usize = 300;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NextStep {
    pub speaker: Role,
    pub text: String,
    pub utterance_index: usize,
    pub at_seconds: f64,
    /// The time phrase said with it (today, tomorrow, by Friday, next week, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
}

/// The follow-up actions a commitment names: regex alternatives that are plain literals, so the
/// prefilter can look for them too.
const FOLLOW_UPS: [&str; 20] = [
    "send",
    "email",
    "e-mail",
    "follow",
    "schedule",
    "set up",
    "book",
    "share",
    "get back",
    "call",
    "loop",
    "introduce",
    "put together",
    "prepare",
    "circle back",
    "reach out",
    "forward",
    "confirm",
    "draft",
    "arrange",
];
/// The other way to state a commitment, and the rest of the prefilter's literals.
const NEXT_STEP: &str = "next step";
/// How the commitment regex's first alternative starts: a pronoun and a verb, or a joint
/// subject. A sentence with none of these can only commit by saying "next step".
const PRONOUNS: [&str; 2] = ["i", "we"];
const VERBS: [&str; 8] = [
    "'ll",
    "’ll",
    " will",
    " can",
    " am going to",
    " are going to",
    "'m going to",
    "'re going to",
];
const JOINT_SUBJECTS: [&str; 3] = ["let me", "let's", "let us"];
/// The prefilter's groups: a commitment has a subject and a follow-up, or says "next step".
const SUBJECT: u32 = 1;
const FOLLOW_UP: u32 = 2;
const NEXT_STEP_SAID: u32 = 4;

struct Patterns {
    commitment: Regex,
    negation: Regex,
    due: Regex,
    /// Every commitment contains a subject and a follow-up, or "next step": segments without
    /// are skipped without splitting them into sentences, and sentences without without running
    /// the regexes on them.
    prefilter: Option<Prefilter>,
}

fn build(pattern: &str) -> Regex {
    // The patterns are constants covered by the tests below.
    RegexBuilder::new(pattern)
        .case_insensitive(true)
        .build()
        .expect("valid next-step pattern")
}

fn patterns() -> &'static Patterns {
    static PATTERNS: OnceLock<Patterns> = OnceLock::new();
    PATTERNS.get_or_init(|| Patterns {
        commitment: build(&format!(
            r"\b(?:(?:{})(?:{})|{})\s+(?:\w+\s+){{0,2}}?(?:{})\b|\b{NEXT_STEP}s?\b",
            PRONOUNS.join("|"),
            VERBS.join("|"),
            JOINT_SUBJECTS.join("|"),
            FOLLOW_UPS.join("|")
        )),
        negation: build(r"\b(?:won't|will not|can't|cannot|not able|unable|don't|never)\b"),
        prefilter: {
            let subjects: Vec<String> = PRONOUNS
                .iter()
                .flat_map(|pronoun| VERBS.iter().map(move |verb| format!("{pronoun}{verb}")))
                .chain(JOINT_SUBJECTS.iter().map(|s| (*s).to_owned()))
                .collect();
            let subjects: Vec<&str> = subjects.iter().map(String::as_str).collect();
            Prefilter::new(&[&subjects, &FOLLOW_UPS, &[NEXT_STEP]], |found| {
                found & NEXT_STEP_SAID != 0 || found & (SUBJECT | FOLLOW_UP) == SUBJECT | FOLLOW_UP
            })
        },
        due: build(
            r"\b(?:today|tonight|tomorrow|this week|next week|this month|next month|end of (?:the )?(?:day|week|month|quarter)|(?:by|on|this|next) (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|in (?:a|one|two|three|\d+) (?:days?|weeks?))\b",
        ),
    })
}

// A frame of its own, so `make profile` can attribute this stage (one call per analysis).
#[inline(never)]
pub fn find(timeline: &Timeline<'_>) -> Vec<NextStep> {
    let p = patterns();
    let mut found = Vec::new();
    for s in &timeline.segments {
        let maybe = p.prefilter.as_ref().and_then(|f| f.may_match(s.text));
        if maybe == Some(false) {
            continue;
        }
        for sentence in sentences(s.text) {
            if found.len() >= MAX_NEXT_STEPS {
                return found;
            }
            if sentence.ends_with('?') {
                continue;
            }
            if p.prefilter.as_ref().and_then(|f| f.may_match(sentence)) == Some(false) {
                continue;
            }
            // The commitment first: few sentences have one, so the negation runs on few.
            let Some(commitment) = p.commitment.find(sentence) else {
                continue;
            };
            if p.negation.is_match(sentence) {
                continue;
            }
            found.push(NextStep {
                speaker: s.role,
                text: excerpt(sentence, commitment.start()),
                utterance_index: s.index,
                at_seconds: s.start,
                due: p.due.find(sentence).map(|m| m.as_str().to_lowercase()),
            });
        }
    }
    found
}

/// The sentence, or when it is longer than [`MAX_NEXT_STEP_BYTES`] the part that starts at the
/// commitment, marked with ellipses where it was cut.
fn excerpt(sentence: &str, commitment_start: usize) -> String {
    if sentence.len() <= MAX_NEXT_STEP_BYTES {
        return sentence.to_owned();
    }
    let mut end = (commitment_start + MAX_NEXT_STEP_BYTES).min(sentence.len());
    while !sentence.is_char_boundary(end) {
        end -= 1;
    }
    let head = if commitment_start > 0 { "…" } else { "" };
    let tail = if end < sentence.len() { "…" } else { "" };
    format!("{head}{}{tail}", &sentence[commitment_start..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::test_support::untimed;

    fn steps(turns: &[(Role, &str)]) -> Vec<NextStep> {
        let t = untimed(turns);
        find(&Timeline::build(&t, None))
    }

    #[test]
    fn commitments_are_found_with_their_due_time() {
        let s = steps(&[
            (
                Role::Agent,
                "Great talking to you. I'll send you the proposal by Friday.",
            ),
            (
                Role::Customer,
                "Sounds good, we will loop in our CFO next week.",
            ),
            (Role::Agent, "Let's schedule a demo."),
        ]);
        let texts: Vec<&str> = s.iter().map(|n| n.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "I'll send you the proposal by Friday.",
                "Sounds good, we will loop in our CFO next week.",
                "Let's schedule a demo."
            ]
        );
        assert_eq!(s[0].due.as_deref(), Some("by friday"));
        assert_eq!(s[1].due.as_deref(), Some("next week"));
        assert_eq!(s[1].speaker, Role::Customer);
        assert_eq!(s[2].due, None);
    }

    proptest::proptest! {
        /// The prefilter may skip a sentence only where the commitment regex cannot match it.
        #[test]
        fn the_prefilter_never_skips_a_commitment(
            words in proptest::collection::vec(proptest::sample::select(vec![
                "I", "i", "we", "WE", "I'll", "We’ll", "we'll", "will", "can", "am", "are", "going",
                "to", "I'm", "we're", "i're", "we'm", "let", "Let's", "LET", "us", "me", "send",
                "E-mail", "set", "up", "get", "back", "Next", "step", "steps", "the", "proposal",
                "hi", "sendx", "...", ",",
            ]), 0..10),
            separator in proptest::sample::select(vec![" ", "  ", "\t"]),
        ) {
            let sentence = words.join(separator);
            let p = patterns();
            let prefilter = p.prefilter.as_ref().expect("built");
            if p.commitment.is_match(&sentence) {
                proptest::prop_assert_ne!(prefilter.may_match(&sentence), Some(false), "{:?}", sentence);
            }
        }
    }

    #[test]
    fn an_explicit_next_step_counts() {
        assert_eq!(
            steps(&[(Role::Agent, "So the next step is a security review.")]).len(),
            1
        );
    }

    #[test]
    fn questions_and_negated_sentences_are_not_commitments() {
        assert!(steps(&[
            (Role::Customer, "Can you send me the deck?"),
            (Role::Agent, "I won't be able to send it today."),
            (Role::Agent, "We sent it last week."),
        ])
        .is_empty());
    }

    #[test]
    fn a_long_sentence_is_cut_to_the_commitment() {
        let filler = "and then we talked about the weather ".repeat(40);
        let text = format!("{filler}I'll send you the proposal by Friday {filler}");
        let s = steps(&[(Role::Agent, &text)]);
        assert_eq!(s.len(), 1);
        assert!(
            s[0].text
                .starts_with("…I'll send you the proposal by Friday"),
            "{}",
            s[0].text
        );
        assert!(s[0].text.ends_with('…'));
        assert!(s[0].text.len() <= MAX_NEXT_STEP_BYTES + 2 * '…'.len_utf8());
        assert_eq!(s[0].due.as_deref(), Some("by friday"));
    }
}
