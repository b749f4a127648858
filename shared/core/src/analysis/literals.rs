//! A literal prefilter for case-insensitive regexes (next steps' commitments): one Aho-Corasick
//! pass over a text tells whether the regex can match it at all, so it runs only where a literal
//! every match needs occurs.
//!
//! A prefilter may say "maybe" where the regex finds nothing, never "no" where it would match.
//! Every match of such a regex contains its literal with each letter in some case, and the regex
//! (Unicode, case-insensitive) takes a letter in any case of its simple case folding. For ASCII
//! letters that is their two ASCII cases, except that `k` also matches the Kelvin sign (U+212A)
//! and `s` the long s (U+017F), which an ASCII-case-insensitive search would miss; a text with
//! either character is therefore searched by the regexes alone ([`is_exact_for`]).

use std::ops::ControlFlow;

use crate::analysis::dense_dfa::DenseDfa;

/// The non-ASCII characters a case-insensitive regex matches for an ASCII letter.
const ASCII_FOLD_TARGETS: [char; 2] = ['\u{212A}', '\u{17F}'];

/// An ASCII-case-insensitive search for literals in groups, answering whether the groups found
/// together are enough for a match (a regex may need a literal of two groups, or of one).
#[derive(Debug)]
pub struct Prefilter {
    /// Searched byte by byte below: the crate's `is_match` ran its case-insensitive Teddy
    /// prefilter, whose many false candidates each restarted the automaton, at thrice the cost.
    literals: DenseDfa,
    /// The group bit of each literal (the automaton's pattern id).
    group_of: Vec<u32>,
    /// Whether literals of the groups set in the argument can make a match.
    enough: fn(u32) -> bool,
}

impl Prefilter {
    /// `groups[g]` are the literals of group `g` (bit `1 << g`); a literal's letters must be ASCII
    /// (other characters are matched as they are, so they must have no other case). `None` if
    /// the automaton cannot be built (then the caller runs its regexes everywhere).
    pub fn new(groups: &[&[&str]], enough: fn(u32) -> bool) -> Option<Self> {
        let mut literals = Vec::new();
        let mut group_of = Vec::new();
        for (g, group) in groups.iter().enumerate() {
            literals.extend_from_slice(group);
            group_of.extend(group.iter().map(|_| 1 << g));
        }
        Some(Self {
            literals: DenseDfa::new(&literals)?,
            group_of,
            enough,
        })
    }

    /// Whether literals occur in `text` that are enough for a match, or `None` when the
    /// prefilter cannot answer.
    pub fn may_match(&self, text: &str) -> Option<bool> {
        if !is_exact_for(text) {
            return None;
        }
        let mut found = 0;
        let enough = self.literals.search(text.as_bytes(), |_, matches| {
            for (literal, _) in matches {
                found |= self.group_of.get(literal.as_usize()).copied().unwrap_or(0);
            }
            if (self.enough)(found) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        Some(enough.is_some())
    }
}

/// Whether an ASCII-case-insensitive search finds every literal a case-insensitive regex would
/// match in `text`.
pub fn is_exact_for(text: &str) -> bool {
    text.is_ascii() || !text.contains(ASCII_FOLD_TARGETS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_kelvin_sign_and_the_long_s_fold_to_ascii_letters() {
        let everything: String = ('\u{80}'..=char::MAX).collect();
        let folded: Vec<char> = regex::Regex::new("(?i)[a-z]")
            .expect("valid")
            .find_iter(&everything)
            .flat_map(|m| m.as_str().chars())
            .collect();
        assert_eq!(folded, ['\u{17F}', '\u{212A}']);
    }

    #[test]
    fn a_prefilter_finds_its_literals_in_any_ascii_case() {
        let p = Prefilter::new(&[&["price", "per seat"]], |found| found != 0).expect("built");
        assert_eq!(p.may_match("Our PRICE is per Seat"), Some(true));
        assert_eq!(p.may_match("our pricing is per user"), Some(false));
        assert_eq!(p.may_match("\u{212A}ey"), None);
    }

    #[test]
    fn a_prefilter_can_need_a_literal_of_each_of_two_groups() {
        let p = Prefilter::new(&[&["we’ll", "i will"], &["send"]], |found| found == 0b11)
            .expect("built");
        assert_eq!(p.may_match("I WILL send it"), Some(true));
        assert_eq!(p.may_match("send it, we’ll see"), Some(true));
        assert_eq!(p.may_match("We'll send it"), Some(false));
        assert_eq!(p.may_match("I will, I will"), Some(false));
    }
}
