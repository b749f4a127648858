//! Trackers: configurable phrase rules — which role, which time window, how negation counts,
//! and whether the rule is required (compliance) — with a default set shipped as data.
//!
//! Phrases match case-insensitively on word boundaries ("price" matches "Price," but not
//! "priceless"); inflections are listed as phrases rather than guessed by a stemmer, so a rule
//! does exactly what it says. Each rule compiles to one regex, once, when the set is built; on
//! nearly every utterance the same matches are found by one literal search for all rules'
//! phrases instead (`trackers::ascii` says why they are the same).

mod ascii;
mod rules;

use std::ops::Range;

use regex::{Regex, RegexSet, RegexSetBuilder};
use serde::{Deserialize, Serialize};

use ascii::AsciiPhrases;

use crate::analysis::timeline::{Segment, Timeline};
use crate::analysis::tokens::tokens_from_the_end;
use crate::domain::Role;
use crate::error::InputError;

pub use rules::{
    default_rules, Expectation, NegationMode, TimeWindow, TrackerCategory, TrackerRule, WindowRange,
};

/// At most this many mentions are listed per hit; `count` stays exact.
pub const MAX_MENTIONS_PER_HIT: usize = 20;
/// A negation cue at most this many words before a phrase (same sentence) negates it.
pub const NEGATION_WINDOW_WORDS: usize = 3;
/// Words that negate a following phrase: "we are not interested in price".
pub const NEGATION_CUES: [&str; 16] = [
    "not", "no", "never", "don't", "dont", "doesn't", "isn't", "aren't", "won't", "wouldn't",
    "can't", "cannot", "didn't", "without", "nothing", "neither",
];

/// One rule that fired (or, for a required rule, was checked).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackerHit {
    pub tracker: String,
    pub category: TrackerCategory,
    pub count: u32,
    /// For required rules only: whether the call satisfied it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub satisfied: Option<bool>,
    pub mentions: Vec<TrackerMention>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackerMention {
    pub utterance_index: usize,
    pub speaker: Role,
    pub phrase: String,
    pub at_seconds: f64,
}

/// Rules compiled for matching.
#[derive(Debug)]
pub struct TrackerSet {
    compiled: Vec<(TrackerRule, Regex)>,
    /// All rules' patterns in one automaton: one pass tells which rules can match a segment,
    /// so most segments (which mention no tracker) are scanned once instead of once per rule.
    /// `None` only if the combined automaton exceeds the regex size limit.
    any: Option<RegexSet>,
    /// Every rule's phrases in one literal automaton, for the utterances it is exact on;
    /// `None` when a rule has a phrase it cannot take (not ASCII, or without words).
    ascii: Option<AsciiPhrases>,
}

impl TrackerSet {
    /// Compiles rules that are known to be valid (the built-in defaults); invalid ones are
    /// dropped with a log-free skip because the defaults are tested to be valid.
    pub fn new(rules: Vec<TrackerRule>) -> Self {
        Self::from_compiled(
            rules
                .into_iter()
                .filter_map(|r| r.compile().ok().map(|re| (r, re)))
                .collect(),
        )
    }

    fn from_compiled(compiled: Vec<(TrackerRule, Regex)>) -> Self {
        let any = RegexSetBuilder::new(compiled.iter().map(|(_, re)| re.as_str()))
            .case_insensitive(true)
            .build()
            .ok();
        let ascii = AsciiPhrases::new(compiled.iter().map(|(rule, _)| rule));
        Self {
            compiled,
            any,
            ascii,
        }
    }

    /// Compiles rules from configuration, refusing the first invalid one with its field.
    pub fn try_new(rules: Vec<TrackerRule>) -> Result<Self, InputError> {
        let compiled = rules
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                r.validate()
                    .map_err(|e| e.within(&format!("trackers[{i}]")))?;
                let re = r
                    .compile()
                    .map_err(|e| e.within(&format!("trackers[{i}]")))?;
                Ok((r, re))
            })
            .collect::<Result<_, InputError>>()?;
        Ok(Self::from_compiled(compiled))
    }

    // A frame of its own, so `make profile` can attribute this stage (one call per analysis).
    #[inline(never)]
    pub fn find(&self, timeline: &Timeline<'_>) -> Vec<TrackerHit> {
        let mut found: Vec<(u32, Vec<TrackerMention>)> = vec![(0, Vec::new()); self.compiled.len()];
        let mut record = |index: usize, s: &Segment<'_>, at: Range<usize>| {
            let rule = &self.compiled[index].0;
            if rule.speaker.is_some_and(|r| r != s.role)
                || !rule
                    .window
                    .is_none_or(|w| w.contains(s.start, timeline.duration))
            {
                return;
            }
            let negated = is_negated(&s.text[..at.start]);
            let counts = match rule.negation {
                NegationMode::Exclude => !negated,
                NegationMode::Include => true,
                NegationMode::Only => negated,
            };
            if !counts {
                return;
            }
            let (count, mentions) = &mut found[index];
            *count += 1;
            if mentions.len() < MAX_MENTIONS_PER_HIT {
                mentions.push(TrackerMention {
                    utterance_index: s.index,
                    speaker: s.role,
                    phrase: s.text[at].to_owned(),
                    at_seconds: s.start,
                });
            }
        };
        let mut occurrences = Vec::new();
        for s in &timeline.segments {
            match &self.ascii {
                Some(ascii) if AsciiPhrases::applies_to(s.text) => {
                    ascii.find(s.text, &mut occurrences, |index, at| record(index, s, at));
                }
                _ => {
                    let candidates: Vec<usize> = match &self.any {
                        Some(set) => set.matches(s.text).into_iter().collect(),
                        None => (0..self.compiled.len()).collect(),
                    };
                    for index in candidates {
                        for m in self.compiled[index].1.find_iter(s.text) {
                            record(index, s, m.range());
                        }
                    }
                }
            }
        }
        self.compiled
            .iter()
            .zip(found)
            .filter_map(|((rule, _), (count, mentions))| {
                let satisfied = (rule.expectation == Expectation::Required).then_some(count > 0);
                (count > 0 || satisfied.is_some()).then(|| TrackerHit {
                    tracker: rule.name.clone(),
                    category: rule.category,
                    count,
                    satisfied,
                    mentions,
                })
            })
            .collect()
    }
}

/// Whether the text just before a phrase negates it: a cue among the last few words of the
/// same sentence. Reads backwards from the phrase and stops at the sentence's start or after
/// [`NEGATION_WINDOW_WORDS`] words, so each mention costs a few words, not its whole sentence
/// (which made one long sentence of tracker words quadratic).
fn is_negated(before: &str) -> bool {
    let mut seen = 0;
    for token in tokens_from_the_end(before) {
        let (token, sentence_starts_here) = match token.rfind(['.', '!', '?', ';']) {
            Some(end) => (&token[end + 1..], true),
            None => (token, false),
        };
        if let Some(word) = crate::analysis::text::words_from_the_end(token).next() {
            if is_negation_cue(word) {
                return true;
            }
            seen += 1;
        }
        if sentence_starts_here || seen == NEGATION_WINDOW_WORDS {
            return false;
        }
    }
    false
}

/// `word` is one of [`NEGATION_CUES`] ([`is_cue`]). The cues are ASCII, so a word without a
/// typographic apostrophe is one only if it equals a cue ignoring ASCII case; that test is made
/// first, since looking for the apostrophe once per cue cost more than the rest of a mention.
fn is_negation_cue(word: &str) -> bool {
    if word.contains('’') {
        NEGATION_CUES.iter().any(|cue| is_cue(cue, word))
    } else {
        NEGATION_CUES
            .iter()
            .any(|cue| cue.eq_ignore_ascii_case(word))
    }
}

/// `word` is `cue`, ignoring ASCII case and with a typographic apostrophe read as `'`.
fn is_cue(cue: &str, word: &str) -> bool {
    // The cues are ASCII: a word of another length can only be one with a typographic apostrophe.
    if word.len() != cue.len() && !word.contains('’') {
        return false;
    }
    let normalise = |c: char| {
        if c == '’' {
            '\''
        } else {
            c.to_ascii_lowercase()
        }
    };
    cue.chars().map(normalise).eq(word.chars().map(normalise))
}

#[cfg(test)]
mod tests;
