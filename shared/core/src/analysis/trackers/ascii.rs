//! Trackers on an utterance that is ASCII with single spaces between its words (nearly every
//! utterance): every rule's phrases found in one Aho-Corasick pass over it, where each rule's
//! regex used to scan the whole call once.
//!
//! This finds exactly the matches of the rules' regexes. A rule's regex is `\bP1\b|\bP2\b|…`,
//! case-insensitive, each phrase's words joined by `\s+`. In such an utterance `\s+` can only
//! match one space, so a phrase matches at `s..e` exactly where its words joined by single spaces
//! occur ignoring ASCII case (in ASCII text an ASCII letter's case folding is its two cases) and
//! `\b` holds at `s` and at `e` (in ASCII text a word character is `[0-9A-Za-z_]`, Unicode or
//! not). An overlapping search reports every such occurrence of every phrase; each rule's
//! leftmost-first `find_iter` is then replayed on its own: the occurrence with the leftmost start,
//! at equal starts the phrase listed first, then the next one starting at or after its end.
//! A rule with a phrase that has no words (the regex `\b\b` matches empty text) or is not ASCII
//! leaves the whole set to the regexes.

use std::ops::{ControlFlow, Range};

use super::TrackerRule;
use crate::analysis::dense_dfa::DenseDfa;

#[derive(Debug)]
pub(super) struct AsciiPhrases {
    /// Every distinct phrase, lowercase, its words joined by single spaces, as a DFA searched
    /// byte by byte below: the crate's overlapping iterator cost four times as much a byte, and
    /// stepping its DFA twice what this table costs.
    automaton: DenseDfa,
    /// For each phrase (the automaton's pattern id), the rules that list it.
    owners: Vec<Vec<Owner>>,
}

/// A rule listing a phrase, and where in its alternation.
#[derive(Debug, Clone, Copy)]
struct Owner {
    rule: usize,
    alternative: usize,
}

/// A phrase of a rule found at `start..end`; ordered as the rule's regex would prefer them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Occurrence {
    rule: usize,
    start: usize,
    alternative: usize,
    end: usize,
}

impl AsciiPhrases {
    /// `None` when a rule has a phrase that is not ASCII or has no words (or the phrases are too
    /// many for one table).
    pub(super) fn new<'a>(rules: impl IntoIterator<Item = &'a TrackerRule>) -> Option<Self> {
        let mut phrases: Vec<String> = Vec::new();
        let mut owners: Vec<Vec<Owner>> = Vec::new();
        for (rule, r) in rules.into_iter().enumerate() {
            for (alternative, phrase) in r.phrases.iter().enumerate() {
                if !phrase.is_ascii() {
                    return None;
                }
                let phrase = phrase
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .to_ascii_lowercase();
                if phrase.is_empty() {
                    return None;
                }
                let id = phrases
                    .iter()
                    .position(|p| *p == phrase)
                    .unwrap_or_else(|| {
                        phrases.push(phrase);
                        owners.push(Vec::new());
                        phrases.len() - 1
                    });
                owners[id].push(Owner { rule, alternative });
            }
        }
        Some(Self {
            automaton: DenseDfa::new(&phrases)?,
            owners,
        })
    }

    /// Whether [`AsciiPhrases::find`] finds every match in `text`: its bytes run from the space
    /// to DEL (so it is ASCII and its only white space is the space, the other ASCII white space
    /// characters being below it), and no two spaces meet.
    pub(super) fn applies_to(text: &str) -> bool {
        let bytes = text.as_bytes();
        // Folds rather than `all` and `memmem::find`: without an early exit the compiler checks
        // many bytes a step, and a searcher built per utterance costs more than the utterance.
        let printable = bytes
            .iter()
            .fold(true, |ok, &b| ok & (b.wrapping_sub(b' ') < 0x60));
        let two_spaces = bytes
            .iter()
            .zip(bytes.iter().skip(1))
            .fold(false, |found, (&a, &b)| found | (a == b' ' && b == b' '));
        printable && !two_spaces
    }

    /// Calls `record(rule index, match range)` for every match of every rule in `text` (one that
    /// [`AsciiPhrases::applies_to`]), rule by rule, each rule's matches in text order.
    /// `occurrences` is scratch space, reused across utterances.
    pub(super) fn find(
        &self,
        text: &str,
        occurrences: &mut Vec<Occurrence>,
        mut record: impl FnMut(usize, Range<usize>),
    ) {
        occurrences.clear();
        let bytes = text.as_bytes();
        self.automaton.search(bytes, |end, matches| {
            for &(phrase, length) in matches {
                let start = end - length;
                if !(is_word_boundary(bytes, start) && is_word_boundary(bytes, end)) {
                    continue;
                }
                for owner in self.owners.get(phrase.as_usize()).into_iter().flatten() {
                    occurrences.push(Occurrence {
                        rule: owner.rule,
                        start,
                        alternative: owner.alternative,
                        end,
                    });
                }
            }
            ControlFlow::<()>::Continue(())
        });
        occurrences.sort_unstable();
        // The rule of the last match recorded and where that match ended.
        let mut last: Option<(usize, usize)> = None;
        for o in occurrences.iter() {
            if last.is_some_and(|(rule, end)| rule == o.rule && o.start < end) {
                continue;
            }
            record(o.rule, o.start..o.end);
            last = Some((o.rule, o.end));
        }
    }
}

/// Regex's ASCII `\b` at `at`: a word byte on one side only (the text's ends count as non-word).
fn is_word_boundary(bytes: &[u8], at: usize) -> bool {
    let is_word = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
    let before = at.checked_sub(1).and_then(|i| bytes.get(i));
    is_word(before) != is_word(bytes.get(at))
}
