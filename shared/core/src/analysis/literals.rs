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

use aho_corasick::automaton::Automaton;
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, StartKind};

/// The non-ASCII characters a case-insensitive regex matches for an ASCII letter.
const ASCII_FOLD_TARGETS: [char; 2] = ['\u{212A}', '\u{17F}'];

/// An ASCII-case-insensitive search for literals.
#[derive(Debug)]
pub struct Prefilter {
    /// Searched byte by byte below: the crate's `is_match` ran its case-insensitive Teddy
    /// prefilter, whose many false candidates each restarted the automaton, at thrice the cost.
    literals: DFA,
}

impl Prefilter {
    /// `literals` must be ASCII. `None` if the automaton cannot be built (then the caller runs
    /// its regexes everywhere).
    pub fn new<'a>(literals: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        let literals: Vec<&str> = literals.into_iter().collect();
        debug_assert!(literals.iter().all(|l| l.is_ascii()));
        let literals = DFA::builder()
            .ascii_case_insensitive(true)
            .start_kind(StartKind::Unanchored)
            // Its prefilter would make the start state special, stopping the loop below often.
            .prefilter(false)
            .build(literals)
            .ok()?;
        Some(Self { literals })
    }

    /// Whether any literal occurs in `text`, or `None` when the prefilter cannot answer.
    pub fn any(&self, text: &str) -> Option<bool> {
        if !is_exact_for(text) {
            return None;
        }
        let dfa = &self.literals;
        let mut state = dfa.start_state(Anchored::No).ok()?;
        for &byte in text.as_bytes() {
            state = dfa.next_state(Anchored::No, state, byte);
            // Without a prefilter, the only special states of an unanchored search are matches.
            if dfa.is_special(state) && dfa.is_match(state) {
                return Some(true);
            }
        }
        Some(false)
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
        let p = Prefilter::new(["price", "per seat"]).expect("built");
        assert_eq!(p.any("Our PRICE is per Seat"), Some(true));
        assert_eq!(p.any("our pricing is per user"), Some(false));
        assert_eq!(p.any("\u{212A}ey"), None);
    }
}
