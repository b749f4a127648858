//! Trackers on a call whose text is all ASCII (nearly every call): each rule's regex runs once
//! over the whole call instead of once per utterance that might match.
//!
//! The utterances are lowercased and joined by NUL bytes into one text, and each rule's phrases
//! are compiled lowercase, case-sensitively, with ASCII classes
//! ([`TrackerRule::compile_for_lowercase_ascii`]). That finds exactly the per-utterance matches
//! of the case-insensitive rules, at the same places: on ASCII text an ASCII letter's case
//! folding holds only its two cases, and `\b`, `\s` do not depend on case or, on ASCII, on
//! Unicode; no match can reach across a NUL, which is neither a word character nor white space
//! and is in no phrase (a rule with one is left to the general path), so a match lies inside
//! one utterance, with the same word boundaries at its edges as in that utterance alone, and
//! the leftmost-first search finds an utterance's matches in the same order. Lowercase literals
//! also give the regex engine a literal prefilter, which the 2^n case variants of a word did not.

use std::ops::Range;

use regex::Regex;

use super::TrackerRule;
use crate::analysis::timeline::Segment;

#[derive(Debug)]
pub(super) struct AsciiRules {
    regexes: Vec<Regex>,
}

impl AsciiRules {
    /// `None` when a rule has a phrase that is not ASCII or holds a NUL.
    pub(super) fn new(rules: &[(TrackerRule, Regex)]) -> Option<Self> {
        let regexes = rules
            .iter()
            .map(|(rule, _)| rule.compile_for_lowercase_ascii())
            .collect::<Option<Vec<Regex>>>()?;
        Some(Self { regexes })
    }

    /// Calls `record(rule index, segment, match range in the segment's text)` for every match,
    /// rule by rule, each rule's matches in call order; `false` (nothing recorded) when some
    /// segment is not ASCII.
    pub(super) fn find(
        &self,
        segments: &[Segment<'_>],
        mut record: impl FnMut(usize, &Segment<'_>, Range<usize>),
    ) -> bool {
        if !segments.iter().all(|s| s.text.is_ascii()) {
            return false;
        }
        let mut call = String::with_capacity(segments.iter().map(|s| s.text.len() + 1).sum());
        let mut starts = Vec::with_capacity(segments.len());
        for s in segments {
            starts.push(call.len());
            call.push_str(s.text);
            call.push('\0');
        }
        call.make_ascii_lowercase();
        for (index, regex) in self.regexes.iter().enumerate() {
            let mut segment = 0;
            for m in regex.find_iter(&call) {
                while segment + 1 < starts.len() && starts[segment + 1] <= m.start() {
                    segment += 1;
                }
                let offset = starts[segment];
                record(
                    index,
                    &segments[segment],
                    m.start() - offset..m.end() - offset,
                );
            }
        }
        true
    }
}
